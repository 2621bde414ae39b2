//! The POP3 server session: a Sans-IO state machine (RFC 1939 §3–§6).
//!
//! A [`Session`] owns every protocol rule: states, command syntax, the
//! maildrop view, deletion marks, authentication exchanges, STLS, limits
//! and timers. The host owns the transport, the credentials and the
//! storage, and talks to the session through four kinds of methods, as in
//! quinn-proto:
//!
//! | kind | methods |
//! |------|---------|
//! | inputs | [`feed`](Session::feed), [`handle_timeout`](Session::handle_timeout) |
//! | answers | [`answer`](Session::answer), one entry point for every [`Request`] |
//! | outputs | [`poll_event`](Session::poll_event), [`transmit`](Session::transmit), [`poll_timeout`](Session::poll_timeout), [`wants_read`](Session::wants_read) |
//! | getters | [`state`](Session::state), [`user`](Session::user), [`is_closed`](Session::is_closed), [`tls_active`](Session::tls_active), [`utf8_enabled`](Session::utf8_enabled) |
//!
//! Every request is an owned handle; its answer type is checked at compile
//! time:
//!
//! | event | handle | answer |
//! |-------|--------|--------|
//! | [`Event::Login`] | [`LoginRequest`] | `Result<Vec<MessageInfo>, LoginRejection>` |
//! | [`Event::StartTls`] | [`StartTlsRequest`] | `()`, once the handshake is done |
//! | [`Event::Retrieve`] | [`RetrieveRequest`] | `Result<Bytes, RetrieveError>` |
//! | [`Event::Commit`] | [`CommitRequest`] | `Result<(), CommitError>` |
//!
//! An answer the session cannot take (already answered, answered by the
//! session itself after [`Config::host_timeout`], from another session)
//! comes back in [`AnswerError`] with the handle.
//!
//! The host's loop, after every input or answer:
//!
//! 1. drain [`poll_event`](Session::poll_event) and answer each request (now
//!    or later: the session waits, and processes no further command until
//!    the answer comes);
//! 2. write out [`transmit`](Session::transmit);
//! 3. stop once [`is_closed`](Session::is_closed) and the output is written;
//! 4. otherwise wait for input (only while [`wants_read`](Session::wants_read)),
//!    an answer from its storage, or the deadline of
//!    [`poll_timeout`](Session::poll_timeout), and go back to 1.
//!
//! Commands are processed one at a time and in order, however they arrive:
//! split anywhere, one byte at a time, or many pipelined in one read
//! (RFC 2449 §6.6). The result is the same.
//!
//! [`Bytes`]: bytes::Bytes

mod auth;
mod capability;
mod command;
mod config;
mod event;
mod input;
mod maildrop;
mod reply;
mod timer;
mod update;

pub use config::{Config, ConfigError, Expire};
pub use event::{
    AuthMethod, CloseReason, CommitError, CommitRequest, Event, LoginRejection, LoginRequest,
    Request, RetrieveError, RetrieveRequest, StartTlsRequest,
};
pub use maildrop::{InvalidUniqueId, MessageInfo, UniqueId};

use crate::answer::{AnswerError, RequestId, UsageError};
use crate::pop3::command::parse_command_line;
use crate::pop3::response::{Indicator, ResponseCode};
use crate::sasl::{Exchange, Mechanism};
use crate::{Instant, Transmit};
use bytes::{Buf, BytesMut};
use event::sealed::{Kind, Sealed};
use input::{Frame, Input};
use maildrop::Maildrop;
use std::collections::VecDeque;
use std::fmt;
use std::sync::Arc;

/// How the transport of a new session starts.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Transport {
    /// Plain TCP (port 110). STLS is offered when the config allows it.
    Plain,
    /// TLS from the first byte (port 995, RFC 8314). STLS is refused.
    Tls,
}

