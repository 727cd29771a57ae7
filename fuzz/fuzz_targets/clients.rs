//! Fuzzes `esaudit::fuzzing::clients` (see its documentation for what the bytes mean).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| esaudit::fuzzing::clients(data));
