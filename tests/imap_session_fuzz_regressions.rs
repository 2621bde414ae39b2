//! Regression tests for what the `imap_session` fuzz target and its review found in the IMAP
//! server session (issue 9). Each test names its finding; those whose fix is pending in
//! `src/` are `#[ignore]`d with the reason, and run with `cargo test -- --ignored`.

mod support;

use pobox::imap::server::Config;
use support::imap::{Harness, Store};

fn plain() -> Config {
    let mut c = Config::default();
    c.plaintext_auth_without_tls(true);
    c
}

fn selected(config: Config) -> Harness {
    let store = Store::default()
        .with_user("joe", "pw")
        .with_folder("INBOX")
        .with_message("INBOX", &[], &b"Subject: x\r\n\r\nbody\r\n"[..]);
    let mut h = Harness::new(config, store);
    h.output();
    let out = h.say("a LOGIN joe pw\r\nb SELECT INBOX\r\n");
    assert!(out.contains("b OK [READ-WRITE]"), "{out}");
    h
}

/// Feeds `data` in reads of `read` octets, each only while the session wants input (as a
/// host must), answering and draining in between; the output. Panics when the session
/// stops reading with nothing left to wait for.
fn feed_as_a_host(h: &mut Harness, data: &[u8], read: usize) -> String {
    let mut out = Vec::new();
    for (i, chunk) in data.chunks(read).enumerate() {
        assert!(
            h.session.wants_read(),
            "stalled after {} of {} octets: the session reads no more and waits for nothing: {:?}",
            i * read,
            data.len(),
            h.session
        );
        out.extend(h.feed(chunk));
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Finding 1: a command within every limit cannot be received when it is bigger than
/// `max_buffered_input`. Default limits: literals of 1 MiB after login (`max_literal`), but
/// `wants_read()` turns false at 256 KiB of buffered input, and the command is framed (so
/// the buffer drains) only once complete: the session says `+`, then stops reading for good
/// (a host that reads on gets `* BYE Too much input`).
#[test]
#[ignore = "fix pending: wants_read() is false while a command the session accepted is \
            still arriving (max_buffered_input 256 KiB < max_line + max_literal)"]
fn a_literal_accepted_with_a_continuation_can_be_sent() {
    let mut h = selected(plain());
    assert_eq!(
        h.say("c SEARCH TEXT {300000}\r\n"),
        "+ Ready for literal data\r\n"
    );
    let mut data = vec![b'x'; 300_000];
    data.extend_from_slice(b"\r\n");
    let out = feed_as_a_host(&mut h, &data, 16 * 1024);
    assert_eq!(out, "* SEARCH\r\nc OK SEARCH completed\r\n");
}

/// Finding 1, the line case: `max_buffered_input` is documented as "at least the longest
/// line" but is clamped to 16 KiB only, so with `max_buffered_input(16 KiB)` and the default
/// `max_line` (64 KiB) a 20 KiB command line stalls the same way.
#[test]
#[ignore = "fix pending: Config::max_buffered_input is not clamped to max_line"]
fn a_line_within_max_line_can_be_sent() {
    let mut config = plain();
    config.max_buffered_input(16 * 1024);
    let mut h = selected(config);
    let mut line = b"c SEARCH SUBJECT \"".to_vec();
    line.resize(20_000, b'y');
    line.extend_from_slice(b"\"\r\n");
    let out = feed_as_a_host(&mut h, &line, 4096);
    assert_eq!(out, "* SEARCH\r\nc OK SEARCH completed\r\n");
}

/// Finding 2: during IDLE, changes reported while the output is full are staged and then
/// never sent when the output drains (RFC 2177 §3: the client hears of them "immediately"):
/// the client learns of them only at the next change, or at DONE. `handle_change` releases
/// the staged updates only when the output has room at that moment
/// (`src/imap/server/mod.rs`, `handle_change`), and the command loop's IDLE arm (`run`)
/// only reads lines.
#[test]
#[ignore = "fix pending: run() does not release staged updates during IDLE once the output drains"]
fn idle_sends_changes_staged_while_the_output_was_full() {
    use bytes::Bytes;
    use pobox::imap::server::Change;
    let mut config = plain();
    config.max_buffered_output(16 * 1024);
    let mut h = selected(config);
    assert_eq!(h.say("c IDLE\r\n"), "+ idling\r\n");
    // 2,000 new messages while the client is not reading its output.
    for _ in 0..2000 {
        let uid = h
            .store
            .deliver("INBOX", &[], Bytes::from_static(b"Subject: new\r\n\r\n"));
        let now = h.now;
        h.session.handle_change(
            now,
            Change::Arrived {
                uid,
                flags: &[],
                recent: false,
            },
        );
    }
    // The client reads everything, the host loop runs as documented (poll_event, transmit).
    let out = String::from_utf8(h.output()).expect("ASCII");
    let last = out.lines().rev().find(|l| l.ends_with(" EXISTS"));
    assert_eq!(
        last,
        Some("* 2001 EXISTS"),
        "still idling; the client was told less"
    );
}

/// A session over TLS, logged in, with `n` messages selected (UIDs 1 to n, every other one
/// `\Seen`), its output thrown away.
fn big_mailbox(n: u32) -> pobox::imap::server::Session {
    use bytes::Buf;
    use pobox::imap::Flag;
    use pobox::imap::server::{Event, Session, Snapshot, Transport};
    let now = pobox::Instant::now();
    let mut s = Session::new(
        std::sync::Arc::new(Config::default()),
        Transport::Tls,
        [1; 16],
        now,
    );
    s.feed(now, b"a LOGIN joe pw\r\nb SELECT INBOX\r\n");
    let Some(Event::Login(login)) = s.poll_event() else {
        panic!("no login")
    };
    s.answer(login, Ok(()), now).expect("login pending");
    let Some(Event::Select(select)) = s.poll_event() else {
        panic!("no select")
    };
    let mut snapshot = Snapshot::new(1, n + 1);
    for uid in 1..=n {
        let flags: &[Flag] = if uid % 2 == 0 { &[Flag::Seen] } else { &[] };
        snapshot.push(uid, flags, false);
    }
    s.answer(select, Ok(snapshot), now).expect("select pending");
    let t = s.transmit();
    let k = t.remaining();
    t.advance(k);
    s
}

/// Finding 3: a host that answers a SEARCH from its own index (`SearchAnswer::Matches`)
/// costs the session candidates × matches steps: each matching UID is looked up with a
/// linear scan of the candidate ranges (`src/imap/server/search.rs`, `answer_search`).
/// Candidates are fragmented whenever the flags decided some messages (here `UNSEEN`:
/// every other message), so 200,000 candidates answered in full take 2 x 10^10 steps
/// (tens of seconds in a release build) where a binary search takes milliseconds.
#[test]
#[ignore = "fix pending: answer_search scans the candidate ranges linearly for every UID"]
fn search_matches_from_the_host_cost_linear_time() {
    use pobox::imap::server::{Event, SearchAnswer};
    let mut s = big_mailbox(400_000);
    let now = pobox::Instant::now();
    s.feed(now, b"c SEARCH UNSEEN BODY x\r\n");
    let Some(Event::Search(request)) = s.poll_event() else {
        panic!("no search request")
    };
    let uids: Vec<u32> = request.candidates().iter().collect();
    assert_eq!(uids.len(), 200_000);
    within(5, "answering the SEARCH", move || {
        s.answer(request, Ok(SearchAnswer::Matches(uids)), now)
            .expect("search pending");
    });
}

/// Finding 4 (cost, not correctness): a sequence set in SEARCH (`SEARCH 1,3,5,...`) is
/// checked against every message with `SequenceSet::contains`, linear in its elements
/// (`src/imap/server/search.rs`, `judge`, `SearchKey::SequenceSet` and `SearchKey::Uid`),
/// so one command line of 64 KiB (10,000 elements) costs 10^10 steps on a mailbox of a
/// million messages (about 10 s of CPU in a release build, for one client line). The sets could be resolved once into merged ranges (as
/// `sets::resolve` does for FETCH) and searched by bisection.
#[test]
#[ignore = "fix pending: SEARCH sequence sets are scanned linearly per message"]
fn search_by_a_long_sequence_set_costs_linear_time() {
    use bytes::Buf;
    let mut s = big_mailbox(1_000_000);
    let set: Vec<String> = (0..10_000).map(|i| (2 * i + 1).to_string()).collect();
    let command = format!("c SEARCH {}\r\n", set.join(","));
    within(5, "the SEARCH", move || {
        s.feed(pobox::Instant::now(), command.as_bytes());
        assert!(s.transmit().remaining() > 50_000, "the SEARCH answered");
    });
}

/// Runs `work` on its own thread and fails when it takes more than `seconds` (the thread
/// is left to the end of the test process).
fn within(seconds: u64, what: &str, work: impl FnOnce() + Send + 'static) {
    let (done, wait) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        work();
        let _ = done.send(());
    });
    match wait.recv_timeout(std::time::Duration::from_secs(seconds)) {
        Ok(()) => {}
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
            panic!("{what} took more than {seconds} s")
        }
        Err(e) => panic!("{what} failed: {e}"),
    }
}

