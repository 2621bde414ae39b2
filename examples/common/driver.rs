//! The connection driver both example servers share: the I/O loop around a pobox session
//! (POP3 or IMAP), over TCP, TLS, or stdin/stdout under inetd.
//!
//! A server implements [`Host`] for its protocol: the session's inputs and outputs
//! (`feed`, `poll_event` and `answer`, `transmit`, `poll_timeout`, ...) plus the answers
//! its storage tasks bring back. [`serve`] then runs the connection: [`drive`] until the
//! session ends or asks for TLS, the STLS/STARTTLS handshake on the raw stream, [`drive`]
//! again over TLS, and the closing of the transport.
//!
//! # One task, everything at once
//!
//! [`drive`] waits on every source in one poll, so that each keeps going whatever the
//! others do:
//!
//! - **writing**: whatever the session has in [`Transmit`] is written as it goes, in
//!   vectored writes of up to [`IOV_MAX`] slices taken straight from the session's output
//!   (message bodies are slices of the host's `Bytes`, never copied here); transports that
//!   cannot write vectored (stdout) get the pieces gathered into one buffer;
//! - **reading**, whenever the session [`wants_read`](Host::wants_read), also while a large
//!   response is being written: a client that sends a big upload without reading while
//!   the server sends a big response cannot block both sides on their writes, as long as
//!   the session takes its input;
//! - **storage answers** from the [`Work`] set (tokio's blocking pool, or any future);
//! - **timers**: the session's [`poll_timeout`](Host::poll_timeout), and write-stall
//!   detection: output that makes no progress for [`Limits::write_stall`] ends the
//!   connection (a client that takes nothing is gone; a slow one is not);
//! - **an extra wake-up** of the host's own ([`Host::poll_wake`], e.g. a [`Wakeup`] on a
//!   `tokio::sync::watch::Receiver` that ticks when the selected mailbox changes);
//! - **server shutdown**, answered by [`Host::shutdown`].
//!
//! The stream is not split: the loop polls its read and write sides in turn from one
//! task, as `tokio::io::copy_bidirectional` does, so no lock sits between the halves and
//! the whole stream is at hand for a TLS handshake.
//!
//! After anything happened the loop lets the host drain the session's events
//! ([`Host::poll_events`], which also lets a session produce more output once some has
//! drained), then checks whether the connection is done: closed with its last words
//! written and flushed, a TLS handshake asked for, or the client gone with no storage work
//! left.
//!
//! # STLS and STARTTLS (CVE-2011-0411)
//!
//! Once the session asks for a handshake ([`Host::wants_tls`]) the loop reads nothing
//! more, writes and flushes the session's `+OK` / `OK`, and returns
//! [`Ending::StartTls`]; [`serve`] runs the handshake on the raw stream. Reads go from the
//! stream into a buffer that is fed to the session whole, so bytes read with the command
//! are the session's to discard and bytes sent after it are left in the socket for
//! rustls: no plaintext sent after the command reaches the session.

use std::future::Future;
use std::io::{self, IoSlice};
use std::os::fd::{AsFd, OwnedFd};
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use bytes::Buf;
use pobox::Transmit;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpStream, UnixStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;
use tracing::{Span, debug, error, info, warn};

/// Becomes `true` when the server shuts down (SIGINT, SIGTERM).
pub type Shutdown = watch::Receiver<bool>;

/// The most slices one vectored write hands the kernel (Linux's `IOV_MAX`).
pub const IOV_MAX: usize = 1024;

/// Bytes gathered into one write on transports that cannot write vectored (stdout).
const GATHER: usize = 64 * 1024;

/// The driver's sizes and times.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Bytes asked of the transport per read.
    pub read_size: usize,
    /// Output that makes no progress for this long ends the connection: the client is
    /// gone. The protocols' autologout times (POP3 10 minutes, IMAP 30) are the natural
    /// choice, since the session cannot count its idle time while the host writes.
    pub write_stall: Duration,
    /// A TLS handshake (STLS, STARTTLS or implicit) must finish within this.
    pub handshake_timeout: Duration,
    /// Sending TLS close_notify and FIN after the last response, and writing the last
    /// words after a server shutdown.
    pub close_timeout: Duration,
}

