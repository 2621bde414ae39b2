//! What the IMAP session asks of the host, and the host's answers.
//!
//! Every request is an owned handle with a private id. The host answers it, now or later,
//! with [`Session::answer`](super::Session::answer); the answer's type is the handle's
//! [`Request::Answer`], checked at compile time. An answer to a request that is not pending
//! comes back in [`AnswerError`](crate::AnswerError) with the handle. A request the host
//! never answers is answered by the session after
//! [`Config::host_timeout`](super::Config::host_timeout): a read with
//! `NO [UNAVAILABLE]`, anything that changes a mailbox by closing the connection with
//! `* BYE`, never with an invented outcome.

use std::fmt;
use std::num::NonZeroU32;

use bytes::Bytes;

use crate::answer::{AnswerError, RequestId};
use crate::imap::{
    BodyStructure, DateTime, Envelope, Flag, MailboxAttribute, SearchKey, StatusAttribute,
};
use crate::sasl::{Credentials, Mechanism};

use super::Session;
use super::flags::SetId;

/// Something the host must act on. Drain with [`Session::poll_event`](super::Session::poll_event).
#[derive(Debug)]
#[non_exhaustive]
pub enum Event {
    /// Check these credentials (LOGIN, or an AUTHENTICATE exchange that finished).
    Login(LoginRequest),
    /// The client sent STARTTLS and has been told OK: write out
    /// [`transmit`](super::Session::transmit), run the TLS handshake, then answer. Bytes fed
    /// in the meantime are discarded (RFC 3501 §6.2.1; CVE-2011-0411).
    StartTls(StartTlsRequest),
    /// Open a mailbox (SELECT, or EXAMINE when [`SelectRequest::read_only`]) and hand its
    /// [`Snapshot`]. From then on report changes to it with
    /// [`handle_change`](super::Session::handle_change) until [`Event::Unselected`].
    Select(SelectRequest),
    /// The selected mailbox is no longer selected (CLOSE, UNSELECT, LOGOUT, a failed SELECT
    /// or another one taking its place): changes to it are no longer wanted.
    Unselected,
    /// CREATE, DELETE, RENAME, SUBSCRIBE or UNSUBSCRIBE.
    Mailbox(MailboxRequest),
    /// List the user's mailboxes and subscriptions (LIST, LSUB); the session matches the
    /// patterns and adds the CHILDREN attributes.
    List(ListRequest),
    /// STATUS of a mailbox.
    Status(StatusRequest),
    /// An APPEND is about to send its message: check the destination and get ready to
    /// receive the data (the session says `+` only after this answer).
    Append(AppendRequest),
    /// A piece of the APPEND message, in order, as it arrives.
    AppendData(AppendData),
    /// The APPEND message is complete: store it.
    AppendCommit(AppendCommit),
    /// The APPEND under way failed on the client's side (malformed after its message, or a
    /// NUL in the data): discard what it sent.
    AppendCancelled,
    /// Hand over a message's data (for FETCH or SEARCH).
    Message(MessageRequest),
    /// A SEARCH whose keys need message data: evaluate it with your own index, or let the
    /// session evaluate it message by message.
    Search(SearchRequest),
    /// Change flags (STORE).
    Store(StoreRequest),
    /// Copy or move messages to another mailbox (COPY, MOVE).
    Copy(CopyRequest),
    /// Permanently remove messages (EXPUNGE, UID EXPUNGE, CLOSE).
    Expunge(ExpungeRequest),
    /// NOOP or CHECK with a mailbox selected: the client is polling (RFC 3501 §6.1.2).
    /// Report what changed with [`handle_change`](super::Session::handle_change), then
    /// answer.
    Poll(PollRequest),
    /// The session is over: write out what is left in
    /// [`transmit`](super::Session::transmit) and close the transport.
    Closed(CloseReason),
}

/// Why a session ended.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum CloseReason {
    /// The client sent LOGOUT.
    Logout,
    /// The client closed its side ([`feed_eof`](super::Session::feed_eof)).
    ClientClosed,
    /// The host stops the server ([`shutdown`](super::Session::shutdown)).
    Shutdown,
    /// No command within the autologout time (RFC 3501 §5.4).
    Autologout,
    /// Too many bad commands.
    TooManyBadCommands,
    /// Too many failed logins.
    TooManyAuthFailures,
    /// The host fed input while [`wants_read`](super::Session::wants_read) was false and
    /// the input buffer was full.
    InputOverflow,
    /// The host did not answer a request that changes a mailbox, or a TLS handshake, in
    /// time.
    HostTimeout,
    /// The host reported that the selected mailbox went away
    /// ([`Change::Invalidated`](super::Change::Invalidated)).
    MailboxInvalidated,
}

