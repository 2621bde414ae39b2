//! One POP3 connection: the POP3 host that the shared connection driver
//! ([`crate::common::driver`]) runs over a byte stream (TCP, TLS, or stdin/stdout under
//! inetd). This is all a host has to do to embed pobox; the protocol itself is the
//! session's business, and the I/O loop (reading while writing, vectored writes,
//! timers, write stalls, STLS) is the driver's.
//!
//! [`Pop3`] implements [`Host`] in the order given in `pobox::pop3::server`'s docs:
//!
//! 1. answer the session's events ([`Host::poll_events`]): the ones that need the disk (a
//!    login to check, a message to read, deletions to commit) go to tokio's blocking
//!    pool as [`storage`] functions, which hand the request back with its result
//!    ([`Host::answer`] gives it to the session);
//! 2. the driver writes out what the session transmits (a `bytes::Buf` that references
//!    message bodies instead of copying them), and stops once the session is closed;
//! 3. meanwhile it reads client bytes (while `wants_read()`), takes finished storage
//!    work, and calls `handle_timeout` at the session's `poll_timeout()` (failed-login
//!    delay, autologout, host timeout).
//!
//! **STLS** (RFC 2595 §4): on [`Event::StartTls`] the session has queued `+OK` and
//! discards anything the client sent after STLS; [`Host::wants_tls`] tells the driver,
//! which writes the `+OK`, reads nothing more, and runs the handshake on the raw stream;
//! the session's request is answered once it is done ([`Host::tls_established`]).
//!
//! **Ending.** A dropped connection or a server shutdown drops the session and the
//! maildrop without UPDATE: the locks are released and nothing is deleted (RFC 1939
//! §6). Only a commit the session asked for (after QUIT) deletes, and a shutdown waits
//! for one that is under way ([`Stop::Finish`]).

use std::collections::BTreeMap;
use std::io;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use pobox::pop3::server::{
    CommitError, CommitRequest, Config, Event, MessageInfo, RetrieveError, RetrieveRequest,
    Session, StartTlsRequest, State, Transport,
};
use pobox::{AnswerError, Transmit, UsageError};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_rustls::TlsAcceptor;
use tracing::{debug, error, info, warn};

use crate::Server;
use crate::common::driver::{self, Ending, Host, Layer, Limits, Shutdown, Stop, Work, now};
use crate::common::store::{Mailbox, StoreError};
use crate::storage::{self, Answer};

/// Serves a connection whose first byte is TLS (port 995 style, RFC 8314): handshake,
/// then a session that knows it runs over TLS (it allows plaintext passwords and
/// refuses STLS).
pub async fn serve_implicit_tls<S>(
    stream: S,
    acceptor: TlsAcceptor,
    config: Arc<Config>,
    server: Arc<Server>,
    mut shutdown: Shutdown,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    if let Some(tls) = driver::handshake(&acceptor, stream, &mut shutdown, &Limits::POP3).await {
        serve(tls, Transport::Tls, config, server, shutdown).await;
    }
}

/// Serves one connection until the session ends, the client goes away, or the server
/// shuts down. `transport` says whether `stream` is already TLS.
pub async fn serve<S>(
    stream: S,
    transport: Transport,
    config: Arc<Config>,
    server: Arc<Server>,
    mut shutdown: Shutdown,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    // Randomness from the OS for the APOP timestamp and CRAM-MD5 challenges.
    let mut random = [0u8; 16];
    if let Err(e) = getrandom::fill(&mut random) {
        error!(error = %e, "no randomness from the OS; connection refused");
        return;
    }
    let session = Session::new(config, transport, random, now());
    let tls = server.tls.clone();
    let mut host = Pop3 {
        session,
        server,
        mailbox: None,
        start_tls: None,
        ahead: ReadAhead::default(),
    };
    let layer = match transport {
        Transport::Plain => Layer::Socket,
        Transport::Tls => Layer::Tls,
    };
    let ending = driver::serve(
        &mut host,
        stream,
        layer,
        tls.as_ref(),
        &mut shutdown,
        &Limits::POP3,
    )
    .await;
    host.log_ending(ending);
}

/// The host side of one POP3 session.
struct Pop3 {
    session: Session,
    server: Arc<Server>,
    /// The maildrop, from a successful login until the session ends. Reads run on the
    /// blocking pool and share it; the commit takes it.
    mailbox: Option<Arc<Mailbox>>,
    /// The handshake [`Event::StartTls`] asked for, answered once it is done.
    start_tls: Option<StartTlsRequest>,
    /// Messages read before RETR or TOP asked for them.
    ahead: ReadAhead,
}