impl Limits {
    /// For POP3: a client that takes nothing for the autologout time (RFC 1939 §3) is
    /// gone.
    pub const POP3: Limits = Limits {
        read_size: 16 * 1024,
        write_stall: Duration::from_secs(10 * 60),
        handshake_timeout: Duration::from_secs(60),
        close_timeout: Duration::from_secs(5),
    };

    /// For IMAP: the autologout time is 30 minutes (RFC 3501 §5.4).
    pub const IMAP: Limits = Limits {
        read_size: 16 * 1024,
        write_stall: Duration::from_secs(30 * 60),
        handshake_timeout: Duration::from_secs(60),
        close_timeout: Duration::from_secs(5),
    };
}

/// What the host does when the server shuts down.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Stop {
    /// Drop the connection now (POP3 outside UPDATE: nothing is deleted).
    Now,
    /// Go on until the session is closed and its output written: the session has queued
    /// its last words (IMAP's `* BYE`), or has work that must finish (a POP3 commit).
    /// Output then gets [`Limits::close_timeout`] without progress, not the full
    /// [`Limits::write_stall`].
    Finish,
}

/// Why [`drive`] returned.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Ending {
    /// The session is over and its last words are written and flushed.
    Closed,
    /// The session asked for a TLS handshake and its reply is written.
    StartTls,
    /// The client closed its side, and neither storage work nor output is left.
    ClientGone,
    /// The server is shutting down and the host chose [`Stop::Now`].
    Shutdown,
}

/// One protocol's side of a connection: a pobox session and the host's storage, as
/// [`drive`] sees it. POP3 and IMAP hosts implement it in their servers'
/// `connection.rs`.
///
/// Every method is called from the connection's task and must not block: storage work
/// goes to the [`Work`] set, whose answers come back through [`answer`](Host::answer).
pub trait Host {
    /// A finished piece of storage work: what the host's tasks in [`Work`] return (the
    /// request handle and its result).
    type Answer: Send + 'static;

    /// Bytes read from the client (`Session::feed`).
    fn feed(&mut self, now: Instant, data: &[u8]);

    /// The client closed its side (`Session::feed_eof`). Commands already received still
    /// run; the connection ends once the host is closed, or when nothing is in flight
    /// (no storage work, no output).
    fn feed_eof(&mut self, now: Instant) {
        let _ = now;
    }

    /// The server is shutting down (`Session::shutdown`, for IMAP). Called once.
    fn shutdown(&mut self, now: Instant) -> Stop;

    /// Drains the session's events (`Session::poll_event`) and answers each: now, or
    /// later by putting storage work into `work`. Called after every input, answer,
    /// timeout and write (a session produces more of a long response as output drains).
    fn poll_events(&mut self, work: &mut Work<Self::Answer>);

    /// A storage task's answer, to hand to the session (`Session::answer`); it may start
    /// more work.
    fn answer(&mut self, answer: Self::Answer, now: Instant, work: &mut Work<Self::Answer>);

    /// The session's output (`Session::transmit`).
    fn transmit(&mut self) -> &mut Transmit;

    /// The session's next deadline (`Session::poll_timeout`).
    fn poll_timeout(&self) -> Option<Instant>;

    /// The deadline of [`poll_timeout`](Host::poll_timeout) has passed
    /// (`Session::handle_timeout`).
    fn handle_timeout(&mut self, now: Instant);

    /// Whether to read from the client now (`Session::wants_read`).
    fn wants_read(&self) -> bool;

    /// The session is over (`Session::is_closed`): once its output is written, the
    /// connection closes.
    fn is_closed(&self) -> bool;

