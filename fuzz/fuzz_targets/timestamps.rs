//! Fuzz target: see `timestamps` in `tests/fuzz_harness/mod.rs`, shared with the test suite so
//! that crash inputs kept in `tests/fuzz-regressions/timestamps/` run again under `cargo test`.

#![no_main]

#[path = "../../tests/fuzz_harness/mod.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::timestamps(data));
