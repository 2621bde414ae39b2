#![no_main]
//! Fuzz target `imap_command`: see `harness::imap_command` for what it checks.

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::imap_command(data));