/// One request kind: its handle type and the answer it takes. Implemented by every request
/// handle of this module; sealed.
pub trait Request: sealed::Sealed + Sized {
    /// What [`Session::answer`](super::Session::answer) takes for this request.
    type Answer;

    /// Applies the answer; [`Session::answer`](super::Session::answer) is the way to call it.
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
        Select,
        Mailbox,
        List,
        Status,
        Append,
        AppendData,
        AppendCommit,
        Message,
        Search,
        Store,
        Copy,
        Expunge,
        Poll,
    }
}

use sealed::Kind;

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

// ---- login ----------------------------------------------------------------------------

/// How the client authenticated.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum AuthMethod {
    /// LOGIN (RFC 3501 §6.2.3).
    Login,
    /// AUTHENTICATE with a SASL mechanism (RFC 3501 §6.2.2), SASL-IR included.
    Sasl(Mechanism),
}

/// A login to check. See [`Event::Login`]. Answer `Ok(())` to enter the authenticated
/// state, or a [`LoginRejection`].
pub struct LoginRequest {
    pub(crate) id: RequestId,
    pub(crate) credentials: Credentials,
    pub(crate) method: AuthMethod,
}
request!(LoginRequest, Login, Result<(), LoginRejection>, answer_login);

impl LoginRequest {
    /// The user name (authentication identity) the client gave.
    pub fn user(&self) -> &str {
        self.credentials.user()
    }

    /// What the client proved; check with [`Credentials::verify`] or against
    /// [`Credentials::password`].
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// The command or mechanism that carried the credentials.
    pub fn method(&self) -> AuthMethod {
        self.method
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

/// Why the host refuses a login; each has its RFC 5530 response code. Unknown users and
/// wrong passwords must both be [`LoginRejection::BadCredentials`], so the wire never tells
/// them apart.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum LoginRejection {
    /// Unknown user or wrong password: `NO [AUTHENTICATIONFAILED]`, after the failure
    /// delay ([`Config::auth_failure_delay`](super::Config::auth_failure_delay)).
    BadCredentials,
    /// Authenticated, but not allowed to use this service or identity:
    /// `NO [AUTHORIZATIONFAILED]`.
    NotAuthorized,
    /// The password or account has expired: `NO [EXPIRED]`.
    Expired,
    /// A temporary failure (the user database is down): `NO [UNAVAILABLE]`.
    Unavailable,
    /// The account needs the administrator's attention: `NO [CONTACTADMIN]`.
    ContactAdmin,
}

/// The TLS handshake the client asked for. See [`Event::StartTls`]. Answer `()` once it has
/// succeeded; if it fails, close the connection instead.
#[derive(Debug)]
pub struct StartTlsRequest {
    pub(crate) id: RequestId,
}
request!(StartTlsRequest, StartTls, (), answer_start_tls);

// ---- mailboxes --------------------------------------------------------------------------

/// A mailbox name as the host sees it: Unicode (decoded from the client's modified UTF-7,
/// RFC 3501 §5.1.3), without NUL, CR or LF, with every case variant of `INBOX` written
/// `INBOX` (§5.1). Names from the client reach the host only in this form.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MailboxName(String);

impl MailboxName {
    /// Checks `name`: not empty, no NUL, CR or LF.
    pub fn new(name: impl Into<String>) -> Result<MailboxName, crate::imap::ValueError> {
        let name = name.into();
        if name.is_empty() || name.bytes().any(|b| matches!(b, 0 | b'\r' | b'\n')) {
            return Err(crate::imap::ValueError {
                what: "mailbox name",
                reason: "empty, or holds NUL, CR or LF",
            });
        }
        Ok(if name.eq_ignore_ascii_case("INBOX") {
            MailboxName::inbox()
        } else {
            MailboxName(name)
        })
    }

