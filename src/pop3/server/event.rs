//! What the POP3 session asks of the host, and the host's answers.
//!
//! Every request is an owned handle with a private id, holding no borrow of
//! the session, so the host can answer while still holding it. The host
//! answers it, now or later, with [`Session::answer`](super::Session::answer);
//! the answer's type is the handle's [`Request::Answer`], checked at compile
//! time. An answer to a request that is not pending (already answered, timed
//! out, from another session) comes back in [`AnswerError`] with the handle.
//!
//! A request the host never answers is answered by the session after
//! [`Config::host_timeout`](super::Config::host_timeout): a read (login, RETR,
//! TOP) with `-ERR [SYS/TEMP]`; a commit, which may have removed messages, with
//! an `-ERR [SYS/TEMP]` that claims neither outcome, and the session closes; a
//! TLS handshake by closing. A session never hangs silently and never invents
//! an outcome.

use super::Session;
use super::maildrop::{MessageInfo, UniqueId};
use crate::answer::{AnswerError, RequestId};
use crate::sasl::{Credentials, Mechanism};
use bytes::Bytes;
use std::fmt;

/// Something the host must act on. Drain with
/// [`Session::poll_event`](super::Session::poll_event); answer each request
/// with [`Session::answer`](super::Session::answer).
#[derive(Debug)]
#[non_exhaustive]
pub enum Event {
    /// Check these credentials. Answer with the maildrop listing, or a
    /// [`LoginRejection`].
    Login(LoginRequest),
    /// The client sent STLS and has been told `+OK`. Write out everything in
    /// [`transmit`](super::Session::transmit), run the TLS handshake, and
    /// answer `()` once it has succeeded; if it fails, drop the session and
    /// close the connection. Bytes fed in the meantime are discarded
    /// (RFC 2595 §4; CVE-2011-0411).
    StartTls(StartTlsRequest),
    /// RETR or TOP: answer with the message's bytes, or a [`RetrieveError`].
    Retrieve(RetrieveRequest),
    /// The client sent QUIT in TRANSACTION: the session is in UPDATE.
    /// Remove exactly the listed messages, then answer `Ok(())`, or
    /// [`CommitError`] when some could not be removed (RFC 1939 §6).
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

/// One request kind: its handle type and the answer it takes. Implemented
/// by every request handle of this module; sealed.
pub trait Request: sealed::Sealed + Sized {
    /// What [`Session::answer`](super::Session::answer) takes for this request.
    type Answer;

    /// Applies the answer; [`Session::answer`](super::Session::answer) is the
    /// way to call it.
    #[doc(hidden)]
    fn deliver(self, session: &mut Session, answer: Self::Answer) -> Result<(), AnswerError<Self>>;
}

pub(crate) mod sealed {
    /// Only this crate's request handles answer; the session matches on the kind.
    pub trait Sealed {
        fn id(&self) -> crate::answer::RequestId;
        fn kind(&self) -> Kind;
    }

    /// The request kinds, for the session's bookkeeping.
    #[derive(Clone, Copy, PartialEq, Eq, Debug)]
    pub enum Kind {
        Login,
        StartTls,
        Retrieve,
        Commit,
    }
}

use sealed::Kind;

/// Ties a handle to its kind, its answer type and the session method that
/// takes the answer.
macro_rules! request {
    ($ty:ident, $kind:ident, $answer:ty, $method:ident) => {
        impl sealed::Sealed for $ty {
            fn id(&self) -> RequestId {
                self.id
            }
            fn kind(&self) -> Kind {
                Kind::$kind
            }
        }
        impl Request for $ty {
            type Answer = $answer;
            fn deliver(
                self,
                session: &mut Session,
                answer: $answer,
            ) -> Result<(), AnswerError<Self>> {
                session.$method(self, answer)
            }
        }
    };
}

/// How the client authenticated.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum AuthMethod {
    /// USER and PASS (RFC 1939 §7).
    UserPass,
    /// APOP (RFC 1939 §7).
    Apop,
    /// AUTH with a SASL mechanism (RFC 5034).
    Sasl(Mechanism),
}

