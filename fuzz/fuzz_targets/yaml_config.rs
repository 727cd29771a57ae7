//! Fuzzes `esaudit::fuzzing::yaml_config` (see its documentation for what the bytes mean).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| esaudit::fuzzing::yaml_config(data));
