//! The connection driver of the example servers (`examples/common/driver.rs`), run over
//! in-memory pipes with pobox's own sessions as hosts.
//!
//! Every test runs on tokio's paused clock: time only moves when every task waits, and
//! then jumps to the next timer. A deadlock (both sides blocked on writes) therefore
//! shows as the driver's write-stall error at once, and a slow client's minutes pass in
//! no time; no test asserts on real time.
#[path = "../examples/common/mod.rs"]
mod common;

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::driver::{self, Ending, Host, IOV_MAX, Layer, Limits, Stop, Wakeup, Work};
use common::tls;
use pobox::Transmit;
use pobox::pop3::server::{
    Config, Event, MessageInfo, Session, StartTlsRequest, State, Transport, UniqueId,
};
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, DuplexStream, ReadBuf};
use tokio::sync::watch;

// ---- a POP3 host for the tests -----------------------------------------------------------

/// A POP3 session whose maildrop is one message, answered at once (or, for the
/// commit, by a task that takes a virtual second).
struct Pop3 {
    session: Session,
    message: Bytes,
    /// Input is counted here instead of being fed to the session: a session that takes
    /// any amount of upload (as an IMAP APPEND streams its literal).
    swallow: bool,
    swallowed: usize,
    start_tls: Option<StartTlsRequest>,
}

impl Pop3 {
    fn new(message: &[u8]) -> Pop3 {
        let mut config = Config::default();
        config.plaintext_auth_without_tls(true).stls(true);
        let session = Session::new(Arc::new(config), Transport::Plain, [7; 16], driver::now());
        Pop3 {
            session,
            message: Bytes::copy_from_slice(message),
            swallow: false,
            swallowed: 0,
            start_tls: None,
        }
    }
}

impl Host for Pop3 {
    type Answer = pobox::pop3::server::CommitRequest;

    fn feed(&mut self, now: Instant, data: &[u8]) {
        if self.swallow {
            self.swallowed += data.len();
        } else {
            self.session.feed(now, data);
        }
    }

    fn shutdown(&mut self, _now: Instant) -> Stop {
        match self.session.state() {
            State::Update => Stop::Finish,
            _ => Stop::Now,
        }
    }

    fn poll_events(&mut self, work: &mut Work<Self::Answer>) {
        while let Some(event) = self.session.poll_event() {
            let now = driver::now();
            match event {
                Event::Login(request) => {
                    let size = pobox::pop3::wire_size(&self.message);
                    let listing = vec![MessageInfo::new(size, UniqueId::new("m1").unwrap())];
                    self.session.answer(request, Ok(listing), now).unwrap();
                }
                Event::Retrieve(request) => {
                    let message = Ok(self.message.clone());
                    self.session.answer(request, message, now).unwrap();
                }
                Event::Commit(request) => work.spawn(async move {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    request
                }),
                Event::StartTls(request) => self.start_tls = Some(request),
                _ => {}
            }
        }
    }

    fn answer(&mut self, request: Self::Answer, now: Instant, _work: &mut Work<Self::Answer>) {
        self.session.answer(request, Ok(()), now).unwrap();
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
        self.swallow || self.session.wants_read()
    }

    fn is_closed(&self) -> bool {
        self.session.is_closed()
    }

    fn wants_tls(&self) -> bool {
        self.start_tls.is_some()
    }

    fn tls_established(&mut self, now: Instant) -> bool {
        let request = self.start_tls.take().unwrap();
        self.session.answer(request, (), now).is_ok()
    }
}

// ---- in-memory transports ----------------------------------------------------------------

/// One end of an in-memory pipe. `vectored` makes it take vectored writes as a socket's
/// `writev` does: slice after slice until the pipe is full.
struct Pipe {
    io: DuplexStream,
    vectored: bool,
}

fn pipe(capacity: usize, vectored: bool) -> (Pipe, DuplexStream) {
    let (server, client) = tokio::io::duplex(capacity);
    (
        Pipe {
            io: server,
            vectored,
        },
        client,
    )
}

