//! Evidence made into CEL values through serde, as `cel::to_value` makes them, at less cost:
//! every node's facts, certificates and contexts are converted, and cel's own serializer builds
//! each map twice (grown from empty, then copied into a map of CEL keys) and allocates every
//! field name anew. Here a map is built once, at its known size, and a struct's field names are
//! shared. Debug builds check each conversion against `cel::to_value` (see
//! [`crate::rules::item::to_cel`]).

use cel::Value;
use cel::objects::{Key, Map};
use serde::ser::{self, Impossible, Serialize};
use std::collections::HashMap;
use std::sync::Arc;

/// What cannot become a CEL value: a map key that is not a string, number or boolean.
#[derive(Debug)]
pub struct Unconvertible(String);

impl std::fmt::Display for Unconvertible {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Unconvertible {}

impl ser::Error for Unconvertible {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        Unconvertible(msg.to_string())
    }
}

type Result<T> = std::result::Result<T, Unconvertible>;

pub fn to_value<T: Serialize + ?Sized>(value: &T) -> Result<Value> {
    value.serialize(ValueSerializer)
}

/// A struct's field name as a map key, made once per thread: field names are `'static`, and
/// each evidence type's few names come back for every item.
fn field_key(name: &'static str) -> Key {
    thread_local! {
        static KEYS: std::cell::RefCell<foldhash::HashMap<(usize, usize), Arc<String>>> =
            Default::default();
    }
    KEYS.with_borrow_mut(|keys| {
        let made = keys
            .entry((name.as_ptr() as usize, name.len()))
            .or_insert_with(|| Arc::new(name.to_string()));
        Key::String(Arc::clone(made))
    })
}

fn map_of(map: HashMap<Key, Value>) -> Value {
    Value::Map(Map { map: Arc::new(map) })
}

/// `{variant: value}`, as cel writes an enum variant that carries data.
fn variant(name: &'static str, value: Value) -> Value {
    map_of(HashMap::from([(
        Key::String(Arc::new(name.to_string())),
        value,
    )]))
}

struct ValueSerializer;

impl ser::Serializer for ValueSerializer {
    type Ok = Value;
    type Error = Unconvertible;
    type SerializeSeq = Seq;
    type SerializeTuple = Seq;
    type SerializeTupleStruct = Seq;
    type SerializeTupleVariant = Seq;
    type SerializeMap = MapBuilder;
    type SerializeStruct = MapBuilder;
    type SerializeStructVariant = MapBuilder;

