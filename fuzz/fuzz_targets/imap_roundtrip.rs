#![no_main]
//! Fuzz target `imap_roundtrip`: see `harness::imap_roundtrip` for what it checks.

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::imap_roundtrip(data));