impl AsyncRead for Pipe {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl AsyncWrite for Pipe {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        assert!(bufs.len() <= IOV_MAX, "{} slices", bufs.len());
        let mut total = 0;
        for buf in bufs.iter().filter(|b| !b.is_empty()) {
            match Pin::new(&mut self.io).poll_write(cx, buf) {
                Poll::Ready(Ok(n)) => {
                    total += n;
                    if n < buf.len() {
                        break;
                    }
                }
                Poll::Ready(Err(e)) if total == 0 => return Poll::Ready(Err(e)),
                Poll::Pending if total == 0 => return Poll::Pending,
                _ => break,
            }
        }
        Poll::Ready(Ok(total))
    }

    fn is_write_vectored(&self) -> bool {
        self.vectored
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

// ---- helpers -----------------------------------------------------------------------------

/// A message stored with bare LFs, dot lines, and runs long enough to go out by
/// reference; about `size` octets.
fn message(size: usize) -> Vec<u8> {
    let mut m = b"Subject: driver test\n\n".to_vec();
    let mut i = 0;
    while m.len() < size {
        match i % 5 {
            0 => m.extend_from_slice(b".a line that starts with a dot\n"),
            1 => m.extend_from_slice(&[b'x'; 3000]),
            2 => m.extend_from_slice(b"\r\n"),
            _ => m.extend_from_slice(format!("line {i} of the body, stored with LF\n").as_bytes()),
        }
        i += 1;
    }
    m.extend_from_slice(b"no final line end");
    m
}

/// What RETR sends of `message`: CRLF line ends, dot-stuffed, terminated.
fn stuffed(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut line_start = true;
    for (i, &b) in message.iter().enumerate() {
        if line_start && b == b'.' {
            out.push(b'.');
        }
        if b == b'\n' && (i == 0 || message[i - 1] != b'\r') {
            out.push(b'\r');
        }
        out.push(b);
        line_start = b == b'\n';
    }
    out.extend_from_slice(b"\r\n.\r\n");
    out
}

fn shutdown_channel() -> (watch::Sender<bool>, driver::Shutdown) {
    watch::channel(false)
}

/// Reads until `needle` has arrived; returns everything read.
async fn read_until(client: &mut (impl AsyncRead + Unpin), needle: &[u8]) -> Vec<u8> {
    let mut got = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    while !got.windows(needle.len()).any(|w| w == needle) {
        let n = client.read(&mut buf).await.unwrap();
        assert!(n > 0, "EOF before {needle:?}");
        got.extend_from_slice(&buf[..n]);
    }
    got
}

// ---- the tests ---------------------------------------------------------------------------

/// The three ways of writing (small pieces gathered and long runs by reference on a
/// socket; every slice passed through for TLS; everything gathered for a transport
/// without vectored writes) send the same octets, the ones RFC 1939 asks for.
#[tokio::test(start_paused = true)]
async fn every_write_path_sends_the_same_octets() {
    let m = message(200_000);
    let expected_body = stuffed(&m);
    for (layer, vectored) in [
        (Layer::Socket, true),
        (Layer::Tls, true),
        (Layer::Socket, false),
    ] {
        let (mut server, mut client) = pipe(8 * 1024, vectored);
        let mut host = Pop3::new(&m);
        let (_stop, mut shutdown) = shutdown_channel();
        let serving = tokio::spawn(async move {
            let mut work = Work::new();
            let ending = driver::drive(
                &mut host,
                &mut work,
                &mut server,
                layer,
                &mut shutdown,
                &Limits::POP3,
            )
            .await;
            ending.unwrap()
        });
        client
            .write_all(b"USER u\r\nPASS p\r\nRETR 1\r\nQUIT\r\n")
            .await
            .unwrap();
        let got = read_until(&mut client, b"\r\n.\r\n+OK").await;
        assert_eq!(serving.await.unwrap(), Ending::Closed);
        let mut rest = Vec::new();
        client.read_to_end(&mut rest).await.unwrap_or_default();
        let got = [got, rest].concat();
        let text = String::from_utf8_lossy(&got);
        let start = text.find(" octets\r\n").unwrap() + " octets\r\n".len();
        let end = start + expected_body.len();
        assert!(
            got[start..end] == expected_body[..],
            "{layer:?} vectored {vectored}"
        );
        assert!(text[end..].starts_with("+OK"), "{}", &text[end..]);
    }
}

/// A client that uploads without reading while the server writes a large response: the
/// driver keeps reading while it writes, so neither side stays blocked on its write.
#[tokio::test(start_paused = true)]
async fn an_upload_during_a_large_response_does_not_deadlock() {
    const UPLOAD: usize = 4 << 20;
    let m = message(4 << 20);
    let response_len = stuffed(&m).len();
    for layer in [Layer::Socket, Layer::Tls] {
        let (mut server, mut client) = pipe(16 * 1024, true);
        let mut host = Pop3::new(&m);
        // The response is queued before the driver starts: 4 MiB, far more than the pipe.
        host.session.feed(driver::now(), b"USER u\r\nPASS p\r\n");
        host.poll_events(&mut Work::new());
        host.session.feed(driver::now(), b"RETR 1\r\n");
        host.poll_events(&mut Work::new());
        host.swallow = true;
        let (_stop, mut shutdown) = shutdown_channel();
        let serving = tokio::spawn(async move {
            let mut work = Work::new();
            let ending = driver::drive(
                &mut host,
                &mut work,
                &mut server,
                layer,
                &mut shutdown,
                &Limits::POP3,
            )
            .await;
            (ending, host.swallowed)
        });
        // First the whole upload, without reading a byte; then the response.
        let (mut rx, mut tx) = tokio::io::split(&mut client);
        if let Err(e) = tx.write_all(&vec![b'u'; UPLOAD]).await {
            drop((rx, tx));
            panic!("upload: {e}; the driver: {:?}", serving.await.unwrap().0);
        }
        tx.shutdown().await.unwrap();
        let mut response = Vec::new();
        rx.read_to_end(&mut response).await.unwrap();
        let (ending, swallowed) = serving.await.unwrap();
        assert_eq!(ending.unwrap(), Ending::ClientGone, "{layer:?}");
        assert_eq!(swallowed, UPLOAD);
        assert!(response.len() > response_len, "{}", response.len());
        assert!(response.ends_with(b"\r\n.\r\n"));
    }
}

/// A client that takes nothing of a response is gone after `write_stall`.
#[tokio::test(start_paused = true)]
async fn a_client_that_takes_nothing_is_gone_after_the_write_stall() {
    let m = message(1 << 20);
    let (mut server, mut client) = pipe(16 * 1024, true);
    let mut host = Pop3::new(&m);
    let (_stop, mut shutdown) = shutdown_channel();
    let started = tokio::time::Instant::now();
    let serving = tokio::spawn(async move {
        let mut work = Work::new();
        driver::drive(
            &mut host,
            &mut work,
            &mut server,
            Layer::Socket,
            &mut shutdown,
            &Limits::POP3,
        )
        .await
    });
    client
        .write_all(b"USER u\r\nPASS p\r\nRETR 1\r\n")
        .await
        .unwrap();
    let error = serving.await.unwrap().unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::TimedOut);
    // On the paused clock: the stall limit, not some other timer, ended it.
    assert!(started.elapsed() >= Limits::POP3.write_stall);
    drop(client);
}

/// A client that reads a little every few minutes is slow, not gone: the stall limit
/// counts from the last progress.
#[tokio::test(start_paused = true)]
async fn a_slow_client_is_not_cut_off() {
    let m = message(64 * 1024);
    let expected = stuffed(&m);
    let (mut server, mut client) = pipe(4096, true);
    let mut host = Pop3::new(&m);
    let (_stop, mut shutdown) = shutdown_channel();
    let serving = tokio::spawn(async move {
        let mut work = Work::new();
        driver::drive(
            &mut host,
            &mut work,
            &mut server,
            Layer::Socket,
            &mut shutdown,
            &Limits::POP3,
        )
        .await
    });
    client
        .write_all(b"USER u\r\nPASS p\r\nRETR 1\r\nQUIT\r\n")
        .await
        .unwrap();
    let started = tokio::time::Instant::now();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        tokio::time::sleep(Limits::POP3.write_stall - Duration::from_secs(60)).await;
        let n = client.read(&mut buf).await.unwrap();
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n]);
    }
    assert_eq!(serving.await.unwrap().unwrap(), Ending::Closed);
    assert!(got.windows(expected.len()).any(|w| w == expected));
    // Many stall limits passed in all.
    assert!(started.elapsed() > 5 * Limits::POP3.write_stall);
}

