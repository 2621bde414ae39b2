//! The IMAP4rev1 server session: a Sans-IO state machine (RFC 3501, with IDLE, UIDPLUS,
//! MOVE, UNSELECT, NAMESPACE, ENABLE, ID, SASL-IR, LITERAL+/-, CHILDREN, SPECIAL-USE and
//! APPENDLIMIT).
//!
//! A [`Session`] owns every protocol rule: states, tags, literals and `+` continuations,
//! STARTTLS, SASL, IDLE, the map between message sequence numbers and UIDs, and when
//! EXISTS, EXPUNGE and FETCH FLAGS may be sent. The host owns the transport, the
//! credentials and the storage, and works in UIDs only. It talks to the session through
//! four kinds of methods, as in quinn-proto:
//!
//! | kind | methods |
//! |------|---------|
//! | inputs | [`feed`](Session::feed), [`feed_eof`](Session::feed_eof), [`handle_timeout`](Session::handle_timeout), [`handle_change`](Session::handle_change), [`shutdown`](Session::shutdown) |
//! | answers | [`answer`](Session::answer), one entry point for every [`Request`] |
//! | outputs | [`poll_event`](Session::poll_event), [`transmit`](Session::transmit), [`poll_timeout`](Session::poll_timeout), [`wants_read`](Session::wants_read) |
//! | getters | [`state`](Session::state), [`user`](Session::user), [`selected`](Session::selected), [`is_closed`](Session::is_closed), [`tls_active`](Session::tls_active) |
//!
//! The host's loop, after every input or answer:
//!
//! 1. drain [`poll_event`](Session::poll_event) and answer each request, now or later
//!    (the session goes on with what does not depend on the answer: a FETCH keeps up to
//!    [`Config::fetch_window`] message requests out at once);
//! 2. write out [`transmit`](Session::transmit), and go back to 1 while it had something:
//!    a long response (a FETCH of a whole mailbox) is produced as the output drains;
//! 3. stop once [`is_closed`](Session::is_closed) and the output is written;
//! 4. otherwise wait for input (only while [`wants_read`](Session::wants_read)), an
//!    answer from storage, a change to the selected mailbox, or the deadline of
//!    [`poll_timeout`](Session::poll_timeout), and go back to 1.
//!
//! Commands run one at a time, in order, however they arrive (RFC 3501 §5.5): split
//! anywhere, one byte at a time, or many pipelined in one read; the output is the same.
//!
//! # Embedding an IMAP server
//!
//! Here the transport is a byte string and the storage two messages in a vector; a real
//! host does the same with a socket and a mail store (see `examples/imap_server.rs`).
//!
//! ```
//! use bytes::{Buf, Bytes};
//! use pobox::imap::server::{Config, Event, LoginRejection, MessageData, Session, Snapshot, Transport};
//! use pobox::imap::{Date, DateTime, Flag};
//! use std::sync::Arc;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // The host's storage: INBOX with two messages (UIDs 1 and 2), the second one seen.
//! let messages = [
//!     (1, vec![], Bytes::from_static(b"Subject: hello\n\nHi!\n")),
//!     (2, vec![Flag::Seen], Bytes::from_static(b"Subject: again\n\nHi again!\n")),
//! ];
//! let date = DateTime::new(Date::new(2024, 5, 1)?, 12, 0, 0, 0)?;
//!
//! let mut config = Config::default();
//! config.plaintext_auth_without_tls(true).capability_codes(false);
//! let now = pobox::Instant::now(); // the host reads the clock, never pobox
//! let random = [42u8; 16]; // the host's randomness (use the OS generator)
//! let mut session = Session::new(Arc::new(config), Transport::Plain, random, now);
//!
//! // What the client sends, pipelined in one read.
//! session.feed(now, b"a LOGIN alice secret\r\nb SELECT INBOX\r\nc FETCH 1:* (FLAGS BODY.PEEK[HEADER])\r\nd LOGOUT\r\n");
//!
//! let mut wire = Vec::new(); // what the host writes to its socket
//! loop {
//!     while let Some(event) = session.poll_event() {
//!         match event {
//!             Event::Login(request) => {
//!                 let ok = request.user() == "alice" && request.credentials().verify(b"secret");
//!                 let answer = if ok { Ok(()) } else { Err(LoginRejection::BadCredentials) };
//!                 session.answer(request, answer, now)?;
//!             }
//!             Event::Select(request) => {
//!                 let mut snapshot = Snapshot::new(1, 3); // UIDVALIDITY, UIDNEXT
//!                 for (uid, flags, _) in &messages {
//!                     snapshot.push(*uid, flags, false);
//!                 }
//!                 session.answer(request, Ok(snapshot), now)?;
//!             }
//!             Event::Message(request) => {
//!                 let (_, _, bytes) = &messages[request.uid() as usize - 1];
//!                 // A refcount, not a copy; the session sends it with CRLF line ends.
//!                 let data = MessageData::new(date).bytes(bytes.clone());
//!                 session.answer(request, Ok(data), now)?;
//!             }
//!             // Nothing else in this dialogue needs an answer.
//!             _ => {}
//!         }
//!     }
//!     // Write out the output (a `bytes::Buf`; `chunks_vectored` suits writev).
//!     let transmit = session.transmit();
//!     if !transmit.has_remaining() {
//!         break;
//!     }
//!     while transmit.has_remaining() {
//!         let chunk = transmit.chunk();
//!         wire.extend_from_slice(chunk);
//!         let n = chunk.len();
//!         transmit.advance(n);
//!     }
//!     // A real host now waits for input, storage or `poll_timeout()` when nothing is left.
//! }
//! let wire = String::from_utf8(wire)?;
//! assert!(wire.starts_with("* OK IMAP4rev1 Service Ready\r\na OK LOGIN completed\r\n* 2 EXISTS\r\n"));
//! assert!(wire.contains("* 1 FETCH (FLAGS () BODY[HEADER] {18}\r\nSubject: hello\r\n\r\n)\r\n"), "{wire}");
//! assert!(wire.contains("* 2 FETCH (FLAGS (\\Seen) BODY[HEADER] {18}\r\nSubject: again\r\n\r\n)\r\n"));
//! assert!(wire.ends_with("* BYE IMAP4rev1 server terminating connection\r\nd OK LOGOUT completed\r\n"));
//! assert!(session.is_closed());
//! # Ok(())
//! # }
//! ```
//!
//! # Rules this session decides
//! - **NOOP and CHECK poll**: with a mailbox selected they ask the host
//!   ([`Event::Poll`]) to report changes before they complete (RFC 3501 §6.1.2: NOOP is
//!   "a periodic poll for new messages"), so a client polling after another session's
//!   command completed is told of its effect, however late the host's own notification.
//! - **Line ends**: a command line ends at LF; one CR before it belongs to the terminator
//!   (as in pobox's POP3 session and in Dovecot). A lone CR elsewhere is a syntax error.
//! - **NUL in message data**: an APPEND whose literal holds a NUL fails with `BAD`
//!   (RFC 3501 §9: a `literal` is `*CHAR8`); stored messages that hold NUL are sent with
//!   each NUL as 0x80 (as Dovecot does), which keeps every announced size exact.
//! - **A message expunged by someone else** that the client still sees (RFC 2180 §4.1):
//!   what the session holds (UID, FLAGS) is still answered (§4.1.1); when a FETCH needs the
//!   host's data, the message is left out and the FETCH ends `NO [EXPUNGEISSUED]`
//!   (§4.1.2, RFC 5530). COPY and MOVE of such a message fail as a whole with that code,
//!   STORE leaves it out and says so.
//! - **Literal limits**: before login, literals total at most
//!   [`Config::max_literal_before_login`] per command and the session advertises LITERAL-
//!   (RFC 7888 §5); after login [`Config::max_literal`], APPEND messages up to
//!   [`Config::max_append`] (APPENDLIMIT, RFC 7889), and LITERAL+. A literal over its limit
//!   is refused before any of its octets is read.