    /// The session asked for a TLS handshake (POP3 `Event::StartTls`, IMAP's STARTTLS)
    /// and waits for it: [`drive`] writes the reply, reads nothing more, and returns
    /// [`Ending::StartTls`].
    fn wants_tls(&self) -> bool {
        false
    }

    /// The handshake [`wants_tls`](Host::wants_tls) asked for is done: answer the
    /// session's request. `false` ends the connection.
    fn tls_established(&mut self, now: Instant) -> bool {
        let _ = now;
        false
    }

    /// An extra source of wake-ups, polled with the others: mailbox changes for an IMAP
    /// session (a [`Wakeup`] on the folder's `watch::Receiver`). `Ready` makes [`drive`]
    /// call [`wake`](Host::wake). The default never wakes.
    fn poll_wake(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let _ = cx;
        Poll::Pending
    }

    /// [`poll_wake`](Host::poll_wake) was ready: look at what changed (a sync on the
    /// blocking pool, say) and tell the session (`Session::handle_change`).
    fn wake(&mut self, now: Instant, work: &mut Work<Self::Answer>) {
        let _ = (now, work);
    }
}

/// Storage work under way for one connection: a `JoinSet` whose results [`drive`] hands
/// to [`Host::answer`]. A session waits for its answers; work it gave up on (its host
/// timeout) may still be running when the next starts.
pub struct Work<A> {
    tasks: JoinSet<A>,
}

impl<A: Send + 'static> Default for Work<A> {
    fn default() -> Self {
        Work::new()
    }
}

impl<A: Send + 'static> Work<A> {
    /// No work yet.
    pub fn new() -> Work<A> {
        Work {
            tasks: JoinSet::new(),
        }
    }

    /// Runs blocking storage code on tokio's blocking pool, logging in the connection's
    /// span.
    pub fn spawn_blocking(&mut self, work: impl FnOnce() -> A + Send + 'static) {
        let span = Span::current();
        self.tasks.spawn_blocking(move || span.in_scope(work));
    }

    /// Waits for `answer` (a future from a channel, an async store) as storage work.
    pub fn spawn(&mut self, answer: impl Future<Output = A> + Send + 'static) {
        use tracing::Instrument;
        self.tasks.spawn(answer.instrument(Span::current()));
    }

    /// No work under way.
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    /// Lets the work under way finish on its own; its answers are dropped (releasing
    /// whatever they hold, a maildrop lock say).
    pub fn detach_all(&mut self) {
        self.tasks.detach_all();
    }

    fn poll_answer(&mut self, cx: &mut Context<'_>) -> Poll<A> {
        loop {
            match ready!(self.tasks.poll_join_next(cx)) {
                Some(Ok(answer)) => return Poll::Ready(answer),
                // The request went down with the task: the session answers it itself
                // after its host timeout.
                Some(Err(e)) => error!(error = %e, "storage task failed"),
                // Empty: new work is only added between polls, which poll again.
                None => return Poll::Pending,
            }
        }
    }
}

/// A wake-up source for [`Host::poll_wake`]: nothing, a `watch::Receiver` (ready each
/// time its value changes, until the sender is gone), or any future (ready once).
/// Replace it when what it watches changes (another mailbox is selected).
#[derive(Default)]
pub struct Wakeup {
    next: Option<Pin<Box<dyn Future<Output = Option<Wakeup>> + Send>>>,
}

impl Wakeup {
    /// Never ready.
    pub fn none() -> Wakeup {
        Wakeup::default()
    }