/// Server shutdown is seen while a large response is blocked on a client that does not
/// read; a session in UPDATE finishes its commit first and says so.
#[tokio::test(start_paused = true)]
async fn shutdown_is_seen_while_writing_and_waits_for_a_commit() {
    let m = message(1 << 20);
    let (mut server, mut client) = pipe(16 * 1024, true);
    let mut host = Pop3::new(&m);
    let (stop, mut shutdown) = shutdown_channel();
    let serving = tokio::spawn(async move {
        let mut work = Work::new();
        driver::drive(
            &mut host,
            &mut work,
            &mut server,
            Layer::Socket,
            &mut shutdown,
            &Limits::POP3,
        )
        .await
    });
    client
        .write_all(b"USER u\r\nPASS p\r\nRETR 1\r\n")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(60)).await;
    stop.send(true).unwrap();
    assert_eq!(serving.await.unwrap().unwrap(), Ending::Shutdown);

    // QUIT: the commit takes a (virtual) second; shutdown during it lets it finish.
    let (mut server, mut client) = pipe(16 * 1024, true);
    let mut host = Pop3::new(b"short\n");
    let (stop, mut shutdown) = shutdown_channel();
    let serving = tokio::spawn(async move {
        let mut work = Work::new();
        driver::drive(
            &mut host,
            &mut work,
            &mut server,
            Layer::Socket,
            &mut shutdown,
            &Limits::POP3,
        )
        .await
    });
    client
        .write_all(b"USER u\r\nPASS p\r\nDELE 1\r\nQUIT\r\n")
        .await
        .unwrap();
    read_until(&mut client, b"deleted\r\n").await;
    stop.send(true).unwrap();
    assert_eq!(serving.await.unwrap().unwrap(), Ending::Closed);
    let mut rest = Vec::new();
    client.read_to_end(&mut rest).await.unwrap();
    assert!(String::from_utf8_lossy(&rest).contains("+OK"), "{rest:?}");
}

