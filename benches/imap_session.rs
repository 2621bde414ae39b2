//! IMAP server session benchmarks (issue 9): the session alone, driven by a minimal host in
//! this file (no store, no I/O: every request is answered at once from memory).
//!
//! What one iteration does:
//! - `uid_fetch_flags/100k`: `a UID FETCH 1:* (UID FLAGS)` fed to a session that has a
//!   100,000-message mailbox selected; the whole command runs (100,000 `* n FETCH (UID n
//!   FLAGS (...))` lines and the tagged OK) and its output is drained into a reused `Vec`
//!   (`chunk`/`advance`, as `write_all_buf` does). Throughput: messages.
//! - `fetch_body/1MiB-lf`, `fetch_body/1MiB-crlf`: `a FETCH n BODY.PEEK[]` fed, the host
//!   answers the message request with the message's `Bytes` and its size, the response
//!   (`* n FETCH (BODY[] {1048576+}` + the body in its CRLF wire form + `)`) and the tagged OK
//!   are drained into a reused `Vec`. The message is 1 MiB of 64-octet lines ending in bare
//!   LF (about 16,000 CRs to insert) or in CRLF (nothing to insert). Throughput: the
//!   message's octets. `memcpy/1MiB` copies the same message into the same `Vec`, the
//!   physical baseline (as `benches/pop3.rs` does for RETR).
//! - `select/1M`: `a SELECT INBOX` fed to a logged-in session, the host builds the
//!   1,000,000-message `Snapshot` (`Snapshot::push` per message: UIDs 1 to 1,000,000, most
//!   `\Seen`, some `\Flagged`, one in ten unseen, the last 100 `\Recent`) and answers, and the
//!   session's output (FLAGS, EXISTS, RECENT, UNSEEN, PERMANENTFLAGS, UIDNEXT, UIDVALIDITY,
//!   the tagged OK) is drained. The fresh session is made outside the timing and dropped
//!   outside it. Throughput: messages.
//!
//! Run: `cargo bench --bench imap_session`. See BENCHMARKS.md for the numbers.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Buf, Bytes};
use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use pobox::Instant;
use pobox::imap::server::{Config, Event, MessageData, Session, Snapshot, Transport};
use pobox::imap::{Date, DateTime, Flag};

/// 1 MiB: a header, then 64-octet lines ending in a bare LF (`crlf == false`) or in CRLF.
fn message(crlf: bool) -> Bytes {
    let mut m = Vec::with_capacity(1 << 20);
    m.extend_from_slice(if crlf {
        b"From: bench@example.org\r\nSubject: one MiB\r\n\r\n"
    } else {
        b"From: bench@example.org\nSubject: one MiB\n\n"
    });
    let mut i = 0usize;
    while m.len() < (1 << 20) - 64 {
        let end = if crlf { 62 } else { 63 };
        let start = m.len();
        while m.len() - start < end {
            m.push(b'a' + ((i + m.len()) % 26) as u8);
        }
        m.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
        i += 1;
    }
    while m.len() < (1 << 20) - 2 {
        m.push(b'z');
    }
    m.extend_from_slice(if crlf { b"\r\n" } else { b"z\n" });
    assert_eq!(m.len(), 1 << 20);
    Bytes::from(m)
}

/// The size a client sees (each bare LF counted as CRLF).
fn wire_size(m: &[u8]) -> u32 {
    let bare = m
        .iter()
        .enumerate()
        .filter(|&(i, &b)| b == b'\n' && (i == 0 || m[i - 1] != b'\r'))
        .count();
    (m.len() + bare) as u32
}

fn date() -> DateTime {
    let day = Date::new(2024, 5, 17).expect("date");
    DateTime::new(day, 10, 0, 0, 0).expect("date-time")
}

/// A session over TLS, logged in.
fn logged_in(config: &Arc<Config>) -> Session {
    let now = Instant::now();
    let mut s = Session::new(config.clone(), Transport::Tls, [3; 16], now);
    s.feed(now, b"a LOGIN bench secret\r\n");
    let Some(Event::Login(login)) = s.poll_event() else {
        panic!("no login request");
    };
    s.answer(login, Ok(()), now).expect("login pending");
    discard(&mut s);
    s
}

/// A mailbox of `n` messages, UIDs 1 to n: flags from three shared lists, the last 100
/// `\Recent`.
fn snapshot(n: u32) -> Snapshot {
    let seen = [Flag::Seen];
    let seen_flagged = [Flag::Seen, Flag::Flagged];
    let mut s = Snapshot::new(1_700_000_000, n + 1);
    for uid in 1..=n {
        let flags: &[Flag] = match uid % 10 {
            0 => &[],
            5 => &seen_flagged,
            _ => &seen,
        };
        s.push(uid, flags, uid + 100 > n);
    }
    s
}

/// Feeds SELECT and answers it with `snapshot`; the output is left queued.
fn select(s: &mut Session, snapshot: Snapshot) {
    let now = Instant::now();
    s.feed(now, b"a SELECT INBOX\r\n");
    loop {
        match s.poll_event() {
            Some(Event::Select(request)) => {
                s.answer(request, Ok(snapshot), now)
                    .expect("select pending");
                return;
            }
            Some(Event::Unselected) => {}
            other => panic!("{other:?}"),
        }
    }
}

/// Throws the queued output away.
fn discard(s: &mut Session) {
    let t = s.transmit();
    let n = t.remaining();
    t.advance(n);
}