    /// Ready whenever `receiver` sees a new value (values seen already do not count).
    pub fn watch<T: Send + Sync + 'static>(mut receiver: watch::Receiver<T>) -> Wakeup {
        Wakeup {
            next: Some(Box::pin(async move {
                // Err: the sender is gone, and with it every future change.
                receiver.changed().await.ok()?;
                Some(Wakeup::watch(receiver))
            })),
        }
    }

    /// Ready at once, then whenever `receiver` sees a new value.
    pub fn watch_now<T: Send + Sync + 'static>(receiver: watch::Receiver<T>) -> Wakeup {
        Wakeup {
            next: Some(Box::pin(async move { Some(Wakeup::watch(receiver)) })),
        }
    }

    /// Ready once, when `future` is.
    pub fn once(future: impl Future<Output = ()> + Send + 'static) -> Wakeup {
        Wakeup {
            next: Some(Box::pin(async move {
                future.await;
                Some(Wakeup::none())
            })),
        }
    }

    /// Polls the source; after `Ready` the next change is waited for.
    pub fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let Some(next) = &mut self.next else {
            return Poll::Pending;
        };
        match ready!(next.as_mut().poll(cx)) {
            Some(then) => {
                *self = then;
                Poll::Ready(())
            }
            None => {
                self.next = None;
                Poll::Pending
            }
        }
    }
}

/// What one poll of the connection found.
enum Step<A> {
    /// Bytes in the read buffer.
    Read(usize),
    /// The client closed its side.
    Eof,
    /// A storage answer.
    Answer(A),
    /// The host's extra wake-up.
    Wake,
    /// The timer fired: the session's deadline or a write-stall check.
    Timer,
    /// Output went out (and nothing else happened).
    Wrote,
    /// The server shuts down.
    Stop,
}

/// What the stream under [`drive`] is, which decides how output is written.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Layer {
    /// A socket (TCP, Unix) or pipe: the kernel copies whatever it is handed. Runs of
    /// output shorter than [`SHARE_FROM`] (status lines, and the lines of a body whose bare
    /// LFs become CRLF) are gathered into one buffer; longer ones go by reference, as
    /// slices of the host's `Bytes`.
    Socket,
    /// TLS: rustls copies the plaintext into records anyway, so all of the output is
    /// handed over by reference, [`IOV_MAX`] slices at a time.
    Tls,
}

/// Runs of output at least this long are written by reference; shorter ones are copied
/// into the batch buffer. A slice in a vectored write costs the kernel about as much as
/// copying a kilobyte, so a body of 70-octet lines (two slices per line once its bare LFs
/// become CRLF) goes out two to three times cheaper copied once into one buffer than as
/// hundreds of slices (measured in BENCHMARKS.md, "Side by side with Dovecot").
pub const SHARE_FROM: usize = 1024;

/// Bytes copied into one batch before it is written.
const BATCH: usize = 64 * 1024;
/// Buffer sizes a connection keeps between responses (larger ones are freed).
const KEEP_COPIED: usize = 16 * 1024;
const KEEP_PIECES: usize = 16;

/// One piece of a batch: bytes copied into the batch buffer, or a shared slice.
enum Piece {
    Copied(std::ops::Range<usize>),
    Shared(bytes::Bytes),
}

/// The bytes of a piece of a batch whose copied pieces live in `copied`.
fn piece_bytes<'a>(copied: &'a [u8], piece: &'a Piece) -> &'a [u8] {
    match piece {
        Piece::Copied(range) => &copied[range.clone()],
        Piece::Shared(shared) => shared,
    }
}

/// The session's output on its way to the transport.
struct Output {
    /// Output taken from the session but not written yet ([`Layer::Socket`]): the
    /// pieces, the buffer the copied ones live in, and the position reached.
    pieces: Vec<Piece>,
    copied: Vec<u8>,
    piece: usize,
    offset: usize,
    /// Pass the session's slices straight through ([`Layer::Tls`]).
    straight: bool,
    /// The transport takes vectored writes; otherwise every piece is copied and written
    /// with plain writes (stdout's pipe).
    vectored: bool,
    /// Written since the last flush (TLS records, stdout's buffer).
    unflushed: bool,
}

impl Output {
    fn new<S: AsyncWrite>(io: &S, layer: Layer) -> Output {
        let vectored = io.is_write_vectored();
        Output {
            pieces: Vec::new(),
            copied: Vec::new(),
            piece: 0,
            offset: 0,
            straight: vectored && layer == Layer::Tls,
            vectored,
            unflushed: false,
        }
    }

