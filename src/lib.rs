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
//! | session | [`pop3::server`], [`imap::server`] | protocol state machines |
//!
//! The crate reads no clock: every method that needs the time takes an
//! [`Instant`] from the caller. Both sessions hand out their output as one
//! type, [`Transmit`], and take every answer through one method,
//! `Session::answer(request, answer, now)`, whose answer type is checked per
//! request kind; a refused answer gives its request back in [`AnswerError`].
//!
//! For an IMAP server, [`imap::server`] has the embedding example: a session,
//! an in-memory mailbox, and the host loop around them.
//!
//! # Embedding a POP3 server
//!
//! The host creates one [`pop3::server::Session`] per connection, feeds it
//! what it reads, answers its events from its own storage, and writes out
//! what it transmits. Here the "transport" is a byte string and the
//! "storage" a vector; a real host does the same with a socket and files
//! (see `examples/pop3_server.rs`).
//!
//! ```
//! use bytes::{Buf, Bytes};
//! use pobox::pop3::server::{Config, Event, LoginRejection, MessageInfo, Session, Transport, UniqueId};
//! use std::sync::Arc;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // The host's storage: one user, two messages (LF line ends, as on disk).
//! let messages = vec![
//!     Bytes::from_static(b"Subject: hello\n\nHi!\n"),
//!     Bytes::from_static(b"Subject: dots\n\n.a line that starts with a dot\n"),
//! ];
//! let listing: Vec<MessageInfo> = messages
//!     .iter()
//!     .enumerate()
//!     .map(|(i, m)| Ok(MessageInfo::new(pobox::pop3::wire_size(m), UniqueId::new(format!("msg-{i}"))?)))
//!     .collect::<Result<_, pobox::pop3::server::InvalidUniqueId>>()?;
//!
//! let mut config = Config::default();
//! config.plaintext_auth_without_tls(true); // a private transport, for the example
//! let config = Arc::new(config);
//! let now = pobox::Instant::now(); // the host reads the clock, never pobox
//! let random = [42u8; 16]; // the host's randomness (use the OS generator)
//! let mut session = Session::new(config, Transport::Plain, random, now);
//!
//! // What the client sends, pipelined in one read.
//! session.feed(now, b"USER alice\r\nPASS secret\r\nSTAT\r\nRETR 2\r\nDELE 1\r\nQUIT\r\n");
//!
//! let mut wire = Vec::new(); // what the host writes to its socket
//! let mut deleted = Vec::new();
//! loop {
//!     while let Some(event) = session.poll_event() {
//!         match event {
//!             Event::Login(request) => {
//!                 let valid = request.user() == "alice" && request.credentials().verify(b"secret");
//!                 // The listing opens the maildrop; a rejection says why not.
//!                 let verdict = if valid {
//!                     Ok(listing.clone())
//!                 } else {
//!                     Err(LoginRejection::BadCredentials)
//!                 };
//!                 session.answer(request, verdict, now)?;
//!             }
//!             Event::Retrieve(request) => {
//!                 let message = messages[request.index()].clone(); // a refcount, not a copy
//!                 session.answer(request, Ok(message), now)?;
//!             }
//!             Event::Commit(request) => {
//!                 deleted.extend(request.deleted().iter().map(|(index, _uid)| *index));
//!                 session.answer(request, Ok(()), now)?;
//!             }
//!             // No STLS in this config; Closed needs no answer.
//!             _ => {}
//!         }
//!     }
//!     // Write out the output (a `bytes::Buf`; `chunks_vectored` suits writev).
//!     let transmit = session.transmit();
//!     while transmit.has_remaining() {
//!         let chunk = transmit.chunk();
//!         wire.extend_from_slice(chunk);
//!         let n = chunk.len();
//!         transmit.advance(n);
//!     }
//!     if session.is_closed() {
//!         break;
//!     }
//!     // A real host now waits for input (while `session.wants_read()`),
//!     // for its storage, or until `session.poll_timeout()`.
//! }
//!
//! assert_eq!(
//!     String::from_utf8(wire)?,
//!     "+OK POP3 server ready\r\n\
//!      +OK\r\n\
//!      +OK alice's maildrop has 2 messages (72 octets)\r\n\
//!      +OK 2 72\r\n\
//!      +OK 49 octets\r\n\
//!      Subject: dots\r\n\r\n..a line that starts with a dot\r\n.\r\n\
//!      +OK message 1 deleted\r\n\
//!      +OK localhost POP3 server signing off (1 message left)\r\n"
//! );
//! assert_eq!(deleted, [0]);
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(rust_2018_idioms, unreachable_pub)]

mod answer;
pub mod imap;
mod lf;
pub mod mime;
pub mod pop3;
pub mod sasl;
mod secret;
mod status;
mod transmit;

pub use answer::{AnswerError, UsageError};
pub use secret::Secret;
pub use status::Status;
pub use transmit::Transmit;

/// The time type every session method takes; pobox never reads a clock itself.
pub use std::time::Instant;