mod append;
mod auth;
mod command;
mod config;
mod event;
mod fetch;
mod flags;
mod input;
mod list;
mod mailbox;
mod poll;
mod reply;
mod search;
mod sets;
mod update;
mod view;

pub use config::Config;
pub use event::{
    AppendCommit, AppendData, AppendRequest, Appended, AuthMethod, CloseReason, Copied,
    CopyRequest, Event, ExpungeRequest, ListRequest, LoginRejection, LoginRequest, MailboxEntry,
    MailboxError, MailboxName, MailboxOp, MailboxRequest, MailboxStatus, MessageData, MessageError,
    MessageRequest, PollRequest, Request, SearchAnswer, SearchRequest, SelectRequest, Snapshot,
    StartTlsRequest, StatusRequest, StoreOp, StoreRequest, UidSet,
};

use std::collections::VecDeque;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};

use crate::answer::{AnswerError, RequestId, UsageError};
use crate::imap::{Flag, Limits, Tag};
use crate::sasl::{Exchange, Mechanism};
use crate::{Instant, Transmit};

use event::sealed::{Kind, Sealed};
use input::{Input, Item};
use view::View;

/// How the transport of a new session starts.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Transport {
    /// Plain TCP (port 143). STARTTLS is offered when the config allows it.
    Plain,
    /// TLS from the first byte (port 993, RFC 8314). STARTTLS is refused.
    Tls,
}