    /// Output is waiting: in the session, in the batch, or not flushed yet.
    fn pending(&self, transmit: &Transmit) -> bool {
        transmit.has_remaining() || self.piece < self.pieces.len() || self.unflushed
    }

    /// One write (or the flush once everything is written). `Ready(Ok(true))`: progress.
    fn poll_write<S: AsyncWrite + Unpin>(
        &mut self,
        io: &mut S,
        cx: &mut Context<'_>,
        transmit: &mut Transmit,
    ) -> Poll<io::Result<bool>> {
        if self.piece == self.pieces.len() && transmit.has_remaining() && !self.straight {
            self.take_batch(transmit);
        }
        let written = if self.piece < self.pieces.len() {
            let written = ready!(self.poll_write_batch(io, cx))?;
            if self.piece == self.pieces.len() {
                self.release(transmit.has_remaining());
            }
            written
        } else if transmit.has_remaining() {
            let mut slices = [IoSlice::new(&[]); IOV_MAX];
            let n = transmit.chunks_vectored(&mut slices);
            let written = ready!(Pin::new(&mut *io).poll_write_vectored(cx, &slices[..n]))?;
            transmit.advance(written);
            written
        } else if self.unflushed {
            ready!(Pin::new(&mut *io).poll_flush(cx))?;
            self.unflushed = false;
            return Poll::Ready(Ok(true));
        } else {
            return Poll::Ready(Ok(false));
        };
        if written == 0 {
            return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
        }
        self.unflushed = true;
        Poll::Ready(Ok(true))
    }

    /// Moves the next batch of output out of the session: runs shorter than
    /// [`SHARE_FROM`] copied (up to [`BATCH`] bytes), longer ones shared, at most
    /// [`IOV_MAX`] pieces. Every byte is copied at most once, however the writes go.
    fn take_batch(&mut self, transmit: &mut Transmit) {
        self.pieces.clear();
        self.copied.clear();
        self.piece = 0;
        self.offset = 0;
        let share_from = if self.vectored {
            SHARE_FROM
        } else {
            usize::MAX
        };
        loop {
            let run = self.copied.len();
            transmit.gather(&mut self.copied, BATCH, share_from);
            if self.copied.len() > run {
                self.pieces.push(Piece::Copied(run..self.copied.len()));
            }
            // Stopped at a long piece (shared), or the batch is full.
            if !transmit.has_remaining()
                || self.pieces.len() >= IOV_MAX - 1
                || transmit.chunk().len() < share_from
            {
                break;
            }
            match transmit.next_bytes() {
                Some(shared) => self.pieces.push(Piece::Shared(shared)),
                None => break,
            }
        }
    }

    /// A batch is written: let go of the message bodies it shared, and of its buffers
    /// when no output follows (an idle connection keeps no batch-sized memory).
    fn release(&mut self, more: bool) {
        self.pieces.clear();
        self.copied.clear();
        self.piece = 0;
        self.offset = 0;
        if !more {
            if self.copied.capacity() > KEEP_COPIED {
                self.copied = Vec::new();
            }
            if self.pieces.capacity() > KEEP_PIECES {
                self.pieces = Vec::new();
            }
        }
    }

