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
//! | inputs | [`feed`](Session::feed), [`handle_timeout`](Session::handle_timeout), [`tls_established`](Session::tls_established) |
//! | answers to events | [`accept_login`](Session::accept_login), [`reject_login`](Session::reject_login), [`send_message`](Session::send_message), [`fail_message`](Session::fail_message), [`commit_done`](Session::commit_done), [`commit_failed`](Session::commit_failed) |
//! | outputs | [`poll_event`](Session::poll_event), [`transmit`](Session::transmit), [`poll_timeout`](Session::poll_timeout), [`wants_read`](Session::wants_read) |
//! | getters | [`state`](Session::state), [`user`](Session::user), [`is_closed`](Session::is_closed), [`tls_active`](Session::tls_active), [`utf8_enabled`](Session::utf8_enabled) |
//!
//! The host's loop, after every input or answer:
//!
//! 1. drain [`poll_event`](Session::poll_event) and answer each event (now
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

mod config;
mod event;
mod input;
mod maildrop;

pub use config::{Config, ConfigError, Expire};
pub use event::{
    AnswerError, AuthMethod, CloseReason, CommitRequest, Event, LoginRejection, LoginRequest,
    RetrieveError, RetrieveRequest, UsageError,
};
pub use maildrop::{InvalidUniqueId, MessageInfo, UniqueId};

use crate::Instant;
use crate::Transmit;
use crate::pop3::command::{self, Command, CommandError, SaslResponse};
use crate::pop3::multiline::{self, Stuffed};
use crate::pop3::response::{self, Capability, Indicator, ResponseCode};
use crate::sasl::{self, Credentials, Exchange, Mechanism, Step};
use crate::transmit::put_line;
use bytes::{Buf, Bytes, BytesMut};
use input::{Frame, Input};
use maildrop::{Lookup, Maildrop};
use std::collections::VecDeque;
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
#[derive(Debug)]
pub struct Session {
    config: Arc<Config>,
    phase: Phase,
    input: Input,
    transmit: Transmit,
    events: VecDeque<Event>,
    pending: Option<Pending>,
    /// The reply to a failed login, held back until this deadline.
    held: Option<(Instant, BytesMut)>,
    tls: Tls,
    utf8: bool,
    nonce: [u8; 16],
    timestamp: Option<String>,
    next_id: u64,
    bad_commands: u32,
    auth_failures: u32,
    /// The latest time the host told the session.
    now: Instant,
    /// Client input or a host answer last happened here; autologout counts
    /// from it, since a client waiting for the host is not idle.
    idle_since: Instant,
    /// When the pending request was made.
    pending_since: Instant,
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

#[derive(Debug)]
enum Pending {
    Login {
        id: u64,
        method: AuthMethod,
        user: String,
    },
    Retrieve {
        id: u64,
        lines: Option<u64>,
        size: u64,
    },
    Commit {
        id: u64,
        left: usize,
    },
    Tls,
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
    /// different each time") and the CRAM-MD5 challenges unique.
    pub fn new(
        config: Arc<Config>,
        transport: Transport,
        random: [u8; 16],
        now: Instant,
    ) -> Session {
        // RFC 1939 §7 suggests `<process-ID.clock@hostname>`; two random
        // 64-bit numbers take the place of process id and clock.
        let [high, low] = nonce_halves(&random);
        let timestamp = config
            .apop
            .then(|| format!("<{high}.{low}@{}>", config.hostname));
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
            timestamp,
            next_id: 0,
            bad_commands: 0,
            auth_failures: 0,
            now,
            idle_since: now,
            pending_since: now,
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
        let max_line = self.config.max_line.max(self.config.max_sasl_line);
        if self.input.buffered(max_line) >= self.config.max_buffered_input {
            self.reply(
                Indicator::Err,
                Some(&ResponseCode::SysTemp),
                "Too many pipelined commands",
            );
            self.close(CloseReason::InputOverflow);
            return;
        }
        self.input.feed(data, max_line);
        self.run();
    }