    fn serialize_bool(self, v: bool) -> Result<Value> {
        Ok(Value::Bool(v))
    }
    fn serialize_i8(self, v: i8) -> Result<Value> {
        Ok(Value::Int(v.into()))
    }
    fn serialize_i16(self, v: i16) -> Result<Value> {
        Ok(Value::Int(v.into()))
    }
    fn serialize_i32(self, v: i32) -> Result<Value> {
        Ok(Value::Int(v.into()))
    }
    fn serialize_i64(self, v: i64) -> Result<Value> {
        Ok(Value::Int(v))
    }
    fn serialize_u8(self, v: u8) -> Result<Value> {
        Ok(Value::UInt(v.into()))
    }
    fn serialize_u16(self, v: u16) -> Result<Value> {
        Ok(Value::UInt(v.into()))
    }
    fn serialize_u32(self, v: u32) -> Result<Value> {
        Ok(Value::UInt(v.into()))
    }
    fn serialize_u64(self, v: u64) -> Result<Value> {
        Ok(Value::UInt(v))
    }
    fn serialize_f32(self, v: f32) -> Result<Value> {
        Ok(Value::Float(v.into()))
    }
    fn serialize_f64(self, v: f64) -> Result<Value> {
        Ok(Value::Float(v))
    }
    fn serialize_char(self, v: char) -> Result<Value> {
        Ok(Value::String(Arc::new(v.to_string())))
    }
    fn serialize_str(self, v: &str) -> Result<Value> {
        Ok(Value::String(Arc::new(v.to_string())))
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<Value> {
        Ok(Value::Bytes(Arc::new(v.to_vec())))
    }
    fn serialize_none(self) -> Result<Value> {
        Ok(Value::Null)
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<Value> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<Value> {
        Ok(Value::Null)
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<Value> {
        Ok(Value::Null)
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, name: &'static str) -> Result<Value> {
        Ok(Value::String(Arc::new(name.to_string())))
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<Value> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        name: &'static str,
        value: &T,
    ) -> Result<Value> {
        Ok(variant(name, to_value(value)?))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Seq> {
        Ok(Seq {
            items: Vec::with_capacity(len.unwrap_or(0)),
            variant: None,
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<Seq> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<Seq> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        name: &'static str,
        len: usize,
    ) -> Result<Seq> {
        Ok(Seq {
            items: Vec::with_capacity(len),
            variant: Some(name),
        })
    }
    fn serialize_map(self, len: Option<usize>) -> Result<MapBuilder> {
        Ok(MapBuilder::new(len.unwrap_or(0), None))
    }
    fn serialize_struct(self, _: &'static str, len: usize) -> Result<MapBuilder> {
        Ok(MapBuilder::new(len, None))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        name: &'static str,
        len: usize,
    ) -> Result<MapBuilder> {
        Ok(MapBuilder::new(len, Some(name)))
    }
}

/// A list, or the list of a tuple variant.
struct Seq {
    items: Vec<Value>,
    variant: Option<&'static str>,
}

impl Seq {
    fn push<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        self.items.push(to_value(value)?);
        Ok(())
    }

    fn finish(self) -> Value {
        let list = Value::List(Arc::new(self.items));
        match self.variant {
            Some(name) => variant(name, list),
            None => list,
        }
    }
}

impl ser::SerializeSeq for Seq {
    type Ok = Value;
    type Error = Unconvertible;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        self.push(value)
    }
    fn end(self) -> Result<Value> {
        Ok(self.finish())
    }
}

impl ser::SerializeTuple for Seq {
    type Ok = Value;
    type Error = Unconvertible;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        self.push(value)
    }
    fn end(self) -> Result<Value> {
        Ok(self.finish())
    }
}

impl ser::SerializeTupleStruct for Seq {
    type Ok = Value;
    type Error = Unconvertible;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        self.push(value)
    }
    fn end(self) -> Result<Value> {
        Ok(self.finish())
    }
}

impl ser::SerializeTupleVariant for Seq {
    type Ok = Value;
    type Error = Unconvertible;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        self.push(value)
    }
    fn end(self) -> Result<Value> {
        Ok(self.finish())
    }
}

/// A map or struct, or the map of a struct variant.
struct MapBuilder {
    map: HashMap<Key, Value>,
    next_key: Option<Key>,
    variant: Option<&'static str>,
}

impl MapBuilder {
    fn new(len: usize, variant: Option<&'static str>) -> MapBuilder {
        MapBuilder {
            map: HashMap::with_capacity(len),
            next_key: None,
            variant,
        }
    }

    fn finish(self) -> Value {
        let map = map_of(self.map);
        match self.variant {
            Some(name) => variant(name, map),
            None => map,
        }
    }
}

impl ser::SerializeMap for MapBuilder {
    type Ok = Value;
    type Error = Unconvertible;
    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<()> {
        self.next_key = Some(key.serialize(KeySerializer)?);
        Ok(())
    }
    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        let key = self
            .next_key
            .take()
            .ok_or_else(|| Unconvertible("a map value without its key".into()))?;
        self.map.insert(key, to_value(value)?);
        Ok(())
    }
    fn end(self) -> Result<Value> {
        Ok(self.finish())
    }
}

impl ser::SerializeStruct for MapBuilder {
    type Ok = Value;
    type Error = Unconvertible;
    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        name: &'static str,
        value: &T,
    ) -> Result<()> {
        self.map.insert(field_key(name), to_value(value)?);
        Ok(())
    }
    fn end(self) -> Result<Value> {
        Ok(self.finish())
    }
}

impl ser::SerializeStructVariant for MapBuilder {
    type Ok = Value;
    type Error = Unconvertible;
    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        name: &'static str,
        value: &T,
    ) -> Result<()> {
        self.map.insert(field_key(name), to_value(value)?);
        Ok(())
    }
    fn end(self) -> Result<Value> {
        Ok(self.finish())
    }
}

/// Map keys: strings, numbers and booleans, as CEL allows.
struct KeySerializer;

fn not_a_key<T>(what: &str) -> Result<T> {
    Err(Unconvertible(format!("{what} cannot be a CEL map key")))
}

impl ser::Serializer for KeySerializer {
    type Ok = Key;
    type Error = Unconvertible;
    type SerializeSeq = Impossible<Key, Unconvertible>;
    type SerializeTuple = Impossible<Key, Unconvertible>;
    type SerializeTupleStruct = Impossible<Key, Unconvertible>;
    type SerializeTupleVariant = Impossible<Key, Unconvertible>;
    type SerializeMap = Impossible<Key, Unconvertible>;
    type SerializeStruct = Impossible<Key, Unconvertible>;
    type SerializeStructVariant = Impossible<Key, Unconvertible>;