/// Writes the output into `out` as a host does (`chunk`/`advance`), letting the session go
/// on producing as the output drains, until it has nothing more; answers message requests
/// with `messages[uid - 1]`.
fn drain(s: &mut Session, out: &mut Vec<u8>, messages: &[(Bytes, u32)]) {
    let now = Instant::now();
    loop {
        while let Some(event) = s.poll_event() {
            match event {
                Event::Message(request) => {
                    let (bytes, size) = &messages[request.uid() as usize - 1];
                    let data = MessageData::new(date()).bytes(bytes.clone()).size(*size);
                    s.answer(request, Ok(data), now).expect("message pending");
                }
                Event::Unselected => {}
                other => panic!("unexpected {other:?}"),
            }
        }
        let t = s.transmit();
        if !t.has_remaining() {
            return;
        }
        while t.has_remaining() {
            let chunk = t.chunk();
            out.extend_from_slice(chunk);
            let n = chunk.len();
            t.advance(n);
        }
    }
}

fn bench_uid_fetch(c: &mut Criterion) {
    let mut g = c.benchmark_group("imap_session");
    g.measurement_time(Duration::from_secs(5))
        .warm_up_time(Duration::from_secs(1))
        .sample_size(30);
    let config = Arc::new(Config::default());
    let n = 100_000;
    let mut s = logged_in(&config);
    select(&mut s, snapshot(n));
    discard(&mut s);
    let mut out = Vec::with_capacity(8 << 20);
    g.throughput(Throughput::Elements(u64::from(n)));
    g.bench_function(BenchmarkId::new("uid_fetch_flags", "100k"), |b| {
        b.iter(|| {
            out.clear();
            s.feed(Instant::now(), b"a UID FETCH 1:* (UID FLAGS)\r\n");
            drain(&mut s, &mut out, &[]);
            black_box(&out);
        })
    });
    if !out.is_empty() {
        assert!(out.ends_with(b"a OK UID FETCH completed\r\n"));
        assert!(out.starts_with(b"* 1 FETCH (UID 1 FLAGS (\\Seen))\r\n"));
        let lines = out.iter().filter(|&&b| b == b'\n').count();
        assert_eq!(lines, n as usize + 1);
    }
    g.finish();
}

fn bench_fetch_body(c: &mut Criterion) {
    let mut g = c.benchmark_group("imap_session");
    g.measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_millis(500));
    let config = Arc::new(Config::default());
    let lf = message(false);
    let crlf = message(true);
    let messages = [
        (lf.clone(), wire_size(&lf)),
        (crlf.clone(), wire_size(&crlf)),
    ];
    let mut s = logged_in(&config);
    let mut two = Snapshot::new(1, 3);
    two.push(1, &[Flag::Seen], false)
        .push(2, &[Flag::Seen], false);
    select(&mut s, two);
    discard(&mut s);
    let mut out = Vec::<u8>::with_capacity(2 << 20);
    for (name, seq, size) in [
        ("1MiB-lf", 1u32, messages[0].1),
        ("1MiB-crlf", 2, messages[1].1),
    ] {
        let command = format!("a FETCH {seq} BODY.PEEK[]\r\n");
        g.throughput(Throughput::Bytes(1 << 20));
        g.bench_function(BenchmarkId::new("fetch_body", name), |b| {
            b.iter(|| {
                out.clear();
                s.feed(Instant::now(), command.as_bytes());
                drain(&mut s, &mut out, &messages);
                black_box(&out);
            })
        });
        if !out.is_empty() {
            let head = format!("* {seq} FETCH (BODY[] {{{size}}}\r\n");
            assert!(out.starts_with(head.as_bytes()), "{:?}", &out[..40]);
            assert!(out.ends_with(b")\r\na OK FETCH completed\r\n"));
            assert_eq!(out.len(), head.len() + size as usize + 25);
        }
        out.clear();
    }
    g.throughput(Throughput::Bytes(1 << 20));
    g.bench_function(BenchmarkId::new("memcpy", "1MiB"), |b| {
        b.iter(|| {
            out.clear();
            out.extend_from_slice(black_box(&lf));
            black_box(&out);
        })
    });
    g.finish();
}

fn bench_select(c: &mut Criterion) {
    let mut g = c.benchmark_group("imap_session");
    g.measurement_time(Duration::from_secs(8))
        .warm_up_time(Duration::from_secs(1))
        .sample_size(20);
    let config = Arc::new(Config::default());
    let n = 1_000_000;
    let mut out = Vec::with_capacity(4096);
    g.throughput(Throughput::Elements(u64::from(n)));
    g.bench_function(BenchmarkId::new("select", "1M"), |b| {
        b.iter_batched(
            || logged_in(&config),
            |mut s| {
                out.clear();
                select(&mut s, snapshot(n));
                drain(&mut s, &mut out, &[]);
                black_box(&out);
                s
            },
            BatchSize::PerIteration,
        )
    });
    if !out.is_empty() {
        let text = String::from_utf8_lossy(&out);
        assert!(text.contains("* 1000000 EXISTS\r\n"), "{text}");
        assert!(text.contains("* 100 RECENT\r\n"), "{text}");
        assert!(text.contains("[UNSEEN 10]"), "{text}");
        assert!(
            text.ends_with("a OK [READ-WRITE] SELECT completed\r\n"),
            "{text}"
        );
    }
    g.finish();
}

criterion_group!(benches, bench_uid_fetch, bench_fetch_body, bench_select);
criterion_main!(benches);