    /// `INBOX`.
    pub fn inbox() -> MailboxName {
        MailboxName("INBOX".to_owned())
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `true` for INBOX.
    pub fn is_inbox(&self) -> bool {
        self.0 == "INBOX"
    }
}

impl fmt::Debug for MailboxName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for MailboxName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why the host cannot do something to a mailbox or its messages; each has the RFC 5530
/// (or RFC 3501) response code of its `NO`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum MailboxError {
    /// No such mailbox: `NO [NONEXISTENT]`, or `NO [TRYCREATE]` for APPEND, COPY and MOVE
    /// (RFC 3501 §6.3.11, §6.4.7).
    NonExistent,
    /// The name is taken (CREATE, RENAME): `NO [ALREADYEXISTS]`.
    AlreadyExists,
    /// Not allowed for this user: `NO [NOPERM]`.
    NoPermission,
    /// Locked by someone else: `NO [INUSE]`.
    InUse,
    /// Over quota: `NO [OVERQUOTA]`.
    OverQuota,
    /// A message too big for the destination: `NO [TOOBIG]`.
    TooBig,
    /// A limit of the store was reached: `NO [LIMIT]`.
    Limit,
    /// The operation cannot be done on this mailbox (deleting INBOX, say): `NO [CANNOT]`.
    Cannot,
    /// A temporary failure: `NO [UNAVAILABLE]`.
    Unavailable,
    /// The store found damaged data: `NO [CORRUPTION]`.
    Corruption,
    /// A bug or unexpected failure in the store: `NO [SERVERBUG]`.
    ServerBug,
}

/// SELECT or EXAMINE. See [`Event::Select`]. Answer with the mailbox's [`Snapshot`].
#[derive(Debug)]
pub struct SelectRequest {
    pub(crate) id: RequestId,
    pub(crate) mailbox: MailboxName,
    pub(crate) read_only: bool,
}
request!(SelectRequest, Select, Result<Snapshot, MailboxError>, answer_select);

impl SelectRequest {
    /// The mailbox.
    pub fn mailbox(&self) -> &MailboxName {
        &self.mailbox
    }

    /// `true` for EXAMINE (RFC 3501 §6.3.2): nothing may change, and `\Recent` stays as it
    /// is for other sessions.
    pub fn read_only(&self) -> bool {
        self.read_only
    }
}

/// What a SELECT opens: the mailbox's UIDVALIDITY and UIDNEXT and every message's UID and
/// flags (RFC 3501 §6.3.1). Built message by message, in ascending UID order, so a million
/// messages cost the session a few bytes each and the host no big list.
pub struct Snapshot {
    pub(crate) uid_validity: NonZeroU32,
    pub(crate) uid_next: NonZeroU32,
    pub(crate) view: super::view::View,
    pub(crate) read_only: bool,
    pub(crate) permanent: Option<(Vec<Flag>, bool)>,
    pub(crate) error: Option<&'static str>,
}

impl Snapshot {
    /// A snapshot with no messages yet. `uid_validity` and `uid_next` must not be 0
    /// (RFC 3501 §2.3.1.1: `nz-number`); a 0 makes the answer invalid.
    pub fn new(uid_validity: u32, uid_next: u32) -> Snapshot {
        let (validity, next) = (NonZeroU32::new(uid_validity), NonZeroU32::new(uid_next));
        Snapshot {
            uid_validity: validity.unwrap_or(NonZeroU32::MIN),
            uid_next: next.unwrap_or(NonZeroU32::MIN),
            view: super::view::View::default(),
            read_only: false,
            permanent: None,
            error: (validity.is_none() || next.is_none())
                .then_some("UIDVALIDITY and UIDNEXT must not be 0"),
        }
    }

    /// Adds the next message: its UID (above every UID pushed before and below UIDNEXT),
    /// its flags and keywords, and whether it is `\Recent` for this session (RFC 3501
    /// §2.3.2: this session is the first to be told of it). A UID out of order makes the
    /// answer invalid.
    pub fn push(&mut self, uid: u32, flags: &[Flag], recent: bool) -> &mut Self {
        let set: SetId = self.view.table.set_of(flags);
        if uid == 0 || uid >= self.uid_next.get() || !self.view.push(uid, set, recent) {
            self.error
                .get_or_insert("UIDs must ascend, and stay between 0 and UIDNEXT");
        }
        self
    }

