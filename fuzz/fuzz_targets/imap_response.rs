#![no_main]
//! Fuzz target `imap_response`: see `harness::imap_response` for what it checks.

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::imap_response(data));
