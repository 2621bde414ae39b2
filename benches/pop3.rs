//! POP3 benchmarks (issue 5): command parsing, and RETR of a 1 MiB message with many
//! '.'-leading lines and bare LFs beside `memcpy/1MiB`, the physical baseline.
//!
//! `retr/1MiB` measures what a host does: `session.answer` with the message's `Bytes`,
//! then draining `transmit()` into a `Vec` (the host's write; `chunk`/`advance` as
//! `write_all_buf` does). `memcpy/1MiB` copies the same message into the same `Vec`. The
//! `Vec` is reused (cleared) in both, so neither pays page faults. Both have
//! Throughput::Bytes of the message length; the session's setup (login, RETR) is not timed,
//! and the session is dropped outside the timing.
//!
//! `retr-gather/1MiB` drains the same output with `Transmit::gather` (short runs copied
//! in one loop, long ones by reference), as the example servers' connection driver does.
//!
//! Run: `cargo bench --bench pop3`. See BENCHMARKS.md for the numbers.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Buf, Bytes};
use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use pobox::pop3::command::parse_command;
use pobox::pop3::server::{
    Config, Event, MessageInfo, RetrieveRequest, Session, Transport, UniqueId,
};

/// 1 MiB of 64-octet lines; with `edits`, every fourth line starts with '.' and every
/// other line ends in a bare LF (about 16,000 lines and 12,000 inserts); without, CRLF lines
/// and no dots (nothing to insert: the case of a store that keeps CRLF).
fn message(edits: bool) -> Bytes {
    let mut m = Vec::with_capacity(1 << 20);
    let mut i = 0usize;
    while m.len() < (1 << 20) - 64 {
        if edits && i % 4 == 0 {
            m.push(b'.');
        }
        while m.len() % 64 < 61 {
            m.push(b'a' + (i % 26) as u8);
        }
        if !edits || i % 2 == 0 {
            m.extend_from_slice(b"\r\n");
        } else {
            m.push(b'\n');
        }
        i += 1;
    }
    m.resize(1 << 20, b'z');
    Bytes::from(m)
}

/// A session logged in, waiting for the host to answer `RETR 1`.
fn waiting_for_retr(config: &Arc<Config>, message: &Bytes) -> (Session, RetrieveRequest) {
    let now = pobox::Instant::now();
    let mut s = Session::new(config.clone(), Transport::Tls, [1; 16], now);
    s.feed(now, b"USER alice\r\nPASS secret\r\n");
    let Some(Event::Login(login)) = s.poll_event() else {
        panic!("no login")
    };
    let listing = vec![MessageInfo::new(
        pobox::pop3::wire_size(message),
        UniqueId::new("m1").expect("uid"),
    )];
    s.answer(login, Ok(listing), now).expect("login");
    s.feed(now, b"RETR 1\r\n");
    let Some(Event::Retrieve(request)) = s.poll_event() else {
        panic!("no retrieve")
    };
    let t = s.transmit();
    let n = t.remaining();
    t.advance(n);
    (s, request)
}

fn bench_retr(c: &mut Criterion) {
    let mut g = c.benchmark_group("pop3");
    g.measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_millis(500));
    let config = Arc::new(Config::default());
    let mut out = Vec::<u8>::with_capacity(2 << 20);
    for (name, message) in [
        ("1MiB", message(true)),
        ("1MiB-crlf-no-dots", message(false)),
    ] {
        let wire_len = {
            let (mut s, r) = waiting_for_retr(&config, &message);
            s.answer(r, Ok(message.clone()), pobox::Instant::now())
                .expect("pending");
            s.transmit().remaining()
        };
        g.throughput(Throughput::Bytes(message.len() as u64));
        // One output buffer, reused (cleared, capacity kept): the copy into warm memory, as
        // into a socket buffer, without page faults in either measurement.
        g.bench_function(BenchmarkId::new("retr", name), |b| {
            b.iter_batched(
                || waiting_for_retr(&config, &message),
                |(mut session, request)| {
                    out.clear();
                    let now = pobox::Instant::now();
                    session
                        .answer(request, Ok(message.clone()), now)
                        .expect("pending");
                    let t = session.transmit();
                    while t.has_remaining() {
                        let chunk = t.chunk();
                        out.extend_from_slice(chunk);
                        let n = chunk.len();
                        t.advance(n);
                    }
                    black_box(&out);
                    session
                },
                BatchSize::SmallInput,
            )
        });
        // (Empty when a filter skipped this benchmark.)
        assert!(out.is_empty() || out.len() == wire_len);
        out.clear();
        // The same, drained with `Transmit::gather` as the example servers' driver does
        // on a socket: runs under 1 KiB copied in one loop, longer ones taken by reference
        // (`next_bytes`, then copied here as the kernel would).
        g.bench_function(BenchmarkId::new("retr-gather", name), |b| {
            b.iter_batched(
                || waiting_for_retr(&config, &message),
                |(mut session, request)| {
                    out.clear();
                    let now = pobox::Instant::now();
                    session
                        .answer(request, Ok(message.clone()), now)
                        .expect("pending");
                    let t = session.transmit();
                    while t.has_remaining() {
                        t.gather(&mut out, usize::MAX, 1024);
                        if let Some(shared) = t.next_bytes() {
                            out.extend_from_slice(&shared);
                        }
                    }
                    black_box(&out);
                    session
                },
                BatchSize::SmallInput,
            )
        });
        assert!(out.is_empty() || out.len() == wire_len);
        out.clear();
    }
    let message = message(true);
    g.throughput(Throughput::Bytes(message.len() as u64));
    g.bench_function(BenchmarkId::new("memcpy", "1MiB"), |b| {
        b.iter(|| {
            out.clear();
            out.extend_from_slice(black_box(&message));
            black_box(&out);
        })
    });
    g.finish();
}

fn bench_parse(c: &mut Criterion) {
    let mut g = c.benchmark_group("pop3");
    g.measurement_time(Duration::from_secs(2))
        .warm_up_time(Duration::from_millis(500));
    let inputs: [(&str, &[u8]); 5] = [
        ("stat", b"STAT\r\n"),
        ("retr", b"RETR 1234\r\n"),
        ("top", b"TOP 17 20\r\n"),
        ("user", b"USER alice@example.org\r\n"),
        (
            "rfc1939_10_session",
            b"APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\nSTAT\r\nLIST\r\nRETR 1\r\nDELE 1\r\nRETR 2\r\nDELE 2\r\nQUIT\r\n",
        ),
    ];
    for (name, input) in inputs {
        g.throughput(Throughput::Bytes(input.len() as u64));
        g.bench_function(BenchmarkId::new("parse", name), |b| {
            b.iter(|| {
                let mut rest = black_box(input);
                while !rest.is_empty() {
                    match parse_command(rest) {
                        Ok(pobox::Status::Complete((n, cmd))) => {
                            black_box(cmd);
                            rest = &rest[n..];
                        }
                        other => panic!("{other:?}"),
                    }
                }
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench_retr, bench_parse);
criterion_main!(benches);
