//! Fuzzes `esaudit::fuzzing::api_answers` over the recorded cluster `fixtures/api/well-run-8x`.
#![no_main]
use esaudit::collect::snapshot::ApiSnapshot;
use std::sync::OnceLock;

fn base() -> &'static ApiSnapshot {
    static BASE: OnceLock<ApiSnapshot> = OnceLock::new();
    BASE.get_or_init(|| {
        esaudit::fuzzing::recorded_cluster(concat!(env!("CARGO_MANIFEST_DIR"), "/..").as_ref())
    })
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| esaudit::fuzzing::api_answers(base(), data));
