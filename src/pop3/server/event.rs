//! What the session asks of the host, and the host's answers.
//!
//! Events own their data and hold no borrow of the session, so the host can
//! answer while still holding one. Each request type is a handle with a
//! private id: it is consumed by its answer, and an answer to a request
//! that is not pending gives the handle back inside [`AnswerError`].
//! A request the host never answers is answered by the session itself
//! after [`Config::host_timeout`](super::Config::host_timeout) with
//! `-ERR [SYS/TEMP]`, so a session never hangs silently.

use super::maildrop::UniqueId;
use crate::sasl::{Credentials, Mechanism};
use std::fmt;

/// Something the host must act on. Drain with
/// [`Session::poll_event`](super::Session::poll_event).
#[derive(Debug)]
#[non_exhaustive]
pub enum Event {
    /// Check these credentials, then call
    /// [`accept_login`](super::Session::accept_login) with the maildrop
    /// listing or [`reject_login`](super::Session::reject_login).
    Login(LoginRequest),
    /// The client sent STLS and has been told `+OK`. Write out everything in
    /// [`transmit`](super::Session::transmit), run the TLS handshake, and
    /// call [`tls_established`](super::Session::tls_established). Bytes
    /// fed in the meantime are discarded (RFC 2595 §4; CVE-2011-0411).
    StartTls,
    /// Send a message's bytes with
    /// [`send_message`](super::Session::send_message) (RETR or TOP), or
    /// refuse with [`fail_message`](super::Session::fail_message).
    Retrieve(RetrieveRequest),
    /// The client sent QUIT in TRANSACTION: the session is in UPDATE.
    /// Remove exactly the listed messages, then call
    /// [`commit_done`](super::Session::commit_done) or
    /// [`commit_failed`](super::Session::commit_failed) (RFC 1939 §6).
    Commit(CommitRequest),
    /// The session is over. Write out what is left in
    /// [`transmit`](super::Session::transmit), close the transport, and
    /// release the maildrop. Unless a [`Event::Commit`] came first, nothing
    /// may be deleted (RFC 1939 §6).
    ///
    /// Only the session's own decisions end this way. When the client goes
    /// away (the transport reports end of input or an error), the host
    /// simply drops the session and releases the maildrop itself, deleting
    /// nothing: RFC 1939 §6 allows removal only after QUIT.
    Closed(CloseReason),
}

/// Why a session ended.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum CloseReason {
    /// The client sent QUIT.
    Quit,
    /// No command within the autologout time (RFC 1939 §3).
    Autologout,
    /// Too many bad commands in a row.
    TooManyBadCommands,
    /// Too many failed logins.
    TooManyAuthFailures,
    /// The host fed input while [`wants_read`](super::Session::wants_read)
    /// was false and the input buffer was full.
    InputOverflow,
    /// The host did not answer a commit or complete a TLS handshake in time.
    HostTimeout,
}

/// How the client authenticated.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum AuthMethod {
    /// USER and PASS (RFC 1939 §7).
    UserPass,
    /// APOP (RFC 1939 §7).
    Apop,
    /// AUTH with a SASL mechanism (RFC 5034).
    Sasl(Mechanism),
}

/// A login to check. See [`Event::Login`].
pub struct LoginRequest {
    pub(crate) id: u64,
    pub(crate) credentials: Credentials,
    pub(crate) method: AuthMethod,
    pub(crate) utf8: bool,
}

impl LoginRequest {
    /// The user name (authentication identity) the client gave.
    pub fn user(&self) -> &str {
        self.credentials.user()
    }

    /// What the client proved; check with [`Credentials::verify`] or, for
    /// stored hashes, against [`Credentials::password`].
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// The command or mechanism that carried the credentials.
    pub fn method(&self) -> AuthMethod {
        self.method
    }

    /// `true` once the client has sent UTF8 (RFC 6856 §2): the host may then
    /// serve messages with raw UTF-8 headers.
    pub fn utf8(&self) -> bool {
        self.utf8
    }
}

