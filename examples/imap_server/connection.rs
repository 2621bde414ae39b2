//! One IMAP connection: the IMAP host that the shared connection driver
//! ([`crate::common::driver`]) runs over a byte stream (TCP, TLS, or stdin/stdout under
//! inetd). This is what a program embedding pobox's IMAP session writes; the protocol is
//! the session's business, and the I/O loop is the driver's.
//!
//! [`Imap`] implements [`Host`] in the order given in `pobox::imap::server`'s docs:
//!
//! 1. answer the session's events ([`Host::poll_events`]): requests that need storage go
//!    to tokio's blocking pool as [`storage`] functions, which hand the request back with
//!    its result ([`Host::answer`] gives it to the session). A FETCH keeps several message
//!    reads out at once; they share the selected folder.
//! 2. the driver writes out what the session transmits, reads while it writes, and
//!    calls `handle_timeout` at the session's `poll_timeout()`.
//! 3. **changes by others**: the selected folder's [`Folder::changed`] ticks when it may
//!    have changed (another session, an MTA, another process); [`Host::wake`] then syncs
//!    it on the blocking pool and reports the result with `Session::handle_change`. The
//!    session decides when the client may be told (at once during IDLE). A NOOP or
//!    CHECK ([`Event::Poll`]) is answered after a sync that started after it, so a
//!    client polling hears of everything others finished before it asked.
//!
//! **STARTTLS** (RFC 3501 §6.2.1): on [`Event::StartTls`] the session has queued its OK
//! and discards anything sent after the command; the driver writes the OK, runs the
//! handshake on the raw stream and answers the request ([`Host::tls_established`]).
//!
//! **Ending.** A LOGOUT, a dropped connection or a shutdown drops the folder and any
//! APPEND under way (its temporary file is removed): nothing half-written becomes mail.
//!
//! [`Folder::changed`]: crate::common::mailstore::Folder::changed

use std::io;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use pobox::imap::server::{
    Change, Config, Event, PollRequest, SearchAnswer, Session, StartTlsRequest, State, Transport,
};
use pobox::{AnswerError, Transmit, UsageError};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_rustls::TlsAcceptor;
use tracing::{debug, error, info, warn};

use crate::Server;
use crate::common::driver::{self, Ending, Host, Layer, Limits, Shutdown, Stop, Wakeup, Work};
use crate::common::mailstore::{self, Account};
use crate::storage::{self, Answer, SharedFolder, SharedSink};

/// Messages read by one blocking task.
const READ_BATCH: usize = 8;

/// Serves a connection whose first byte is TLS (port 993, RFC 8314).
pub async fn serve_implicit_tls<S>(
    stream: S,
    acceptor: TlsAcceptor,
    config: Arc<Config>,
    server: Arc<Server>,
    mut shutdown: Shutdown,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    if let Some(tls) = driver::handshake(&acceptor, stream, &mut shutdown, &Limits::IMAP).await {
        serve(tls, Transport::Tls, config, server, None, shutdown).await;
    }
}

/// Serves one connection until the session ends, the client goes away, or the server
/// shuts down. `transport` says whether `stream` is already TLS; `preauth` names a user
/// the host has authenticated already (`--preauth` under inetd: an SSH tunnel).
pub async fn serve<S>(
    stream: S,
    transport: Transport,
    config: Arc<Config>,
    server: Arc<Server>,
    preauth: Option<String>,
    mut shutdown: Shutdown,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    // Randomness from the OS for the CRAM-MD5 challenges and the request ids.
    let mut random = [0u8; 16];
    if let Err(e) = getrandom::fill(&mut random) {
        error!(error = %e, "no randomness from the OS; connection refused");
        return;
    }
    let now = Instant::now();
    let (session, account) = match &preauth {
        None => (Session::new(config, transport, random, now), None),
        Some(user) => match server.store.account(user) {
            Ok(account) => {
                info!(user, "preauthenticated");
                let session = Session::preauthenticated(config, transport, user, random, now);
                (session, Some(account))
            }
            Err(e) => {
                error!(user, error = %e, "cannot open the preauthenticated user's mail");
                return;
            }
        },
    };
    let tls = server.tls.clone();
    let mut host = Imap {
        session,
        server,
        account,
        folder: None,
        sink: None,
        changes: Wakeup::none(),
        syncing: false,
        resync: false,
        poll: None,
        poll_after_resync: false,
        start_tls: None,
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
        &Limits::IMAP,
    )
    .await;
    host.log_ending(ending);
}