/// The session's state (RFC 3501 §3).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum State {
    /// Before login (§3.1).
    NotAuthenticated,
    /// Logged in, no mailbox selected (§3.2).
    Authenticated,
    /// A mailbox is selected (§3.3).
    Selected,
    /// The session is over (§3.4).
    Logout,
}

/// A change to the selected mailbox made by someone else (another session, POP3, an MTA),
/// reported with [`Session::handle_change`]. The session tells the client when RFC 3501
/// allows. Reports are idempotent: a new message at or below a UID already known, or an
/// expunge or flag change of a UID the view does not hold, is ignored, so a change that
/// the snapshot already showed can be reported again safely.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum Change<'a> {
    /// A new message with this UID (above every UID reported before), its flags, and
    /// whether it is `\Recent` for this session.
    Arrived {
        /// The UID.
        uid: u32,
        /// Its flags and keywords.
        flags: &'a [Flag],
        /// `\Recent` for this session (RFC 3501 §2.3.2).
        recent: bool,
    },
    /// The message was expunged.
    Expunged {
        /// The UID.
        uid: u32,
    },
    /// The message's flags are now `flags` (all of them, not a difference).
    Flags {
        /// The UID.
        uid: u32,
        /// Its flags and keywords now.
        flags: &'a [Flag],
    },
    /// The mailbox cannot stay selected (deleted, or its UIDVALIDITY changed): the session
    /// ends with `* BYE`.
    Invalidated,
}

/// The mailbox the client has selected.
#[derive(Debug)]
struct Selected {
    name: event::MailboxName,
    read_only: bool,
    /// Flags the client may change for good, and whether it may define keywords.
    permanent: Option<(Vec<Flag>, bool)>,
    view: View,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Tls {
    Off,
    Upgrading,
    Active,
}

/// A request out with the host, and what its answer is for.
#[derive(Debug)]
struct Pending {
    id: RequestId,
    kind: Kind,
    since: Instant,
    tag: Tag,
    what: Waiting,
}

/// What the session does with the answer of a [`Pending`] request.
#[derive(Debug)]
enum Waiting {
    Login,
    StartTls,
    Select {
        mailbox: event::MailboxName,
        examine: bool,
    },
    Mailbox {
        done: &'static str,
    },
    List(list::ListCommand),
    Status {
        mailbox: crate::imap::Mailbox,
        items: Vec<crate::imap::StatusAttribute>,
    },
    Store(update::StoreJob),
    Copy(update::CopyJob),
    Expunge(update::ExpungeJob),
    /// NOOP or CHECK, with its completion text.
    Poll(&'static str),
}

/// The command in progress beyond its first line.
#[derive(Debug)]
enum Job {
    /// Waiting for the host's answer to one request.
    Host(Pending),
    /// AUTHENTICATE: waiting for the client's next line (RFC 3501 §6.2.2).
    Sasl {
        tag: Tag,
        mechanism: Mechanism,
        exchange: Exchange,
    },
    /// IDLE (RFC 2177): waiting for DONE.
    Idle { tag: Tag },
    /// A FETCH (or the FETCH FLAGS of a STORE) producing its responses.
    Fetch(Box<fetch::FetchJob>),
    /// A SEARCH evaluating messages.
    Search(Box<search::SearchJob>),
    /// An APPEND streaming its message.
    Append(Box<append::AppendJob>),
}

/// An IMAP server session. See the [module docs](self) for how to drive it.
pub struct Session {
    config: Arc<Config>,
    limits: Limits,
    /// Identity of this session in its requests' ids.
    token: u64,
    next_serial: u64,
    /// The logged-in user.
    user: Option<String>,
    selected: Option<Box<Selected>>,
    closed: bool,
    job: Option<Job>,
    input: Input,
    transmit: Transmit,
    events: VecDeque<Event>,
    tls: Tls,
    random: [u8; 16],
    bad_commands: u32,
    auth_failures: u32,
    /// The reply to a failed login, held back until this deadline.
    held: Option<(Instant, BytesMut)>,
    /// The latest time the host told the session.
    now: Instant,
    /// Client input or a host answer last happened here (autologout counts from it).
    idle_since: Instant,
    /// The next IDLE keepalive.
    keepalive_at: Option<Instant>,
    /// The command in progress is a UID command: FETCH responses carry the UID
    /// (RFC 3501 §6.4.8).
    in_uid_command: bool,
}

impl fmt::Debug for Session {
    /// Never prints input (a pipelined password) or message data.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("state", &self.state())
            .field("user", &self.user)
            .field(
                "selected",
                &self.selected.as_ref().map(|s| (&s.name, s.view.len())),
            )
            .field("tls", &self.tls)
            .field("buffered_input", &self.input.buffered())
            .field("buffered_output", &bytes::Buf::remaining(&self.transmit))
            .field("events", &self.events.len())
            .finish_non_exhaustive()
    }
}

impl Session {
    /// Starts a session and queues its greeting (`* OK [CAPABILITY ...] ...`).
    ///
    /// `random` must be fresh randomness from the host (16 octets from the OS generator):
    /// it makes the CRAM-MD5 challenges unique and tells this session's requests from
    /// another's.
    pub fn new(
        config: Arc<Config>,
        transport: Transport,
        random: [u8; 16],
        now: Instant,
    ) -> Session {
        let mut session = Session::start(config, transport, random, now);
        session.greet(None);
        session
    }

