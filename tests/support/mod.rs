//! Shared test helpers: a scripted host for POP3 sessions.
#![allow(dead_code)] // each test crate uses a different part

pub mod pop3;
