#![no_main]
//! Fuzz target `imap_greeting`: see `harness::imap_greeting` for what it checks.

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::imap_greeting(data));