    /// Defines keywords that no message has yet, so FLAGS lists them (RFC 3501 §7.2.6).
    pub fn keywords(&mut self, keywords: &[Flag]) -> &mut Self {
        for k in keywords {
            self.view.table.keyword(k);
        }
        self
    }

    /// Opens the mailbox read-only although SELECT asked for read-write (`[READ-ONLY]`,
    /// RFC 3501 §6.3.1): the user may not change it.
    pub fn read_only(&mut self) -> &mut Self {
        self.read_only = true;
        self
    }

    /// The flags the client can change permanently (`[PERMANENTFLAGS]`, RFC 3501 §7.1),
    /// and whether it may define new keywords (`\*`). Default: the five system flags, every
    /// keyword of the mailbox, and `\*`.
    pub fn permanent_flags(&mut self, flags: &[Flag], new_keywords: bool) -> &mut Self {
        self.permanent = Some((flags.to_vec(), new_keywords));
        self
    }

    /// Messages pushed so far.
    pub fn len(&self) -> u32 {
        self.view.len()
    }

    /// `true` when no message was pushed.
    pub fn is_empty(&self) -> bool {
        self.view.len() == 0
    }
}

impl fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Snapshot")
            .field("uid_validity", &self.uid_validity)
            .field("uid_next", &self.uid_next)
            .field("messages", &self.view.len())
            .field("read_only", &self.read_only)
            .finish_non_exhaustive()
    }
}

/// A change to the user's mailboxes. See [`Event::Mailbox`]. Answer `Ok(())` or a
/// [`MailboxError`].
#[derive(Debug)]
pub struct MailboxRequest {
    pub(crate) id: RequestId,
    pub(crate) op: MailboxOp,
}
request!(MailboxRequest, Mailbox, Result<(), MailboxError>, answer_mailbox);

impl MailboxRequest {
    /// What to do.
    pub fn op(&self) -> &MailboxOp {
        &self.op
    }
}

/// The mailbox operations of RFC 3501 §6.3.3–§6.3.7.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MailboxOp {
    /// CREATE (§6.3.3). The session has already refused INBOX and names ending in the
    /// hierarchy delimiter have lost it; create missing parents too.
    Create(MailboxName),
    /// DELETE (§6.3.4). The session refuses INBOX itself. A mailbox with children loses
    /// its messages and becomes `\Noselect`; one without is removed.
    Delete(MailboxName),
    /// RENAME (§6.3.5), children included. Renaming INBOX moves its messages to `to` and
    /// leaves INBOX empty (§6.3.5).
    Rename {
        /// Existing name.
        from: MailboxName,
        /// New name (the session has already refused INBOX).
        to: MailboxName,
    },
    /// SUBSCRIBE (§6.3.6).
    Subscribe(MailboxName),
    /// UNSUBSCRIBE (§6.3.7).
    Unsubscribe(MailboxName),
}

/// LIST or LSUB. See [`Event::List`]. Answer with every mailbox and subscription of the
/// user, in any order.
#[derive(Debug)]
pub struct ListRequest {
    pub(crate) id: RequestId,
    pub(crate) subscribed: bool,
}
request!(
    ListRequest,
    List,
    Result<Vec<MailboxEntry>, MailboxError>,
    answer_list
);

impl ListRequest {
    /// `true` for LSUB and `LIST (SUBSCRIBED)`: only subscriptions matter (the host may
    /// leave unsubscribed mailboxes out).
    pub fn subscribed_only(&self) -> bool {
        self.subscribed
    }
}

/// One mailbox, or one subscription, of a [`ListRequest`] answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxEntry {
    pub(crate) name: MailboxName,
    pub(crate) attributes: Vec<MailboxAttribute>,
    pub(crate) subscribed: bool,
    pub(crate) exists: bool,
}

impl MailboxEntry {
    /// An existing, unsubscribed mailbox without attributes.
    pub fn new(name: MailboxName) -> MailboxEntry {
        MailboxEntry {
            name,
            attributes: Vec::new(),
            subscribed: false,
            exists: true,
        }
    }

    /// A subscription to a name that does not exist (RFC 3501 §6.3.6 allows it).
    pub fn subscription(name: MailboxName) -> MailboxEntry {
        MailboxEntry {
            name,
            attributes: Vec::new(),
            subscribed: true,
            exists: false,
        }
    }