impl fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginRequest")
            .field("user", &self.user())
            .field("method", &self.method)
            .finish_non_exhaustive()
    }
}

/// Why the host refuses a login; each has its response code (RFC 2449 §8,
/// RFC 3206).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum LoginRejection {
    /// Unknown user or wrong password: `-ERR [AUTH]`, after the failure
    /// delay. The reply is the same for both, so the wire never tells them
    /// apart.
    BadCredentials,
    /// Credentials fine, maildrop locked by another session: `-ERR [IN-USE]`.
    InUse,
    /// Logged in too recently (RFC 2449 §6.5): `-ERR [LOGIN-DELAY]`.
    LoginDelay,
    /// A temporary problem opening the maildrop: `-ERR [SYS/TEMP]`.
    SysTemp,
    /// A lasting problem (corrupt maildrop, configuration): `-ERR [SYS/PERM]`.
    SysPerm,
    /// The maildrop needs UTF-8 mode, which the client has not enabled:
    /// `-ERR [UTF8]` (RFC 6856 §5).
    Utf8Required,
}

/// A message to send. See [`Event::Retrieve`].
#[derive(Debug)]
pub struct RetrieveRequest {
    pub(crate) id: u64,
    pub(crate) msg: u32,
    pub(crate) index: usize,
    pub(crate) uid: UniqueId,
    pub(crate) lines: Option<u64>,
    pub(crate) utf8: bool,
}

impl RetrieveRequest {
    /// Position of the message in the listing the host gave to
    /// [`accept_login`](super::Session::accept_login), from 0.
    pub fn index(&self) -> usize {
        self.index
    }

    /// The message number the client used, from 1.
    pub fn msg(&self) -> u32 {
        self.msg
    }

    /// The message's unique id, as listed.
    pub fn uid(&self) -> &UniqueId {
        &self.uid
    }

    /// `Some(n)` for `TOP msg n`: the session sends the header and `n` body
    /// lines of what the host hands over; `None` for RETR.
    pub fn top_lines(&self) -> Option<u64> {
        self.lines
    }

    /// `true` when the client has enabled UTF-8 mode (RFC 6856 §2.1); when
    /// not, a message with raw UTF-8 headers may be refused with
    /// [`RetrieveError::NeedsUtf8`].
    pub fn utf8(&self) -> bool {
        self.utf8
    }
}

/// Why the host cannot send a message.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum RetrieveError {
    /// Try again later: `-ERR [SYS/TEMP]`.
    Unavailable,
    /// The message is gone or unreadable for good: `-ERR [SYS/PERM]`.
    Gone,
    /// The message needs UTF-8 mode (RFC 6856 §5): `-ERR [UTF8]`.
    NeedsUtf8,
}

/// The deletions to apply. See [`Event::Commit`].
#[derive(Debug)]
pub struct CommitRequest {
    pub(crate) id: u64,
    pub(crate) deleted: Vec<(usize, UniqueId)>,
}

impl CommitRequest {
    /// Positions (from 0, in the host's listing) of the messages to remove,
    /// ascending, with their unique ids. May be empty.
    pub fn deleted(&self) -> &[(usize, UniqueId)] {
        &self.deleted
    }
}

/// Something the host called at the wrong time; the request comes back.
#[derive(Debug, thiserror::Error)]
#[error("{kind}")]
pub struct AnswerError<R> {
    /// The request, so the host can answer it another way.
    pub request: R,
    /// What was wrong.
    pub kind: UsageError,
}

/// A mistake of the host (a bug), as opposed to the client's protocol errors,
/// which the session answers on the wire.
#[derive(Clone, Copy, PartialEq, Eq, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UsageError {
    /// The request is not the one pending: already answered, timed out, or
    /// from another session.
    #[error("the request is not pending in this session")]
    NotPending,
    /// The listing has more than 2^32 - 1 messages, more than POP3 message
    /// numbers can address.
    #[error("the maildrop listing is too large")]
    ListingTooLarge,
}
