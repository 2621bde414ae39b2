//! Bounded memory, asserted with a counting allocator: a 1 GiB APPEND streams through the
//! session, a FETCH of 100,000 messages' bodies runs in a window, a SELECT of a million
//! messages costs a few bytes each, and 10,000 pipelined commands wait in bounded buffers.
//!
//! The scenarios run one after another in one test (the allocator counts the whole
//! process).

mod support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::{Buf, Bytes};
use pobox::imap::server::{Appended, Config, Event, Session, Snapshot, Transport};
use pobox::imap::server::{MessageData, MessageRequest};
use std::sync::Arc;
use support::imap::rfc3501_date;

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = CURRENT.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Starts measuring: the peak from now, above what is allocated now.
fn baseline() -> usize {
    let now = CURRENT.load(Ordering::Relaxed);
    PEAK.store(now, Ordering::Relaxed);
    now
}

fn peak_above(base: usize) -> usize {
    PEAK.load(Ordering::Relaxed).saturating_sub(base)
}

const MIB: usize = 1024 * 1024;

fn config() -> Arc<Config> {
    let mut c = Config::default();
    c.plaintext_auth_without_tls(true).max_append(u32::MAX);
    Arc::new(c)
}

/// Drains and drops the output; its length.
fn drain(session: &mut Session) -> usize {
    let t = session.transmit();
    let n = t.remaining();
    t.advance(n);
    n
}

fn logged_in() -> Session {
    let now = pobox::Instant::now();
    let mut s = Session::new(config(), Transport::Plain, [1; 16], now);
    s.feed(now, b"a LOGIN joe pw\r\n");
    while let Some(e) = s.poll_event() {
        if let Event::Login(r) = e {
            s.answer(r, Ok(()), now).unwrap();
        }
    }
    drain(&mut s);
    s
}

/// Selects a mailbox of `n` messages with contiguous UIDs; `answer` gets each message
/// request.
fn select(s: &mut Session, n: u32) {
    let now = pobox::Instant::now();
    s.feed(now, b"s SELECT INBOX\r\n");
    while let Some(e) = s.poll_event() {
        if let Event::Select(r) = e {
            let mut snapshot = Snapshot::new(1, n + 1);
            for uid in 1..=n {
                snapshot.push(uid, &[], false);
            }
            s.answer(r, Ok(snapshot), now).unwrap();
        }
    }
    drain(s);
}

fn append_one_gib() {
    let mut s = logged_in();
    let now = pobox::Instant::now();
    const SIZE: usize = 1024 * MIB;
    let piece = vec![b'x'; 64 * 1024];
    let base = baseline();
    s.feed(now, format!("b APPEND INBOX {{{SIZE}}}\r\n").as_bytes());
    let mut received = 0usize;
    let mut sent = 0usize;
    let mut done = false;
    while !done {
        while let Some(e) = s.poll_event() {
            match e {
                Event::Append(r) => s.answer(r, Ok(()), now).unwrap(),
                Event::AppendData(d) => {
                    received += d.data().len();
                    s.answer(d, Ok(()), now).unwrap();
                }
                Event::AppendCommit(c) => {
                    s.answer(
                        c,
                        Ok(Appended {
                            uid_validity: 1,
                            uid: 1,
                        }),
                        now,
                    )
                    .unwrap();
                    done = true;
                }
                other => panic!("{other:?}"),
            }
        }
        drain(&mut s);
        if sent < SIZE {
            let n = piece.len().min(SIZE - sent);
            s.feed(now, &piece[..n]);
            sent += n;
        } else if !done {
            s.feed(now, b"\r\n");
        }
    }
    assert_eq!(received, SIZE);
    let peak = peak_above(base);
    assert!(
        peak < 4 * MIB,
        "a 1 GiB APPEND peaked at {peak} bytes above the start"
    );
}

fn fetch_100_000_bodies() {
    let mut s = logged_in();
    select(&mut s, 100_000);
    let now = pobox::Instant::now();
    // The host's store: one message body shared by all (the session may not copy it).
    let body = Bytes::from(format!(
        "Subject: x\n\n{}\n",
        "a line of text\r\n".repeat(8)
    ));
    let base = baseline();
    s.feed(now, b"f FETCH 1:* (UID BODY.PEEK[])\r\n");
    let mut out = 0usize;
    let mut answered = 0u32;
    loop {
        let mut any = false;
        while let Some(e) = s.poll_event() {
            any = true;
            if let Event::Message(r) = e {
                let r: MessageRequest = r;
                let data = MessageData::new(rfc3501_date()).bytes(body.clone());
                s.answer(r, Ok(data), now).unwrap();
                answered += 1;
            }
        }
        let n = drain(&mut s);
        out += n;
        if !any && n == 0 {
            break;
        }
    }
    assert_eq!(answered, 100_000);
    assert!(out > 100_000 * body.len(), "{out}");
    let peak = peak_above(base);
    assert!(
        peak < 8 * MIB,
        "FETCH of 100,000 bodies peaked at {peak} bytes above the start"
    );
}