/// Finding 5 (fuzzing, `fuzz/artifacts/imap_session/crash-…` named in fuzz/README.md): a
/// change reported after the session closed is still answered on the wire. After LOGOUT
/// (`* BYE`, `tag OK LOGOUT completed`) or an autologout, `handle_change` with
/// `Change::Invalidated` writes another `* BYE`; the session has ended, and RFC 3501
/// §3.4 and §7.1.5 leave nothing to send after the BYE and the tagged OK. Cause:
/// `handle_change` (`src/imap/server/mod.rs`) checks only that a mailbox is selected, and
/// `close` leaves `selected` in place. A host may well report a change between the
/// session's end and its own closing of the connection.
#[test]
#[ignore = "fix pending: handle_change writes output after the session closed"]
fn no_output_after_the_session_closed() {
    use pobox::imap::server::Change;
    let mut h = selected(plain());
    let out = h.say("z LOGOUT\r\n");
    assert!(out.ends_with("z OK LOGOUT completed\r\n"), "{out}");
    assert!(h.session.is_closed());
    let now = h.now;
    h.session.handle_change(now, Change::Invalidated);
    h.session.handle_change(
        now,
        Change::Arrived {
            uid: 99,
            flags: &[],
            recent: true,
        },
    );
    assert_eq!(String::from_utf8_lossy(&h.output()), "");
}