    /// Starts a session for a user the host has already authenticated (the `ssh host
    /// imapd` tunnel that mutt's `tunnel` option runs): it greets with `* PREAUTH` and
    /// begins in the authenticated state (RFC 3501 §7.1.4).
    pub fn preauthenticated(
        config: Arc<Config>,
        transport: Transport,
        user: &str,
        random: [u8; 16],
        now: Instant,
    ) -> Session {
        let mut session = Session::start(config, transport, random, now);
        session.user = Some(user.to_owned());
        session.greet(Some(user));
        session
    }

    fn start(config: Arc<Config>, transport: Transport, random: [u8; 16], now: Instant) -> Session {
        let mut limits = Limits::default();
        limits
            .set_max_line_length(config.max_line)
            // Literal sizes are checked per state and command by the session itself.
            .set_max_literal_size(u32::MAX)
            .set_max_depth(config.max_depth)
            .set_max_list_items(config.max_set_items)
            .set_accept_bare_lf(true);
        let mut token = [0u8; 8];
        token.copy_from_slice(&random[8..]);
        Session {
            input: Input::new(limits.clone()),
            limits,
            token: u64::from_be_bytes(token),
            next_serial: 0,
            user: None,
            selected: None,
            closed: false,
            job: None,
            transmit: Transmit::default(),
            events: VecDeque::new(),
            tls: match transport {
                Transport::Plain => Tls::Off,
                Transport::Tls => Tls::Active,
            },
            random,
            bad_commands: 0,
            auth_failures: 0,
            held: None,
            now,
            idle_since: now,
            keepalive_at: None,
            in_uid_command: false,
            config,
        }
    }

    // ---- inputs ---------------------------------------------------------------------------

    /// Hands the session bytes read from the client. Bytes that arrive while a TLS
    /// handshake is pending are discarded (RFC 3501 §6.2.1). Feeding while
    /// [`wants_read`](Self::wants_read) is false and the input buffer is full ends the
    /// session with `* BYE`: the buffer never grows past
    /// [`Config::max_buffered_input`] plus one `feed`.
    pub fn feed(&mut self, now: Instant, data: &[u8]) {
        if self.closed || self.tls == Tls::Upgrading || data.is_empty() {
            return;
        }
        self.activity(now);
        self.run();
        if !self.input_has_room() {
            self.bye(None, "Too much input without reading the output");
            return self.close(CloseReason::InputOverflow);
        }
        self.input.feed(data);
        self.run();
    }

