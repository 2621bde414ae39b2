//! Code shared by the example servers `pop3_server` and `imap_server`: the connection
//! driver, mail storage (Maildir and mbox spools), the users file, TLS set-up and the
//! bundled demo mailbox.
//!
//! This is also the reference for how a host embeds pobox: pobox itself never touches
//! files, sockets or clocks, so everything here is what a host supplies around a session.
//! All of it but [`driver`] is blocking `std::fs` code; an async server calls it from
//! `tokio::task::spawn_blocking`. [`driver`] is the async I/O loop around a session.
//!
//! | module | job |
//! |--------|-----|
//! | [`driver`] | the I/O loop around a session, for both protocols: reading while writing, vectored writes, TCP_NODELAY, timers, write stalls, STLS/STARTTLS, inetd sockets |
//! | [`mailstore`] | the store trait both servers stand on (accounts, folders, messages, changes) and its Maildir++ implementation, Dovecot-compatible |
//! | [`store`] | `--mail maildir:PATH/%u` / `mbox:PATH/%u`: open a user's maildrop, list, read, commit |
//! | [`maildir`] | the Maildir format (new/ → cur/, flags in the `:2,` info suffix) |
//! | [`mbox`] | the mbox spool (`/var/mail/USER`): From_ lines, mboxrd quoting, locking |
//! | [`flags`] | Maildir flag letters, shared by both formats |
//! | [`from_line`] | the date in an mbox From_ line |
//! | [`lock`] | dotlock, `flock` and `fcntl` locks |
//! | [`users`] | the users file (Dovecot passwd-file format) |
//! | [`tls`] | rustls server configuration from PEM files, self-signed test certificates |
//! | [`demo`] | the bundled demo mailbox, copied to a temporary directory |

// Two example binaries (and several integration tests) include this module tree, and
// each of them uses only part of it; without this, every binary would warn about the
// items that only the other one uses.
#![allow(dead_code)]

pub mod demo;
pub mod driver;
pub mod flags;
pub mod from_line;
pub mod lock;
pub mod maildir;
pub mod mailstore;
pub mod mbox;
pub mod store;
pub mod tls;
pub mod users;