/// BODY[] is the whole message (RFC 3501 §6.4.5): it needs no MIME structure, so a message
/// of 20,000 parts is sent without being parsed (a parse holds a record per part: megabytes
/// here).
fn fetch_whole_multipart_message() {
    let mut s = logged_in();
    select(&mut s, 1);
    let now = pobox::Instant::now();
    let mut text = String::from("Content-Type: multipart/mixed; boundary=b\n\n");
    for i in 0..20_000 {
        text.push_str(&format!("--b\nContent-Type: text/plain\n\npart {i}\n"));
    }
    text.push_str("--b--\n");
    let body = Bytes::from(text);
    let base = baseline();
    s.feed(now, b"f FETCH 1 BODY.PEEK[]\r\n");
    let mut out = 0usize;
    loop {
        let mut any = false;
        while let Some(e) = s.poll_event() {
            any = true;
            if let Event::Message(r) = e {
                let data = MessageData::new(rfc3501_date()).bytes(body.clone());
                s.answer(r, Ok(data), now).unwrap();
            }
        }
        let n = drain(&mut s);
        out += n;
        if !any && n == 0 {
            break;
        }
    }
    assert!(out > body.len(), "{out}");
    let peak = peak_above(base);
    assert!(
        peak < 256 * 1024,
        "FETCH BODY[] of a 20,000-part message peaked at {peak} bytes above the start"
    );
}

fn select_a_million() {
    let base = baseline();
    let mut s = logged_in();
    select(&mut s, 1_000_000);
    let held = CURRENT.load(Ordering::Relaxed).saturating_sub(base);
    assert!(
        held < 4_000_000,
        "a million-message view holds {held} bytes"
    );
    let now = pobox::Instant::now();
    s.feed(now, b"u UID FETCH 999999:* (UID)\r\n");
    while s.poll_event().is_some() {}
    let t = s.transmit();
    let text = String::from_utf8(t.copy_to_bytes(t.remaining()).to_vec()).unwrap();
    assert_eq!(
        text,
        "* 999999 FETCH (UID 999999)\r\n* 1000000 FETCH (UID 1000000)\r\nu OK UID FETCH completed\r\n"
    );
}

fn ten_thousand_pipelined_commands() {
    let mut s = logged_in();
    select(&mut s, 10);
    let now = pobox::Instant::now();
    let burst = "n FETCH 1:10 (UID FLAGS UID FLAGS UID FLAGS)\r\n".repeat(10_000);
    let base = baseline();
    let mut fed = 0;
    // The host feeds only while the session wants to read, and never writes.
    while fed < burst.len() && s.wants_read() {
        let n = (burst.len() - fed).min(16 * 1024);
        s.feed(now, &burst.as_bytes()[fed..fed + n]);
        fed += n;
        while s.poll_event().is_some() {}
    }
    assert!(fed < burst.len(), "the session stopped reading");
    assert!(!s.is_closed());
    let queued = s.transmit().remaining();
    assert!(queued < 300 * 1024, "{queued} bytes queued");
    let peak = peak_above(base);
    assert!(peak < 2 * MIB, "{peak}");
    // Once the host writes, the rest runs.
    let mut answered = 0;
    loop {
        let t = s.transmit();
        let text = t.copy_to_bytes(t.remaining());
        answered += text.windows(4).filter(|w| w == b"n OK").count();
        while s.poll_event().is_some() {}
        if fed < burst.len() && s.wants_read() {
            let n = (burst.len() - fed).min(16 * 1024);
            s.feed(now, &burst.as_bytes()[fed..fed + n]);
            fed += n;
        } else if s.transmit().remaining() == 0 && fed == burst.len() {
            while s.poll_event().is_some() {}
            if s.transmit().remaining() == 0 {
                break;
            }
        }
    }
    assert_eq!(answered, 10_000);
}

#[test]
fn memory_stays_bounded() {
    for (name, scenario) in [
        ("select", select_a_million as fn()),
        ("fetch", fetch_100_000_bodies),
        ("whole multipart", fetch_whole_multipart_message),
        ("pipelined", ten_thousand_pipelined_commands),
        ("append", append_one_gib),
    ] {
        let start = std::time::Instant::now();
        scenario();
        eprintln!("{name}: {:?}", start.elapsed());
    }
}