    /// The client closed its side of the connection. Commands already received still
    /// run; the session then ends with [`CloseReason::ClientClosed`].
    pub fn feed_eof(&mut self, now: Instant) {
        if self.closed {
            return;
        }
        self.activity(now);
        self.run();
        self.close(CloseReason::ClientClosed);
    }

    /// The server is stopping: `* BYE`, then the session ends. A request out with the
    /// host stays the host's to finish; its answer is then refused.
    pub fn shutdown(&mut self, now: Instant) {
        if self.closed {
            return;
        }
        self.activity(now);
        self.bye(None, "Server shutting down");
        self.close(CloseReason::Shutdown);
    }

    /// Tells the session the time; call it at (or after) the deadline of
    /// [`poll_timeout`](Self::poll_timeout). Calling early does nothing.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.now = self.now.max(now);
        if self.held.as_ref().is_some_and(|(at, _)| *at <= self.now) {
            if let Some((_, reply)) = self.held.take() {
                self.transmit.write(|out| out.extend_from_slice(&reply));
            }
            if self.auth_failures >= self.config.max_auth_failures {
                self.bye(None, "Too many authentication failures");
                self.close(CloseReason::TooManyAuthFailures);
            }
        }
        if self.host_deadline().is_some_and(|at| at <= self.now) {
            self.host_timed_out();
        }
        if self.keepalive_at.is_some_and(|at| at <= self.now) {
            self.untagged_ok(None, "Still here");
            self.keepalive_at = Some(self.now + self.config.idle_keepalive);
        }
        if self.autologout_deadline().is_some_and(|at| at <= self.now) {
            self.bye(None, "Autologout; idle for too long");
            self.close(CloseReason::Autologout);
        }
        self.run();
    }

    /// Reports a change to the selected mailbox (see [`Change`]). Changes reported while
    /// no mailbox is selected, or while a SELECT is waiting for its snapshot, are dropped:
    /// they belong to a mailbox the client no longer has, or are in the snapshot to come.
    pub fn handle_change(&mut self, now: Instant, change: Change<'_>) {
        self.now = self.now.max(now);
        // After the BYE and the tagged OK nothing more goes out (RFC 3501 §3.4, §7.1.5),
        // though a host may report a change before it closes the connection.
        if self.closed {
            return;
        }
        let Some(selected) = self.selected.as_mut() else {
            return;
        };
        let view = &mut selected.view;
        match change {
            Change::Arrived { uid, flags, recent } => {
                let set = view.table.set_of(flags);
                view.arrive(uid, set, recent);
            }
            Change::Expunged { uid } => view.expunge(uid),
            Change::Flags { uid, flags } => {
                let set = view.table.set_of(flags);
                view.flags_changed(uid, set);
            }
            Change::Invalidated => {
                self.bye(None, "Selected mailbox was removed or changed");
                return self.close(CloseReason::MailboxInvalidated);
            }
        }
        // During IDLE the client hears of changes at once (RFC 2177 §3).
        if matches!(self.job, Some(Job::Idle { .. })) && !self.output_full() {
            self.release_updates(true);
        }
        self.run();
    }

    // ---- answers --------------------------------------------------------------------------

    /// Answers a request; the answer's type is the request's [`Request::Answer`]. A request
    /// that is not pending (already answered, timed out, from another session) or an
    /// invalid answer comes back in the error.
    pub fn answer<R: Request>(
        &mut self,
        request: R,
        answer: R::Answer,
        now: Instant,
    ) -> Result<(), AnswerError<R>> {
        if request.id().session != self.token || self.closed {
            return Err(AnswerError::new(request, UsageError::NotPending));
        }
        let result = R::deliver(request, self, answer);
        if result.is_ok() {
            self.activity(now);
            self.run();
        }
        result
    }

    // ---- outputs --------------------------------------------------------------------------