    /// Marks the mailbox subscribed.
    pub fn subscribed(mut self) -> MailboxEntry {
        self.subscribed = true;
        self
    }

    /// Adds an attribute: `\Noselect`, `\Noinferiors`, `\Marked`, `\Unmarked`, or a
    /// special use (RFC 6154: `\Sent`, `\Trash`, ...). The session adds `\HasChildren` /
    /// `\HasNoChildren` itself (RFC 3348).
    pub fn attribute(mut self, attribute: MailboxAttribute) -> MailboxEntry {
        if !self.attributes.contains(&attribute) {
            self.attributes.push(attribute);
        }
        self
    }

    /// The name.
    pub fn name(&self) -> &MailboxName {
        &self.name
    }
}

/// STATUS. See [`Event::Status`]. Answer with the mailbox's [`MailboxStatus`].
#[derive(Debug)]
pub struct StatusRequest {
    pub(crate) id: RequestId,
    pub(crate) mailbox: MailboxName,
    pub(crate) items: Vec<StatusAttribute>,
}
request!(StatusRequest, Status, Result<MailboxStatus, MailboxError>, answer_status);

impl StatusRequest {
    /// The mailbox.
    pub fn mailbox(&self) -> &MailboxName {
        &self.mailbox
    }

    /// The items asked for (a host may compute only these).
    pub fn items(&self) -> &[StatusAttribute] {
        &self.items
    }
}

/// The counters of STATUS (RFC 3501 §6.3.10). Items the client did not ask for are not sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MailboxStatus {
    /// Messages in the mailbox.
    pub messages: u32,
    /// Messages with `\Recent`.
    pub recent: u32,
    /// The UID the next message will get.
    pub uid_next: u32,
    /// The mailbox's UIDVALIDITY.
    pub uid_validity: u32,
    /// Messages without `\Seen`.
    pub unseen: u32,
}

// ---- APPEND -----------------------------------------------------------------------------

/// The start of an APPEND (RFC 3501 §6.3.11). See [`Event::Append`]. Answer `Ok(())` to
/// receive the message as [`Event::AppendData`] pieces and an [`Event::AppendCommit`], or a
/// [`MailboxError`] (`NonExistent` answers `NO [TRYCREATE]`) to refuse it before any of it
/// is sent.
#[derive(Debug)]
pub struct AppendRequest {
    pub(crate) id: RequestId,
    pub(crate) mailbox: MailboxName,
    pub(crate) flags: Vec<Flag>,
    pub(crate) date: Option<DateTime>,
    pub(crate) size: u32,
}
request!(AppendRequest, Append, Result<(), MailboxError>, answer_append);

impl AppendRequest {
    /// The destination.
    pub fn mailbox(&self) -> &MailboxName {
        &self.mailbox
    }

    /// The flags to set (`\Recent` is never among them).
    pub fn flags(&self) -> &[Flag] {
        &self.flags
    }

    /// The internal date the client asked for; `None`: use the time of the append.
    pub fn date(&self) -> Option<DateTime> {
        self.date
    }

    /// The size of the message in octets (what the client announced).
    pub fn size(&self) -> u32 {
        self.size
    }
}

/// A piece of an APPEND message. See [`Event::AppendData`]. Answer `Ok(())` when stored
/// (the session hands over the next piece only then), or a [`MailboxError`] to give up: the
/// rest of the message is then skipped and the APPEND fails with that error.
pub struct AppendData {
    pub(crate) id: RequestId,
    pub(crate) data: Bytes,
}
request!(AppendData, AppendData, Result<(), MailboxError>, answer_append_data);

impl AppendData {
    /// The octets, in order, exactly as the client sent them.
    pub fn data(&self) -> &Bytes {
        &self.data
    }
}

impl fmt::Debug for AppendData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppendData")
            .field("len", &self.data.len())
            .finish_non_exhaustive()
    }
}

/// The end of an APPEND: every piece has been handed over. See [`Event::AppendCommit`].
/// Answer with the UID the message got ([`Appended`]: `OK [APPENDUID]`, RFC 4315), or a
/// [`MailboxError`].
#[derive(Debug)]
pub struct AppendCommit {
    pub(crate) id: RequestId,
}
request!(AppendCommit, AppendCommit, Result<Appended, MailboxError>, answer_append_commit);