    /// Writes from the batch; how much went.
    fn poll_write_batch<S: AsyncWrite + Unpin>(
        &mut self,
        io: &mut S,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<usize>> {
        let copied = &self.copied[..];
        let bytes = |piece| piece_bytes(copied, piece);
        let first = &bytes(&self.pieces[self.piece])[self.offset..];
        let written = if self.vectored && self.pieces.len() - self.piece > 1 {
            let mut slices = [IoSlice::new(&[]); IOV_MAX];
            slices[0] = IoSlice::new(first);
            let mut n = 1;
            for piece in &self.pieces[self.piece + 1..] {
                slices[n] = IoSlice::new(bytes(piece));
                n += 1;
            }
            ready!(Pin::new(&mut *io).poll_write_vectored(cx, &slices[..n]))?
        } else {
            ready!(Pin::new(&mut *io).poll_write(cx, first))?
        };
        // Move past what was written.
        let mut left = written;
        while left > 0 && self.piece < self.pieces.len() {
            let len = bytes(&self.pieces[self.piece]).len() - self.offset;
            if left < len {
                self.offset += left;
                break;
            }
            left -= len;
            self.piece += 1;
            self.offset = 0;
        }
        Poll::Ready(Ok(written))
    }
}

/// Runs `host`'s session over `io` until it ends, asks for TLS, the client goes away or
/// the server shuts down (see the [module docs](self)). Errors are the transport's, and
/// [`io::ErrorKind::TimedOut`] for a client that took no output for
/// [`Limits::write_stall`].
pub async fn drive<H, S>(
    host: &mut H,
    work: &mut Work<H::Answer>,
    io: &mut S,
    layer: Layer,
    shutdown: &mut Shutdown,
    limits: &Limits,
) -> io::Result<Ending>
where
    H: Host,
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut buf = vec![0u8; limits.read_size];
    let mut output = Output::new(io, layer);
    let stop = stopped(shutdown);
    tokio::pin!(stop);
    let timer = tokio::time::sleep(Duration::ZERO);
    tokio::pin!(timer);
    // The deadline the timer is set to; it may be earlier than needed (it then fires,
    // and is set again), never later.
    let mut armed: Option<Instant> = None;
    // Output last made progress (or started waiting) here.
    let mut progress = now();
    let mut was_pending = false;
    let mut eof = false;
    let mut stopping = false;
    loop {
        // 1. Answer what the session asks; it may have more to say once output drained.
        host.poll_events(work);

        // 2. Done?
        let pending = output.pending(host.transmit());
        if !pending {
            if host.is_closed() {
                return Ok(Ending::Closed);
            }
            if host.wants_tls() {
                return Ok(Ending::StartTls);
            }
            if eof && work.is_empty() {
                return Ok(Ending::ClientGone);
            }
        } else if !was_pending {
            progress = now();
        }
        was_pending = pending;

        // 3. The next deadline: the session's, or the write-stall limit.
        let stall = if stopping {
            limits.close_timeout
        } else {
            limits.write_stall
        };
        let deadline = match (host.poll_timeout(), pending.then(|| progress + stall)) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        if let Some(at) = deadline.filter(|&at| armed.is_none_or(|armed| at < armed)) {
            timer.as_mut().reset(tokio::time::Instant::from_std(at));
            armed = Some(at);
        }

        // 4. Write, and wait for whatever comes first.
        let reading = !eof && !host.wants_tls() && host.wants_read();
        let step = std::future::poll_fn(|cx| {
            if !stopping && stop.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Ok(Step::Stop));
            }
            let mut wrote = false;
            if pending {
                match output.poll_write(io, cx, host.transmit()) {
                    Poll::Ready(Ok(progressed)) => wrote = progressed,
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                    Poll::Pending => {}
                }
            }
            if reading {
                let mut read = ReadBuf::new(&mut buf);
                match Pin::new(&mut *io).poll_read(cx, &mut read) {
                    Poll::Ready(Ok(())) if read.filled().is_empty() => {
                        return Poll::Ready(Ok(Step::Eof));
                    }
                    Poll::Ready(Ok(())) => return Poll::Ready(Ok(Step::Read(read.filled().len()))),
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                    Poll::Pending => {}
                }
            }
            if let Poll::Ready(answer) = work.poll_answer(cx) {
                return Poll::Ready(Ok(Step::Answer(answer)));
            }
            if host.poll_wake(cx).is_ready() {
                return Poll::Ready(Ok(Step::Wake));
            }
            if armed.is_some() && timer.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Ok(Step::Timer));
            }
            if wrote {
                return Poll::Ready(Ok(Step::Wrote));
            }
            Poll::Pending
        })
        .await?;

        match step {
            Step::Read(n) => host.feed(now(), &buf[..n]),
            Step::Eof => {
                eof = true;
                host.feed_eof(now());
            }
            Step::Answer(answer) => host.answer(answer, now(), work),
            Step::Wake => host.wake(now(), work),
            Step::Timer => {
                armed = None;
                let now = now();
                if host.poll_timeout().is_some_and(|at| at <= now) {
                    host.handle_timeout(now);
                }
                if pending && now >= progress + stall {
                    return Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "client stopped reading",
                    ));
                }
            }
            Step::Wrote => progress = now(),
            Step::Stop => {
                stopping = true;
                match host.shutdown(now()) {
                    Stop::Now => return Ok(Ending::Shutdown),
                    Stop::Finish => progress = now(),
                }
            }
        }
    }
}