    /// The next event for the host, if any. Also lets the session go on with work that
    /// was waiting for room in the output.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.run();
        self.events.pop_front()
    }

    /// The bytes to write to the client, as a [`bytes::Buf`] (`chunk`,
    /// `chunks_vectored`, `advance`) or piece by piece with [`Transmit::next_bytes`].
    pub fn transmit(&mut self) -> &mut Transmit {
        &mut self.transmit
    }

    /// When the session next needs [`handle_timeout`](Self::handle_timeout): the end of
    /// a failed-login delay, a host answer's timeout, an IDLE keepalive, or the
    /// autologout. `None` once closed.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.closed {
            return None;
        }
        [
            self.held.as_ref().map(|(at, _)| *at),
            self.host_deadline(),
            self.keepalive_at,
            self.autologout_deadline(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// `false` when the host should not read from the client now: the session is closed,
    /// a TLS handshake is pending, or enough input is already waiting.
    #[must_use]
    pub fn wants_read(&self) -> bool {
        !self.closed && self.tls != Tls::Upgrading && self.input_has_room()
    }

    /// Input may be read: less than [`Config::max_buffered_input`] is waiting, or all of it
    /// is the command being received, which cannot be framed before the rest arrives (its
    /// size is bounded by the line and literal limits it was accepted under).
    fn input_has_room(&self) -> bool {
        self.input.buffered() < self.config.max_buffered_input
            || (self.job.is_none() && self.input.all_in_current_command())
    }

    // ---- getters --------------------------------------------------------------------------

    /// The protocol state.
    pub fn state(&self) -> State {
        match (&self.user, &self.selected) {
            _ if self.closed => State::Logout,
            (None, _) => State::NotAuthenticated,
            (Some(_), None) => State::Authenticated,
            (Some(_), Some(_)) => State::Selected,
        }
    }

    /// The logged-in user.
    pub fn user(&self) -> Option<&str> {
        self.user.as_deref()
    }

    /// The selected mailbox and whether it is read-only.
    pub fn selected(&self) -> Option<(&MailboxName, bool)> {
        self.selected.as_ref().map(|s| (&s.name, s.read_only))
    }

    /// `true` once the session is over: write out what is left in
    /// [`transmit`](Self::transmit), then close the transport.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// `true` when the transport is TLS (from the start, or after STARTTLS).
    pub fn tls_active(&self) -> bool {
        self.tls == Tls::Active
    }

    // ---- the command loop -----------------------------------------------------------------

    /// Works through received input and running jobs until something blocks: a host
    /// answer, a failed-login delay, no input, or a full output.
    fn run(&mut self) {
        // During IDLE the client hears of changes as soon as there is room (RFC 2177 §3),
        // including those staged while the output was full.
        if matches!(self.job, Some(Job::Idle { .. })) && !self.output_full() {
            self.release_updates(true);
        }
        while !self.closed && self.held.is_none() && !self.output_full() {
            let progressed = match &self.job {
                Some(Job::Host(_)) => false,
                Some(Job::Fetch(_)) => self.step_fetch(),
                Some(Job::Search(_)) => self.step_search(),
                Some(Job::Append(_)) => self.step_append(),
                Some(Job::Sasl { .. } | Job::Idle { .. }) => match self.input.next() {
                    Some(item) => {
                        self.line(item);
                        true
                    }
                    None => false,
                },
                None => match self.input.next() {
                    Some(item) => {
                        self.item(item);
                        true
                    }
                    None => false,
                },
            };
            if !progressed {
                break;
            }
        }
    }

    fn output_full(&self) -> bool {
        bytes::Buf::remaining(&self.transmit) >= self.config.max_buffered_output
    }

    /// A framed item outside of any job: a command, a literal announcement, an error.
    fn item(&mut self, item: Item) {
        match item {
            Item::Frame(frame) => self.command_frame(frame),
            Item::Literal(announcement) => self.literal(announcement),
            Item::Error(e) => self.parse_error(e),
            // Streamed data only exists inside an APPEND job.
            Item::Data(_) => {}
        }
    }

    /// A new request id.
    fn id(&mut self) -> RequestId {
        self.next_serial += 1;
        RequestId {
            session: self.token,
            serial: self.next_serial,
        }
    }

    /// Queues `event` and waits for the answer to its request.
    fn wait(&mut self, tag: Tag, id: RequestId, kind: Kind, what: Waiting, event: Event) {
        self.job = Some(Job::Host(Pending {
            id,
            kind,
            since: self.now,
            tag,
            what,
        }));
        self.events.push_back(event);
    }

    /// Takes the pending request if `id` is it.
    fn take_pending(&mut self, id: RequestId, kind: Kind) -> Option<Pending> {
        match &self.job {
            Some(Job::Host(p)) if p.id == id && p.kind == kind => match self.job.take() {
                Some(Job::Host(p)) => Some(p),
                _ => None,
            },
            _ => None,
        }
    }

    /// Client input or a host answer at `now`.
    fn activity(&mut self, now: Instant) {
        self.now = self.now.max(now);
        self.idle_since = self.now;
    }

    fn close(&mut self, reason: CloseReason) {
        if self.closed {
            return;
        }
        self.closed = true;
        self.job = None;
        self.held = None;
        self.keepalive_at = None;
        self.input.clear();
        self.events.push_back(Event::Closed(reason));
    }

    /// Leaves the selected mailbox (the client is told nothing more about it).
    fn unselect(&mut self) {
        if self.selected.take().is_some() {
            self.events.push_back(Event::Unselected);
        }
    }

    // ---- timers ---------------------------------------------------------------------------

    /// When the oldest request out with the host times out.
    fn host_deadline(&self) -> Option<Instant> {
        let since = match &self.job {
            Some(Job::Host(p)) => Some(p.since),
            Some(Job::Fetch(j)) => j.oldest(),
            Some(Job::Search(j)) => j.oldest(),
            Some(Job::Append(j)) => j.waiting_since(),
            _ => None,
        }?;
        Some(since + self.config.host_timeout)
    }

    fn autologout_deadline(&self) -> Option<Instant> {
        if self.closed || self.held.is_some() || self.host_deadline().is_some() {
            return None;
        }
        let limit: Duration = match self.user {
            None => self.config.login_timeout,
            Some(_) => self.config.autologout,
        };
        Some(self.idle_since + limit)
    }

    /// The host did not answer in time. A read is answered `NO [UNAVAILABLE]`; for
    /// anything that may have changed a mailbox the session cannot know the outcome, so it
    /// says none and ends the connection.
    fn host_timed_out(&mut self) {
        match self.job.take() {
            Some(Job::Host(p)) => match p.what {
                Waiting::Login => {
                    self.tagged_no(
                        &p.tag,
                        Some(crate::imap::Code::Unavailable),
                        "Authentication service unavailable",
                    );
                }
                Waiting::Select { .. }
                | Waiting::List(_)
                | Waiting::Status { .. }
                | Waiting::Poll(_) => {
                    self.tagged_no(
                        &p.tag,
                        Some(crate::imap::Code::Unavailable),
                        "Mailbox temporarily unavailable",
                    );
                }
                Waiting::StartTls => self.close(CloseReason::HostTimeout),
                Waiting::Mailbox { .. }
                | Waiting::Store(_)
                | Waiting::Copy(_)
                | Waiting::Expunge(_) => {
                    self.storage_lost();
                }
            },
            Some(Job::Fetch(job)) => self.fetch_timed_out(*job),
            Some(Job::Search(job)) => {
                self.tagged_no(
                    &job.tag,
                    Some(crate::imap::Code::Unavailable),
                    "Messages temporarily unavailable",
                );
            }
            Some(Job::Append(job)) => self.append_timed_out(*job),
            other => self.job = other,
        }
    }

    /// A mutating request got no answer: say nothing about its outcome, and end.
    fn storage_lost(&mut self) {
        self.bye(
            Some(crate::imap::Code::Unavailable),
            "Storage did not answer; the outcome is unknown",
        );
        self.close(CloseReason::HostTimeout);
    }

    /// The deliver step shared by every request kind: the pending request must be this one.
    fn pending_for<R: Sealed>(&mut self, request: &R) -> Option<Pending> {
        self.take_pending(request.id(), request.kind())
    }

    /// A reply texts helper: the server's CRAM-MD5 challenge (RFC 2195 §2: msg-id like).
    fn cram_challenge(&mut self) -> String {
        self.next_serial += 1;
        let mut low = [0u8; 8];
        low.copy_from_slice(&self.random[..8]);
        format!("<{}.{}@pobox>", u64::from_be_bytes(low), self.next_serial)
    }
}

/// The octets of a small static string, for texts and codes.
fn text(s: &'static str) -> crate::imap::Text {
    crate::imap::Text::unvalidated(Bytes::from_static(s.as_bytes()))
}

#[cfg(test)]
mod tests;