/// Where an appended or copied message went (RFC 4315 UIDPLUS).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appended {
    /// UIDVALIDITY of the destination.
    pub uid_validity: u32,
    /// The message's UID there.
    pub uid: u32,
}

// ---- messages ---------------------------------------------------------------------------

/// A message's data, for FETCH or SEARCH. See [`Event::Message`]. Answer with what
/// [`needs_bytes`](Self::needs_bytes) and [`needs_metadata`](Self::needs_metadata) ask for,
/// or a [`MessageError`].
#[derive(Debug)]
pub struct MessageRequest {
    pub(crate) id: RequestId,
    pub(crate) uid: u32,
    pub(crate) bytes: bool,
    pub(crate) metadata: bool,
    pub(crate) envelope: bool,
    pub(crate) structure: bool,
    pub(crate) mark_seen: bool,
}
request!(MessageRequest, Message, Result<MessageData, MessageError>, answer_message);

impl MessageRequest {
    /// The message.
    pub fn uid(&self) -> u32 {
        self.uid
    }

    /// `true` when the raw message is needed ([`MessageData::bytes`]). A host that caches
    /// ENVELOPE and BODYSTRUCTURE may hand those instead when only
    /// [`needs_envelope`](Self::needs_envelope) / [`needs_structure`](Self::needs_structure)
    /// made this true.
    pub fn needs_bytes(&self) -> bool {
        self.bytes
    }

    /// `true` when the internal date and size are needed (INTERNALDATE, RFC822.SIZE, or
    /// SEARCH by date or size). They always are when the bytes are.
    pub fn needs_metadata(&self) -> bool {
        self.metadata
    }

    /// `true` when ENVELOPE is asked for (from the bytes, or the host's cache).
    pub fn needs_envelope(&self) -> bool {
        self.envelope
    }

    /// `true` when BODY or BODYSTRUCTURE is asked for (from the bytes, or the host's cache).
    pub fn needs_structure(&self) -> bool {
        self.structure
    }

    /// `true` when the FETCH reads a body section without `.PEEK`: set `\Seen` on the
    /// message as part of answering (RFC 3501 §6.4.5); the session tells the client.
    pub fn mark_seen(&self) -> bool {
        self.mark_seen
    }
}

/// What the host knows of one message; built with [`MessageData::new`] and the setters.
#[derive(Clone)]
pub struct MessageData {
    pub(crate) internal_date: DateTime,
    pub(crate) size: Option<u32>,
    pub(crate) bytes: Option<Bytes>,
    pub(crate) envelope: Option<Envelope>,
    pub(crate) structure: Option<BodyStructure>,
}

impl MessageData {
    /// A message whose internal date (RFC 3501 §2.3.3) is `internal_date`.
    pub fn new(internal_date: DateTime) -> MessageData {
        MessageData {
            internal_date,
            size: None,
            bytes: None,
            envelope: None,
            structure: None,
        }
    }

    /// The raw message, as stored (CRLF or bare LF line ends: the session sends CRLF and
    /// counts sizes as the wire sees them). Never copied.
    pub fn bytes(mut self, bytes: Bytes) -> MessageData {
        self.bytes = Some(bytes);
        self
    }

    /// RFC822.SIZE: the size as the wire sees it (each bare LF counted as CRLF). Needed
    /// without [`bytes`](Self::bytes) when the request asks for metadata.
    pub fn size(mut self, size: u32) -> MessageData {
        self.size = Some(size);
        self
    }

    /// A cached ENVELOPE, used instead of parsing the bytes.
    pub fn envelope(mut self, envelope: Envelope) -> MessageData {
        self.envelope = Some(envelope);
        self
    }

    /// A cached BODYSTRUCTURE (with extension data), used instead of parsing the bytes;
    /// BODY is derived from it.
    pub fn body_structure(mut self, structure: BodyStructure) -> MessageData {
        self.structure = Some(structure);
        self
    }
}

impl fmt::Debug for MessageData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MessageData")
            .field("internal_date", &self.internal_date)
            .field("size", &self.size)
            .field("bytes", &self.bytes.as_ref().map(Bytes::len))
            .finish_non_exhaustive()
    }
}

/// Why a message's data cannot be had.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum MessageError {
    /// Expunged by someone else (RFC 2180 §4.1): the message is left out and the command
    /// ends `NO [EXPUNGEISSUED]`. Report the expunge with
    /// [`handle_change`](super::Session::handle_change) too.
    Expunged,
    /// A temporary failure: the command ends `NO [UNAVAILABLE]`.
    Unavailable,
}

