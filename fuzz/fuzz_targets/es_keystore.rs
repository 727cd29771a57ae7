//! Fuzzes `esaudit::fuzzing::es_keystore` (see its documentation for what the bytes mean).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| esaudit::fuzzing::es_keystore(data));