    /// Tells the session the time; call it at (or after) the deadline of
    /// [`poll_timeout`](Self::poll_timeout). Calling early does nothing.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.now = self.now.max(now);
        if self.held.as_ref().is_some_and(|(at, _)| *at <= now) {
            if let Some((_, reply)) = self.held.take() {
                self.transmit.write(|out| out.extend_from_slice(&reply));
            }
            if self.auth_failures >= self.config.max_auth_failures {
                self.close(CloseReason::TooManyAuthFailures);
            }
        }
        if self.host_deadline().is_some_and(|at| at <= now) {
            self.host_timed_out();
        }
        if self.autologout_deadline().is_some_and(|at| at <= now) {
            // RFC 1939 §3: close "without removing any messages or sending
            // any response to the client".
            self.close(CloseReason::Autologout);
        }
        self.run();
    }

    /// The host finished the TLS handshake that [`Event::StartTls`] asked
    /// for. The session stays in AUTHORIZATION with nothing remembered from
    /// before the handshake (RFC 2595 §4).
    pub fn tls_established(&mut self, now: Instant) -> Result<(), UsageError> {
        if !matches!(self.pending, Some(Pending::Tls)) {
            return Err(UsageError::NotPending);
        }
        self.answered(now);
        self.pending = None;
        self.tls = Tls::Active;
        self.input.clear();
        self.run();
        Ok(())
    }

    // ---- answers ------------------------------------------------------

    /// Accepts a login and opens the maildrop: `messages` lists every
    /// message with its size and unique id, in the order that gives their
    /// message numbers (the first is message 1). The session enters
    /// TRANSACTION and answers STAT, LIST, UIDL, DELE, RSET and NOOP from
    /// this listing by itself.
    pub fn accept_login(
        &mut self,
        request: LoginRequest,
        messages: Vec<MessageInfo>,
        now: Instant,
    ) -> Result<(), AnswerError<LoginRequest>> {
        let Some(Pending::Login { method, user, .. }) = self.take_pending(request.id) else {
            return Err(not_pending(request));
        };
        if u32::try_from(messages.len()).is_err() {
            self.pending = Some(Pending::Login {
                id: request.id,
                method,
                user,
            });
            return Err(AnswerError {
                request,
                kind: UsageError::ListingTooLarge,
            });
        }
        self.answered(now);
        let maildrop = Maildrop::new(messages);
        let (count, size) = maildrop.totals();
        let text = match method {
            // RFC 5034 §6's reply; RFC 1939 §10's for USER/PASS and APOP.
            AuthMethod::Sasl(_) => "Maildrop locked and ready".to_owned(),
            _ if user.is_ascii() => format!("{user}'s maildrop has {}", drop_summary(count, size)),
            _ => format!("maildrop has {}", drop_summary(count, size)),
        };
        self.reply(Indicator::Ok, None, &text);
        self.phase = Phase::Transaction { user, maildrop };
        self.bad_commands = 0;
        self.run();
        Ok(())
    }

    /// Refuses a login. [`LoginRejection::BadCredentials`] counts towards
    /// [`Config::max_auth_failures`], and its `-ERR [AUTH]` is held back for
    /// [`Config::auth_failure_delay`] from `now` (see
    /// [`poll_timeout`](Self::poll_timeout)).
    pub fn reject_login(
        &mut self,
        request: LoginRequest,
        rejection: LoginRejection,
        now: Instant,
    ) -> Result<(), AnswerError<LoginRequest>> {
        if self.take_pending(request.id).is_none() {
            return Err(not_pending(request));
        }
        self.answered(now);
        let (code, text) = match rejection {
            LoginRejection::BadCredentials => (ResponseCode::Auth, "Authentication failed"),
            LoginRejection::InUse => (
                // RFC 2449 §8's example text.
                ResponseCode::InUse,
                "Do you have another POP session running?",
            ),
            LoginRejection::LoginDelay => (ResponseCode::LoginDelay, "Logged in too recently"),
            LoginRejection::SysTemp => {
                (ResponseCode::SysTemp, "Unable to open maildrop, try later")
            }
            LoginRejection::SysPerm => (ResponseCode::SysPerm, "Unable to open maildrop"),
            LoginRejection::Utf8Required => (ResponseCode::Utf8, "Maildrop needs UTF8 mode"),
        };
        if rejection == LoginRejection::BadCredentials {
            self.auth_failures = self.auth_failures.saturating_add(1);
            let mut reply = BytesMut::new();
            response::encode_status(&mut reply, Indicator::Err, Some(&code), text);
            self.held = Some((now + self.config.auth_failure_delay, reply));
            self.handle_timeout(now);
        } else {
            self.reply(Indicator::Err, Some(&code), text);
            self.run();
        }
        Ok(())
    }