/// A client that sends QUIT and closes its side at once still gets its deletions
/// committed: after EOF the driver goes on while storage work is under way.
#[tokio::test(start_paused = true)]
async fn eof_after_quit_waits_for_the_commit() {
    let (mut server, mut client) = pipe(16 * 1024, true);
    let mut host = Pop3::new(b"short\n");
    let (_stop, mut shutdown) = shutdown_channel();
    let serving = tokio::spawn(async move {
        let mut work = Work::new();
        let ending = driver::drive(
            &mut host,
            &mut work,
            &mut server,
            Layer::Socket,
            &mut shutdown,
            &Limits::POP3,
        )
        .await;
        (ending, host.session.state())
    });
    client
        .write_all(b"USER u\r\nPASS p\r\nDELE 1\r\nQUIT\r\n")
        .await
        .unwrap();
    client.shutdown().await.unwrap();
    let (ending, state) = serving.await.unwrap();
    assert_eq!(ending.unwrap(), Ending::Closed);
    assert_eq!(state, State::Closed);
    // Without QUIT, EOF ends the connection at once, in TRANSACTION.
    let (mut server, mut client) = pipe(16 * 1024, true);
    let mut host = Pop3::new(b"short\n");
    let (_stop, mut shutdown) = shutdown_channel();
    let serving = tokio::spawn(async move {
        let mut work = Work::new();
        let ending = driver::drive(
            &mut host,
            &mut work,
            &mut server,
            Layer::Socket,
            &mut shutdown,
            &Limits::POP3,
        )
        .await;
        (ending, host.session.state())
    });
    client
        .write_all(b"USER u\r\nPASS p\r\nDELE 1\r\n")
        .await
        .unwrap();
    read_until(&mut client, b"deleted\r\n").await;
    client.shutdown().await.unwrap();
    let (ending, state) = serving.await.unwrap();
    assert_eq!(ending.unwrap(), Ending::ClientGone);
    assert_eq!(state, State::Transaction);
}