/// Reading messages ahead of the client. A trip to tokio's blocking pool costs two
/// thread switches, more than reading a message from the page cache; clients fetch
/// messages in order (RETR 1, 2, 3, ...), so one trip reads the one asked for and the
/// next few, and the next trip starts while the client still downloads those. The
/// maildrop is locked for the session (RFC 1939 §8), so a message read early is the
/// message RETR would have read.
#[derive(Default)]
struct ReadAhead {
    /// Messages read and not asked for yet, by index (at most [`KEEP_AHEAD`]).
    ready: BTreeMap<usize, Result<Bytes, StoreError>>,
    /// The read under way (it holds the maildrop).
    reading: bool,
    /// A RETR or TOP waiting for the read under way.
    waiting: Option<RetrieveRequest>,
    /// A commit waiting for the read under way to let go of the maildrop.
    commit: Option<CommitRequest>,
}

/// At most this many messages per read ahead...
const READ_AHEAD: usize = 8;
/// ...and at most this many octets (but always the one asked for).
const READ_AHEAD_OCTETS: u64 = 256 * 1024;
/// Messages kept read ahead: those of the read under way and the one before it, or
/// fewer when a client jumps about.
const KEEP_AHEAD: usize = 2 * READ_AHEAD;

impl Host for Pop3 {
    type Answer = Answer;

    fn feed(&mut self, now: Instant, data: &[u8]) {
        self.session.feed(now, data);
    }

    // feed_eof: the POP3 session has no end-of-input; the driver ends the connection
    // once the storage work under way (a commit after QUIT) is done.

    fn shutdown(&mut self, _now: Instant) -> Stop {
        // In UPDATE the deletions are under way: let them finish and be reported.
        match self.session.state() {
            State::Update => Stop::Finish,
            _ => Stop::Now,
        }
    }

    fn poll_events(&mut self, work: &mut Work<Answer>) {
        while let Some(event) = self.session.poll_event() {
            self.on_event(event, work);
        }
    }

    fn answer(&mut self, answer: Answer, now: Instant, work: &mut Work<Answer>) {
        self.on_answer(answer, now, work);
    }

    fn transmit(&mut self) -> &mut Transmit {
        self.session.transmit()
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.session.poll_timeout()
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.session.handle_timeout(now);
    }

    fn wants_read(&self) -> bool {
        self.session.wants_read()
    }

    fn is_closed(&self) -> bool {
        self.session.is_closed()
    }

    fn wants_tls(&self) -> bool {
        self.start_tls.is_some()
    }

    fn tls_established(&mut self, now: Instant) -> bool {
        let Some(request) = self.start_tls.take() else {
            return false; // not reachable: the driver asks only after wants_tls
        };
        match self.session.answer(request, (), now) {
            Ok(()) => true,
            Err(e) => {
                error!(error = %e, "session refused the TLS upgrade");
                false
            }
        }
    }
}

impl Pop3 {
    fn on_event(&mut self, event: Event, work: &mut Work<Answer>) {
        // Events carry no secrets in their Debug output (pobox redacts credentials).
        debug!(?event, "session event");
        match event {
            Event::Login(request) => {
                let server = Arc::clone(&self.server);
                work.spawn_blocking(move || storage::login(&server.users, &server.store, request));
            }
            Event::Retrieve(request) => self.retrieve(request, work),
            Event::Commit(request) if self.ahead.reading => {
                // A read ahead still holds the maildrop: commit once it is done.
                self.ahead.commit = Some(request);
            }
            Event::Commit(request) => self.commit(request, work),
            Event::StartTls(request) => self.start_tls = Some(request),
            Event::Closed(reason) => {
                // Releases the maildrop's locks; deletes nothing unless committed.
                self.mailbox = None;
                self.ahead.ready.clear();
                debug!(?reason, "session closed");
            }
            other => warn!(?other, "event not handled by this server"),
        }
    }

    /// RETR or TOP: the message from what was read ahead, or a read of it and the next
    /// few, or a wait for the read under way.
    fn retrieve(&mut self, request: RetrieveRequest, work: &mut Work<Answer>) {
        let index = request.index();
        // Messages before this one were skipped: let them go.
        self.ahead.ready = self.ahead.ready.split_off(&index);
        if let Some(message) = self.ahead.ready.remove(&index) {
            let message = message.map_err(|e| storage::retrieve_error(&request, e));
            if let Some(kind) = refusal(self.session.answer(request, message, now())) {
                warn!(%kind, "message answer refused");
            }
            // Read the next few while the client downloads this one.
            let mut next = index + 1;
            while self.ahead.ready.contains_key(&next) {
                next += 1;
            }
            if next - index - 1 < READ_AHEAD / 2 {
                self.read_ahead(next, work);
            }
        } else if self.ahead.reading || self.read_ahead(index, work) {
            // Answered when the read under way (or the one just started) is done.
            self.ahead.waiting = Some(request);
        } else {
            // Not reachable: RETR and TOP exist only after a login we accepted.
            let failed = self
                .session
                .answer(request, Err(RetrieveError::Unavailable), now());
            warn!(?failed, "RETR without a maildrop");
        }
    }