/// The host side of one IMAP session.
struct Imap {
    session: Session,
    server: Arc<Server>,
    /// The user's mail, from a successful login.
    account: Option<Arc<dyn Account>>,
    /// The selected mailbox, shared by the storage tasks.
    folder: Option<SharedFolder>,
    /// An APPEND under way.
    sink: Option<SharedSink>,
    /// Ticks when the selected folder may have changed.
    changes: Wakeup,
    /// A sync of the folder is under way on the blocking pool.
    syncing: bool,
    /// The folder ticked again during that sync: sync once more after it.
    resync: bool,
    /// A NOOP or CHECK waiting for a sync that started after it arrived.
    poll: Option<PollRequest>,
    /// The sync under way started before that poll: answer it after the next one.
    poll_after_resync: bool,
    /// The handshake [`Event::StartTls`] asked for, answered once it is done.
    start_tls: Option<StartTlsRequest>,
}

impl Host for Imap {
    type Answer = Answer;

    fn feed(&mut self, now: Instant, data: &[u8]) {
        self.session.feed(now, data);
    }

    fn feed_eof(&mut self, now: Instant) {
        self.session.feed_eof(now);
    }

    fn shutdown(&mut self, now: Instant) -> Stop {
        // `* BYE`, then closed once written.
        self.session.shutdown(now);
        Stop::Finish
    }

    fn poll_events(&mut self, work: &mut Work<Answer>) {
        // Message reads are batched: one trip to the blocking pool per few messages, not
        // one per message (two thread hand-offs each, which dominated a FETCH of small
        // messages).
        let mut reads = Vec::new();
        while let Some(event) = self.session.poll_event() {
            match event {
                Event::Message(request) if self.folder.is_some() => reads.push(request),
                other => {
                    self.read_messages(std::mem::take(&mut reads), work);
                    self.on_event(other, work);
                }
            }
        }
        self.read_messages(reads, work);
    }

    fn answer(&mut self, answer: Answer, now: Instant, _work: &mut Work<Answer>) {
        self.on_answer(answer, now);
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
            return false;
        };
        match self.session.answer(request, (), now) {
            Ok(()) => true,
            Err(e) => {
                error!(error = %e, "session refused the TLS upgrade");
                false
            }
        }
    }

    fn poll_wake(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        self.changes.poll(cx)
    }

    fn wake(&mut self, _now: Instant, work: &mut Work<Answer>) {
        self.sync(work);
    }
}

/// Runs `f` with the account, or answers `$none` when there is none (not reachable: the
/// session asks for these only after a login the host accepted).
macro_rules! with_account {
    ($self:ident, $work:ident, $request:ident, $none:expr, $f:path) => {
        match &$self.account {
            Some(account) => {
                let account = Arc::clone(account);
                $work.spawn_blocking(move || $f(&*account, $request));
            }
            None => {
                warn!("request without a logged-in user");
                let _ = $self.session.answer($request, $none, Instant::now());
            }
        }
    };
}

/// Runs `f` with the selected folder, or answers `$none` when there is none.
macro_rules! with_folder {
    ($self:ident, $work:ident, $request:ident, $none:expr, $f:path) => {
        match &$self.folder {
            Some(folder) => {
                let folder = Arc::clone(folder);
                $work.spawn_blocking(move || $f(&folder, $request));
            }
            None => {
                warn!("request without a selected mailbox");
                let _ = $self.session.answer($request, $none, Instant::now());
            }
        }
    };
}