    /// Sends a message for RETR or TOP: the whole message as stored (with
    /// CRLF or LF line ends). The session cuts it for TOP, byte-stuffs it
    /// and ends it with ".CRLF" without copying its bytes.
    pub fn send_message(
        &mut self,
        request: RetrieveRequest,
        message: Bytes,
        now: Instant,
    ) -> Result<(), AnswerError<RetrieveRequest>> {
        let Some(Pending::Retrieve { lines, size, .. }) = self.take_pending(request.id) else {
            return Err(not_pending(request));
        };
        self.answered(now);
        let body = match lines {
            None => {
                self.reply(Indicator::Ok, None, &format!("{size} octets"));
                Stuffed::new(message)
            }
            Some(n) => {
                // RFC 1939 §7's example answers TOP with a bare "+OK".
                self.reply(Indicator::Ok, None, "");
                let len = multiline::top_len(&message, n);
                Stuffed::cut(message, len)
            }
        };
        self.transmit.body(body);
        self.run();
        Ok(())
    }

    /// Refuses RETR or TOP with the error's response code.
    pub fn fail_message(
        &mut self,
        request: RetrieveRequest,
        error: RetrieveError,
        now: Instant,
    ) -> Result<(), AnswerError<RetrieveRequest>> {
        if self.take_pending(request.id).is_none() {
            return Err(not_pending(request));
        }
        self.answered(now);
        let (code, text) = match error {
            RetrieveError::Unavailable => {
                (ResponseCode::SysTemp, "Message temporarily unavailable")
            }
            RetrieveError::Gone => (ResponseCode::SysPerm, "Message is no longer available"),
            RetrieveError::NeedsUtf8 => (ResponseCode::Utf8, "Message needs UTF8 mode"),
        };
        self.reply(Indicator::Err, Some(&code), text);
        self.run();
        Ok(())
    }

    /// The deletions of a [`Event::Commit`] are done: `+OK` and close.
    pub fn commit_done(
        &mut self,
        request: CommitRequest,
    ) -> Result<(), AnswerError<CommitRequest>> {
        let Some(Pending::Commit { left, .. }) = self.take_pending(request.id) else {
            return Err(not_pending(request));
        };
        let state = match left {
            0 => "maildrop empty".to_owned(),
            1 => "1 message left".to_owned(),
            n => format!("{n} messages left"),
        };
        let text = format!("{} POP3 server signing off ({state})", self.config.hostname);
        self.reply(Indicator::Ok, None, &text);
        self.close(CloseReason::Quit);
        Ok(())
    }