/// A SEARCH that needs message data. See [`Event::Search`]. Answer
/// [`SearchAnswer::Evaluate`] to have the session evaluate the keys (it then asks for each
/// message it cannot decide from flags, UIDs and sequence numbers), or the matching UIDs
/// from the host's own index.
#[derive(Debug)]
pub struct SearchRequest {
    pub(crate) id: RequestId,
    pub(crate) criteria: Vec<SearchKey>,
    pub(crate) candidates: UidSet,
}
request!(SearchRequest, Search, Result<SearchAnswer, MessageError>, answer_search);

impl SearchRequest {
    /// The keys, all of which must match (RFC 3501 §6.4.4). Sequence-number keys are
    /// already resolved into [`candidates`](Self::candidates).
    pub fn criteria(&self) -> &[SearchKey] {
        &self.criteria
    }

    /// The messages that can still match (what the flags, UIDs and sequence numbers
    /// allow).
    pub fn candidates(&self) -> &UidSet {
        &self.candidates
    }
}

/// The answer to a [`SearchRequest`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchAnswer {
    /// The session evaluates the keys itself, asking for message data as needed.
    Evaluate,
    /// These candidates match (UIDs outside the candidates are ignored).
    Matches(Vec<u32>),
}

// ---- STORE, COPY, MOVE, EXPUNGE -------------------------------------------------------

/// Sorted, distinct UIDs, kept as ranges.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct UidSet {
    pub(crate) ranges: Vec<(u32, u32)>,
}

impl UidSet {
    /// The inclusive ranges, ascending and apart.
    pub fn ranges(&self) -> &[(u32, u32)] {
        &self.ranges
    }

    /// Every UID, ascending.
    pub fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        self.ranges.iter().flat_map(|&(a, b)| a..=b)
    }

    /// Number of UIDs.
    pub fn len(&self) -> usize {
        self.ranges.iter().map(|&(a, b)| (b - a) as usize + 1).sum()
    }

    /// `true` when empty.
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// `true` when `uid` is in the set.
    pub fn contains(&self, uid: u32) -> bool {
        let i = self.ranges.partition_point(|&(_, b)| b < uid);
        self.ranges.get(i).is_some_and(|&(a, _)| a <= uid)
    }

    /// Appends `uid`, which must be above every UID in the set.
    pub(crate) fn push(&mut self, uid: u32) {
        match self.ranges.last_mut() {
            Some((_, b)) if b.checked_add(1) == Some(uid) => *b = uid,
            Some(&mut (_, b)) if uid <= b => {}
            _ => self.ranges.push((uid, uid)),
        }
    }
}

impl fmt::Debug for UidSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut list = f.debug_list();
        for &(a, b) in self.ranges.iter().take(8) {
            if a == b {
                list.entry(&a);
            } else {
                list.entry(&format_args!("{a}:{b}"));
            }
        }
        if self.ranges.len() > 8 {
            list.entry(&format_args!(".. {} more ranges", self.ranges.len() - 8));
        }
        list.finish()
    }
}

/// How STORE changes flags (RFC 3501 §6.4.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreOp {
    /// `FLAGS`: replace them.
    Replace,
    /// `+FLAGS`: add these.
    Add,
    /// `-FLAGS`: remove these.
    Remove,
}

/// STORE. See [`Event::Store`]. Answer `Ok(())` once the change is stored for every UID
/// that still exists, or a [`MailboxError`] when none of it was.
#[derive(Debug)]
pub struct StoreRequest {
    pub(crate) id: RequestId,
    pub(crate) uids: UidSet,
    pub(crate) op: StoreOp,
    pub(crate) flags: Vec<Flag>,
}
request!(StoreRequest, Store, Result<(), MailboxError>, answer_store);

impl StoreRequest {
    /// The messages.
    pub fn uids(&self) -> &UidSet {
        &self.uids
    }

    /// Replace, add or remove.
    pub fn op(&self) -> StoreOp {
        self.op
    }

    /// The flags (never `\Recent`; only those the mailbox keeps permanently).
    pub fn flags(&self) -> &[Flag] {
        &self.flags
    }
}

