//! # pobox: an embeddable post office
//!
//! pobox is the protocol half of a mail access server: POP3 (RFC 1939) and
//! IMAP4rev1 (RFC 3501). It is **Sans-IO**: it never touches sockets, files,
//! threads or clocks. The host program reads bytes from its transport, feeds
//! them to a session, answers the session's events from its own storage, and
//! writes out what the session hands back. Time comes in as an argument.
//!
//! Layers (each uses only the ones above it):
//!
//! | layer   | modules | job |
//! |---------|---------|-----|
//! | codec   | [`pop3::command`], [`pop3::response`], [`imap`] | parse and encode, no state |
//! | helpers | [`sasl`], [`mime`] | SASL exchanges, message structure |
//! | session | [`pop3::server`] | protocol state machines |
//!
//! The crate reads no clock: every method that needs the time takes an
//! [`Instant`] from the caller.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(rust_2018_idioms, unreachable_pub)]

pub mod imap;
pub mod mime;
pub mod pop3;
pub mod sasl;
mod secret;
mod status;

pub use secret::Secret;
pub use status::Status;

/// The time type every session method takes; pobox never reads a clock itself.
pub use std::time::Instant;