    /// Some deletions of a [`Event::Commit`] failed: RFC 1939 §6's
    /// `-ERR some deleted messages not removed`, and close.
    pub fn commit_failed(
        &mut self,
        request: CommitRequest,
    ) -> Result<(), AnswerError<CommitRequest>> {
        if self.take_pending(request.id).is_none() {
            return Err(not_pending(request));
        }
        self.reply(Indicator::Err, None, "some deleted messages not removed");
        self.close(CloseReason::Quit);
        Ok(())
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
        let max_line = self.config.max_line.max(self.config.max_sasl_line);
        !self.phase_is_closed()
            && self.tls != Tls::Upgrading
            && self.input.buffered(max_line) < self.config.max_buffered_input
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
    /// in the output.
    fn run(&mut self) {
        while !self.phase_is_closed()
            && self.pending.is_none()
            && self.held.is_none()
            && self.transmit.remaining() < self.config.max_buffered_output
        {
            let Some(frame) = self.input.next() else {
                break;
            };
            let in_sasl = matches!(self.phase, Phase::Authorization { sasl: Some(_), .. });
            match frame {
                Frame::TooLong if in_sasl => self.sasl_failed("Authentication line too long"),
                Frame::TooLong => self.bad_command("Command line too long"),
                Frame::Line(line) if in_sasl => self.sasl_line(&line),
                Frame::Line(line) if line.len() > self.config.max_line => {
                    self.bad_command("Command line too long");
                }
                Frame::Line(line) => match command::parse_command_line(&line) {
                    Ok(command) => self.command(command),
                    Err(error) => self.bad_command(command_error_text(error)),
                },
            }
        }
    }

    fn command(&mut self, command: Command<'_>) {
        let authorization = matches!(self.phase, Phase::Authorization { .. });
        let transaction = matches!(self.phase, Phase::Transaction { .. });
        match command {
            Command::Capa => self.capa(),
            Command::Quit => self.quit(),
            Command::Lang(range) if authorization || transaction => self.lang(range),
            Command::User(name) if authorization => self.user_command(name),
            Command::Pass(password) if authorization => self.pass(password.declassify()),
            Command::Apop { name, digest } if authorization && self.timestamp.is_some() => {
                self.apop(name, *digest.declassify());
            }
            Command::Auth {
                mechanism,
                initial_response,
            } if authorization => self.auth(mechanism, initial_response.map(|r| *r.declassify())),
            Command::Stls if authorization => self.stls(),
            Command::Utf8 if authorization => {
                self.utf8 = true;
                self.ok("UTF8 enabled");
            }
            Command::Stat if transaction => {
                let (count, size) = self.maildrop().map_or((0, 0), Maildrop::totals);
                self.ok(&format!("{count} {size}"));
            }
            Command::List(msg) if transaction => self.list(msg),
            Command::Uidl(msg) if transaction => self.uidl(msg),
            Command::Retr(msg) if transaction => self.retrieve(msg, None),
            Command::Top { msg, lines } if transaction => self.retrieve(msg, Some(lines)),
            Command::Dele(msg) if transaction => self.dele(msg),
            Command::Noop if transaction => self.ok(""),
            Command::Rset if transaction => {
                if let Phase::Transaction { maildrop, .. } = &mut self.phase {
                    maildrop.reset();
                }
                let (count, size) = self.maildrop().map_or((0, 0), Maildrop::totals);
                self.ok(&format!("maildrop has {}", drop_summary(count, size)));
            }
            Command::Apop { .. } => self.bad_command("APOP not available"),
            _ => self.bad_command("Command not valid in this state"),
        }
    }

    // ---- AUTHORIZATION ------------------------------------------------

    fn plaintext_allowed(&self) -> bool {
        self.tls == Tls::Active || self.config.plaintext_auth_without_tls
    }

    fn user_command(&mut self, name: &str) {
        if !self.plaintext_allowed() {
            return self.plaintext_refused();
        }
        self.phase = Phase::Authorization {
            user: Some(name.to_owned()),
            sasl: None,
        };
        self.ok("");
    }

    fn pass(&mut self, password: &[u8]) {
        let Phase::Authorization { user, .. } = &mut self.phase else {
            return;
        };
        let Some(user) = user.take() else {
            return self.bad_command("No USER given");
        };
        self.good_command();
        self.login(
            AuthMethod::UserPass,
            Credentials::Password {
                user,
                password: crate::Secret::new(password.to_vec()),
                authzid: None,
            },
        );
    }

    fn apop(&mut self, name: &str, digest: [u8; 16]) {
        let timestamp = self.timestamp.clone().unwrap_or_default();
        self.good_command();
        self.login(
            AuthMethod::Apop,
            Credentials::Apop {
                user: name.to_owned(),
                timestamp,
                digest: crate::Secret::new(digest),
            },
        );
    }

    fn auth(&mut self, mechanism: &str, initial_response: Option<&[u8]>) {
        let Some(mechanism) =
            Mechanism::from_name(mechanism).filter(|m| self.config.mechanisms.contains(m))
        else {
            return self.fail("Unsupported authentication mechanism");
        };
        if mechanism.sends_plaintext_password() && !self.plaintext_allowed() {
            return self.plaintext_refused();
        }
        // RFC 5034 §4: "=" is an empty initial response.
        let initial_response = match initial_response {
            None => None,
            Some(b"=") => Some(Vec::new()),
            Some(text) => match command::decode_base64(text) {
                Some(data) => Some(data),
                None => return self.fail("Invalid base64 data"),
            },
        };
        // RFC 2195 §2: a msg-id-like challenge, unique per exchange.
        self.next_id += 1;
        let [_, low] = nonce_halves(&self.nonce);
        let challenge = format!("<{low}.{}@{}>", self.next_id, self.config.hostname);
        let (exchange, step) = Exchange::start(mechanism, initial_response.as_deref(), &challenge);
        self.phase = Phase::Authorization {
            user: None,
            sasl: Some((mechanism, exchange)),
        };
        self.good_command();
        self.sasl_step(mechanism, step);
    }

    fn sasl_line(&mut self, line: &[u8]) {
        if line.len() > self.config.max_sasl_line {
            return self.sasl_failed("Authentication line too long");
        }
        match command::parse_sasl_response(line) {
            // RFC 5034 §4: the server "MUST reject the AUTH command".
            Ok(SaslResponse::Cancel) => self.sasl_failed("Authentication canceled"),
            Err(_) => self.sasl_failed("Invalid base64 data"),
            Ok(SaslResponse::Data(data)) => {
                let Phase::Authorization {
                    sasl: Some((mechanism, exchange)),
                    ..
                } = &mut self.phase
                else {
                    return;
                };
                let mechanism = *mechanism;
                let step = exchange.respond(data.declassify());
                self.sasl_step(mechanism, step);
            }
        }
    }

    fn sasl_step(&mut self, mechanism: Mechanism, step: Step) {
        match step {
            Step::Challenge(challenge) => self
                .transmit
                .write(|out| response::encode_continuation(out, &challenge)),
            Step::Done(credentials) => self.login(AuthMethod::Sasl(mechanism), credentials),
            Step::Failed(sasl::SaslError::UnexpectedInitialResponse) => {
                self.sasl_failed("Mechanism does not take an initial response");
            }
            Step::Failed(_) => self.sasl_failed("Invalid authentication data"),
        }
    }

    fn sasl_failed(&mut self, text: &str) {
        self.phase = Phase::Authorization {
            user: None,
            sasl: None,
        };
        self.bad_command(text);
    }

    fn login(&mut self, method: AuthMethod, credentials: Credentials) {
        self.phase = Phase::Authorization {
            user: None,
            sasl: None,
        };
        self.next_id += 1;
        let id = self.next_id;
        self.wait_for(Pending::Login {
            id,
            method,
            user: credentials.user().to_owned(),
        });
        self.events.push_back(Event::Login(LoginRequest {
            id,
            credentials,
            method,
            utf8: self.utf8,
        }));
    }

    fn plaintext_refused(&mut self) {
        self.phase = Phase::Authorization {
            user: None,
            sasl: None,
        };
        self.good_command();
        self.reply(
            Indicator::Err,
            Some(&ResponseCode::Auth),
            "Plaintext authentication disallowed on non-secure connections",
        );
    }

    fn stls(&mut self) {
        if !self.config.stls && self.tls == Tls::Off {
            return self.bad_command("STLS not available");
        }
        if self.tls != Tls::Off {
            // RFC 2595 §4's example text.
            return self.fail("Command not permitted when TLS active");
        }
        if self.utf8 {
            // RFC 6856 §2.1: clients MUST NOT issue STLS after UTF8.
            return self.fail("STLS not permitted after UTF8");
        }
        self.ok("Begin TLS negotiation");
        self.phase = Phase::Authorization {
            user: None,
            sasl: None,
        };
        self.tls = Tls::Upgrading;
        self.wait_for(Pending::Tls);
        // Whatever followed STLS in plaintext is discarded, never executed.
        self.input.clear();
        self.events.push_back(Event::StartTls);
    }

    // ---- both states --------------------------------------------------

    fn capa(&mut self) {
        let mut capabilities = vec![Capability::Top];
        let plaintext = self.plaintext_allowed();
        if plaintext {
            capabilities.push(Capability::User);
        }
        let mechanisms: Vec<String> = (self.config.mechanisms.iter())
            .filter(|m| plaintext || !m.sends_plaintext_password())
            .map(|m| m.name().to_owned())
            .collect();
        if !mechanisms.is_empty() {
            capabilities.push(Capability::Sasl(mechanisms));
        }
        capabilities.extend([Capability::RespCodes, Capability::AuthRespCode]);
        if let Some(seconds) = self.config.login_delay {
            capabilities.push(Capability::LoginDelay {
                seconds,
                per_user: false,
            });
        }
        capabilities.push(Capability::Pipelining);
        if let Some(expire) = self.config.expire {
            capabilities.push(Capability::Expire {
                days: match expire {
                    Expire::Never => None,
                    Expire::Days(days) => Some(days),
                },
                per_user: false,
            });
        }
        capabilities.push(Capability::Uidl);
        // RFC 2595 §4: STLS is listed only where it is "permitted in the
        // current state"; never over TLS or after UTF8 (RFC 6856 §2.1).
        if self.config.stls
            && self.tls == Tls::Off
            && !self.utf8
            && matches!(self.phase, Phase::Authorization { .. })
        {
            capabilities.push(Capability::Stls);
        }
        capabilities.extend([Capability::Utf8 { user: true }, Capability::Lang]);
        if let Some(name) = &self.config.implementation {
            capabilities.push(Capability::Implementation(name.to_string()));
        }
        // RFC 2449 §5's example text.
        self.ok("Capability list follows");
        self.transmit.write(|out| {
            for capability in &capabilities {
                capability.encode(out);
            }
            out.extend_from_slice(b".\r\n");
        });
    }

    /// LANG (RFC 6856 §3). pobox's own texts exist in English only, so the
    /// one language listed and accepted is `en`.
    fn lang(&mut self, range: Option<&str>) {
        match range {
            None => {
                self.ok("Language listing follows:");
                self.transmit
                    .write(|out| out.extend_from_slice(b"en English\r\n.\r\n"));
            }
            Some(range) if range == "*" || range.eq_ignore_ascii_case("en") => {
                self.ok("en Language changed");
            }
            Some(range) => self.fail(&format!("invalid language {range}")),
        }
    }

    fn quit(&mut self) {
        self.good_command();
        let left = match std::mem::replace(&mut self.phase, Phase::Update) {
            Phase::Transaction { maildrop, .. } => {
                let deleted = maildrop
                    .deleted_indices()
                    .into_iter()
                    .filter_map(|i| Some((i, maildrop.info(i)?.uid.clone())))
                    .collect();
                (maildrop.totals().0, deleted)
            }
            _ => {
                // RFC 1939 §4: QUIT in AUTHORIZATION does not enter UPDATE.
                let text = format!("{} POP3 server signing off", self.config.hostname);
                self.ok(&text);
                return self.close(CloseReason::Quit);
            }
        };
        self.next_id += 1;
        let id = self.next_id;
        self.wait_for(Pending::Commit { id, left: left.0 });
        self.events.push_back(Event::Commit(CommitRequest {
            id,
            deleted: left.1,
        }));
    }

    // ---- TRANSACTION --------------------------------------------------

    fn maildrop(&self) -> Option<&Maildrop> {
        match &self.phase {
            Phase::Transaction { maildrop, .. } => Some(maildrop),
            _ => None,
        }
    }

    /// Looks a message number up, answering `-ERR` when it is not live.
    fn live(&mut self, msg: u32) -> Option<(usize, MessageInfo)> {
        let maildrop = self.maildrop()?;
        let text = match maildrop.lookup(msg) {
            Lookup::Live(index, info) => return Some((index, info.clone())),
            Lookup::Deleted => format!("message {msg} already deleted"),
            Lookup::NoSuchMessage => {
                let n = maildrop.len();
                format!(
                    "no such message, only {n} message{} in maildrop",
                    if n == 1 { "" } else { "s" }
                )
            }
        };
        self.fail(&text);
        None
    }

    fn list(&mut self, msg: Option<u32>) {
        // RFC 1939 §5: "+OK 2 messages (320 octets)" heads the scan listings.
        let (count, size) = self.maildrop().map_or((0, 0), Maildrop::totals);
        let heading = drop_summary(count, size);
        self.listing(msg, &heading, |info| &info.size);
    }

    fn uidl(&mut self, msg: Option<u32>) {
        // RFC 1939 §7's example heads the unique-id listings with a bare "+OK".
        self.listing(msg, "", |info| &info.uid);
    }

    /// LIST and UIDL: `number SP field` for one message, or for all of them
    /// as a multi-line response (RFC 1939 §5, §7), written straight into the
    /// output.
    fn listing(
        &mut self,
        msg: Option<u32>,
        heading: &str,
        field: impl for<'a> Fn(&'a MessageInfo) -> &'a dyn std::fmt::Display,
    ) {
        if let Some(msg) = msg {
            if let Some((index, info)) = self.live(msg) {
                self.ok(&format!("{} {}", index + 1, field(&info)));
            }
            return;
        }
        self.ok(heading);
        let Phase::Transaction { maildrop, .. } = &self.phase else {
            return;
        };
        self.transmit.write(|out| {
            for (number, info) in maildrop.live() {
                put_line(out, format_args!("{number} {}", field(info)));
            }
            out.extend_from_slice(b".\r\n");
        });
    }