impl Imap {
    fn on_event(&mut self, event: Event, work: &mut Work<Answer>) {
        use pobox::imap::server::{MailboxError as M, MessageError};
        // Events carry no secrets in their Debug output (pobox redacts credentials and
        // message data).
        debug!(?event, "session event");
        match event {
            Event::Login(request) => {
                let server = Arc::clone(&self.server);
                work.spawn_blocking(move || storage::login(&server.users, &*server.store, request));
            }
            Event::StartTls(request) => self.start_tls = Some(request),
            Event::Select(request) => {
                with_account!(self, work, request, Err(M::Unavailable), storage::select)
            }
            Event::Unselected => {
                self.folder = None;
                self.poll = None;
                self.changes = Wakeup::none();
            }
            Event::Mailbox(request) => {
                with_account!(self, work, request, Err(M::Unavailable), storage::manage)
            }
            Event::List(request) => {
                with_account!(self, work, request, Err(M::Unavailable), storage::list)
            }
            Event::Status(request) => {
                with_account!(self, work, request, Err(M::Unavailable), storage::status)
            }
            Event::Append(request) => {
                with_account!(self, work, request, Err(M::Unavailable), storage::append)
            }
            Event::AppendData(request) => match &self.sink {
                Some(sink) => {
                    let sink = Arc::clone(sink);
                    work.spawn_blocking(move || storage::append_data(&sink, request));
                }
                None => {
                    let _ = self
                        .session
                        .answer(request, Err(M::ServerBug), Instant::now());
                }
            },
            Event::AppendCommit(request) => match self.sink.take() {
                Some(sink) => work.spawn_blocking(move || storage::append_commit(&sink, request)),
                None => {
                    let _ = self
                        .session
                        .answer(request, Err(M::ServerBug), Instant::now());
                }
            },
            // Dropping the sink removes the temporary file.
            Event::AppendCancelled => self.sink = None,
            Event::Message(request) => {
                with_folder!(
                    self,
                    work,
                    request,
                    Err(MessageError::Unavailable),
                    storage::message
                )
            }
            // The stores have no search index: the session evaluates the keys.
            Event::Search(request) => {
                let _ = self
                    .session
                    .answer(request, Ok(SearchAnswer::Evaluate), Instant::now());
            }
            Event::Store(request) => {
                with_folder!(self, work, request, Err(M::Unavailable), storage::store)
            }
            Event::Copy(request) => {
                with_folder!(self, work, request, Err(M::Unavailable), storage::copy)
            }
            Event::Expunge(request) => {
                with_folder!(self, work, request, Err(M::Unavailable), storage::expunge)
            }
            // A client's poll: what others finished before it asked must be in the answer,
            // so it waits for a sync that starts after it.
            Event::Poll(request) if self.folder.is_none() => {
                let _ = self.session.answer(request, (), Instant::now());
            }
            Event::Poll(request) => {
                self.poll = Some(request);
                self.poll_after_resync = self.syncing;
                self.sync(work);
            }
            Event::Closed(reason) => {
                self.folder = None;
                self.poll = None;
                self.sink = None;
                self.changes = Wakeup::none();
                debug!(?reason, "session closed");
            }
            other => warn!(?other, "event not handled by this server"),
        }
    }

    /// Hands a finished storage task's result to the session.
    fn on_answer(&mut self, answer: Answer, now: Instant) {
        let s = &mut self.session;
        let refused = match answer {
            Answer::Login(request, Ok(account)) => {
                let (user, method) = (request.user().to_owned(), request.method());
                let refused = refusal(s.answer(request, Ok(()), now));
                if refused.is_none() {
                    info!(user, ?method, "logged in");
                    self.account = Some(account);
                }
                refused
            }
            Answer::Login(request, Err(rejection)) => {
                refusal(s.answer(request, Err(rejection), now))
            }
            Answer::Select(request, result) => match *result {
                Ok((snapshot, folder)) => {
                    let name = request.mailbox().as_str().to_owned();
                    let changed = folder.read().unwrap_or_else(|p| p.into_inner()).changed();
                    let refused = refusal(s.answer(request, Ok(snapshot), now));
                    if refused.is_none() {
                        debug!(mailbox = name, "selected");
                        self.folder = Some(folder);
                        self.changes = Wakeup::watch(changed);
                        self.syncing = false;
                        self.resync = false;
                    }
                    refused
                }
                Err(e) => refusal(s.answer(request, Err(e), now)),
            },
            Answer::Mailbox(request, result) => refusal(s.answer(request, result, now)),
            Answer::List(request, result) => refusal(s.answer(request, result, now)),
            Answer::Status(request, result) => refusal(s.answer(request, result, now)),
            Answer::Append(request, Ok(sink)) => {
                let refused = refusal(s.answer(request, Ok(()), now));
                if refused.is_none() {
                    self.sink = Some(sink);
                }
                refused
            }
            Answer::Append(request, Err(e)) => refusal(s.answer(request, Err(e), now)),
            Answer::AppendData(request, result) => {
                if result.is_err() {
                    self.sink = None;
                }
                refusal(s.answer(request, result, now))
            }
            Answer::AppendCommit(request, result) => refusal(s.answer(request, result, now)),
            Answer::Message(request, result) => refusal(s.answer(request, *result, now)),
            Answer::Messages(answers) => {
                let mut refused = None;
                for (request, result) in answers {
                    refused = refused.or(refusal(s.answer(request, result, now)));
                }
                refused
            }
            Answer::Store(request, result) => refusal(s.answer(request, result, now)),
            Answer::Copy(request, result) => refusal(s.answer(request, result, now)),
            Answer::Expunge(request, result) => refusal(s.answer(request, result, now)),
            Answer::Changes(changes) => {
                self.syncing = false;
                self.report(changes, now);
                match self.poll.take() {
                    Some(poll) if !std::mem::take(&mut self.poll_after_resync) => {
                        refusal(self.session.answer(poll, (), now))
                    }
                    // `report` has asked for the sync that answers it.
                    waiting => {
                        self.poll = waiting;
                        None
                    }
                }
            }
        };
        if let Some(kind) = refused {
            // The session answered for us after its host timeout (or the request was of
            // a mailbox since deselected); what the task produced is dropped here.
            warn!(%kind, "storage answered too late");
        }
    }