/// The session's state (RFC 1939 §3).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum State {
    /// Before login.
    Authorization,
    /// Logged in, maildrop open.
    Transaction,
    /// QUIT received in TRANSACTION; waiting for the host's commit.
    Update,
    /// The session is over.
    Closed,
}

/// A POP3 server session. See the [module docs](self) for how to drive it.
pub struct Session {
    config: Arc<Config>,
    phase: Phase,
    input: Input,
    transmit: Transmit,
    events: VecDeque<Event>,
    /// The one request out with the host: commands wait behind it.
    pending: Option<Pending>,
    /// The reply to a failed login, held back until this deadline.
    held: Option<(Instant, BytesMut)>,
    tls: Tls,
    utf8: bool,
    nonce: [u8; 16],
    timestamp: Option<String>,
    /// Identity of this session in its requests' ids, so that a handle of
    /// another session is refused even when its serial matches.
    token: u64,
    /// Counts requests and CRAM-MD5 challenges.
    next_serial: u64,
    bad_commands: u32,
    auth_failures: u32,
    /// The latest time the host told the session.
    now: Instant,
    /// Client input or a host answer last happened here; autologout counts
    /// from it, since a client waiting for the host is not idle.
    idle_since: Instant,
}

impl fmt::Debug for Session {
    /// Never prints input (a pipelined `PASS` is still in the buffer) or
    /// message data: only the state and sizes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("state", &self.state())
            .field("user", &self.user())
            .field("pending", &self.pending.as_ref().map(|p| p.what.kind()))
            .field("tls", &self.tls)
            .field("utf8", &self.utf8)
            .field("buffered_input", &self.input.buffered(self.max_frame()))
            .field("buffered_output", &self.transmit.remaining())
            .field("events", &self.events.len())
            .finish_non_exhaustive()
    }
}

#[derive(Debug)]
enum Phase {
    Authorization {
        /// The name given by a successful USER, waiting for PASS.
        user: Option<String>,
        /// A running AUTH exchange.
        sasl: Option<(Mechanism, Exchange)>,
    },
    Transaction {
        user: String,
        maildrop: Maildrop,
    },
    Update,
    Closed,
}

/// A request out with the host, and what its answer is for.
#[derive(Debug)]
struct Pending {
    id: RequestId,
    /// When it was made: the host timeout counts from here.
    since: Instant,
    what: Waiting,
}

/// What the session does with the answer of a [`Pending`] request.
#[derive(Debug)]
enum Waiting {
    Login { method: AuthMethod, user: String },
    StartTls,
    Retrieve { lines: Option<u64>, size: u64 },
    Commit { left: usize },
}