/// COPY or MOVE (RFC 3501 §6.4.7, RFC 6851). See [`Event::Copy`]. Answer with
/// [`Copied`] (add the UID mapping for `COPYUID`, RFC 4315), or a [`MailboxError`]
/// (`NonExistent` answers `NO [TRYCREATE]`). For a move, the host removes the messages
/// from the selected mailbox as part of it; the session tells the client with EXPUNGE.
#[derive(Debug)]
pub struct CopyRequest {
    pub(crate) id: RequestId,
    pub(crate) uids: UidSet,
    pub(crate) destination: MailboxName,
    pub(crate) is_move: bool,
}
request!(CopyRequest, Copy, Result<Copied, MailboxError>, answer_copy);

impl CopyRequest {
    /// The messages of the selected mailbox.
    pub fn uids(&self) -> &UidSet {
        &self.uids
    }

    /// Where they go.
    pub fn destination(&self) -> &MailboxName {
        &self.destination
    }

    /// `true` for MOVE.
    pub fn is_move(&self) -> bool {
        self.is_move
    }
}

/// The outcome of a COPY or MOVE.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Copied {
    pub(crate) uid_validity: Option<NonZeroU32>,
    pub(crate) pairs: Vec<(u32, u32)>,
}

impl Copied {
    /// Done, without UIDs to report (no `COPYUID`). For a move, every requested message
    /// was moved.
    pub fn new() -> Copied {
        Copied::default()
    }

    /// Done: `source[i]` became `destination[i]` in the destination mailbox, whose
    /// UIDVALIDITY is `uid_validity` (`COPYUID`, RFC 4315 §3). For a move, exactly the
    /// `source` messages were moved. Lists of different lengths, or a 0, make the answer
    /// invalid.
    pub fn with_uids(uid_validity: u32, source: &[u32], destination: &[u32]) -> Copied {
        Copied {
            uid_validity: NonZeroU32::new(uid_validity)
                .filter(|_| source.len() == destination.len()),
            pairs: source
                .iter()
                .copied()
                .zip(destination.iter().copied())
                .collect(),
        }
    }
}

/// EXPUNGE, UID EXPUNGE (RFC 4315 §2.1) or the expunge of CLOSE (RFC 3501 §6.4.2). See
/// [`Event::Expunge`]. Remove those of [`uids`](Self::uids) that still have `\Deleted`
/// (other sessions may have changed that) and answer with the UIDs removed.
#[derive(Debug)]
pub struct ExpungeRequest {
    pub(crate) id: RequestId,
    pub(crate) uids: UidSet,
}
request!(
    ExpungeRequest,
    Expunge,
    Result<Vec<u32>, MailboxError>,
    answer_expunge
);

impl ExpungeRequest {
    /// The messages with `\Deleted`, as this session knows them.
    pub fn uids(&self) -> &UidSet {
        &self.uids
    }
}

/// A poll of the selected mailbox (NOOP, CHECK). See [`Event::Poll`]. Bring the
/// session up to date with [`handle_change`](super::Session::handle_change) (a host that
/// reports every change as it happens has nothing more to say), then answer `()`: the
/// command completes with the changes it may send (RFC 3501 §7.4.1 allows EXPUNGE here).
#[derive(Debug)]
pub struct PollRequest {
    pub(crate) id: RequestId,
}
request!(PollRequest, Poll, (), answer_poll);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uid_set_ranges() {
        let mut s = UidSet::default();
        for u in [1, 2, 3, 7, 9, 10] {
            s.push(u);
        }
        assert_eq!(s.ranges(), [(1, 3), (7, 7), (9, 10)]);
        assert_eq!(s.len(), 6);
        assert!(s.contains(7) && !s.contains(8) && s.contains(10) && !s.contains(11));
        assert_eq!(s.iter().collect::<Vec<_>>(), [1, 2, 3, 7, 9, 10]);
        assert_eq!(format!("{s:?}"), "[1:3, 7, 9:10]");
    }

    #[test]
    fn mailbox_names_are_checked_and_inbox_is_one_name() {
        assert!(MailboxName::new("inBox").unwrap().is_inbox());
        assert!(MailboxName::new("a\r\nb").is_err());
        assert!(MailboxName::new("").is_err());
        assert_eq!(MailboxName::new("台北").unwrap().as_str(), "台北");
    }
}