    fn serialize_bool(self, v: bool) -> Result<Key> {
        Ok(Key::Bool(v))
    }
    fn serialize_i8(self, v: i8) -> Result<Key> {
        Ok(Key::Int(v.into()))
    }
    fn serialize_i16(self, v: i16) -> Result<Key> {
        Ok(Key::Int(v.into()))
    }
    fn serialize_i32(self, v: i32) -> Result<Key> {
        Ok(Key::Int(v.into()))
    }
    fn serialize_i64(self, v: i64) -> Result<Key> {
        Ok(Key::Int(v))
    }
    fn serialize_u8(self, v: u8) -> Result<Key> {
        Ok(Key::Uint(v.into()))
    }
    fn serialize_u16(self, v: u16) -> Result<Key> {
        Ok(Key::Uint(v.into()))
    }
    fn serialize_u32(self, v: u32) -> Result<Key> {
        Ok(Key::Uint(v.into()))
    }
    fn serialize_u64(self, v: u64) -> Result<Key> {
        Ok(Key::Uint(v))
    }
    fn serialize_f32(self, _: f32) -> Result<Key> {
        not_a_key("a float")
    }
    fn serialize_f64(self, _: f64) -> Result<Key> {
        not_a_key("a float")
    }
    fn serialize_char(self, v: char) -> Result<Key> {
        Ok(Key::String(Arc::new(v.to_string())))
    }
    fn serialize_str(self, v: &str) -> Result<Key> {
        Ok(Key::String(Arc::new(v.to_string())))
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<Key> {
        not_a_key("bytes")
    }
    fn serialize_none(self) -> Result<Key> {
        not_a_key("null")
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<Key> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<Key> {
        not_a_key("null")
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<Key> {
        not_a_key("null")
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, name: &'static str) -> Result<Key> {
        Ok(Key::String(Arc::new(name.to_string())))
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<Key> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<Key> {
        not_a_key("an enum variant with data")
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq> {
        not_a_key("a list")
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple> {
        not_a_key("a tuple")
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct> {
        not_a_key("a tuple")
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant> {
        not_a_key("a tuple")
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap> {
        not_a_key("a map")
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct> {
        not_a_key("a struct")
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant> {
        not_a_key("a struct")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;
    use std::collections::BTreeMap;

    #[derive(Serialize)]
    enum Shape {
        Unit,
        Newtype(i64),
        Tuple(u8, String),
        Struct { on: bool },
    }

    #[derive(Serialize)]
    struct Inner {
        hidden: Option<String>,
    }

    #[derive(Serialize)]
    struct Sample {
        text: String,
        small: u32,
        signed: i32,
        ratio: f64,
        list: Vec<Shape>,
        by_name: BTreeMap<String, Vec<u16>>,
        by_number: BTreeMap<i64, bool>,
        none: Option<i64>,
        #[serde(flatten)]
        inner: Inner,
        bytes: serde_bytes_like::Bytes,
    }

    /// Bytes as serde's `serialize_bytes` gives them, without a crate for it.
    mod serde_bytes_like {
        pub struct Bytes(pub Vec<u8>);
        impl serde::Serialize for Bytes {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_bytes(&self.0)
            }
        }
    }

    #[test]
    fn converts_every_shape_as_cel_does() {
        let sample = Sample {
            text: "é".into(),
            small: 7,
            signed: -3,
            ratio: 0.5,
            list: vec![
                Shape::Unit,
                Shape::Newtype(9),
                Shape::Tuple(1, "x".into()),
                Shape::Struct { on: true },
            ],
            by_name: BTreeMap::from([("a".into(), vec![1, 2]), ("b".into(), vec![])]),
            by_number: BTreeMap::from([(-1, true), (2, false)]),
            none: None,
            inner: Inner {
                hidden: Some("why".into()),
            },
            bytes: serde_bytes_like::Bytes(vec![0, 255]),
        };
        let ours = to_value(&sample).unwrap();
        assert_eq!(ours, cel::to_value(&sample).unwrap());
        // A small number stays unsigned, as cel makes it: rules compare with that in mind.
        let Value::Map(map) = &ours else {
            panic!("a struct is a map")
        };
        assert_eq!(map.map.get(&Key::from("small")), Some(&Value::UInt(7)));
    }

    #[test]
    fn refuses_keys_cel_refuses() {
        let floats = BTreeMap::from([(1u8, 1.0f64)]);
        assert!(to_value(&floats).is_ok());
        let lists: BTreeMap<Vec<u8>, bool> = BTreeMap::from([(vec![1], true)]);
        assert!(to_value(&lists).is_err());
        assert!(cel::to_value(&lists).is_err());
    }
}
