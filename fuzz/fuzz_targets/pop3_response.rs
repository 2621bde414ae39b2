#![no_main]
//! Fuzz target `pop3_response`: see `harness::pop3_response` for what it checks.

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::pop3_response(data));
