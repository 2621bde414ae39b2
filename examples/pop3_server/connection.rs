//! One POP3 connection: the host loop that drives a pobox [`Session`] over a byte
//! stream (TCP, TLS, or stdin/stdout under inetd). This is all a host has to do to embed
//! pobox; the protocol itself is the session's business.
//!
//! The loop ([`Host::drive`]) follows the order given in `pobox::pop3::server`'s docs,
//! after every input or answer:
//!
//! 1. answer the session's events: the ones that need the disk (a login to check, a
//!    message to read, deletions to commit) go to tokio's blocking pool as
//!    [`storage`] functions, which hand the request back with its result;
//! 2. write out what the session transmits (a `bytes::Buf` that references message
//!    bodies instead of copying them);
//! 3. stop once the session is closed;
//! 4. wait for client bytes (only while `wants_read()`), a finished storage task, the
//!    session's next deadline (`poll_timeout()`: failed-login delay, autologout, host
//!    timeout) or server shutdown, then go back to 1.
//!
//! **STLS** (RFC 2595 §4): on [`Event::StartTls`] the session has queued `+OK` and
//! discards anything the client sent after STLS. The loop writes the `+OK` out and
//! returns; the handshake then runs on the raw stream, and the session's request is
//! answered once it is done. Reads go straight from the stream into a buffer that is fed
//! to the session whole, so no byte read before the handshake can reach rustls, and none
//! read after it can reach the session unencrypted.
//!
//! **Ending.** A dropped connection or a server shutdown drops the session and the
//! maildrop without UPDATE: the locks are released and nothing is deleted (RFC 1939
//! §6). Only a commit the session asked for (after QUIT) deletes, and a shutdown waits
//! for one that is under way.

use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Buf;
use pobox::pop3::server::{
    CommitError, Config, Event, MessageInfo, RetrieveError, Session, StartTlsRequest, State,
    Transport,
};
use pobox::{AnswerError, Transmit, UsageError};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::watch;
use tokio::task::{JoinError, JoinSet};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;
use tracing::{Span, debug, error, info, warn};

use crate::Server;
use crate::common::store::Mailbox;
use crate::storage::{self, Answer};

/// Bytes asked of the transport per read. Commands are short; this takes a pipelined
/// burst in one go. The session bounds what it buffers itself (`wants_read`).
const READ_SIZE: usize = 16 * 1024;
/// A TLS handshake (STLS or implicit) must finish within this.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(60);
/// A client that takes no byte of a response for this long is gone: the autologout
/// time (RFC 1939 §3), which the session cannot count while the host is writing.
const WRITE_STALL: Duration = Duration::from_secs(10 * 60);
/// Sending TLS close_notify and FIN after the last response.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// Becomes `true` when the server shuts down (SIGINT, SIGTERM).
pub type Shutdown = watch::Receiver<bool>;

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
    if let Some(tls) = handshake(&acceptor, stream, &mut shutdown).await {
        serve(tls, Transport::Tls, config, server, shutdown).await;
    }
}

/// Serves one connection until the session ends, the client goes away, or the server
/// shuts down. `transport` says whether `stream` is already TLS.
pub async fn serve<S>(
    mut stream: S,
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
    let session = Session::new(config, transport, random, Instant::now());
    let mut host = Host {
        session,
        server,
        mailbox: None,
        storage: JoinSet::new(),
        start_tls: None,
    };

    let ending = host.drive(&mut stream, &mut shutdown).await;
    if let Ok(Ending::StartTls) = ending {
        if let Some(mut tls) = host.upgrade(stream, &mut shutdown).await {
            let ending = host.drive(&mut tls, &mut shutdown).await;
            host.finish(&mut tls, ending).await;
        }
    } else {
        host.finish(&mut stream, ending).await;
    }
}

/// Why [`Host::drive`] returned.
enum Ending {
    /// The session is over and its last words are written.
    Closed,
    /// The session asked for a TLS handshake (STLS).
    StartTls,
    /// The client closed its side and no storage work is left.
    ClientGone,
    /// The server is shutting down.
    Shutdown,
}