    fn retrieve(&mut self, msg: u32, lines: Option<u64>) {
        let Some((index, info)) = self.live(msg) else {
            return;
        };
        self.next_id += 1;
        let id = self.next_id;
        self.wait_for(Pending::Retrieve {
            id,
            lines,
            size: info.size,
        });
        self.events.push_back(Event::Retrieve(RetrieveRequest {
            id,
            msg,
            index,
            uid: info.uid,
            lines,
            utf8: self.utf8,
        }));
    }

    fn dele(&mut self, msg: u32) {
        if let Some((index, _)) = self.live(msg) {
            if let Phase::Transaction { maildrop, .. } = &mut self.phase {
                maildrop.delete(index);
            }
            self.ok(&format!("message {msg} deleted"));
        }
    }

    // ---- replies, limits, timers ----------------------------------------

    /// The one place that writes a status line.
    fn reply(&mut self, indicator: Indicator, code: Option<&ResponseCode>, text: &str) {
        self.transmit
            .write(|out| response::encode_status(out, indicator, code, text));
    }

    /// `+OK` to a valid command.
    fn ok(&mut self, text: &str) {
        self.good_command();
        self.reply(Indicator::Ok, None, text);
    }

    /// `-ERR` to a valid command that failed (not a bad command).
    fn fail(&mut self, text: &str) {
        self.good_command();
        self.reply(Indicator::Err, None, text);
    }

