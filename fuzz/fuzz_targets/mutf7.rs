#![no_main]
//! Fuzz target `mutf7`: see `harness::mutf7` for what it checks.

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::mutf7(data));
