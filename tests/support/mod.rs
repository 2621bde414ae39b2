//! Shared test helpers: scripted hosts for POP3 and IMAP sessions.
#![allow(dead_code)] // each test crate uses a different part

pub mod imap;
pub mod pop3;
