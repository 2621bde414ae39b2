#![no_main]
//! Fuzz target `imap_session`: see `harness::imap_session` for what it checks.

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::imap_session(data));