/// STLS through `driver::serve`: the `+OK` goes out in plaintext, the handshake runs on
/// the raw stream, and a command sent in plaintext right after STLS (CVE-2011-0411) is
/// never answered, neither before the handshake nor inside TLS.
#[tokio::test(start_paused = true)]
async fn stls_discards_what_follows_it_and_upgrades() {
    let cert = tls::self_signed(&["localhost"]).unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(cert.server_config().unwrap()));
    let connector = tokio_rustls::TlsConnector::from(Arc::new(cert.client_config().unwrap()));
    let (server, mut client) = pipe(16 * 1024, true);
    let mut host = Pop3::new(b"Subject: secret\n\nover TLS\n");
    let (_stop, mut shutdown) = shutdown_channel();
    let serving = tokio::spawn(async move {
        let ending = driver::serve(
            &mut host,
            server,
            Layer::Socket,
            Some(&acceptor),
            &mut shutdown,
            &Limits::POP3,
        )
        .await;
        (ending, host.session.tls_active())
    });
    read_until(&mut client, b"\r\n").await;
    client
        .write_all(b"STLS\r\nUSER u\r\nPASS p\r\nSTAT\r\n")
        .await
        .unwrap();
    let plain = read_until(&mut client, b"\r\n").await;
    assert!(
        plain.starts_with(b"+OK") && plain.ends_with(b"\r\n"),
        "{plain:?}"
    );
    let name = ServerName::try_from("localhost").unwrap();
    let mut tls = connector.connect(name, client).await.unwrap();
    tls.write_all(b"STAT\r\nQUIT\r\n").await.unwrap();
    let mut inside = Vec::new();
    tls.read_to_end(&mut inside).await.unwrap_or_default();
    let inside = String::from_utf8_lossy(&inside);
    // STAT before login is refused: the injected USER/PASS never ran.
    assert!(inside.starts_with("-ERR"), "{inside}");
    assert_eq!(inside.lines().count(), 2, "{inside}");
    let (ending, tls_active) = serving.await.unwrap();
    assert_eq!(ending.unwrap(), Ending::Closed);
    assert!(tls_active);
}

/// The shape of the IMAP host: `feed_eof`, a shutdown answered with `* BYE` written out
/// ([`Stop::Finish`]), and an extra wake-up source.
struct Imap {
    session: pobox::imap::server::Session,
    wakeup: Wakeup,
    woken: usize,
}

impl Host for Imap {
    type Answer = ();

    fn feed(&mut self, now: Instant, data: &[u8]) {
        self.session.feed(now, data);
    }

    fn feed_eof(&mut self, now: Instant) {
        self.session.feed_eof(now);
    }

    fn shutdown(&mut self, now: Instant) -> Stop {
        self.session.shutdown(now);
        Stop::Finish
    }

