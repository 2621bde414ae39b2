//! The fuzz harness functions, shared by the cargo-fuzz targets (`fuzz/fuzz_targets/*.rs`)
//! and by the replay test (`tests/fuzz_replay.rs`), which runs every file of
//! `fuzz/corpus/<target>/` and `fuzz/artifacts/<target>/` through the same function without a
//! fuzzer. Only pobox's public API is used.
//!
//! Each function panics (an assertion) when an invariant breaks; returning means the input is
//! fine. [`run`] maps a target name to its function.
#![allow(dead_code)]

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use arbitrary::{Result as AResult, Unstructured};
use bytes::{Buf, Bytes};
use pobox::Status;
use pobox::imap::{self, Frame, Framer, Limits};
use pobox::pop3::command as pop3c;
use pobox::pop3::response as pop3r;
use pobox::pop3::server::{
    CommitError, Config, Event, LoginRejection, MessageInfo, RetrieveError, Session, Transport,
    UniqueId,
};

/// The in-memory IMAP host of the session tests (store, answers), reused as it is.
#[path = "../tests/support/imap.rs"]
mod imap_host;

pub use imap_session_check::imap_session;

/// Every target, in the order of issue 5, then issue 9's.
pub const TARGETS: &[&str] = &[
    "pop3_command",
    "pop3_response",
    "pop3_session",
    "imap_command",
    "imap_response",
    "imap_greeting",
    "imap_roundtrip",
    "imap_value_roundtrip",
    "mutf7",
    "imap_session",
];

/// Runs the harness of `target` on `data`; `false` for an unknown target name.
pub fn run(target: &str, data: &[u8]) -> bool {
    match target {
        "pop3_command" => pop3_command(data),
        "pop3_response" => pop3_response(data),
        "pop3_session" => pop3_session(data),
        "imap_command" => imap_command(data),
        "imap_response" => imap_response(data),
        "imap_greeting" => imap_greeting(data),
        "imap_roundtrip" => imap_roundtrip(data),
        "imap_value_roundtrip" => imap_value_roundtrip(data),
        "mutf7" => mutf7(data),
        "imap_session" => imap_session(data),
        _ => return false,
    }
    true
}

fn esc(b: &[u8]) -> String {
    b.escape_ascii().to_string()
}

// ---- POP3 codec ------------------------------------------------------------------------

/// POP3 command parsing: no panic; what parses re-encodes to a line that parses to the same
/// command; framing and SASL lines never read past the input.
pub fn pop3_command(data: &[u8]) {
    match pop3c::parse_command(data) {
        Ok(Status::Complete((n, command))) => {
            assert!(n <= data.len() && data[..n].ends_with(b"\n"));
            let mut wire = Vec::new();
            // Encoding refuses arguments a client could not send (e.g. a name with a space);
            // what it writes must parse back to the same command.
            if command.encode(&mut wire).is_ok() {
                assert!(wire.ends_with(b"\r\n"));
                assert_eq!(
                    wire.iter().filter(|&&b| b == b'\n').count(),
                    1,
                    "one line: {}",
                    esc(&wire)
                );
                let again = pop3c::parse_command_line(&wire)
                    .unwrap_or_else(|e| panic!("{} re-parse failed: {e}", esc(&wire)));
                assert_eq!(again, command, "{}", esc(&wire));
            }
        }
        Ok(Status::Partial) => assert!(!data.contains(&b'\n')),
        Err(_) => {}
    }
    if let Status::Complete(n) = pop3c::frame_line(data) {
        assert!(n <= data.len());
        let _ = pop3c::parse_sasl_response(&data[..n]);
    }
    let _ = pop3c::parse_command_line(data);
}

/// POP3 response parsing (client side), and the server's byte-stuffing of arbitrary message
/// bytes: the stuffed form is a valid multi-line body that unstuffs to the message with CRLF
/// line ends, `wire_size` is its exact size, and the `Buf` view, `chunks_vectored` and
/// `next_bytes` agree.
pub fn pop3_response(data: &[u8]) {
    if let Ok(Status::Complete((n, line))) = pop3r::parse_response_line(data) {
        assert!(n <= data.len());
        let _ = line.timestamp();
        let _ = pop3r::parse_multiline(&data[n..]);
    }
    if let Status::Complete((n, body)) = pop3r::parse_multiline(data) {
        assert!(n <= data.len() && body.len() <= n);
        let _ = pop3r::parse_capabilities(&body);
    }
    // Stuffing: the message is the input itself.
    let message = Bytes::copy_from_slice(data);
    let wire = stuffed_wire(message.clone());
    check_multiline_block(&wire);
    let body = pobox::pop3::multiline::unstuff(&wire).expect("stuffed body is terminated");
    assert_eq!(body, crlf_normalised(data), "unstuffed body differs");
    assert_eq!(
        pobox::pop3::wire_size(data),
        body.len() as u64,
        "wire_size differs from what is sent"
    );
    // The other two views of the same output.
    let mut s = pobox::pop3::multiline::Stuffed::new(message.clone());
    let mut by_bytes = Vec::new();
    while let Some(b) = s.next_bytes() {
        by_bytes.extend_from_slice(&b);
    }
    assert_eq!(by_bytes, wire);
    let mut s = pobox::pop3::multiline::Stuffed::new(message);
    let mut vectored = Vec::new();
    while s.has_remaining() {
        let mut slices = [std::io::IoSlice::new(&[]); 7];
        let k = s.chunks_vectored(&mut slices);
        assert!(k > 0, "chunks_vectored gave nothing with bytes remaining");
        let mut taken = 0;
        for sl in &slices[..k] {
            vectored.extend_from_slice(sl);
            taken += sl.len();
        }
        s.advance(taken);
    }
    assert_eq!(vectored, wire);
}

fn stuffed_wire(message: Bytes) -> Vec<u8> {
    let mut s = pobox::pop3::multiline::Stuffed::new(message);
    let mut out = Vec::with_capacity(s.remaining());
    while s.has_remaining() {
        let c = s.chunk();
        assert!(!c.is_empty(), "empty chunk with bytes remaining");
        out.extend_from_slice(c);
        let n = c.len();
        s.advance(n);
    }
    out
}

/// What a client receives for `message` (before stuffing): every bare LF becomes CRLF, and a
/// last line without a line end gets one (a trailing CR gets its LF). Written independently
/// of pobox.
fn crlf_normalised(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + 16);
    for (i, &b) in message.iter().enumerate() {
        if b == b'\n' && (i == 0 || message[i - 1] != b'\r') {
            out.push(b'\r');
        }
        out.push(b);
    }
    match out.last() {
        None | Some(b'\n') => {}
        Some(b'\r') => out.push(b'\n'),
        Some(_) => out.extend_from_slice(b"\r\n"),
    }
    out
}

/// An independent check of one multi-line body, terminator included (RFC 1939 §3): CRLF
/// lines only, every line starting with "." is stuffed, and the block ends at the first
/// ".CRLF", which is its last line.
fn check_multiline_block(block: &[u8]) {
    assert!(block.ends_with(b".\r\n"), "unterminated: {}", esc(block));
    let mut lines = Vec::new();
    let mut start = 0;
    for (i, &b) in block.iter().enumerate() {
        if b == b'\n' {
            assert!(
                i > 0 && block[i - 1] == b'\r',
                "bare LF at {i}: {}",
                esc(block)
            );
            lines.push(&block[start..=i]);
            start = i + 1;
        }
    }
    assert_eq!(start, block.len());
    let (last, body) = lines.split_last().expect("at least the terminator");
    assert_eq!(*last, b".\r\n");
    for line in body {
        assert!(
            !line.starts_with(b".") || line.starts_with(b".."),
            "unstuffed dot line {}",
            esc(line)
        );
        assert_ne!(*line, b".\r\n", "early terminator");
    }
}

// ---- POP3 session ----------------------------------------------------------------------

/// A tiny deterministic generator (xorshift64*) driven by the input, for chunk sizes, host
/// decisions and time steps.
struct Rng(u64);