/// A login to check. See [`Event::Login`]. Answer with the maildrop
/// listing to open it, or a [`LoginRejection`].
///
/// The listing has every message with its size and unique id, in the order
/// that gives their message numbers (the first is message 1). The session
/// enters TRANSACTION and answers STAT, LIST, UIDL, DELE, RSET and NOOP from
/// it by itself. A listing of more than 2^32 - 1 messages is refused with
/// [`UsageError::ListingTooLarge`](crate::UsageError::ListingTooLarge), and
/// the request stays pending.
///
/// [`LoginRejection::BadCredentials`] counts towards
/// [`Config::max_auth_failures`](super::Config::max_auth_failures), and its
/// `-ERR [AUTH]` is held back for
/// [`Config::auth_failure_delay`](super::Config::auth_failure_delay) from the
/// answer's time (see [`poll_timeout`](super::Session::poll_timeout)).
pub struct LoginRequest {
    pub(crate) id: RequestId,
    pub(crate) credentials: Credentials,
    pub(crate) method: AuthMethod,
    pub(crate) utf8: bool,
}
request!(
    LoginRequest,
    Login,
    Result<Vec<MessageInfo>, LoginRejection>,
    answer_login
);

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

/// The TLS handshake the client asked for with STLS. See
/// [`Event::StartTls`]. Answer `()` once the handshake has succeeded: the
/// session stays in AUTHORIZATION with nothing remembered from before it
/// (RFC 2595 §4). A handshake that fails is not answered: close the
/// connection. One never answered closes the session after
/// [`Config::host_timeout`](super::Config::host_timeout).
#[derive(Debug)]
pub struct StartTlsRequest {
    pub(crate) id: RequestId,
}
request!(StartTlsRequest, StartTls, (), answer_start_tls);

/// A message to send (RETR or TOP). See [`Event::Retrieve`]. Answer with the
/// whole message as stored (CRLF or LF line ends): the session cuts it for
/// TOP, byte-stuffs it and ends it with `.CRLF` without copying its bytes.
/// Or refuse with a [`RetrieveError`].
#[derive(Debug)]
pub struct RetrieveRequest {
    pub(crate) id: RequestId,
    pub(crate) msg: u32,
    pub(crate) index: usize,
    pub(crate) uid: UniqueId,
    pub(crate) lines: Option<u64>,
    pub(crate) utf8: bool,
}

impl RetrieveRequest {
    /// Position of the message in the listing the host answered the login
    /// with, from 0.
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
request!(
    RetrieveRequest,
    Retrieve,
    Result<Bytes, RetrieveError>,
    answer_retrieve
);

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

/// The deletions to apply. See [`Event::Commit`]. Answer `Ok(())` once they
/// are done (`+OK`, and the session closes), or a [`CommitError`].
///
/// A commit never answered is not guessed at: after
/// [`Config::host_timeout`](super::Config::host_timeout) the session says
/// `-ERR [SYS/TEMP]` with a text that claims neither outcome, and closes.
#[derive(Debug)]
pub struct CommitRequest {
    pub(crate) id: RequestId,
    pub(crate) deleted: Vec<(usize, UniqueId)>,
}
request!(CommitRequest, Commit, Result<(), CommitError>, answer_commit);

impl CommitRequest {
    /// Positions (from 0, in the host's listing) of the messages to remove,
    /// ascending, with their unique ids. May be empty.
    pub fn deleted(&self) -> &[(usize, UniqueId)] {
        &self.deleted
    }
}

/// Why the host could not apply a commit's deletions.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum CommitError {
    /// Some of the listed messages were not removed: RFC 1939 §6's
    /// `-ERR some deleted messages not removed`, and the session closes.
    NotAllRemoved,
}