    fn good_command(&mut self) {
        self.bad_commands = 0;
    }

    /// `-ERR` to a bad command: unknown, malformed, or in the wrong state.
    /// Too many in a row close the session.
    fn bad_command(&mut self, text: &str) {
        self.bad_commands = self.bad_commands.saturating_add(1);
        let limit = match self.phase {
            Phase::Authorization { .. } => self.config.max_bad_commands_before_login,
            _ => self.config.max_bad_commands_after_login,
        };
        if self.bad_commands >= limit {
            self.reply(
                Indicator::Err,
                None,
                "Too many bad commands, closing connection",
            );
            self.close(CloseReason::TooManyBadCommands);
        } else {
            self.reply(Indicator::Err, None, text);
        }
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

    fn take_pending(&mut self, id: u64) -> Option<Pending> {
        let matches = match &self.pending {
            Some(Pending::Login { id: p, .. })
            | Some(Pending::Retrieve { id: p, .. })
            | Some(Pending::Commit { id: p, .. }) => *p == id,
            _ => false,
        };
        if matches { self.pending.take() } else { None }
    }

    /// Client input or a host answer at `now`.
    fn answered(&mut self, now: Instant) {
        self.now = self.now.max(now);
        self.idle_since = self.now;
    }

    /// Makes `request` the one the session waits for.
    fn wait_for(&mut self, request: Pending) {
        self.pending = Some(request);
        self.pending_since = self.now;
    }

    /// The deadline for the host's answer to the pending request.
    fn host_deadline(&self) -> Option<Instant> {
        self.pending
            .as_ref()
            .map(|_| self.pending_since + self.config.host_timeout)
    }

    fn autologout_deadline(&self) -> Option<Instant> {
        match (&self.phase, &self.pending, &self.held) {
            (Phase::Authorization { .. } | Phase::Transaction { .. }, None, None) => {
                Some(self.idle_since + self.config.autologout)
            }
            _ => None,
        }
    }

    /// The host did not answer in time: answer for it.
    fn host_timed_out(&mut self) {
        let temp = Some(&ResponseCode::SysTemp);
        match self.pending.take() {
            Some(Pending::Login { .. }) => {
                self.reply(Indicator::Err, temp, "Authentication service unavailable");
            }
            Some(Pending::Retrieve { .. }) => {
                self.reply(Indicator::Err, temp, "Message temporarily unavailable");
            }
            Some(Pending::Commit { .. }) => {
                self.reply(Indicator::Err, None, "some deleted messages not removed");
                self.close(CloseReason::HostTimeout);
            }
            Some(Pending::Tls) => self.close(CloseReason::HostTimeout),
            None => {}
        }
    }
}

/// The host's 16 random octets as two numbers.
fn nonce_halves(random: &[u8; 16]) -> [u64; 2] {
    let mut high = [0u8; 8];
    let mut low = [0u8; 8];
    high.copy_from_slice(&random[..8]);
    low.copy_from_slice(&random[8..]);
    [u64::from_be_bytes(high), u64::from_be_bytes(low)]
}

fn not_pending<R>(request: R) -> AnswerError<R> {
    AnswerError {
        request,
        kind: UsageError::NotPending,
    }
}

/// "2 messages (320 octets)", as RFC 1939 §5 and §10 word it.
fn drop_summary(count: usize, size: u64) -> String {
    let plural = if count == 1 { "" } else { "s" };
    format!("{count} message{plural} ({size} octets)")
}

/// The one mapping from command syntax errors to reply texts.
fn command_error_text(error: CommandError) -> &'static str {
    match error {
        CommandError::Empty | CommandError::UnknownCommand => "Unknown command",
        CommandError::Nul => "NUL octet in command",
        CommandError::BareCr => "Bare CR in command",
        CommandError::MissingArgument(_) => "Missing argument",
        CommandError::TooManyArguments(_) => "Too many arguments",
        CommandError::Syntax(_) => "Malformed arguments",
        CommandError::InvalidNumber(_) => "Invalid number",
        CommandError::InvalidUtf8(_) => "Invalid UTF-8",
    }
}

#[cfg(test)]
mod tests;