impl Waiting {
    fn kind(&self) -> Kind {
        match self {
            Waiting::Login { .. } => Kind::Login,
            Waiting::StartTls => Kind::StartTls,
            Waiting::Retrieve { .. } => Kind::Retrieve,
            Waiting::Commit { .. } => Kind::Commit,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Tls {
    Off,
    Upgrading,
    Active,
}

impl Session {
    /// Starts a session and queues its greeting.
    ///
    /// `random` must be fresh randomness from the host (16 octets from the
    /// OS generator): it makes the APOP timestamp (RFC 1939 §7: "MUST be
    /// different each time") and the CRAM-MD5 challenges unique, and tells
    /// this session's requests from another's.
    pub fn new(
        config: Arc<Config>,
        transport: Transport,
        random: [u8; 16],
        now: Instant,
    ) -> Session {
        let [_, low] = auth::nonce_halves(&random);
        let mut session = Session {
            phase: Phase::Authorization {
                user: None,
                sasl: None,
            },
            input: Input::default(),
            transmit: Transmit::default(),
            events: VecDeque::new(),
            pending: None,
            held: None,
            tls: match transport {
                Transport::Plain => Tls::Off,
                Transport::Tls => Tls::Active,
            },
            utf8: false,
            nonce: random,
            timestamp: auth::apop_timestamp(&config, &random),
            token: low,
            next_serial: 0,
            bad_commands: 0,
            auth_failures: 0,
            now,
            idle_since: now,
            config,
        };
        let greeting = match &session.timestamp {
            Some(ts) => format!("{} {ts}", session.config.greeting),
            None => session.config.greeting.to_string(),
        };
        session.reply(Indicator::Ok, None, &greeting);
        session
    }

    // ---- inputs -------------------------------------------------------

    /// Hands the session bytes read from the client.
    ///
    /// Any bytes reset the autologout timer. Bytes that arrive while a TLS
    /// handshake is pending are discarded. Feeding while
    /// [`wants_read`](Self::wants_read) is false and the input buffer is
    /// full closes the session with `-ERR [SYS/TEMP]`: the buffer never
    /// grows past [`Config::max_buffered_input`] plus one `feed`.
    pub fn feed(&mut self, now: Instant, data: &[u8]) {
        if self.phase_is_closed() || self.tls == Tls::Upgrading || data.is_empty() {
            return;
        }
        self.answered(now);
        self.run();
        if self.input.buffered(self.max_frame()) >= self.config.max_buffered_input {
            self.reply(
                Indicator::Err,
                Some(&ResponseCode::SysTemp),
                "Too many pipelined commands",
            );
            self.close(CloseReason::InputOverflow);
            return;
        }
        self.input.feed(data, self.max_frame());
        self.run();
    }

    /// Tells the session the time; call it at (or after) the deadline of
    /// [`poll_timeout`](Self::poll_timeout). Calling early does nothing.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.now = self.now.max(now);
        self.fire_timers();
        self.run();
    }

    // ---- answers ------------------------------------------------------

    /// Answers a request; the answer's type is the request's
    /// [`Request::Answer`] (see the [module docs](self) for each). A request
    /// that is not pending (already answered, answered by the session after
    /// its host timeout, from another session or from before the session
    /// closed) or an answer it cannot take comes back in the error, and is
    /// not applied.
    pub fn answer<R: Request>(
        &mut self,
        request: R,
        answer: R::Answer,
        now: Instant,
    ) -> Result<(), AnswerError<R>> {
        if request.id().session != self.token || self.phase_is_closed() {
            return Err(AnswerError::new(request, UsageError::NotPending));
        }
        // Time only moves forward; a failed-login delay counts from here.
        self.now = self.now.max(now);
        let result = R::deliver(request, self, answer);
        if result.is_ok() {
            self.answered(self.now);
            self.run();
        }
        result
    }

    // ---- outputs ------------------------------------------------------

    /// The next event for the host, if any.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.run();
        self.events.pop_front()
    }

    /// The bytes to write to the client, as a [`Buf`] (`chunk`,
    /// `chunks_vectored`, `advance`) or piece by piece with
    /// [`Transmit::next_bytes`].
    pub fn transmit(&mut self) -> &mut Transmit {
        &mut self.transmit
    }

    /// When the session next needs [`handle_timeout`](Self::handle_timeout):
    /// the end of a failed-login delay, the host-answer timeout, or the
    /// autologout. `None` once closed.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        [
            self.held.as_ref().map(|(at, _)| *at),
            self.host_deadline(),
            self.autologout_deadline(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// `false` when the host should not read from the client now: the
    /// session is closed, a TLS handshake is pending, or enough input is
    /// already waiting.
    #[must_use]
    pub fn wants_read(&self) -> bool {
        !self.phase_is_closed()
            && self.tls != Tls::Upgrading
            && self.input.buffered(self.max_frame()) < self.config.max_buffered_input
    }

    // ---- getters ------------------------------------------------------

    /// The protocol state.
    pub fn state(&self) -> State {
        match self.phase {
            Phase::Authorization { .. } => State::Authorization,
            Phase::Transaction { .. } => State::Transaction,
            Phase::Update => State::Update,
            Phase::Closed => State::Closed,
        }
    }

    /// The logged-in user, in TRANSACTION.
    pub fn user(&self) -> Option<&str> {
        match &self.phase {
            Phase::Transaction { user, .. } => Some(user),
            _ => None,
        }
    }

    /// `true` once the session is over: write out what is left in
    /// [`transmit`](Self::transmit), then close the transport.
    pub fn is_closed(&self) -> bool {
        self.phase_is_closed()
    }

    /// `true` when the transport is TLS (from the start, or after STLS).
    pub fn tls_active(&self) -> bool {
        self.tls == Tls::Active
    }

    /// `true` once the client has sent UTF8 (RFC 6856 §2.1).
    pub fn utf8_enabled(&self) -> bool {
        self.utf8
    }

    // ---- the command loop ---------------------------------------------

    /// Processes received lines until one needs the host, a delay or room
    /// in the output. Checking all three before each line is what keeps
    /// pipelined replies in order and the output bounded.
    fn run(&mut self) {
        while !self.phase_is_closed()
            && self.pending.is_none()
            && self.held.is_none()
            && self.transmit.remaining() < self.config.max_buffered_output
        {
            let Some(frame) = self.input.next() else {
                break;
            };
            // Inside an AUTH exchange a line is SASL data, not a command
            // (RFC 5034 §4), with its own length limit.
            let in_sasl = matches!(self.phase, Phase::Authorization { sasl: Some(_), .. });
            match frame {
                Frame::TooLong if in_sasl => self.sasl_failed("Authentication line too long"),
                Frame::TooLong => self.bad_command("Command line too long"),
                Frame::Line(line) if in_sasl => self.sasl_line(&line),
                Frame::Line(line) if line.len() > self.config.max_line => {
                    self.bad_command("Command line too long");
                }
                Frame::Line(line) => match parse_command_line(&line) {
                    Ok(command) => self.command(command),
                    Err(error) => self.bad_command(reply::command_error_text(error)),
                },
            }
        }
    }

    /// The framing limit: a line may be a command or SASL data, and which
    /// one is only known when it is read.
    fn max_frame(&self) -> usize {
        self.config.max_line.max(self.config.max_sasl_line)
    }

    // ---- requests -----------------------------------------------------

    /// A new request id.
    fn next_id(&mut self) -> RequestId {
        self.next_serial += 1;
        RequestId {
            session: self.token,
            serial: self.next_serial,
        }
    }

    /// Queues `event` and makes its request the one the session waits for.
    fn wait_for(&mut self, id: RequestId, what: Waiting, event: Event) {
        self.pending = Some(Pending {
            id,
            since: self.now,
            what,
        });
        self.events.push_back(event);
    }

    /// `true` when `request` is the one the session waits for.
    fn is_pending<R: Sealed>(&self, request: &R) -> bool {
        self.pending
            .as_ref()
            .is_some_and(|p| p.id == request.id() && p.what.kind() == request.kind())
    }

    /// Takes the pending request if `request` is it: the deliver step every
    /// request kind starts with.
    fn pending_for<R: Sealed>(&mut self, request: &R) -> Option<Waiting> {
        if self.is_pending(request) {
            self.pending.take().map(|p| p.what)
        } else {
            None
        }
    }

    /// Client input or a host answer at `now`.
    fn answered(&mut self, now: Instant) {
        self.now = self.now.max(now);
        self.idle_since = self.now;
    }

    fn close(&mut self, reason: CloseReason) {
        if self.phase_is_closed() {
            return;
        }
        self.phase = Phase::Closed;
        self.pending = None;
        self.held = None;
        self.input.clear();
        self.events.push_back(Event::Closed(reason));
    }

    fn phase_is_closed(&self) -> bool {
        matches!(self.phase, Phase::Closed)
    }
}

/// The refusal of an answer to a request that is not pending.
fn not_pending<R>(request: R) -> AnswerError<R> {
    AnswerError::new(request, UsageError::NotPending)
}

#[cfg(test)]
mod tests;