    /// Reads messages for FETCH or SEARCH on the blocking pool, [`READ_BATCH`] per task:
    /// several tasks let both cores read while the first answers are already written.
    fn read_messages(
        &mut self,
        requests: Vec<pobox::imap::server::MessageRequest>,
        work: &mut Work<Answer>,
    ) {
        let Some(folder) = &self.folder else {
            return;
        };
        let mut requests = requests.into_iter().peekable();
        while requests.peek().is_some() {
            let batch: Vec<_> = requests.by_ref().take(READ_BATCH).collect();
            let folder = Arc::clone(folder);
            work.spawn_blocking(move || storage::messages(&folder, batch));
        }
    }

    /// Syncs the selected folder on the blocking pool, one sync at a time.
    fn sync(&mut self, work: &mut Work<Answer>) {
        let Some(folder) = &self.folder else {
            return;
        };
        if self.syncing {
            self.resync = true;
            return;
        }
        self.syncing = true;
        let folder = Arc::clone(folder);
        work.spawn_blocking(move || storage::sync(&folder));
    }

    /// Tells the session what a sync found.
    fn report(
        &mut self,
        changes: Result<Vec<mailstore::Change>, mailstore::StoreError>,
        now: Instant,
    ) {
        if self.session.state() != State::Selected {
            return;
        }
        match changes {
            Ok(changes) => {
                for change in changes {
                    let change_ref = match &change {
                        mailstore::Change::Arrived(m) => Change::Arrived {
                            uid: m.uid,
                            flags: &m.flags,
                            recent: m.recent,
                        },
                        mailstore::Change::Expunged(uid) => Change::Expunged { uid: *uid },
                        mailstore::Change::Flags(uid, flags) => Change::Flags { uid: *uid, flags },
                        mailstore::Change::Invalidated => Change::Invalidated,
                    };
                    self.session.handle_change(now, change_ref);
                }
            }
            Err(e) => warn!(error = %e, "cannot sync the selected mailbox"),
        }
        if std::mem::take(&mut self.resync) {
            // Ticked while syncing: look again (the driver polls the wake-up again, but
            // a tick consumed during the sync must not be lost).
            self.changes_pending();
        }
    }

    /// Forces the next [`Host::poll_wake`] to be ready.
    fn changes_pending(&mut self) {
        if let Some(folder) = &self.folder {
            let changed = folder.read().unwrap_or_else(|p| p.into_inner()).changed();
            self.changes = Wakeup::watch_now(changed);
        }
    }

    /// Logs how the connection ended.
    fn log_ending(&self, ending: io::Result<Ending>) {
        let state = self.session.state();
        match ending {
            Ok(Ending::Closed) => info!("connection closed"),
            Ok(Ending::ClientGone) => info!(?state, "connection closed by the client"),
            Ok(Ending::Shutdown) => info!(?state, "connection closed by server shutdown"),
            Ok(Ending::StartTls) => info!(?state, "connection closed: no TLS"),
            Err(e) => info!(?state, error = %e, "connection closed by an error"),
        }
    }
}

/// What was wrong with an answer the session refused, if it did.
fn refusal<R>(answered: Result<(), AnswerError<R>>) -> Option<UsageError> {
    answered.err().map(|e| e.kind)
}
