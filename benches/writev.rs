//! How a host should hand RETR output to a loopback TCP socket: the question behind the
//! example servers' connection driver (`examples/common/driver.rs`, BENCHMARKS.md "Side
//! by side with Dovecot").
//!
//! One iteration answers `RETR 1` with a 20 KB message stored with bare LFs (lines of
//! about 70 octets, as Maildir files written by Unix MDAs), then writes the session's
//! output to a TCP socket on 127.0.0.1 whose other end a thread drains:
//!
//! - `writev-slices`: `writev` of the output's own slices (`chunks_vectored`, up to 1,024
//!   per call): no byte copied in user space, about 580 slices (each line and its CRLF);
//! - `gather-send`: `Transmit::gather` into one reused buffer (short pieces copied, runs of
//!   1 KiB or more by reference), then one `write`: what the driver does on a socket.
//!
//! The kernel copies every byte into the socket either way; the difference is its cost per
//! slice. Run: `cargo bench --bench writev`.

use std::hint::black_box;
use std::io::{IoSlice, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use bytes::{Buf, Bytes};
use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use pobox::pop3::server::{
    Config, Event, MessageInfo, RetrieveRequest, Session, Transport, UniqueId,
};

/// About 20 KB: a header, then lines of 60 to 76 octets with LF line ends.
fn message() -> Bytes {
    let mut m = b"From: a@example.org\nTo: b@example.org\nSubject: bench\n\n".to_vec();
    let mut i = 0;
    while m.len() < 20_000 {
        let len = 60 + i % 17;
        m.extend(std::iter::repeat_n(b'a' + (i % 26) as u8, len));
        m.push(b'\n');
        i += 1;
    }
    Bytes::from(m)
}

/// A session logged in, waiting for the host to answer `RETR 1`.
fn waiting_for_retr(config: &Arc<Config>, message: &Bytes) -> (Session, RetrieveRequest) {
    let now = pobox::Instant::now();
    let mut s = Session::new(config.clone(), Transport::Tls, [1; 16], now);
    s.feed(now, b"USER alice\r\nPASS secret\r\nRETR 1\r\n");
    let Some(Event::Login(login)) = s.poll_event() else {
        panic!("no login")
    };
    let size = pobox::pop3::wire_size(message);
    let listing = vec![MessageInfo::new(size, UniqueId::new("m1").expect("uid"))];
    s.answer(login, Ok(listing), now).expect("login");
    let Some(Event::Retrieve(request)) = s.poll_event() else {
        panic!("no retrieve")
    };
    let t = s.transmit();
    let n = t.remaining();
    t.advance(n);
    (s, request)
}

/// A connected loopback pair whose receiving end a thread drains until EOF.
fn socket() -> TcpStream {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = listener.local_addr().expect("address");
    std::thread::spawn(move || {
        let mut peer = TcpStream::connect(address).expect("connect");
        let mut buf = vec![0u8; 256 * 1024];
        while peer.read(&mut buf).is_ok_and(|n| n > 0) {}
    });
    let (stream, _) = listener.accept().expect("accept");
    stream.set_nodelay(true).expect("nodelay");
    stream
}

fn bench_writev(c: &mut Criterion) {
    let mut g = c.benchmark_group("loopback");
    g.measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_millis(500));
    let config = Arc::new(Config::default());
    let message = message();
    g.throughput(Throughput::Bytes(message.len() as u64));
    let mut stream = socket();
    g.bench_function(BenchmarkId::new("writev-slices", "20KB-lf"), |b| {
        b.iter_batched(
            || waiting_for_retr(&config, &message),
            |(mut session, request)| {
                let now = pobox::Instant::now();
                session
                    .answer(request, Ok(message.clone()), now)
                    .expect("pending");
                let t = session.transmit();
                while t.has_remaining() {
                    let mut slices = [IoSlice::new(&[]); 1024];
                    let n = t.chunks_vectored(&mut slices);
                    let written = stream.write_vectored(&slices[..n]).expect("writev");
                    t.advance(written);
                }
                session
            },
            BatchSize::SmallInput,
        )
    });
    let mut buf = Vec::with_capacity(64 * 1024);
    g.bench_function(BenchmarkId::new("gather-send", "20KB-lf"), |b| {
        b.iter_batched(
            || waiting_for_retr(&config, &message),
            |(mut session, request)| {
                let now = pobox::Instant::now();
                session
                    .answer(request, Ok(message.clone()), now)
                    .expect("pending");
                let t = session.transmit();
                while t.has_remaining() {
                    buf.clear();
                    t.gather(&mut buf, 64 * 1024, 1024);
                    if buf.is_empty() {
                        let shared = t.next_bytes().expect("a long piece");
                        stream.write_all(&shared).expect("write");
                    }
                    stream.write_all(black_box(&buf)).expect("write");
                }
                session
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

criterion_group!(benches, bench_writev);
criterion_main!(benches);