/// The time, from tokio's clock (the same as `Instant::now()` outside tests that pause
/// time): what hosts hand their sessions.
pub fn now() -> Instant {
    tokio::time::Instant::now().into_std()
}

/// Returns once the server shuts down.
async fn stopped(shutdown: &mut Shutdown) {
    // An error means the server dropped the sender: it is going away too.
    let _ = shutdown.wait_for(|&stop| stop).await;
}

/// Serves one connection: [`drive`] the session over `stream` (a plain socket or pipe,
/// or TLS already: `layer`); on
/// [`Ending::StartTls`] the handshake on the raw stream with `tls` (STLS, STARTTLS), then
/// [`Host::tls_established`] and [`drive`] again over TLS; finally TLS close_notify and
/// FIN after a session that closed, or nothing more for a client that went away. Work
/// still under way is left to finish on its own.
///
/// Returns how the connection ended, for the host to log; `Ending::StartTls` only when
/// the handshake failed or was refused (it is logged here).
pub async fn serve<H, S>(
    host: &mut H,
    mut stream: S,
    layer: Layer,
    tls: Option<&TlsAcceptor>,
    shutdown: &mut Shutdown,
    limits: &Limits,
) -> io::Result<Ending>
where
    H: Host,
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut work = Work::new();
    let ending = drive(host, &mut work, &mut stream, layer, shutdown, limits).await;
    let ending =
        match ending {
            Ok(Ending::StartTls) => match tls {
                Some(acceptor) => match handshake(acceptor, stream, shutdown, limits).await {
                    Some(mut tls) if host.tls_established(now()) => {
                        let ending =
                            match drive(host, &mut work, &mut tls, Layer::Tls, shutdown, limits)
                                .await
                            {
                                Ok(Ending::StartTls) => {
                                    Err(io::Error::other("TLS asked for twice"))
                                }
                                other => other,
                            };
                        close(&mut tls, &ending, limits).await;
                        ending
                    }
                    _ => Ok(Ending::StartTls),
                },
                None => {
                    // Not reachable: the sessions offer STLS/STARTTLS only with a certificate.
                    error!("TLS asked for without a TLS configuration");
                    Ok(Ending::StartTls)
                }
            },
            other => {
                close(&mut stream, &other, limits).await;
                other
            }
        };
    work.detach_all();
    ending
}

/// After a session that closed: TLS close_notify, then FIN, within
/// [`Limits::close_timeout`]; the client may already be gone.
async fn close<S: AsyncWrite + Unpin>(io: &mut S, ending: &io::Result<Ending>, limits: &Limits) {
    if let Ok(Ending::Closed) = ending {
        let _ = tokio::time::timeout(limits.close_timeout, io.shutdown()).await;
    }
}

/// A TLS handshake on `stream`, within [`Limits::handshake_timeout`] and unless the
/// server shuts down.
pub async fn handshake<S>(
    acceptor: &TlsAcceptor,
    stream: S,
    shutdown: &mut Shutdown,
    limits: &Limits,
) -> Option<TlsStream<S>>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let handshake = tokio::time::timeout(limits.handshake_timeout, acceptor.accept(stream));
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