    fn poll_events(&mut self, _work: &mut Work<()>) {
        while self.session.poll_event().is_some() {}
    }

    fn answer(&mut self, _answer: (), _now: Instant, _work: &mut Work<()>) {}

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

    fn poll_wake(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        self.wakeup.poll(cx)
    }

    fn wake(&mut self, _now: Instant, _work: &mut Work<()>) {
        self.woken += 1;
    }
}

fn imap(wakeup: Wakeup) -> Imap {
    let config = Arc::new(pobox::imap::server::Config::default());
    let session = pobox::imap::server::Session::new(
        config,
        pobox::imap::server::Transport::Plain,
        [9; 16],
        driver::now(),
    );
    Imap {
        session,
        wakeup,
        woken: 0,
    }
}

#[tokio::test(start_paused = true)]
async fn an_imap_shaped_host_says_bye_on_shutdown_and_is_woken_by_changes() {
    let (changes, receiver) = watch::channel(0u64);
    let (mut server, mut client) = pipe(16 * 1024, true);
    let mut host = imap(Wakeup::watch(receiver));
    let (stop, mut shutdown) = shutdown_channel();
    let serving = tokio::spawn(async move {
        let mut work = Work::new();
        let ending = driver::drive(
            &mut host,
            &mut work,
            &mut server,
            Layer::Socket,
            &mut shutdown,
            &Limits::IMAP,
        )
        .await;
        (ending, host.woken)
    });
    read_until(&mut client, b"\r\n").await;
    for change in 1..=3 {
        changes.send(change).unwrap();
        // Let the driver see it before the next one (a watch keeps only the latest).
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    stop.send(true).unwrap();
    let bye = read_until(&mut client, b"\r\n").await;
    assert!(
        bye.starts_with(b"* BYE"),
        "{}",
        String::from_utf8_lossy(&bye)
    );
    let (ending, woken) = serving.await.unwrap();
    assert_eq!(ending.unwrap(), Ending::Closed);
    assert_eq!(woken, 3);

    // The client's EOF ends an IMAP session through feed_eof.
    let (mut server, mut client) = pipe(16 * 1024, true);
    let mut host = imap(Wakeup::none());
    let (_stop, mut shutdown) = shutdown_channel();
    let serving = tokio::spawn(async move {
        let mut work = Work::new();
        driver::drive(
            &mut host,
            &mut work,
            &mut server,
            Layer::Socket,
            &mut shutdown,
            &Limits::IMAP,
        )
        .await
    });
    client.write_all(b"a NOOP\r\n").await.unwrap();
    client.shutdown().await.unwrap();
    let mut all = Vec::new();
    client.read_to_end(&mut all).await.unwrap();
    assert!(String::from_utf8_lossy(&all).contains("a OK"), "{all:?}");
    assert_eq!(serving.await.unwrap().unwrap(), Ending::Closed);
}

#[tokio::test(start_paused = true)]
async fn a_wakeup_is_ready_once_per_change_and_quiet_once_the_sender_is_gone() {
    let poll = |w: &mut Wakeup| {
        let waker = std::task::Waker::noop();
        w.poll(&mut Context::from_waker(waker)).is_ready()
    };
    let (tx, rx) = watch::channel(0);
    let mut w = Wakeup::watch(rx);
    assert!(!poll(&mut w));
    tx.send(1).unwrap();
    assert!(poll(&mut w));
    assert!(!poll(&mut w));
    tx.send(2).unwrap();
    tx.send(3).unwrap();
    assert!(poll(&mut w), "changes since the last poll count once");
    assert!(!poll(&mut w));
    drop(tx);
    assert!(!poll(&mut w));
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let mut once = Wakeup::once(async move {
        let _ = rx.await;
    });
    assert!(!poll(&mut once));
    tx.send(()).unwrap();
    assert!(poll(&mut once));
    assert!(!poll(&mut once));
    assert!(!poll(&mut Wakeup::none()));
}
