//! Unit tests of the session's internals; the protocol is tested through the public API in
//! `tests/imap_session.rs`.