impl Rng {
    fn new(seed: &[u8]) -> Rng {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for &b in seed {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        Rng(h | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// The fake host's maildrop: dot-leading lines, bare LFs, a message without a final line
/// end, one ending in a bare CR, an empty one. No line starts with "+" or "-", so the output
/// check below can tell status lines from body lines.
const MESSAGES: &[&[u8]] = &[
    b"Subject: one\r\n\r\nbody one\r\n",
    b"Subject: dots\n\n.leading dot\n..two dots\n.\nlast line without end",
    b"From: a@b\r\n\r\n.\r\n.\r\n",
    b"\n\n\n",
    b"",
    b".",
    b"Subject: cr\r\n\r\nends in a bare CR\r",
    b"X: y\nZ: w\n\nline 1\nline 2\r\nline 3\n.line 4\n",
];

/// A POP3 session fed the input in pieces, with a fake host that answers every event.
///
/// Input layout: byte 0 picks the configuration (transport, STLS, APOP, mechanisms, limits);
/// the rest is the client's bytes. A generator seeded from the whole input chooses the piece
/// sizes, the host's answers (accept, reject, late, never), whether the client reads its
/// output (backpressure), and time steps that fire the failed-login delay, the host timeout
/// and the autologout.
///
/// Checks: no panic; every output byte is valid POP3 (see `check_pop3_output`); each RETR
/// body is the host's message; `transmit().remaining()` never passes
/// `max_buffered_output` plus one reply; feeding while `wants_read()` is false closes the
/// session; nothing is answered after the close.
pub fn pop3_session(data: &[u8]) {
    let Some((&flags, client)) = data.split_first() else {
        return;
    };
    let mut rng = Rng::new(data);
    let mut config = Config::default();
    config
        .plaintext_auth_without_tls(flags & 1 != 0)
        .stls(flags & 2 != 0)
        .apop(flags & 4 != 0)
        .max_buffered_output(4096)
        .max_buffered_input(1024)
        .max_bad_commands(
            if flags & 8 != 0 { 3 } else { 1000 },
            if flags & 8 != 0 { 20 } else { 1000 },
        )
        .max_auth_failures(if flags & 16 != 0 { 1 } else { 1000 });
    if flags & 32 != 0 {
        use pobox::sasl::Mechanism;
        config.mechanisms(&[Mechanism::Plain, Mechanism::Login, Mechanism::CramMd5]);
    }
    let transport = if flags & 64 != 0 {
        Transport::Tls
    } else {
        Transport::Plain
    };
    let max_out = 4096usize;
    let largest_message = MESSAGES.iter().map(|m| m.len() * 2 + 8).max().unwrap_or(0);
    // One reply past the output limit: a message, a listing, CAPA or a status line.
    let bound = max_out + largest_message + 4096;
    let base = pobox::Instant::now();
    let mut now = base;
    let mut session = Session::new(Arc::new(config), transport, [7; 16], now);
    let listing: Vec<MessageInfo> = MESSAGES
        .iter()
        .enumerate()
        .map(|(i, m)| {
            MessageInfo::new(
                pobox::pop3::wire_size(m),
                UniqueId::new(format!("uid-{i}")).expect("valid uid"),
            )
        })
        .collect();

    let mut wire = Vec::new();
    let mut expected_bodies: Vec<Vec<u8>> = Vec::new();
    let mut held: Vec<Event> = Vec::new();
    let mut tls_pending = false;
    let mut closed = false;
    // Feeds made while wants_read() was false since the host last acted.
    let mut blocked_feeds = 0u32;
    let mut rest = client;
    let mut steps = 0;
    loop {
        steps += 1;
        assert!(steps < 100_000, "the session does not make progress");
        // The host answers (or holds) events.
        while let Some(event) = session.poll_event() {
            assert!(!closed, "event after Closed: {event:?}");
            if let Event::Closed(_) = event {
                closed = true;
                continue;
            }
            if let Event::StartTls(_) = event {
                // Input is discarded until the handshake is done, whatever wants_read says.
                tls_pending = true;
            }
            if rng.chance(10) {
                held.push(event);
            } else {
                answer(
                    &mut session,
                    event,
                    &mut rng,
                    now,
                    &listing,
                    &mut expected_bodies,
                    &mut tls_pending,
                );
                blocked_feeds = 0;
            }
        }
        if !held.is_empty() && rng.chance(30) {
            let event = held.remove(0);
            answer(
                &mut session,
                event,
                &mut rng,
                now,
                &listing,
                &mut expected_bodies,
                &mut tls_pending,
            );
            blocked_feeds = 0;
        }
        let remaining = session.transmit().remaining();
        assert!(
            remaining <= bound,
            "output not bounded: {remaining} > {bound}"
        );
        // The client reads its output, or not (backpressure).
        if (rng.chance(70) || rest.is_empty()) && drain(&mut session, &mut wire) {
            blocked_feeds = 0;
        }
        if rest.is_empty() && held.is_empty() {
            // Let every timer run out, answering whatever comes.
            match session.poll_timeout() {
                Some(at) if steps < 99_000 => {
                    now = now.max(at);
                    session.handle_timeout(now);
                    continue;
                }
                _ => {}
            }
            while let Some(event) = session.poll_event() {
                assert!(
                    !closed || !matches!(event, Event::Closed(_)),
                    "two Closed events"
                );
            }
            drain(&mut session, &mut wire);
            break;
        }
        // Time passes: nothing, a little, past the failed-login delay, past the host
        // timeout, or past the autologout.
        let step = match rng.below(400) {
            0..=279 => Duration::ZERO,
            280..=339 => Duration::from_millis(300),
            340..=389 => Duration::from_secs(3),
            390..=398 => Duration::from_secs(61),
            _ => Duration::from_secs(601),
        };
        if !step.is_zero() {
            now += step;
            session.handle_timeout(now);
            blocked_feeds = 0;
        }
        if rest.is_empty() {
            continue;
        }
        let piece = match rng.below(4) {
            0 => 1,
            1 => 1 + rng.below(8) as usize,
            2 => 1 + rng.below(64) as usize,
            _ => rest.len(),
        }
        .min(rest.len());
        let (chunk, tail) = rest.split_at(piece);
        let was_open = !session.is_closed();
        let wanted = session.wants_read();
        // A well-behaved host reads only while wants_read; sometimes it does not behave.
        if wanted || rng.chance(20) {
            session.feed(now, chunk);
            rest = tail;
            // The first feed while !wants_read() may still make room (it runs queued
            // commands first); a second one with no host action in between cannot, and
            // must close the session: input stays within max_buffered_input plus one feed.
            if wanted {
                blocked_feeds = 0;
            } else {
                blocked_feeds += 1;
            }
            if was_open && blocked_feeds >= 2 && !tls_pending {
                assert!(
                    session.is_closed(),
                    "feeding twice while wants_read() is false must close the session"
                );
            }
        } else if !held.is_empty() {
            let event = held.remove(0);
            answer(
                &mut session,
                event,
                &mut rng,
                now,
                &listing,
                &mut expected_bodies,
                &mut tls_pending,
            );
            blocked_feeds = 0;
        } else {
            // The client is not reading: make room.
            drain(&mut session, &mut wire);
            blocked_feeds = 0;
            if !session.wants_read() {
                match session.poll_timeout() {
                    None => break,
                    Some(at) => {
                        now = now.max(at);
                        session.handle_timeout(now);
                    }
                }
            }
        }
    }
    assert_eq!(session.transmit().remaining(), 0);
    check_pop3_output(&wire, &expected_bodies);
}

/// Writes out the session's output; `true` when there was some.
fn drain(session: &mut Session, wire: &mut Vec<u8>) -> bool {
    let t = session.transmit();
    let any = t.has_remaining();
    while t.has_remaining() {
        let c = t.chunk();
        assert!(!c.is_empty(), "empty chunk with bytes remaining");
        wire.extend_from_slice(c);
        let n = c.len();
        t.advance(n);
    }
    any
}

#[allow(clippy::too_many_arguments)]
fn answer(
    session: &mut Session,
    event: Event,
    rng: &mut Rng,
    now: pobox::Instant,
    listing: &[MessageInfo],
    expected_bodies: &mut Vec<Vec<u8>>,
    tls_pending: &mut bool,
) {
    // Answers may come too late (the session answered for the host already): the request
    // then comes back in an AnswerError, which is fine.
    match event {
        Event::Login(request) => {
            let _ = request.credentials().verify(b"secret");
            let _ = request.user();
            let verdict = match rng.below(10) {
                0..=6 => Ok(listing.to_vec()),
                7 => Err(LoginRejection::BadCredentials),
                8 => Err(LoginRejection::InUse),
                _ => Err(LoginRejection::SysTemp),
            };
            let _ = session.answer(request, verdict, now);
        }
        Event::Retrieve(request) => {
            let Some(message) = MESSAGES.get(request.index()) else {
                panic!("retrieve of index {} outside the listing", request.index());
            };
            if rng.chance(85) {
                let message = Bytes::from_static(message);
                let expected = match request.top_lines() {
                    None => Some(crlf_normalised(&message)),
                    Some(_) => None,
                };
                if session.answer(request, Ok(message), now).is_ok() {
                    if let Some(e) = expected {
                        expected_bodies.push(e);
                    }
                }
            } else {
                let _ = session.answer(request, Err(RetrieveError::Unavailable), now);
            }
        }
        Event::Commit(request) => {
            let outcome = if rng.chance(80) {
                Ok(())
            } else {
                Err(CommitError::NotAllRemoved)
            };
            let _ = session.answer(request, outcome, now);
        }
        // Or never: the host timeout then closes the session.
        Event::StartTls(request) if rng.chance(80) => {
            // Refused only when the session already gave up (and closed).
            let answered = session.answer(request, (), now).is_ok();
            *tls_pending &= !answered;
        }
        Event::Closed(_) => {}
        _ => {}
    }
}

/// Checks the whole output of a session: CRLF lines; status lines (`+OK`, `-ERR`, `+ `) of at
/// most 512 octets that pobox's client parser reads back; every other line inside a multi-line
/// block that a `+OK` opened and a `.` line closed, dot-stuffed; each block readable by
/// `parse_multiline`; and the RETR bodies are the host's messages, in order.
fn check_pop3_output(wire: &[u8], expected_bodies: &[Vec<u8>]) {
    if wire.is_empty() {
        return;
    }
    assert!(
        wire.ends_with(b"\r\n"),
        "output ends mid-line: {}",
        esc(wire)
    );
    let mut pos = 0;
    let mut first = true;
    let mut retr_bodies = Vec::new();
    while pos < wire.len() {
        let lf = pos
            + wire[pos..]
                .iter()
                .position(|&b| b == b'\n')
                .expect("ends in LF");
        let line = &wire[pos..=lf];
        assert!(
            line.len() >= 2 && line[line.len() - 2] == b'\r',
            "bare LF: {}",
            esc(line)
        );
        assert!(
            !line[..line.len() - 2].contains(&b'\r'),
            "bare CR: {}",
            esc(line)
        );
        assert!(!line.contains(&0), "NUL: {}", esc(line));
        let is_status =
            line.starts_with(b"+OK") || line.starts_with(b"-ERR") || line.starts_with(b"+ ");
        assert!(is_status, "line outside any response: {}", esc(line));
        assert!(
            line.len() <= pop3r::MAX_RESPONSE_LINE,
            "status line too long"
        );
        if first {
            assert!(line.starts_with(b"+OK "), "greeting {}", esc(line));
            first = false;
        }
        match pop3r::parse_response_line(line) {
            Ok(Status::Complete((n, _))) => assert_eq!(n, line.len()),
            other => panic!("{} does not parse: {other:?}", esc(line)),
        }
        pos = lf + 1;
        // A multi-line block follows when the next line is not a status line.
        let next = &wire[pos..];
        let next_is_status = next.is_empty()
            || next.starts_with(b"+OK")
            || next.starts_with(b"-ERR")
            || next.starts_with(b"+ ");
        if next_is_status {
            continue;
        }
        assert!(line.starts_with(b"+OK"), "body after {}", esc(line));
        let Status::Complete((n, body)) = pop3r::parse_multiline(next) else {
            panic!("unterminated multi-line block after {}", esc(line));
        };
        check_multiline_block(&next[..n]);
        let text = std::str::from_utf8(line).unwrap_or("");
        if text.ends_with(" octets\r\n") && text.starts_with("+OK ") {
            let size: u64 = text[4..text.len() - 9].parse().expect("RETR size");
            assert_eq!(size, body.len() as u64, "RETR size differs from its body");
            retr_bodies.push(body);
        }
        pos += n;
    }
    assert_eq!(
        retr_bodies, expected_bodies,
        "RETR bodies differ from the host's messages"
    );
}

// ---- IMAP codec ------------------------------------------------------------------------

fn small_limits() -> Limits {
    let mut l = Limits::default();
    l.set_max_line_length(256)
        .set_max_literal_size(256)
        .set_max_depth(4)
        .set_max_list_items(8);
    l
}

/// Frames `data` through a [`Framer`] fed in pieces of `piece` bytes, as a session would,
/// and returns the complete frames; checks the buffer stays within the limits.
fn framed(data: &[u8], piece: usize, limits: &Limits) -> Vec<Result<Bytes, ()>> {
    let mut framer = Framer::new(limits);
    let mut buf: Vec<u8> = Vec::new();
    let mut frames = Vec::new();
    let bound = limits.max_line_length() + limits.max_literal_size() as usize + piece + 2;
    for chunk in data.chunks(piece.max(1)) {
        buf.extend_from_slice(chunk);
        assert!(buf.len() <= bound, "framer buffer {} > {bound}", buf.len());
        loop {
            match framer.poll(&buf) {
                Ok(Frame::Incomplete) => break,
                Ok(Frame::Literal(l)) => assert!(l.length <= limits.max_literal_size()),
                Ok(Frame::Complete(n)) => {
                    assert!(n > 0 && n <= buf.len());
                    frames.push(Ok(Bytes::copy_from_slice(&buf[..n])));
                    buf.drain(..n);
                }
                Ok(Frame::Discard { len, .. }) => {
                    assert!(len <= buf.len());
                    buf.drain(..len);
                }
                Err(_) => frames.push(Err(())),
            }
        }
    }
    frames
}

/// IMAP command parsing: no panic with default or tiny limits; the one-shot parser and a
/// framer fed one byte at a time (or in pieces) agree on the first command; consumed lengths
/// stay within the input; AUTHENTICATE data and DONE lines parse without panic.
pub fn imap_command(data: &[u8]) {
    let input = Bytes::copy_from_slice(data);
    for limits in [Limits::default(), small_limits()] {
        let whole = imap::parse_command_with(&input, &limits);
        if let Ok(Status::Complete((n, _))) = &whole {
            assert!(*n <= data.len());
        }
        let piece = 1 + data.first().map_or(0, |b| usize::from(*b % 16));
        let frames = framed(data, piece, &limits);
        let one = framed(data, 1, &limits);
        assert_eq!(frames, one, "framing depends on how the bytes arrive");
        if let (Ok(Status::Complete((n, cmd))), Some(Ok(frame))) = (&whole, frames.first()) {
            assert_eq!(*n, frame.len(), "framer and one-shot parser disagree");
            let again = imap::parse_command_frame(frame, &limits)
                .unwrap_or_else(|e| panic!("framed command refused: {e:?}"));
            assert_eq!(&again, cmd);
        }
        for frame in frames.into_iter().flatten() {
            let _ = imap::parse_command_frame(&frame, &limits);
        }
        let _ = imap::parse_authenticate_data(&input, &limits);
        let _ = imap::parse_idle_done(&input, &limits);
    }
}

/// IMAP response parsing, as [`imap_command`] for the client side.
pub fn imap_response(data: &[u8]) {
    let input = Bytes::copy_from_slice(data);
    for limits in [Limits::default(), small_limits()] {
        let whole = imap::parse_response_with(&input, &limits);
        if let Ok(Status::Complete((n, _))) = &whole {
            assert!(*n <= data.len());
        }
        let piece = 1 + data.first().map_or(0, |b| usize::from(*b % 16));
        let frames = framed(data, piece, &limits);
        if let (Ok(Status::Complete((n, r))), Some(Ok(frame))) = (&whole, frames.first()) {
            assert_eq!(*n, frame.len(), "framer and one-shot parser disagree");
            let again = imap::parse_response_frame(frame, &limits)
                .unwrap_or_else(|e| panic!("framed response refused: {e:?}"));
            assert_eq!(&again, r);
        }
        for frame in frames.into_iter().flatten() {
            let _ = imap::parse_response_frame(&frame, &limits);
        }
    }
}

/// The greeting parser; a greeting that parses also round-trips.
pub fn imap_greeting(data: &[u8]) {
    let input = Bytes::copy_from_slice(data);
    for limits in [Limits::default(), small_limits()] {
        if let Ok(Status::Complete((n, g))) = imap::parse_greeting_with(&input, &limits) {
            assert!(n <= data.len());
            let mut e = imap::Encoder::new();
            e.greeting(&g);
            let wire = e.to_vec();
            let back = match imap::parse_greeting_with(&Bytes::from(wire.clone()), &limits) {
                Ok(Status::Complete((m, back))) => {
                    assert_eq!(m, wire.len());
                    back
                }
                other => panic!("{} re-parse: {other:?}", esc(&wire)),
            };
            assert_eq!(back, g, "{}", esc(&wire));
        }
    }
}

/// Parse → encode → parse gives the same value, and encoding is then stable (the second
/// encoding equals the first), for commands, responses and greetings.
pub fn imap_roundtrip(data: &[u8]) {
    let input = Bytes::copy_from_slice(data);
    if let Ok(Status::Complete((_, c))) = imap::parse_command(&input) {
        command_roundtrip(&c);
    }
    if let Ok(Status::Complete((_, r))) = imap::parse_response(&input) {
        response_roundtrip(&r);
    }
    if let Ok(Status::Complete((_, g))) = imap::parse_greeting(&input) {
        greeting_roundtrip(&g);
    }
}

fn command_roundtrip(c: &imap::Command) {
    let mut e = imap::Encoder::new();
    e.command(c);
    let wire = e.to_vec();
    let back = match imap::parse_command(&Bytes::from(wire.clone())) {
        Ok(Status::Complete((n, back))) => {
            assert_eq!(n, wire.len(), "{}", esc(&wire));
            back
        }
        other => panic!("{} (from {c:?}) re-parse: {other:?}", esc(&wire)),
    };
    assert_eq!(&back, c, "{}", esc(&wire));
    let mut e = imap::Encoder::new();
    e.command(&back);
    assert_eq!(e.to_vec(), wire, "encoding not stable");
}

fn response_roundtrip(r: &imap::Response) {
    let mut e = imap::Encoder::new();
    e.response(r);
    let wire = e.to_vec();
    let back = match imap::parse_response(&Bytes::from(wire.clone())) {
        Ok(Status::Complete((n, back))) => {
            assert_eq!(n, wire.len(), "{}", esc(&wire));
            back
        }
        other => panic!("{} (from {r:?}) re-parse: {other:?}", esc(&wire)),
    };
    if !same_continuation(&back, r) && !bracket_text(r) {
        assert_eq!(&back, r, "{}", esc(&wire));
    }
    let mut e = imap::Encoder::new();
    e.response(&back);
    assert_eq!(e.to_vec(), wire, "encoding not stable");
}

/// `resp-text = ["[" resp-text-code "]" SP] text` (RFC 3501 §9) is ambiguous when there is
/// no code and the text starts with `[`: it reads back as a code. The wire bytes are the
/// same (the caller checks that the second encoding equals the first).
fn bracket_text(r: &imap::Response) -> bool {
    use imap::{Continue, Response};
    let text = match r {
        Response::Status(s) if s.code.is_none() => &s.text,
        Response::Continue(Continue::Text { code: None, text }) => text,
        _ => return false,
    };
    text.as_bytes().starts_with(b"[")
}

/// `continue-req = "+" SP (resp-text / base64)` (RFC 3501 §9) is ambiguous: text made of
/// base64 characters reads as base64 (only the exchange in progress tells a client which one
/// it is). The wire bytes are the same, so such a text and the decoded bytes count as equal.
fn same_continuation(a: &imap::Response, b: &imap::Response) -> bool {
    use imap::{Continue, Response};
    match (a, b) {
        (
            Response::Continue(Continue::Base64(data)),
            Response::Continue(Continue::Text { code: None, text }),
        )
        | (
            Response::Continue(Continue::Text { code: None, text }),
            Response::Continue(Continue::Base64(data)),
        ) => base64_encode(data).as_bytes() == text.as_bytes(),
        _ => false,
    }
}

/// Standard base64 with padding (RFC 4648 §4), written here to stay independent of pobox.
fn base64_encode(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn greeting_roundtrip(g: &imap::Greeting) {
    let mut e = imap::Encoder::new();
    e.greeting(g);
    let wire = e.to_vec();
    let back = match imap::parse_greeting(&Bytes::from(wire.clone())) {
        Ok(Status::Complete((n, back))) => {
            assert_eq!(n, wire.len(), "{}", esc(&wire));
            back
        }
        other => panic!("{} (from {g:?}) re-parse: {other:?}", esc(&wire)),
    };
    if g.code.is_none() && g.text.as_bytes().starts_with(b"[") {
        // The resp-text ambiguity of `bracket_text`: same wire bytes.
        let mut e = imap::Encoder::new();
        e.greeting(&back);
        assert_eq!(e.to_vec(), wire, "encoding not stable");
    } else {
        assert_eq!(&back, g, "{}", esc(&wire));
    }
}

/// Modified UTF-7: what decodes re-encodes to the same bytes (one encoding per name); any
/// Unicode name encodes to valid modified UTF-7 that decodes back to it.
pub fn mutf7(data: &[u8]) {
    use pobox::imap::utf7;
    if let Ok(name) = utf7::decode(data) {
        assert_eq!(utf7::encode(&name).as_bytes(), data, "not canonical");
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let enc = utf7::encode(text);
        assert!(enc.bytes().all(|b| (0x20..=0x7e).contains(&b)));
        assert_eq!(utf7::decode(enc.as_bytes()).as_deref(), Ok(text));
        if let Ok(m) = imap::Mailbox::from_utf8(text) {
            if !m.is_inbox() {
                assert_eq!(m.to_utf8().as_deref(), Ok(text));
            }
        }
    }
}

// ---- IMAP values from arbitrary bytes -----------------------------------------------------

/// Values built through pobox's public constructors from arbitrary bytes, encoded, parsed
/// back: the same value (commands, responses, greetings).
///
/// The generators pick freely wherever a public constructor validates (strings of any bytes,
/// any `Text`, any mailbox wire form, any number). They avoid only the representation choices
/// that are documented as not kept apart: `Flag::Extension`/`MailboxAttribute::Extension` and
/// `Code::Other` named like a known one (flags and attributes are built with `Flag::parse` and
/// `MailboxAttribute::from_name` instead), `CAPABILITY` lists without `IMAP4rev1`, and an
/// x-command named `X` alone (its doc asks for `"X" atom`).
pub fn imap_value_roundtrip(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(kind) = u.int_in_range(0u8..=2) else {
        return;
    };
    match kind {
        0 => {
            if let Ok(c) = gen_command(&mut u) {
                command_roundtrip(&c);
            }
        }
        1 => {
            if let Ok(r) = gen_response(&mut u) {
                response_roundtrip(&r);
            }
        }
        _ => {
            if let Ok(g) = gen_greeting(&mut u) {
                greeting_roundtrip(&g);
            }
        }
    }
}

const DEPTH: usize = 4;

fn bytes_of(u: &mut Unstructured<'_>, max: usize) -> AResult<Vec<u8>> {
    let len = u.int_in_range(0..=max)?;
    Ok(u.bytes(len)?.to_vec())
}

fn small_vec<T>(
    u: &mut Unstructured<'_>,
    min: usize,
    max: usize,
    mut f: impl FnMut(&mut Unstructured<'_>) -> AResult<T>,
) -> AResult<Vec<T>> {
    let n = u.int_in_range(min..=max)?;
    (0..n).map(|_| f(u)).collect()
}

fn istring(u: &mut Unstructured<'_>) -> AResult<imap::IString> {
    let b = match u.int_in_range(0u8..=3)? {
        0 => pick(
            u,
            &[
                &b"NIL"[..],
                b"",
                b"INBOX",
                b"a b",
                b"\"q\\",
                b"x\r\ny",
                b"{3}",
            ],
        )?
        .to_vec(),
        1 => bytes_of(u, 16)?,
        2 => bytes_of(u, 600)?,
        _ => bytes_of(u, 8)?.into_iter().map(|b| b'a' + b % 26).collect(),
    };
    imap::IString::try_from(b).map_err(|_| arbitrary::Error::IncorrectFormat)
}

fn pick<T: Copy>(u: &mut Unstructured<'_>, from: &[T]) -> AResult<T> {
    Ok(*u.choose(from)?)
}

fn nstring(u: &mut Unstructured<'_>) -> AResult<imap::NString> {
    Ok(if u.arbitrary()? {
        Some(istring(u)?)
    } else {
        None
    })
}

fn atom(u: &mut Unstructured<'_>) -> AResult<imap::Atom> {
    let b = bytes_of(u, 10)?;
    imap::Atom::try_from(b).map_err(|_| arbitrary::Error::IncorrectFormat)
}

/// An atom starting with "X", so it names no known code, flag or attribute.
fn x_atom(u: &mut Unstructured<'_>) -> AResult<imap::Atom> {
    let mut b = b"X".to_vec();
    b.extend(bytes_of(u, 8)?);
    imap::Atom::try_from(b).map_err(|_| arbitrary::Error::IncorrectFormat)
}

fn tag(u: &mut Unstructured<'_>) -> AResult<imap::Tag> {
    imap::Tag::try_from(bytes_of(u, 8)?).map_err(|_| arbitrary::Error::IncorrectFormat)
}

fn text(u: &mut Unstructured<'_>) -> AResult<imap::Text> {
    imap::Text::try_from(bytes_of(u, 40)?).map_err(|_| arbitrary::Error::IncorrectFormat)
}

fn mailbox(u: &mut Unstructured<'_>) -> AResult<imap::Mailbox> {
    Ok(match u.int_in_range(0u8..=2)? {
        0 => imap::Mailbox::new(istring(u)?.into_bytes())
            .map_err(|_| arbitrary::Error::IncorrectFormat)?,
        1 => {
            let s: String = u.arbitrary()?;
            imap::Mailbox::from_utf8(&s).map_err(|_| arbitrary::Error::IncorrectFormat)?
        }
        _ => imap::Mailbox::inbox(),
    })
}

fn nz(u: &mut Unstructured<'_>) -> AResult<NonZeroU32> {
    let n: u32 = if u.arbitrary()? {
        u.int_in_range(1..=20)?
    } else {
        u.arbitrary()?
    };
    NonZeroU32::new(n).ok_or(arbitrary::Error::IncorrectFormat)
}

fn seq_number(u: &mut Unstructured<'_>, star: bool) -> AResult<imap::SeqNumber> {
    Ok(if star && u.ratio(1u8, 5)? {
        imap::SeqNumber::Asterisk
    } else {
        imap::SeqNumber::Value(nz(u)?)
    })
}

fn sequence_set(u: &mut Unstructured<'_>, star: bool) -> AResult<imap::SequenceSet> {
    let items = small_vec(u, 1, 6, |u| {
        Ok(if u.arbitrary()? {
            imap::Sequence::Single(seq_number(u, star)?)
        } else {
            imap::Sequence::Range(seq_number(u, star)?, seq_number(u, star)?)
        })
    })?;
    imap::SequenceSet::new(items).map_err(|_| arbitrary::Error::IncorrectFormat)
}

fn flag(u: &mut Unstructured<'_>) -> AResult<imap::Flag> {
    let mut b = if u.arbitrary()? {
        b"\\".to_vec()
    } else {
        Vec::new()
    };
    b.extend(bytes_of(u, 10)?);
    imap::Flag::parse(&b).map_err(|_| arbitrary::Error::IncorrectFormat)
}

fn mailbox_attribute(u: &mut Unstructured<'_>) -> AResult<imap::MailboxAttribute> {
    imap::MailboxAttribute::from_name(&bytes_of(u, 14)?)
        .map_err(|_| arbitrary::Error::IncorrectFormat)
}

fn date(u: &mut Unstructured<'_>) -> AResult<imap::Date> {
    let y = u.int_in_range(0..=9999)?;
    let m = u.int_in_range(1..=12)?;
    let d = u.int_in_range(1..=31)?;
    imap::Date::new(y, m, d).map_err(|_| arbitrary::Error::IncorrectFormat)
}

fn date_time(u: &mut Unstructured<'_>) -> AResult<imap::DateTime> {
    let d = date(u)?;
    imap::DateTime::new(
        d,
        u.arbitrary()?,
        u.arbitrary()?,
        u.arbitrary()?,
        u.arbitrary()?,
    )
    .map_err(|_| arbitrary::Error::IncorrectFormat)
}

fn search_key(u: &mut Unstructured<'_>, depth: usize) -> AResult<imap::SearchKey> {
    use imap::SearchKey as K;
    let top = if depth == 0 { 35 } else { 38 };
    Ok(match u.int_in_range(0..=top)? {
        0 => K::All,
        1 => K::Answered,
        2 => K::Deleted,
        3 => K::Draft,
        4 => K::Flagged,
        5 => K::New,
        6 => K::Old,
        7 => K::Recent,
        8 => K::Seen,
        9 => K::Unanswered,
        10 => K::Undeleted,
        11 => K::Undraft,
        12 => K::Unflagged,
        13 => K::Unseen,
        14 => K::Bcc(istring(u)?),
        15 => K::Body(istring(u)?),
        16 => K::Cc(istring(u)?),
        17 => K::From(istring(u)?),
        18 => K::Subject(istring(u)?),
        19 => K::Text(istring(u)?),
        20 => K::To(istring(u)?),
        21 => K::Header(istring(u)?, istring(u)?),
        22 => K::Keyword(atom(u)?),
        23 => K::Unkeyword(atom(u)?),
        24 => K::Larger(u.arbitrary()?),
        25 => K::Smaller(u.arbitrary()?),
        26 => K::Before(date(u)?),
        27 => K::On(date(u)?),
        28 => K::Since(date(u)?),
        29 => K::SentBefore(date(u)?),
        30 => K::SentOn(date(u)?),
        31 => K::SentSince(date(u)?),
        32 | 33 => K::Uid(sequence_set(u, true)?),
        34 | 35 => K::SequenceSet(sequence_set(u, true)?),
        36 => K::Not(Box::new(search_key(u, depth - 1)?)),
        37 => K::Or(
            Box::new(search_key(u, depth - 1)?),
            Box::new(search_key(u, depth - 1)?),
        ),
        _ => K::And(small_vec(u, 1, 3, |u| search_key(u, depth - 1))?),
    })
}

fn section(u: &mut Unstructured<'_>) -> AResult<imap::Section> {
    use imap::SectionText as T;
    let part = small_vec(u, 0, 4, nz)?;
    let text = match u.int_in_range(0u8..=5)? {
        0 => None,
        1 => Some(T::Header),
        2 => Some(T::Text),
        3 => Some(T::Mime),
        4 => Some(T::HeaderFields(small_vec(u, 0, 3, istring)?)),
        _ => Some(T::HeaderFieldsNot(small_vec(u, 0, 3, istring)?)),
    };
    imap::Section::new(part, text).map_err(|_| arbitrary::Error::IncorrectFormat)
}

fn fetch_attribute(u: &mut Unstructured<'_>) -> AResult<imap::FetchAttribute> {
    use imap::FetchAttribute as A;
    Ok(match u.int_in_range(0u8..=10)? {
        0 => A::Envelope,
        1 => A::Flags,
        2 => A::InternalDate,
        3 => A::Rfc822,
        4 => A::Rfc822Header,
        5 => A::Rfc822Size,
        6 => A::Rfc822Text,
        7 => A::Body,
        8 => A::BodyStructure,
        9 => A::Uid,
        _ => A::BodySection {
            peek: u.arbitrary()?,
            section: section(u)?,
            partial: if u.arbitrary()? {
                Some(imap::Partial {
                    origin: u.arbitrary()?,
                    length: nz(u)?,
                })
            } else {
                None
            },
        },
    })
}

fn gen_command(u: &mut Unstructured<'_>) -> AResult<imap::Command> {
    use imap::CommandBody as C;
    use imap::StatusAttribute as S;
    let status_att = |u: &mut Unstructured<'_>| {
        pick(
            u,
            &[
                S::Messages,
                S::Recent,
                S::UidNext,
                S::UidValidity,
                S::Unseen,
            ],
        )
    };
    let body = match u.int_in_range(0u8..=36)? {
        0 => C::Capability,
        1 => C::Noop,
        2 => C::Logout,
        3 => C::StartTls,
        4 => C::Authenticate {
            mechanism: atom(u)?,
            initial_response: if u.arbitrary()? {
                Some(pobox::Secret::new(Bytes::from(bytes_of(u, 40)?)))
            } else {
                None
            },
        },
        5 => C::Login {
            username: istring(u)?,
            password: pobox::Secret::new(istring(u)?),
        },
        6 => C::Select(mailbox(u)?),
        7 => C::Examine(mailbox(u)?),
        8 => C::Create {
            mailbox: mailbox(u)?,
            special_use: small_vec(u, 0, 3, mailbox_attribute)?,
        },
        9 => C::Delete(mailbox(u)?),
        10 => C::Rename {
            from: mailbox(u)?,
            to: mailbox(u)?,
        },
        11 => C::Subscribe(mailbox(u)?),
        12 => C::Unsubscribe(mailbox(u)?),
        13 => C::List {
            reference: mailbox(u)?,
            pattern: imap::ListMailbox::new(istring(u)?.into_bytes())
                .map_err(|_| arbitrary::Error::IncorrectFormat)?,
            selection: small_vec(u, 0, 2, atom)?,
            return_options: small_vec(u, 0, 2, atom)?,
        },
        14 => C::Lsub {
            reference: mailbox(u)?,
            pattern: imap::ListMailbox::new(istring(u)?.into_bytes())
                .map_err(|_| arbitrary::Error::IncorrectFormat)?,
        },
        15 => C::Status {
            mailbox: mailbox(u)?,
            items: small_vec(u, 1, 5, status_att)?,
        },
        16 => {
            let mode = if u.arbitrary()? {
                imap::LiteralMode::NonSync
            } else {
                imap::LiteralMode::Sync
            };
            let data = bytes_of(u, 700)?;
            let message = if u.arbitrary()? {
                imap::Literal::new_binary(data, mode)
            } else {
                imap::Literal::new(data, mode)
            }
            .map_err(|_| arbitrary::Error::IncorrectFormat)?;
            C::Append {
                mailbox: mailbox(u)?,
                flags: small_vec(u, 0, 3, flag)?,
                date: if u.arbitrary()? {
                    Some(date_time(u)?)
                } else {
                    None
                },
                message,
            }
        }
        17 => C::Check,
        18 => C::Close,
        19 => C::Expunge,
        20 => C::UidExpunge(sequence_set(u, true)?),
        21 | 22 => C::Search {
            charset: if u.arbitrary()? {
                Some(istring(u)?)
            } else {
                None
            },
            criteria: small_vec(u, 1, 4, |u| search_key(u, DEPTH))?,
            uid: u.arbitrary()?,
        },
        23 | 24 => C::Fetch {
            set: sequence_set(u, true)?,
            items: match u.int_in_range(0u8..=3)? {
                0 => imap::FetchItems::All,
                1 => imap::FetchItems::Fast,
                2 => imap::FetchItems::Full,
                _ => imap::FetchItems::Attributes(small_vec(u, 1, 4, fetch_attribute)?),
            },
            uid: u.arbitrary()?,
        },
        25 => C::Store {
            set: sequence_set(u, true)?,
            kind: pick(
                u,
                &[
                    imap::StoreKind::Replace,
                    imap::StoreKind::Add,
                    imap::StoreKind::Remove,
                ],
            )?,
            silent: u.arbitrary()?,
            flags: small_vec(u, 0, 4, flag)?,
            uid: u.arbitrary()?,
        },
        26 => C::Copy {
            set: sequence_set(u, true)?,
            mailbox: mailbox(u)?,
            uid: u.arbitrary()?,
        },
        27 => C::Move {
            set: sequence_set(u, true)?,
            mailbox: mailbox(u)?,
            uid: u.arbitrary()?,
        },
        28 => C::Idle,
        29 => C::Unselect,
        30 => C::Namespace,
        31 => C::Enable(small_vec(u, 1, 4, atom)?),
        32 => C::Id(if u.arbitrary()? {
            Some(small_vec(u, 0, 4, |u| Ok((istring(u)?, nstring(u)?)))?)
        } else {
            None
        }),
        _ => C::Extension {
            // `x-command = "X" atom ...` (RFC 3501 §9): at least one octet after the X.
            name: {
                let name = x_atom(u)?;
                if name.as_bytes().len() < 2 {
                    return Err(arbitrary::Error::IncorrectFormat);
                }
                name
            },
            arguments: imap::ExtensionArguments::new(bytes_of(u, 20)?)
                .map_err(|_| arbitrary::Error::IncorrectFormat)?,
        },
    };
    Ok(imap::Command { tag: tag(u)?, body })
}

fn address(u: &mut Unstructured<'_>) -> AResult<imap::Address> {
    Ok(imap::Address {
        name: nstring(u)?,
        adl: nstring(u)?,
        mailbox: nstring(u)?,
        host: nstring(u)?,
    })
}

fn envelope(u: &mut Unstructured<'_>) -> AResult<imap::Envelope> {
    Ok(imap::Envelope {
        date: nstring(u)?,
        subject: nstring(u)?,
        from: small_vec(u, 0, 2, address)?,
        sender: small_vec(u, 0, 2, address)?,
        reply_to: small_vec(u, 0, 2, address)?,
        to: small_vec(u, 0, 2, address)?,
        cc: small_vec(u, 0, 2, address)?,
        bcc: small_vec(u, 0, 2, address)?,
        in_reply_to: nstring(u)?,
        message_id: nstring(u)?,
    })
}

fn params(u: &mut Unstructured<'_>) -> AResult<Vec<(imap::IString, imap::IString)>> {
    small_vec(u, 0, 3, |u| Ok((istring(u)?, istring(u)?)))
}

fn body_extension(u: &mut Unstructured<'_>, depth: usize) -> AResult<imap::BodyExtension> {
    Ok(
        match u.int_in_range(0u8..=if depth == 0 { 1 } else { 2 })? {
            0 => imap::BodyExtension::NString(nstring(u)?),
            1 => imap::BodyExtension::Number(u.arbitrary()?),
            _ => imap::BodyExtension::List(small_vec(u, 1, 3, |u| body_extension(u, depth - 1))?),
        },
    )
}

fn dsp_tail(u: &mut Unstructured<'_>) -> AResult<Option<imap::DispositionTail>> {
    if !u.arbitrary()? {
        return Ok(None);
    }
    let disposition = if u.arbitrary()? {
        Some(imap::Disposition {
            kind: istring(u)?,
            params: params(u)?,
        })
    } else {
        None
    };
    let tail = if u.arbitrary()? {
        Some(imap::LanguageTail {
            languages: small_vec(u, 0, 3, istring)?,
            tail: if u.arbitrary()? {
                Some(imap::LocationTail {
                    location: nstring(u)?,
                    extensions: small_vec(u, 0, 3, |u| body_extension(u, 3))?,
                })
            } else {
                None
            },
        })
    } else {
        None
    };
    Ok(Some(imap::DispositionTail { disposition, tail }))
}

fn body_fields(u: &mut Unstructured<'_>) -> AResult<imap::BodyFields> {
    Ok(imap::BodyFields {
        params: params(u)?,
        id: nstring(u)?,
        description: nstring(u)?,
        encoding: istring(u)?,
        octets: u.arbitrary()?,
    })
}

fn single_ext(u: &mut Unstructured<'_>) -> AResult<Option<imap::SinglePartExtension>> {
    Ok(if u.arbitrary()? {
        Some(imap::SinglePartExtension {
            md5: nstring(u)?,
            tail: dsp_tail(u)?,
        })
    } else {
        None
    })
}

fn body_structure(u: &mut Unstructured<'_>, depth: usize) -> AResult<imap::BodyStructure> {
    use imap::{Body, BodyKind, BodyStructure as B};
    Ok(
        match u.int_in_range(0u8..=if depth == 0 { 1 } else { 3 })? {
            0 => {
                let media_type = istring(u)?;
                let t = media_type.as_bytes();
                if t.eq_ignore_ascii_case(b"TEXT") || t.eq_ignore_ascii_case(b"MESSAGE") {
                    // "TEXT" and "MESSAGE" make the other two kinds (RFC 3501 §9 body-type-*).
                    return Err(arbitrary::Error::IncorrectFormat);
                }
                B::Single {
                    body: Body {
                        fields: body_fields(u)?,
                        kind: BodyKind::Basic {
                            media_type,
                            subtype: istring(u)?,
                        },
                    },
                    extension: single_ext(u)?,
                }
            }
            1 => B::Single {
                body: Body {
                    fields: body_fields(u)?,
                    kind: BodyKind::Text {
                        subtype: istring(u)?,
                        lines: u.arbitrary()?,
                    },
                },
                extension: single_ext(u)?,
            },
            2 => B::Multipart {
                bodies: small_vec(u, 1, 3, |u| body_structure(u, depth - 1))?,
                subtype: istring(u)?,
                extension: if u.arbitrary()? {
                    Some(imap::MultipartExtension {
                        params: params(u)?,
                        tail: dsp_tail(u)?,
                    })
                } else {
                    None
                },
            },
            _ => B::Single {
                body: Body {
                    fields: body_fields(u)?,
                    kind: BodyKind::Message {
                        envelope: Box::new(envelope(u)?),
                        body: Box::new(body_structure(u, depth - 1)?),
                        lines: u.arbitrary()?,
                    },
                },
                extension: single_ext(u)?,
            },
        },
    )
}

fn code(u: &mut Unstructured<'_>) -> AResult<imap::Code> {
    use imap::Code as K;
    let imap4rev1 =
        || imap::Atom::try_from("IMAP4rev1").map_err(|_| arbitrary::Error::IncorrectFormat);
    Ok(match u.int_in_range(0u8..=34)? {
        0 => K::Alert,
        1 => K::BadCharset(small_vec(u, 0, 3, istring)?),
        2 => {
            let mut v = vec![imap4rev1()?];
            v.extend(small_vec(u, 0, 3, atom)?);
            K::Capability(v)
        }
        3 => K::Parse,
        4 => K::PermanentFlags(small_vec(u, 0, 3, |u| {
            Ok(if u.ratio(1u8, 4)? {
                imap::FlagPerm::Asterisk
            } else {
                imap::FlagPerm::Flag(flag(u)?)
            })
        })?),
        5 => K::ReadOnly,
        6 => K::ReadWrite,
        7 => K::TryCreate,
        8 => K::UidNext(nz(u)?),
        9 => K::UidValidity(nz(u)?),
        10 => K::Unseen(nz(u)?),
        11 => K::AppendUid {
            uid_validity: nz(u)?,
            uids: sequence_set(u, false)?,
        },
        12 => K::CopyUid {
            uid_validity: nz(u)?,
            source: sequence_set(u, false)?,
            destination: sequence_set(u, false)?,
        },
        13 => K::UidNotSticky,
        14 => K::Unavailable,
        15 => K::AuthenticationFailed,
        16 => K::AuthorizationFailed,
        17 => K::Expired,
        18 => K::PrivacyRequired,
        19 => K::ContactAdmin,
        20 => K::NoPerm,
        21 => K::InUse,
        22 => K::ExpungeIssued,
        23 => K::Corruption,
        24 => K::ServerBug,
        25 => K::ClientBug,
        26 => K::Cannot,
        27 => K::Limit,
        28 => K::OverQuota,
        29 => K::AlreadyExists,
        30 => K::NonExistent,
        31 => K::TooBig,
        _ => {
            let argument = if u.arbitrary()? {
                // The encoder drops what cannot go in a code (CR, LF, "]", 8-bit): compare
                // with what it keeps, and an empty argument is no argument.
                let a: Vec<u8> = bytes_of(u, 12)?;
                if a.is_empty()
                    || a.iter()
                        .any(|&b| b == 0 || b == b'\r' || b == b'\n' || b == b']' || b > 0x7e)
                {
                    return Err(arbitrary::Error::IncorrectFormat);
                }
                Some(Bytes::from(a))
            } else {
                None
            };
            K::Other {
                name: x_atom(u)?,
                argument,
            }
        }
    })
}

fn msg_att(u: &mut Unstructured<'_>) -> AResult<imap::MessageDataItem> {
    use imap::MessageDataItem as M;
    Ok(match u.int_in_range(0u8..=10)? {
        0 => M::Flags(small_vec(u, 0, 4, |u| {
            Ok(if u.ratio(1u8, 5)? {
                imap::FlagFetch::Recent
            } else {
                imap::FlagFetch::Flag(flag(u)?)
            })
        })?),
        1 => M::Envelope(Box::new(envelope(u)?)),
        2 => M::InternalDate(date_time(u)?),
        3 => M::Rfc822(nstring(u)?),
        4 => M::Rfc822Header(nstring(u)?),
        5 => M::Rfc822Text(nstring(u)?),
        6 => M::Rfc822Size(u.arbitrary()?),
        7 => M::Body(body_structure(u, 3)?),
        8 => M::BodyStructure(body_structure(u, 3)?),
        9 => M::BodySection {
            section: section(u)?,
            origin: u.arbitrary()?,
            data: nstring(u)?,
        },
        _ => M::Uid(nz(u)?),
    })
}

fn delimiter(u: &mut Unstructured<'_>) -> AResult<Option<imap::Delimiter>> {
    Ok(if u.arbitrary()? {
        Some(imap::Delimiter::new(u.arbitrary()?).map_err(|_| arbitrary::Error::IncorrectFormat)?)
    } else {
        None
    })
}

fn list_data(u: &mut Unstructured<'_>) -> AResult<imap::ListData> {
    Ok(imap::ListData {
        attributes: small_vec(u, 0, 3, mailbox_attribute)?,
        delimiter: delimiter(u)?,
        mailbox: mailbox(u)?,
    })
}

fn namespace(u: &mut Unstructured<'_>) -> AResult<Vec<imap::NamespaceDescription>> {
    small_vec(u, 0, 3, |u| {
        Ok(imap::NamespaceDescription {
            prefix: istring(u)?,
            delimiter: delimiter(u)?,
            extensions: small_vec(u, 0, 2, |u| Ok((istring(u)?, small_vec(u, 1, 2, istring)?)))?,
        })
    })
}

fn gen_response(u: &mut Unstructured<'_>) -> AResult<imap::Response> {
    use imap::StatusAttribute as S;
    use imap::{Data as D, Response as R, StatusKind as K};
    Ok(match u.int_in_range(0u8..=16)? {
        0..=2 => {
            let kind = pick(u, &[K::Ok, K::No, K::Bad, K::Bye])?;
            let tag = if kind != K::Bye && u.arbitrary()? {
                Some(tag(u)?)
            } else {
                None
            };
            R::Status(imap::StatusResponse {
                tag,
                kind,
                code: if u.arbitrary()? { Some(code(u)?) } else { None },
                text: text(u)?,
            })
        }
        3 => {
            let mut v = small_vec(u, 0, 3, atom)?;
            v.push(
                imap::Atom::try_from("IMAP4rev1").map_err(|_| arbitrary::Error::IncorrectFormat)?,
            );
            R::Data(D::Capability(v))
        }
        4 => R::Data(D::List(list_data(u)?)),
        5 => R::Data(D::Lsub(list_data(u)?)),
        6 => R::Data(D::Status {
            mailbox: mailbox(u)?,
            items: small_vec(u, 0, 4, |u| {
                Ok(imap::StatusItem {
                    attribute: pick(
                        u,
                        &[
                            S::Messages,
                            S::Recent,
                            S::UidNext,
                            S::UidValidity,
                            S::Unseen,
                        ],
                    )?,
                    value: u.arbitrary()?,
                })
            })?,
        }),
        7 => R::Data(D::Search(small_vec(u, 0, 5, nz)?)),
        8 => R::Data(D::Flags(small_vec(u, 0, 5, flag)?)),
        9 => R::Data(D::Exists(u.arbitrary()?)),
        10 => R::Data(D::Recent(u.arbitrary()?)),
        11 => R::Data(D::Expunge(nz(u)?)),
        12 => R::Data(D::Fetch {
            seq: nz(u)?,
            items: small_vec(u, 1, 4, msg_att)?,
        }),
        13 => R::Data(D::Enabled(small_vec(u, 0, 3, atom)?)),
        14 => R::Data(D::Namespace {
            personal: namespace(u)?,
            other: namespace(u)?,
            shared: namespace(u)?,
        }),
        15 => R::Data(D::Id(if u.arbitrary()? {
            Some(small_vec(u, 0, 4, |u| Ok((istring(u)?, nstring(u)?)))?)
        } else {
            None
        })),
        _ => {
            if u.arbitrary()? {
                R::Continue(imap::Continue::Text {
                    code: if u.arbitrary()? { Some(code(u)?) } else { None },
                    text: text(u)?,
                })
            } else {
                R::Continue(imap::Continue::Base64(Bytes::from(bytes_of(u, 30)?)))
            }
        }
    })
}

fn gen_greeting(u: &mut Unstructured<'_>) -> AResult<imap::Greeting> {
    Ok(imap::Greeting {
        kind: pick(
            u,
            &[
                imap::GreetingKind::Ok,
                imap::GreetingKind::PreAuth,
                imap::GreetingKind::Bye,
            ],
        )?,
        code: if u.arbitrary()? { Some(code(u)?) } else { None },
        text: text(u)?,
    })
}

// ---- IMAP session ----------------------------------------------------------------------

/// The `imap_session` target (issue 9): an IMAP [`Session`](pobox::imap::server::Session)
/// against the in-memory host of the session tests (`tests/support/imap.rs`).
mod imap_session_check {
    use std::collections::HashMap;
    use std::sync::OnceLock;
    use std::time::Duration;

    use bytes::{Buf, Bytes};
    use pobox::Status;
    use pobox::imap::server::{
        Appended, Change, Config, Copied, Event, LoginRejection, MailboxError, MailboxStatus,
        MessageData, MessageError, SearchAnswer, Snapshot, Transport,
    };
    use pobox::imap::{self, Flag, Limits, MailboxAttribute};

    use super::imap_host::{Harness, Store, rfc3501_date};
    use super::{Rng, esc};

    /// The one user of the store, and a password that must never show in `Debug`.
    pub(super) const USER: &str = "joe";
    pub(super) const PASSWORD: &str = "pa55w0rd";

    /// What a tagged OK to STARTTLS ends with: the output after it depends on where the
    /// reads fell (bytes after the STARTTLS line in the same read are discarded,
    /// CVE-2011-0411), so the chunkings are compared up to here.
    const STARTTLS_OK: &[u8] = b" OK Begin TLS negotiation now\r\n";

    /// One message over the smallest output limit (16 KiB), so a FETCH of it meets
    /// backpressure: bare-LF lines, some starting with '.', a NUL-free body.
    fn big_message() -> Bytes {
        static BIG: OnceLock<Bytes> = OnceLock::new();
        BIG.get_or_init(|| {
            let mut m =
                b"From: big@example.org\nSubject: big\nContent-Type: text/plain\n\n".to_vec();
            let mut i = 0u32;
            while m.len() < 24 * 1024 {
                m.extend_from_slice(
                    format!("line {i:05} ........................................\n").as_bytes(),
                );
                if i % 7 == 0 {
                    m.extend_from_slice(b".dot line\r\n");
                }
                i += 1;
            }
            Bytes::from(m)
        })
        .clone()
    }

    /// The messages of INBOX: CRLF and bare-LF, multipart, nested message/rfc822, 8-bit
    /// with NUL and no final line end, empty, and the big one; with system flags and a
    /// keyword, one `\Deleted` so EXPUNGE has work.
    const SIMPLE: &[u8] = b"Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\r\nFrom: Terry Gray <gray@cac.washington.edu>\r\nSubject: IMAP4rev1 WG mtg summary and minutes\r\nTo: imap@cac.washington.edu\r\ncc: minutes@CNRI.Reston.VA.US, John Klensin <KLENSIN@MIT.EDU>\r\nMessage-Id: <B27397-0100000@cac.washington.edu>\r\nMIME-Version: 1.0\r\nContent-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n\r\nHello Joe, do you think we can meet at 3:30 tomorrow?\r\n";
    const MULTIPART: &[u8] = b"From: a@b.example\nTo: joe@example.org\nSubject: =?utf-8?q?caf=C3=A9?= parts\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"XX\"\n\npreamble\n--XX\nContent-Type: text/plain; charset=us-ascii\n\nfirst part\n.dot\n--XX\nContent-Type: application/octet-stream; name=\"a.bin\"\nContent-Transfer-Encoding: base64\nContent-Disposition: attachment; filename=\"a.bin\"\n\nAAECAwQFBgcICQ==\n--XX--\nepilogue\n";
    const NESTED: &[u8] = b"From: c@d.example\r\nSubject: fwd\r\nContent-Type: message/rfc822\r\n\r\nFrom: e@f.example\r\nSubject: inner\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nplain\r\n--b\r\nContent-Type: text/html\r\n\r\n<p>html</p>\r\n--b--\r\n";
    const EIGHT_BIT: &[u8] = b"Subject: \xe9t\xe9\r\nX-Nul: a\x00b\r\n\r\nbody with \x00 NUL and \xff\r\nno final line end";

    fn store() -> Store {
        let mut store = Store::default()
            .with_user(USER, PASSWORD)
            .with_folder("INBOX")
            .with_folder("Archive")
            .with_folder("Lists")
            .with_folder("Lists/rust")
            .with_folder("Trash");
        let label = Flag::keyword("$Label1").ok();
        let inbox: [(&[Flag], Bytes); 6] = [
            (&[Flag::Seen], Bytes::from_static(SIMPLE)),
            (&[Flag::Flagged], Bytes::from_static(MULTIPART)),
            (&[Flag::Deleted, Flag::Seen], Bytes::from_static(NESTED)),
            (&[], Bytes::from_static(EIGHT_BIT)),
            (&[Flag::Answered, Flag::Draft], Bytes::new()),
            (&[], big_message()),
        ];
        for (i, (flags, bytes)) in inbox.into_iter().enumerate() {
            let mut flags = flags.to_vec();
            if i == 1 {
                flags.extend(label.clone());
            }
            store.deliver("INBOX", &flags, bytes);
        }
        // Messages 1 to 4 were seen by an earlier session; 5 and 6 are \Recent for this one.
        if let Some(inbox) = store.folders.get_mut("INBOX") {
            for m in &mut inbox.messages {
                m.recent = m.uid > 4;
            }
        }
        store.deliver("Archive", &[Flag::Seen], Bytes::from_static(SIMPLE));
        if let Some(trash) = store.folders.get_mut("Trash") {
            trash.attributes.push(MailboxAttribute::Trash);
            trash.subscribed = true;
        }
        store
    }

    /// How a run starts.
    #[derive(Clone, Copy, Debug)]
    struct Start {
        transport: Transport,
        preauth: bool,
    }

    /// The configuration from the two leading octets of the input.
    fn config(a: u8, b: u8) -> (Config, Start) {
        let mut c = Config::default();
        c.plaintext_auth_without_tls(a & 1 != 0)
            .starttls(a & 2 != 0)
            .capability_codes(a & 64 == 0);
        if a & 8 == 0 {
            c.max_bad_commands(1000, 1000);
        }
        if a & 16 == 0 {
            c.max_auth_failures(1000);
        }
        if a & 32 != 0 {
            use pobox::sasl::Mechanism;
            c.mechanisms(&[Mechanism::Plain, Mechanism::Login, Mechanism::CramMd5]);
        }
        if b & 1 != 0 {
            c.max_line(0);
        }
        if b & 2 != 0 {
            c.max_buffered_output(0);
        }
        if b & 4 != 0 {
            c.fetch_window(1);
        }
        if b & 8 != 0 {
            c.max_literal_before_login(0).max_literal(0).max_append(0);
        }
        if b & 16 != 0 {
            c.auth_failure_delay(Duration::ZERO);
        }
        if b & 128 != 0 {
            let _ = c.delimiter(b'.');
        }
        let start = Start {
            transport: if a & 4 != 0 {
                Transport::Tls
            } else {
                Transport::Plain
            },
            preauth: a & 128 != 0,
        };
        (c, start)
    }

    /// The limits of a config, as its setters clamp them (the session keeps them private).
    #[derive(Clone, Copy, Debug)]
    struct Bounds {
        max_input: usize,
        max_output: usize,
    }

    fn bounds(b: u8) -> Bounds {
        Bounds {
            max_input: 256 * 1024,
            max_output: if b & 2 != 0 { 16 * 1024 } else { 256 * 1024 },
        }
    }

    /// An IMAP session fed the input in pieces, against the in-memory host.
    ///
    /// Input layout: two configuration octets (transport, STARTTLS, PREAUTH, SASL
    /// mechanisms, limits at their minimums; see `config`), then the client's bytes.
    ///
    /// Three runs of the same client bytes:
    /// 1. in pieces whose sizes come from a generator seeded by the input, with the host
    ///    answering every request at once (`tests/support/imap.rs`) and failed-login delays
    ///    passing on a fake clock, as a host loop does: feed only while `wants_read()`,
    ///    answer every event, write out `transmit()`;
    /// 2. the same, whole (or one octet at a time, by a configuration bit);
    /// 3. a hostile host: answers held back and given late, refusals and odd answers
    ///    (messages without their bytes, matches outside the candidates), changes by
    ///    other sessions (new messages, expunges, flag changes, the mailbox invalidated),
    ///    time jumps past the host timeout, the login timeout, the IDLE keepalive and the
    ///    autologout, and a client that does not read its output for a while.
    ///
    /// Checks: no panic; the host's answers to requests it was just given are accepted;
    /// all output of every run parses with pobox's client parser, greeting first, then
    /// response after response (literals included) to its last octet; runs 1 and 2 give
    /// the same output (up to a STARTTLS OK, after which the reads decide what was
    /// discarded); input buffered stays under `max_buffered_input` plus one read, and
    /// the output queue under `max_buffered_output` plus one response; the session never
    /// stalls (not reading, yet nothing to wait for); `Debug` of the session never shows
    /// the password; nothing is written after the session closed and its output drained.
    pub fn imap_session(data: &[u8]) {
        let Some((&[a, b], client)) = data.split_first_chunk::<2>() else {
            return;
        };
        let (config, start) = config(a, b);
        let limits = bounds(b);
        let mut rng = Rng::new(data);
        let one = run_plain(
            config.clone(),
            start,
            client,
            limits,
            Chunks::Random(&mut rng),
        );
        let other = if b & 32 != 0 {
            Chunks::Bytes
        } else {
            Chunks::Whole
        };
        let two = run_plain(config.clone(), start, client, limits, other);
        if std::env::var_os("POBOX_FUZZ_TRACE").is_some() {
            eprintln!("{}", String::from_utf8_lossy(&one.wire));
        }
        same_output(&one, &two);
        let mut chaos_config = config;
        chaos_config
            .host_timeout(Duration::from_secs(1))
            .login_timeout(Duration::from_secs(10))
            .idle_keepalive(Duration::from_secs(10));
        run_chaos(chaos_config, start, client, limits, &mut rng, b & 64 != 0);
    }

    enum Chunks<'a> {
        Random(&'a mut Rng),
        Whole,
        Bytes,
    }

    impl Chunks<'_> {
        fn next(&mut self, left: usize) -> usize {
            match self {
                Chunks::Random(rng) => match rng.below(5) {
                    0 => 1,
                    1 => 1 + rng.below(8) as usize,
                    2 => 1 + rng.below(64) as usize,
                    3 => 1 + rng.below(512) as usize,
                    _ => left,
                },
                Chunks::Whole => left,
                Chunks::Bytes => 1,
            }
            .clamp(1, left.max(1))
        }
    }

    fn start_host(config: Config, start: Start) -> Harness {
        Harness::start(
            config,
            start.transport,
            store(),
            start.preauth.then_some(USER),
        )
    }

    /// Output and observations of one run.
    struct Run {
        wire: Vec<u8>,
        /// Largest output queue seen.
        max_queued: usize,
        limits: Bounds,
        /// The host was asked for a TLS handshake.
        starttls: bool,
        /// Output offsets at which the host answered a SELECT or EXAMINE: the responses
        /// from there on are about the mailbox it opened (or none).
        selects: Vec<usize>,
        /// The store's messages at the end, by UIDVALIDITY and UID (runs 1 and 2).
        bodies: HashMap<(u32, u32), Bytes>,
    }

    /// What the session's `Debug` says it buffers: (input, output).
    fn buffered(h: &Harness) -> (usize, usize) {
        let debug = format!("{:?}", h.session);
        // The user name and the mailbox name are shown, and may hold the text of the
        // password (the hostile run accepts any login).
        let named = |s: Option<&str>| s.is_some_and(|s| s.contains(PASSWORD));
        if !named(h.selected.as_deref()) && !named(h.session.user()) {
            assert!(
                !debug.contains(PASSWORD),
                "Debug shows the password: {debug}"
            );
        }
        let field = |name: &str| -> usize {
            let Some(at) = debug.find(name) else {
                panic!("no {name} in {debug}");
            };
            let digits: String = debug[at + name.len()..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            digits
                .parse()
                .unwrap_or_else(|_| panic!("{name} in {debug}"))
        };
        (field("buffered_input: "), field("buffered_output: "))
    }

    /// Checks the buffers after an input, an answer or a drain: the output queue always;
    /// the input (through `Debug`, which also must not show the password) after a read.
    fn observe(h: &mut Harness, run: &mut Run, limits: Bounds, read: usize) {
        let output = h.session.transmit().remaining();
        run.max_queued = run.max_queued.max(output);
        if read > 0 {
            let (input, debug_output) = buffered(h);
            assert_eq!(debug_output, output);
            assert!(
                input <= limits.max_input + read,
                "input buffered {input} > {} + {read}",
                limits.max_input
            );
        }
    }

    /// Writes out the output; the number of octets.
    fn drain(h: &mut Harness, wire: &mut Vec<u8>) -> usize {
        let t = h.session.transmit();
        let n = t.remaining();
        while t.has_remaining() {
            let c = t.chunk();
            assert!(!c.is_empty(), "empty chunk with bytes remaining");
            wire.extend_from_slice(c);
            let k = c.len();
            t.advance(k);
        }
        n
    }

    /// Is this event a request the host must answer?
    fn is_request(e: &Event) -> bool {
        !matches!(
            e,
            Event::Closed(_) | Event::Unselected | Event::AppendCancelled
        )
    }

    /// The host's answer: the shared test host, except where the store cannot follow what
    /// the session was told (the selected mailbox deleted or renamed by the client).
    fn host_answer(h: &mut Harness, run: &mut Run, event: Event) {
        if h.session.is_closed() && is_request(&event) {
            // Queued before the session closed: its answer is refused, as documented.
            return odd_answer(h, run, event, &mut Rng(1), true);
        }
        if matches!(event, Event::Select(_)) {
            selected_from_here(h, run);
        }
        if let Event::Copy(request) = event {
            let source_gone = h
                .selected
                .as_ref()
                .is_none_or(|s| !h.store.folders.contains_key(s));
            if source_gone {
                let now = h.now;
                h.session
                    .answer(request, Err(MailboxError::NonExistent), now)
                    .expect("copy pending");
            } else {
                h.answer(Event::Copy(request));
            }
            return;
        }
        h.answer(event);
    }

    /// The host is answering a SELECT (and the session takes the answer): what the session
    /// writes from here on is about the mailbox it opens.
    fn selected_from_here(h: &mut Harness, run: &mut Run) {
        run.selects
            .push(run.wire.len() + h.session.transmit().remaining());
    }

    /// Notes what the output check needs to know of an event, before it is answered.
    fn note(run: &mut Run, event: &Event) {
        run.starttls |= matches!(event, Event::StartTls(_));
    }

    /// Answers every event, lets failed-login delays pass, writes out the output; until
    /// nothing is left to do.
    fn settle(h: &mut Harness, run: &mut Run, limits: Bounds) {
        let mut rounds = 0u32;
        loop {
            rounds += 1;
            assert!(rounds < 1_000_000, "the session does not settle");
            let mut any = false;
            while let Some(event) = h.session.poll_event() {
                any = true;
                note(run, &event);
                host_answer(h, run, event);
                observe(h, run, limits, 0);
            }
            if let Some(at) = h.session.poll_timeout() {
                if at <= h.now + Duration::from_secs(30) {
                    h.now = at;
                    h.session.handle_timeout(at);
                    observe(h, run, limits, 0);
                    continue;
                }
            }
            if drain(h, &mut run.wire) > 0 {
                observe(h, run, limits, 0);
                continue;
            }
            if !any {
                return;
            }
        }
    }

    /// Runs 1 and 2: the host answers at once, the client reads everything.
    fn run_plain(
        config: Config,
        start: Start,
        client: &[u8],
        limits: Bounds,
        mut chunks: Chunks<'_>,
    ) -> Run {
        let mut h = start_host(config, start);
        let mut run = Run {
            wire: Vec::new(),
            max_queued: 0,
            limits,
            starttls: false,
            selects: Vec::new(),
            bodies: HashMap::new(),
        };
        settle(&mut h, &mut run, limits);
        let mut rest = client;
        while !rest.is_empty() && !h.session.is_closed() {
            assert!(
                h.session.wants_read(),
                "stalled: not reading, with nothing to wait for: {:?}",
                h.session
            );
            let n = chunks.next(rest.len());
            let (piece, tail) = rest.split_at(n);
            rest = tail;
            let now = h.now;
            h.session.feed(now, piece);
            observe(&mut h, &mut run, limits, n);
            settle(&mut h, &mut run, limits);
        }
        let now = h.now;
        h.session.feed_eof(now);
        settle(&mut h, &mut run, limits);
        assert!(h.session.is_closed(), "open after feed_eof");
        assert!(h.closed.is_some(), "no Closed event");
        closed_stays_quiet(&mut h);
        for folder in h.store.folders.values() {
            for m in &folder.messages {
                run.bodies
                    .insert((folder.uid_validity, m.uid), m.bytes.clone());
            }
        }
        check_output(&run, true);
        run
    }

    /// After the close and the last write, nothing more comes out.
    fn closed_stays_quiet(h: &mut Harness) {
        let now = h.now;
        h.session.feed(now, b"a NOOP\r\n");
        h.session.handle_timeout(now + Duration::from_secs(3600));
        assert!(h.session.poll_event().is_none(), "event after the close");
        assert_eq!(
            h.session.transmit().remaining(),
            0,
            "output after the close"
        );
    }

    /// Runs 1 and 2 wrote the same (up to a STARTTLS OK).
    fn same_output(one: &Run, two: &Run) {
        // (Searched only after a STARTTLS: a comparison per octet is slow under
        // libFuzzer's memcmp hooks.)
        let cut = |run: &Run| {
            let w = &run.wire;
            let found = run.starttls.then(|| {
                w.windows(STARTTLS_OK.len())
                    .position(|x| x == STARTTLS_OK)
                    .map(|i| i + STARTTLS_OK.len())
            });
            found.flatten().unwrap_or(w.len())
        };
        let (a, b) = (&one.wire[..cut(one)], &two.wire[..cut(two)]);
        if a != b {
            let at = a.iter().zip(b).take_while(|(x, y)| x == y).count();
            let from = at.saturating_sub(200);
            panic!(
                "output depends on how the input was split; first difference at octet {at}:\n\
                 pieces: ...{}\nwhole:  ...{}",
                esc(&a[from..(at + 200).min(a.len())]),
                esc(&b[from..(at + 200).min(b.len())])
            );
        }
    }

    /// The output is a greeting and then whole responses, each as pobox's client parser
    /// reads it; the output queue never held more than its limit plus one response.
    fn check_output(run: &Run, exact_sizes: bool) {
        let wire = Bytes::copy_from_slice(&run.wire);
        let limits = Limits::default();
        let mut largest = 0usize;
        let greeting = match imap::parse_greeting_with(&wire, &limits) {
            Ok(Status::Complete((n, _))) => n,
            other => panic!(
                "greeting {other:?}: {}",
                esc(&run.wire[..run.wire.len().min(300)])
            ),
        };
        let mut at = greeting;
        let fresh = || Mailbox {
            exact_sizes,
            ..Mailbox::default()
        };
        let mut model = fresh();
        let mut bye_seen: Option<u8> = None;
        let mut selects = run.selects.iter().peekable();
        while at < wire.len() {
            let rest = wire.slice(at..);
            match imap::parse_response_with(&rest, &limits) {
                Ok(Status::Complete((n, response))) => {
                    assert!(n > 0);
                    while selects.next_if(|&&s| s <= at).is_some() {
                        model = fresh();
                    }
                    // After `* BYE` only the tagged OK of a LOGOUT may follow (RFC 3501
                    // §7.1.5, §6.1.3).
                    let after = match (&bye_seen, &response) {
                        (None, imap::Response::Status(s)) if s.kind == imap::StatusKind::Bye => {
                            Some(0)
                        }
                        (None, _) => None,
                        (Some(0), imap::Response::Status(s))
                            if s.tag.is_some() && s.text.as_bytes() == b"LOGOUT completed" =>
                        {
                            Some(1)
                        }
                        (Some(_), _) => {
                            let from = at.saturating_sub(300);
                            panic!(
                                "output after * BYE, at octet {at}:\n...{}\n>>>{}",
                                esc(&run.wire[from..at]),
                                esc(&run.wire[at..at + n.min(300)])
                            );
                        }
                    };
                    bye_seen = after;
                    if let Err(e) = model.apply(&response, &run.bodies) {
                        let from = at.saturating_sub(600);
                        panic!(
                            "{e}, at octet {at}:\n...{}\n>>>{}",
                            esc(&run.wire[from..at]),
                            esc(&run.wire[at..at + n.min(300)])
                        );
                    }
                    largest = largest.max(n);
                    at += n;
                }
                other => {
                    let from = at.saturating_sub(300);
                    panic!(
                        "response at octet {at} {other:?}:\n...{}\n>>>{}",
                        esc(&run.wire[from..at]),
                        esc(&run.wire[at..(at + 300).min(run.wire.len())])
                    );
                }
            }
        }
        // The session stops producing at `max_buffered_output`; what is queued beyond it is
        // the rest of one step: one FETCH response (bodies count by size, uncopied), or one
        // command's small responses (a LIST of a few hundred mailboxes).
        let bound = run.limits.max_output + largest + 16 * 1024;
        assert!(
            run.max_queued <= bound,
            "output queue {} > {bound} (limit {}, largest response {largest})",
            run.max_queued,
            run.limits.max_output
        );
    }

    /// The selected mailbox as the client knows it from the responses (RFC 3501 §7.3.1,
    /// §7.4.1, §2.3.1.2): the message count, and the UID of each message where a FETCH told
    /// it. Message numbers stay within the count, EXISTS never goes down, an EXPUNGE
    /// shifts the numbers above it, a message's UID never changes, UIDs ascend with the
    /// numbers, RECENT is at most EXISTS.
    /// And no EXPUNGE while a FETCH or SEARCH (not UID) is answered (§7.4.1), which shows
    /// where the command's tagged OK ends with the session's own text.
    /// With an honest host (runs 1 and 2), the sizes in one FETCH response agree too:
    /// RFC822.SIZE is the length of `BODY[]` (RFC822) and of `BODY[HEADER]` plus
    /// `BODY[TEXT]`, all counted in the wire form (CRLF, NUL sent as one octet); and
    /// `BODY[]`, `BODY[]<origin>` and `RFC822` of a message whose UID the response gives
    /// are the store's message in that wire form (each bare LF sent as CRLF, each NUL as
    /// 0x80), or the window of it that starts at the origin.
    #[derive(Default)]
    struct Mailbox {
        /// `None` before the first EXISTS of this selection.
        uids: Option<Vec<Option<u32>>>,
        /// An EXPUNGE came since the last tagged response.
        expunged: bool,
        /// The host's sizes are the messages' own (not the hostile run).
        exact_sizes: bool,
        /// The UIDVALIDITY the SELECT announced.
        validity: Option<u32>,
    }

    impl Mailbox {
        fn apply(
            &mut self,
            response: &imap::Response,
            bodies: &HashMap<(u32, u32), Bytes>,
        ) -> Result<(), String> {
            use imap::{Code, Data, MessageDataItem, Response, StatusKind};
            let data = match response {
                Response::Data(data) => data,
                Response::Status(status) if status.tag.is_none() => {
                    if let Some(Code::UidValidity(v)) = &status.code {
                        self.validity = Some(v.get());
                    }
                    return Ok(());
                }
                Response::Status(status) if status.tag.is_some() => {
                    let text = status.text.as_bytes();
                    let fetch_or_search = text == b"FETCH completed" || text == b"SEARCH completed";
                    if status.kind == StatusKind::Ok && fetch_or_search && self.expunged {
                        return Err("EXPUNGE while answering FETCH or SEARCH".to_owned());
                    }
                    self.expunged = false;
                    return Ok(());
                }
                _ => return Ok(()),
            };
            let count = self.uids.as_ref().map_or(0, Vec::len);
            match data {
                Data::Exists(n) => {
                    let n = *n as usize;
                    let uids = self.uids.get_or_insert_with(Vec::new);
                    if n < uids.len() {
                        return Err(format!("EXISTS went down from {} to {n}", uids.len()));
                    }
                    uids.resize(n, None);
                }
                Data::Recent(n) if *n as usize > count => {
                    return Err(format!("{n} RECENT of {count} messages"));
                }
                Data::Expunge(n) => {
                    self.expunged = true;
                    let n = n.get() as usize;
                    match self.uids.as_mut() {
                        Some(uids) if n <= uids.len() => {
                            uids.remove(n - 1);
                        }
                        _ => return Err(format!("EXPUNGE {n} of {count} messages")),
                    }
                }
                Data::Fetch { seq, items } => {
                    if self.exact_sizes {
                        sizes_agree(items)?;
                    }
                    let n = seq.get() as usize;
                    let Some(uids) = self.uids.as_mut().filter(|u| n <= u.len()) else {
                        return Err(format!("FETCH of message {n} of {count}"));
                    };
                    for item in items {
                        let MessageDataItem::Uid(uid) = item else {
                            continue;
                        };
                        let uid = uid.get();
                        match uids[n - 1] {
                            Some(known) if known != uid => {
                                return Err(format!("message {n} had UID {known}, now {uid}"));
                            }
                            _ => uids[n - 1] = Some(uid),
                        }
                        let below = uids[..n - 1].iter().rev().find_map(|u| *u);
                        let above = uids[n..].iter().find_map(|u| *u);
                        if below.is_some_and(|b| b >= uid) || above.is_some_and(|a| a <= uid) {
                            return Err(format!(
                                "UID {uid} of message {n} out of order ({below:?} below, {above:?} above)"
                            ));
                        }
                    }
                    // The UID from this response or an earlier one.
                    let stored = self
                        .validity
                        .zip(uids[n - 1])
                        .and_then(|k| bodies.get(&k))
                        .filter(|_| self.exact_sizes);
                    if let Some(stored) = stored {
                        bodies_agree(items, stored)?;
                    }
                }
                _ => {}
            }
            Ok(())
        }
    }

    /// See [`Mailbox`]: the whole-message items of a FETCH response are the stored
    /// message's wire form.
    fn bodies_agree(items: &[imap::MessageDataItem], stored: &[u8]) -> Result<(), String> {
        use imap::MessageDataItem as M;
        let mut wire = Vec::with_capacity(stored.len() + stored.len() / 16);
        for (i, &b) in stored.iter().enumerate() {
            match b {
                b'\n' if i == 0 || stored[i - 1] != b'\r' => wire.extend_from_slice(b"\r\n"),
                0 => wire.push(0x80),
                _ => wire.push(b),
            }
        }
        for item in items {
            let (origin, data) = match item {
                M::Rfc822(data) => (0, data),
                M::BodySection {
                    section,
                    origin,
                    data,
                } if section.part().is_empty() && section.text().is_none() => {
                    (origin.unwrap_or(0) as usize, data)
                }
                _ => continue,
            };
            let Some(data) = data else {
                return Err("BODY[] of an existing message is NIL".to_owned());
            };
            let data = data.as_bytes();
            let from = origin.min(wire.len());
            let expected = &wire[from..(from + data.len()).min(wire.len())];
            let whole =
                matches!(item, M::Rfc822(_)) || matches!(item, M::BodySection { origin: None, .. });
            if data != expected || (whole && data.len() != wire.len()) {
                return Err(format!(
                    "BODY[] from {origin} is not the stored message: sent {} octets {}, \
                     stored (wire form) {} octets {}",
                    data.len(),
                    esc(&data[..data.len().min(120)]),
                    wire.len(),
                    esc(&wire[from..(from + 120).min(wire.len())])
                ));
            }
        }
        Ok(())
    }

    /// See [`Mailbox`]: the sizes within one FETCH response agree.
    fn sizes_agree(items: &[imap::MessageDataItem]) -> Result<(), String> {
        use imap::{MessageDataItem as M, SectionText};
        let (mut size, mut full, mut header, mut text) = (None, None, None, None);
        for item in items {
            match item {
                M::Rfc822Size(n) => size = Some(*n as usize),
                M::Rfc822(Some(s)) => full = Some(s.as_bytes().len()),
                M::Rfc822Header(Some(s)) => header = Some(s.as_bytes().len()),
                M::Rfc822Text(Some(s)) => text = Some(s.as_bytes().len()),
                M::BodySection {
                    section,
                    origin: None,
                    data: Some(s),
                } if section.part().is_empty() => match section.text() {
                    None => full = Some(s.as_bytes().len()),
                    Some(SectionText::Header) => header = Some(s.as_bytes().len()),
                    Some(SectionText::Text) => text = Some(s.as_bytes().len()),
                    _ => {}
                },
                _ => {}
            }
        }
        let parts = header.zip(text).map(|(h, t)| h + t);
        let agree = |a: Option<usize>, b: Option<usize>| a.zip(b).is_none_or(|(a, b)| a == b);
        if agree(size, full) && agree(size, parts) && agree(full, parts) {
            Ok(())
        } else {
            Err(format!(
                "sizes disagree: RFC822.SIZE {size:?}, BODY[] {full:?}, HEADER + TEXT {parts:?}"
            ))
        }
    }

    /// Run 3 (see [`imap_session`]).
    fn run_chaos(
        config: Config,
        start: Start,
        client: &[u8],
        limits: Bounds,
        rng: &mut Rng,
        end_with_eof: bool,
    ) {
        let mut h = start_host(config, start);
        let mut run = Run {
            wire: Vec::new(),
            max_queued: 0,
            limits,
            starttls: false,
            selects: Vec::new(),
            bodies: HashMap::new(),
        };
        let mut held: Vec<Event> = Vec::new();
        let mut rest = client;
        let mut steps = 0u32;
        loop {
            steps += 1;
            assert!(steps < 1_000_000, "the session does not make progress");
            // The host takes every event: answers now, answers oddly, or holds it.
            while let Some(event) = h.session.poll_event() {
                if !is_request(&event) || h.session.is_closed() {
                    note(&mut run, &event);
                    host_answer(&mut h, &mut run, event);
                } else {
                    match rng.below(100) {
                        0..=64 => {
                            note(&mut run, &event);
                            host_answer(&mut h, &mut run, event);
                        }
                        65..=79 => {
                            note(&mut run, &event);
                            odd_answer(&mut h, &mut run, event, rng, false);
                        }
                        _ => held.push(event),
                    }
                }
                observe(&mut h, &mut run, limits, 0);
            }
            if !held.is_empty() && rng.chance(30) {
                let event = held.remove(rng.below(held.len() as u64) as usize);
                note(&mut run, &event);
                odd_answer(&mut h, &mut run, event, rng, true);
                observe(&mut h, &mut run, limits, 0);
                continue;
            }
            // Changes by others, also after the session closed: a host may report one
            // before it closes the connection, and nothing may be written then (finding 5,
            // tests/imap_session_fuzz_regressions.rs).
            if h.selected.is_some() && rng.chance(5) {
                elsewhere(&mut h, rng);
                observe(&mut h, &mut run, limits, 0);
                continue;
            }
            if rng.chance(70) {
                drain(&mut h, &mut run.wire);
                observe(&mut h, &mut run, limits, 0);
            }
            let step = match rng.below(1000) {
                0..=799 => Duration::ZERO,
                800..=899 => Duration::from_millis(500),
                900..=969 => Duration::from_millis(1500),
                970..=994 => Duration::from_secs(11),
                _ => Duration::from_secs(31 * 60),
            };
            if !step.is_zero() {
                h.now += step;
                let now = h.now;
                h.session.handle_timeout(now);
                observe(&mut h, &mut run, limits, 0);
                continue;
            }
            if rest.is_empty() || h.session.is_closed() {
                break;
            }
            if h.session.wants_read() {
                let read = Chunks::Random(rng).next(rest.len());
                let (piece, tail) = rest.split_at(read);
                rest = tail;
                let now = h.now;
                h.session.feed(now, piece);
                observe(&mut h, &mut run, limits, read);
            } else if !held.is_empty() {
                let event = held.remove(0);
                note(&mut run, &event);
                odd_answer(&mut h, &mut run, event, rng, true);
            } else if drain(&mut h, &mut run.wire) == 0 {
                // Nothing to write and nothing held: only a timer can move it on.
                let Some(at) = h.session.poll_timeout() else {
                    panic!(
                        "stalled: not reading, with nothing to wait for: {:?}",
                        h.session
                    );
                };
                h.now = h.now.max(at);
                let now = h.now;
                h.session.handle_timeout(now);
            }
        }
        // The end: held answers come late, the client goes away or the server stops, and
        // every timer runs out.
        for event in std::mem::take(&mut held) {
            note(&mut run, &event);
            odd_answer(&mut h, &mut run, event, rng, true);
        }
        if !h.session.is_closed() {
            let now = h.now;
            if end_with_eof {
                h.session.feed_eof(now);
            } else {
                h.session.shutdown(now);
            }
        }
        let mut rounds = 0u32;
        loop {
            rounds += 1;
            assert!(rounds < 100_000, "the session does not end");
            while let Some(event) = h.session.poll_event() {
                note(&mut run, &event);
                host_answer(&mut h, &mut run, event);
            }
            observe(&mut h, &mut run, limits, 0);
            drain(&mut h, &mut run.wire);
            match h.session.poll_timeout() {
                Some(at) => {
                    h.now = h.now.max(at);
                    let now = h.now;
                    h.session.handle_timeout(now);
                }
                None if h.session.poll_event().is_none() => break,
                None => {}
            }
        }
        assert!(h.session.is_closed());
        closed_stays_quiet(&mut h);
        check_output(&run, false);
    }

    /// A change made by another session or an MTA, told to the session.
    fn elsewhere(h: &mut Harness, rng: &mut Rng) {
        let now = h.now;
        let Some(name) = h.selected.clone() else {
            return;
        };
        let uids: Vec<u32> = h
            .store
            .folders
            .get(&name)
            .map(|f| f.messages.iter().map(|m| m.uid).collect())
            .unwrap_or_default();
        let pick = |rng: &mut Rng| {
            uids.get(rng.below(uids.len().max(1) as u64) as usize)
                .copied()
        };
        match rng.below(20) {
            0..=5 => {
                let flags = [Flag::Seen];
                let uid = h.store.deliver(&name, &flags, Bytes::from_static(SIMPLE));
                h.session.handle_change(
                    now,
                    Change::Arrived {
                        uid,
                        flags: &flags,
                        recent: rng.chance(50),
                    },
                );
            }
            6..=10 => {
                if let Some(uid) = pick(rng) {
                    if let Some(f) = h.store.folders.get_mut(&name) {
                        f.messages.retain(|m| m.uid != uid);
                    }
                    h.session.handle_change(now, Change::Expunged { uid });
                }
            }
            11..=13 => {
                // Expunged, but not reported yet: the message's data is gone.
                if let Some(uid) = pick(rng) {
                    h.gone.push(uid);
                }
            }
            14..=18 => {
                if let Some(uid) = pick(rng) {
                    let all = [Flag::Seen, Flag::Deleted, Flag::Flagged, Flag::Answered];
                    let flags: Vec<Flag> = all.into_iter().filter(|_| rng.chance(50)).collect();
                    if let Some(m) = h
                        .store
                        .folders
                        .get_mut(&name)
                        .and_then(|f| f.messages.iter_mut().find(|m| m.uid == uid))
                    {
                        m.flags = flags.clone();
                    }
                    h.session
                        .handle_change(now, Change::Flags { uid, flags: &flags });
                }
            }
            _ => h.session.handle_change(now, Change::Invalidated),
        }
    }

    /// An answer other than the store's: a refusal, or a strange but valid answer; for
    /// a request held back, also possibly too late. A refused answer is fine here.
    fn odd_answer(h: &mut Harness, run: &mut Run, event: Event, rng: &mut Rng, late: bool) {
        let now = h.now;
        let error = |rng: &mut Rng| {
            *[
                MailboxError::NonExistent,
                MailboxError::AlreadyExists,
                MailboxError::NoPermission,
                MailboxError::InUse,
                MailboxError::OverQuota,
                MailboxError::TooBig,
                MailboxError::Limit,
                MailboxError::Cannot,
                MailboxError::Unavailable,
                MailboxError::Corruption,
                MailboxError::ServerBug,
            ]
            .get(rng.below(11) as usize)
            .unwrap_or(&MailboxError::Unavailable)
        };
        let s = &mut h.session;
        match event {
            Event::Login(r) => {
                let answer = match rng.below(6) {
                    0 => Ok(()),
                    1 => Err(LoginRejection::BadCredentials),
                    2 => Err(LoginRejection::NotAuthorized),
                    3 => Err(LoginRejection::Expired),
                    4 => Err(LoginRejection::Unavailable),
                    _ => Err(LoginRejection::ContactAdmin),
                };
                let _ = s.answer(r, answer, now);
            }
            Event::StartTls(r) => {
                let _ = s.answer(r, (), now);
            }
            Event::Select(r) => {
                let name = r.mailbox().as_str().to_owned();
                let snapshot = h.store.folders.get(&name).map(|f| {
                    let mut snapshot = Snapshot::new(f.uid_validity, f.uid_next);
                    for m in &f.messages {
                        snapshot.push(m.uid, &m.flags, false);
                    }
                    if rng.chance(30) {
                        snapshot.read_only();
                    }
                    if rng.chance(30) {
                        snapshot.permanent_flags(&[Flag::Seen, Flag::Deleted], rng.chance(50));
                    }
                    if rng.chance(20) {
                        if let Ok(k) = Flag::keyword("Junk") {
                            snapshot.keywords(&[k]);
                        }
                    }
                    snapshot
                });
                let at = run.wire.len() + s.transmit().remaining();
                let accepted = match snapshot {
                    Some(snapshot) if rng.chance(60) => {
                        let ok = s.answer(r, Ok(snapshot), now).is_ok();
                        if ok {
                            h.selected = Some(name);
                        }
                        ok
                    }
                    _ => s.answer(r, Err(error(rng)), now).is_ok(),
                };
                if accepted {
                    run.selects.push(at);
                }
            }
            Event::Mailbox(r) => {
                let _ = s.answer(r, Err(error(rng)), now);
            }
            Event::List(r) => {
                let answer = if rng.chance(50) {
                    Ok(Vec::new())
                } else {
                    Err(error(rng))
                };
                let _ = s.answer(r, answer, now);
            }
            Event::Status(r) => {
                let answer = if rng.chance(50) {
                    Ok(MailboxStatus {
                        messages: rng.next() as u32,
                        recent: 0,
                        uid_next: 7,
                        uid_validity: 1,
                        unseen: 3,
                    })
                } else {
                    Err(error(rng))
                };
                let _ = s.answer(r, answer, now);
            }
            Event::Append(r) => {
                let _ = s.answer(r, Err(error(rng)), now);
            }
            Event::AppendData(r) => {
                let answer = if late && rng.chance(50) {
                    Ok(())
                } else {
                    Err(error(rng))
                };
                let _ = s.answer(r, answer, now);
            }
            Event::AppendCommit(r) => {
                let answer = match rng.below(3) {
                    0 => Err(error(rng)),
                    // A UIDVALIDITY of 0 gives no APPENDUID.
                    1 => Ok(Appended {
                        uid_validity: 0,
                        uid: 0,
                    }),
                    _ => Ok(Appended {
                        uid_validity: 1,
                        uid: rng.next() as u32 | 1,
                    }),
                };
                h.appending = None;
                let _ = s.answer(r, answer, now);
            }
            Event::Message(r) => {
                let uid = r.uid();
                let bytes = h
                    .store
                    .folders
                    .values()
                    .flat_map(|f| f.messages.iter())
                    .find(|m| m.uid == uid)
                    .map(|m| m.bytes.clone());
                let answer = match rng.below(5) {
                    0 => Err(MessageError::Expunged),
                    1 => Err(MessageError::Unavailable),
                    // Less than was asked for.
                    2 => Ok(MessageData::new(rfc3501_date())),
                    // A size that does not match the bytes.
                    3 => Ok(MessageData::new(rfc3501_date())
                        .bytes(bytes.unwrap_or_default())
                        .size(rng.next() as u32)),
                    _ => Ok(MessageData::new(rfc3501_date())
                        .bytes(Bytes::from_static(b"Subject: other\n\nother\n"))),
                };
                let _ = s.answer(r, answer, now);
            }
            Event::Search(r) => {
                // Out of order, twice over, and one UID outside the candidates.
                let mut matches: Vec<u32> = r.candidates().iter().take(5).collect();
                matches.reverse();
                matches.extend(r.candidates().iter().take(2));
                matches.push(rng.next() as u32);
                let answer = match rng.below(3) {
                    0 => Err(MessageError::Unavailable),
                    1 => Ok(SearchAnswer::Matches(matches)),
                    _ => Ok(SearchAnswer::Evaluate),
                };
                let _ = s.answer(r, answer, now);
            }
            Event::Store(r) => {
                let answer = if rng.chance(50) {
                    Ok(())
                } else {
                    Err(error(rng))
                };
                let _ = s.answer(r, answer, now);
            }
            Event::Copy(r) => {
                let uids: Vec<u32> = r.uids().iter().take(64).collect();
                let answer = match rng.below(5) {
                    0 => Err(error(rng)),
                    1 => Ok(Copied::new()),
                    2 => {
                        let dest: Vec<u32> = (1..=uids.len() as u32).map(|u| u + 100).collect();
                        Ok(Copied::with_uids(7, &uids, &dest))
                    }
                    // Pairs in descending order, one of a UID never asked for, one twice.
                    3 => {
                        let mut source: Vec<u32> = uids.iter().rev().copied().collect();
                        source.push(rng.next() as u32 | 1);
                        source.extend(uids.first().copied());
                        let dest: Vec<u32> = (1..=source.len() as u32).map(|u| u + 200).collect();
                        Ok(Copied::with_uids(7, &source, &dest))
                    }
                    // Mismatched lists: an invalid answer.
                    _ => Ok(Copied::with_uids(7, &uids, &[])),
                };
                let _ = s.answer(r, answer, now);
            }
            // A poll is the host's moment to report what others changed.
            Event::Poll(r) => {
                if h.selected.is_some() && rng.chance(50) {
                    elsewhere(h, rng);
                }
                let _ = h.session.answer(r, (), now);
            }
            Event::Expunge(r) => {
                let uids: Vec<u32> = r.uids().iter().take(64).collect();
                let answer = match rng.below(3) {
                    0 => Err(error(rng)),
                    1 => Ok(Vec::new()),
                    // Removed, whatever the store says, in reverse and twice over; and one
                    // UID it never asked for.
                    _ => Ok(uids
                        .iter()
                        .rev()
                        .chain(&uids)
                        .copied()
                        .chain([rng.next() as u32])
                        .collect()),
                };
                let _ = s.answer(r, answer, now);
            }
            other => host_answer(h, run, other),
        }
    }
}