/// The host side of one session.
struct Host {
    session: Session,
    server: Arc<Server>,
    /// The maildrop, from a successful login until the session ends. Reads run on the
    /// blocking pool and share it; the commit takes it.
    mailbox: Option<Arc<Mailbox>>,
    /// Storage work under way. The session waits for one answer at a time, but a task
    /// it gave up on (its host timeout) may still be running when the next starts.
    storage: JoinSet<Answer>,
    /// The handshake [`Event::StartTls`] asked for, answered once it is done.
    start_tls: Option<StartTlsRequest>,
}

impl Host {
    /// Runs the session over `io` until it ends or asks for TLS (see the module docs).
    async fn drive<S>(&mut self, io: &mut S, shutdown: &mut Shutdown) -> io::Result<Ending>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let mut buf = vec![0u8; READ_SIZE];
        let mut client_done = false;
        loop {
            // 1. Answer what the session asks.
            while let Some(event) = self.session.poll_event() {
                self.on_event(event);
            }
            // In UPDATE the deletions are under way: let them finish even on shutdown.
            let stoppable = self.session.state() != State::Update;

            // 2. Write out what the session has to say.
            if self.session.transmit().has_remaining() {
                tokio::select! {
                    written = write_out(io, self.session.transmit()) => written?,
                    () = stopped(shutdown), if stoppable => return Ok(Ending::Shutdown),
                }
            }

            // 3. Done?
            if self.session.is_closed() {
                return Ok(Ending::Closed);
            }
            if self.start_tls.is_some() {
                return Ok(Ending::StartTls);
            }
            if client_done && self.storage.is_empty() {
                return Ok(Ending::ClientGone);
            }

            // 4. Wait for something to happen.
            let reading = !client_done && self.session.wants_read();
            let deadline = self.session.poll_timeout();
            tokio::select! {
                read = io.read(&mut buf), if reading => match read? {
                    0 => client_done = true,
                    n => self.session.feed(Instant::now(), &buf[..n]),
                },
                Some(done) = self.storage.join_next() => self.on_answer(done),
                () = sleep_until(deadline) => self.session.handle_timeout(Instant::now()),
                () = stopped(shutdown), if stoppable => return Ok(Ending::Shutdown),
            }
        }
    }

    fn on_event(&mut self, event: Event) {
        // Events carry no secrets in their Debug output (pobox redacts credentials).
        debug!(?event, "session event");
        match event {
            Event::Login(request) => {
                let server = Arc::clone(&self.server);
                self.spawn(move || storage::login(&server.users, &server.store, request));
            }
            Event::Retrieve(request) => match &self.mailbox {
                Some(mailbox) => {
                    let mailbox = Arc::clone(mailbox);
                    self.spawn(move || storage::read(&mailbox, request));
                }
                None => {
                    // Not reachable: RETR and TOP exist only after a login we accepted.
                    let failed = self.session.answer(
                        request,
                        Err(RetrieveError::Unavailable),
                        Instant::now(),
                    );
                    warn!(?failed, "RETR without a maildrop");
                }
            },
            Event::Commit(request) => match self.mailbox.take().map(Arc::try_unwrap) {
                Some(Ok(mailbox)) => self.spawn(move || storage::commit(mailbox, request)),
                _ => {
                    // A read the session gave up on still holds the maildrop: delete
                    // nothing, and say so (RFC 1939 §6).
                    warn!("commit refused: the maildrop is still being read");
                    let outcome = Err(CommitError::NotAllRemoved);
                    let _ = self.session.answer(request, outcome, Instant::now());
                }
            },
            Event::StartTls(request) => self.start_tls = Some(request),
            Event::Closed(reason) => {
                // Releases the maildrop's locks; deletes nothing unless committed.
                self.mailbox = None;
                debug!(?reason, "session closed");
            }
            other => warn!(?other, "event not handled by this server"),
        }
    }

    /// Runs storage work on the blocking pool, logging in this connection's span.
    fn spawn(&mut self, work: impl FnOnce() -> Answer + Send + 'static) {
        let span = Span::current();
        self.storage.spawn_blocking(move || span.in_scope(work));
    }

    /// Hands a finished storage task's result to the session.
    fn on_answer(&mut self, done: Result<Answer, JoinError>) {
        let now = Instant::now();
        let answer = match done {
            Ok(answer) => answer,
            Err(e) => {
                // The request went down with the task: the session answers it itself
                // with -ERR [SYS/TEMP] after its host timeout.
                error!(error = %e, "storage task failed");
                return;
            }
        };
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
            Answer::Message(request, message) => {
                refusal(self.session.answer(request, message, now))
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

    /// STLS: the TLS handshake on the raw stream, then the answer to the session's
    /// request. A failed handshake leaves it unanswered: the connection closes.
    async fn upgrade<S>(&mut self, stream: S, shutdown: &mut Shutdown) -> Option<TlsStream<S>>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let Some(request) = self.start_tls.take() else {
            // Not reachable: drive returns StartTls only with a request.
            error!("STLS without a request");
            return None;
        };
        let Some(acceptor) = self.server.tls.clone() else {
            // Not reachable: STLS is offered only with a certificate.
            error!("STLS without a TLS configuration");
            return None;
        };
        let tls = handshake(&acceptor, stream, shutdown).await?;
        if let Err(e) = self.session.answer(request, (), Instant::now()) {
            error!(error = %e, "session refused the TLS upgrade");
            return None;
        }
        Some(tls)
    }

    /// Logs how the connection ended and closes it.
    async fn finish<S>(&mut self, io: &mut S, ending: io::Result<Ending>)
    where
        S: AsyncWrite + Unpin,
    {
        let state = self.session.state();
        match ending {
            Ok(Ending::Closed) => {
                // TLS close_notify, then FIN; the client may already be gone.
                let _ = tokio::time::timeout(CLOSE_TIMEOUT, io.shutdown()).await;
                info!("connection closed");
            }
            // Without QUIT: a session in TRANSACTION ends without UPDATE.
            Ok(Ending::ClientGone) => info!(?state, "connection closed by the client"),
            Ok(Ending::Shutdown) => info!(?state, "connection closed by server shutdown"),
            Ok(Ending::StartTls) => error!("STLS asked for twice"), // not reachable
            Err(e) => info!(?state, error = %e, "connection closed by an error"),
        }
        // A task still running (one the session gave up on, or a commit whose client
        // vanished) finishes on its own; its result is dropped, releasing any maildrop.
        self.storage.detach_all();
    }
}