    /// Reads the messages from `first` on (up to [`READ_AHEAD`] and
    /// [`READ_AHEAD_OCTETS`]) on the blocking pool, unless a read is under way. `false`
    /// when there is no maildrop or no such message.
    fn read_ahead(&mut self, first: usize, work: &mut Work<Answer>) -> bool {
        let Some(mailbox) = &self.mailbox else {
            return false;
        };
        let messages = mailbox.messages();
        if self.ahead.reading || first >= messages.len() {
            return false;
        }
        let mut end = first + 1;
        let mut octets = messages[first].size;
        while end < messages.len() && end - first < READ_AHEAD {
            octets += messages[end].size;
            if octets > READ_AHEAD_OCTETS {
                break;
            }
            end += 1;
        }
        let mailbox = Arc::clone(mailbox);
        work.spawn_blocking(move || storage::read_ahead(&mailbox, first..end));
        self.ahead.reading = true;
        true
    }

    /// QUIT in TRANSACTION: the deletions, on the blocking pool.
    fn commit(&mut self, request: CommitRequest, work: &mut Work<Answer>) {
        self.ahead.ready.clear();
        match self.mailbox.take().map(Arc::try_unwrap) {
            Some(Ok(mailbox)) => work.spawn_blocking(move || storage::commit(mailbox, request)),
            _ => {
                // A read the session gave up on still holds the maildrop: delete
                // nothing, and say so (RFC 1939 §6).
                warn!("commit refused: the maildrop is still being read");
                let outcome = Err(CommitError::NotAllRemoved);
                let _ = self.session.answer(request, outcome, now());
            }
        }
    }

    /// Hands a finished storage task's result to the session.
    fn on_answer(&mut self, answer: Answer, now: Instant, work: &mut Work<Answer>) {
        let refused = match answer {
            Answer::Login(request, Ok(mailbox)) => {
                let listing: Vec<MessageInfo> = (mailbox.messages().iter())
                    .map(|m| MessageInfo::new(m.size, m.uid.clone()))
                    .collect();
                let (user, method, count) =
                    (request.user().to_owned(), request.method(), listing.len());
                match self.session.answer(request, Ok(listing), now) {
                    Ok(()) => {
                        info!(user, ?method, messages = count, "logged in");
                        self.mailbox = Some(Arc::new(mailbox));
                        None
                    }
                    Err(refused) => Some(refused.kind),
                }
            }
            Answer::Login(request, Err(rejection)) => {
                refusal(self.session.answer(request, Err(rejection), now))
            }
            Answer::Messages(messages) => {
                self.ahead.reading = false;
                if self.mailbox.is_some() {
                    self.ahead.ready.extend(messages);
                    while self.ahead.ready.len() > KEEP_AHEAD {
                        self.ahead.ready.pop_last();
                    }
                }
                if let Some(request) = self.ahead.commit.take() {
                    self.commit(request, work);
                } else if let Some(request) = self.ahead.waiting.take() {
                    self.retrieve(request, work);
                }
                None
            }
            Answer::Commit(request, Ok(summary)) => {
                info!(
                    deleted = summary.deleted,
                    already_gone = summary.already_gone,
                    "deletions committed"
                );
                refusal(self.session.answer(request, Ok(()), now))
            }
            Answer::Commit(request, Err(e)) => {
                error!(error = %e, "commit failed");
                let outcome = Err(CommitError::NotAllRemoved);
                refusal(self.session.answer(request, outcome, now))
            }
        };
        if let Some(kind) = refused {
            // The session answered for us after its host timeout; whatever the task
            // opened (a maildrop) is dropped here.
            warn!(%kind, "storage answered too late");
        }
    }

    /// Logs how the connection ended.
    fn log_ending(&self, ending: io::Result<Ending>) {
        let state = self.session.state();
        match ending {
            Ok(Ending::Closed) => info!("connection closed"),
            // Without QUIT: a session in TRANSACTION ends without UPDATE.
            Ok(Ending::ClientGone) => info!(?state, "connection closed by the client"),
            Ok(Ending::Shutdown) => info!(?state, "connection closed by server shutdown"),
            // The handshake failed (logged by the driver) or the session refused it.
            Ok(Ending::StartTls) => info!(?state, "connection closed: no TLS"),
            Err(e) => info!(?state, error = %e, "connection closed by an error"),
        }
    }
}

/// What was wrong with an answer the session refused, if it did.
fn refusal<R>(answered: Result<(), AnswerError<R>>) -> Option<UsageError> {
    answered.err().map(|e| e.kind)
}