/// Readies an accepted TCP connection: TCP_NODELAY, so that the end of each response
/// goes out at once instead of waiting for the client's delayed ACK (Nagle's algorithm
/// holds a small segment while one is unacknowledged: about 40 ms per response).
pub fn accepted(stream: &TcpStream) {
    if let Err(e) = stream.set_nodelay(true) {
        warn!(error = %e, "cannot set TCP_NODELAY");
    }
}

/// The connection of an inetd-style session (inetd "nowait", systemd `Accept=yes`,
/// fetchmail's `plugin`): stdin and stdout, used as one socket when they are the same
/// socket (TCP or Unix: epoll, vectored writes, TCP_NODELAY), or as two pipes otherwise.
pub enum Stdio {
    /// stdin and stdout are one TCP socket.
    Tcp(TcpStream),
    /// stdin and stdout are one Unix-domain socket (a socketpair).
    Unix(UnixStream),
    /// Anything else: tokio's stdin and stdout (blocking reads and writes on threads).
    Pipes(tokio::io::Join<tokio::io::Stdin, tokio::io::Stdout>),
}

impl Stdio {
    /// Looks at stdin and stdout. Must run inside the runtime.
    pub fn open() -> Stdio {
        match Stdio::socket() {
            Some(stdio) => stdio,
            None => Stdio::Pipes(tokio::io::join(tokio::io::stdin(), tokio::io::stdout())),
        }
    }

    /// `true` for the two pipes, whose blocking read on stdin cannot be cancelled.
    pub fn is_pipes(&self) -> bool {
        matches!(self, Stdio::Pipes(_))
    }

    fn socket() -> Option<Stdio> {
        let same = |a: &rustix::fs::Stat, b: &rustix::fs::Stat| {
            a.st_dev == b.st_dev && a.st_ino == b.st_ino
        };
        let stdin = rustix::fs::fstat(std::io::stdin()).ok()?;
        let stdout = rustix::fs::fstat(std::io::stdout()).ok()?;
        let socket =
            rustix::fs::FileType::from_raw_mode(stdin.st_mode) == rustix::fs::FileType::Socket;
        if !socket || !same(&stdin, &stdout) {
            return None;
        }
        let fd: OwnedFd = std::io::stdin().as_fd().try_clone_to_owned().ok()?;
        let tcp = std::net::TcpStream::from(fd);
        if tcp.local_addr().is_ok() {
            tcp.set_nonblocking(true).ok()?;
            let tcp = TcpStream::from_std(tcp).ok()?;
            accepted(&tcp);
            return Some(Stdio::Tcp(tcp));
        }
        let unix = std::os::unix::net::UnixStream::from(OwnedFd::from(tcp));
        unix.local_addr().ok()?;
        unix.set_nonblocking(true).ok()?;
        Some(Stdio::Unix(UnixStream::from_std(unix).ok()?))
    }
}

impl AsyncRead for Stdio {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stdio::Tcp(s) => Pin::new(s).poll_read(cx, buf),
            Stdio::Unix(s) => Pin::new(s).poll_read(cx, buf),
            Stdio::Pipes(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stdio {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stdio::Tcp(s) => Pin::new(s).poll_write(cx, buf),
            Stdio::Unix(s) => Pin::new(s).poll_write(cx, buf),
            Stdio::Pipes(s) => Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stdio::Tcp(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Stdio::Unix(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Stdio::Pipes(s) => Pin::new(s).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Stdio::Tcp(s) => s.is_write_vectored(),
            Stdio::Unix(s) => s.is_write_vectored(),
            Stdio::Pipes(s) => s.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stdio::Tcp(s) => Pin::new(s).poll_flush(cx),
            Stdio::Unix(s) => Pin::new(s).poll_flush(cx),
            Stdio::Pipes(s) => Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stdio::Tcp(s) => Pin::new(s).poll_shutdown(cx),
            Stdio::Unix(s) => Pin::new(s).poll_shutdown(cx),
            Stdio::Pipes(s) => Pin::new(s).poll_shutdown(cx),
        }
    }
}