/// What was wrong with an answer the session refused, if it did.
fn refusal<R>(answered: Result<(), AnswerError<R>>) -> Option<UsageError> {
    answered.err().map(|e| e.kind)
}

/// A TLS handshake on `stream`, within [`HANDSHAKE_TIMEOUT`] and unless the server
/// shuts down.
async fn handshake<S>(
    acceptor: &TlsAcceptor,
    stream: S,
    shutdown: &mut Shutdown,
) -> Option<TlsStream<S>>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let handshake = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream));
    tokio::select! {
        done = handshake => match done {
            Ok(Ok(tls)) => {
                debug!(version = ?tls.get_ref().1.protocol_version(), "TLS established");
                Some(tls)
            }
            Ok(Err(e)) => {
                info!(error = %e, "TLS handshake failed");
                None
            }
            Err(_) => {
                info!("TLS handshake timed out");
                None
            }
        },
        () = stopped(shutdown) => None,
    }
}

/// Writes all of `transmit` (vectored: message bodies go out as slices of the
/// message, never copied) and flushes (TLS records, stdout's buffer). A client that
/// takes nothing for [`WRITE_STALL`] is gone; a slow one is not.
async fn write_out<S>(io: &mut S, transmit: &mut Transmit) -> io::Result<()>
where
    S: AsyncWrite + Unpin,
{
    let stalled = || io::Error::new(io::ErrorKind::TimedOut, "client stopped reading");
    while transmit.has_remaining() {
        match tokio::time::timeout(WRITE_STALL, io.write_buf(transmit)).await {
            Ok(Ok(0)) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(Ok(_)) => {}
            Ok(Err(e)) => return Err(e),
            Err(_) => return Err(stalled()),
        }
    }
    tokio::time::timeout(WRITE_STALL, io.flush())
        .await
        .map_err(|_| stalled())?
}

/// Sleeps until the session's deadline; forever when it has none.
async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(tokio::time::Instant::from_std(at)).await,
        None => std::future::pending().await,
    }
}

/// Returns once the server shuts down.
async fn stopped(shutdown: &mut Shutdown) {
    // An error means the server dropped the sender: it is going away too.
    let _ = shutdown.wait_for(|&stop| stop).await;
}
