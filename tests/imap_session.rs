//! IMAP session behaviour beyond the RFC examples: states, literals and continuations,
//! login rules, STARTTLS, the selected-mailbox view and when updates may be sent, FETCH
//! data and streaming, APPEND streaming, host timeouts, asynchronous answers.

mod support;

use std::time::Duration;

use bytes::{Buf, Bytes};
use pobox::imap::server::{
    Change, CloseReason, Config, Event, MailboxError, MessageData, State, Transport,
};
use pobox::imap::{Flag, IString};
use pobox::{AnswerError, UsageError};
use support::imap::{Harness, Store, converse, rfc3501_date};

fn plain() -> Config {
    let mut c = Config::default();
    c.plaintext_auth_without_tls(true);
    c
}

fn store(n: u32) -> Store {
    let mut store = Store::default()
        .with_user("joe", "password")
        .with_folder("INBOX")
        .with_folder("Archive");
    for i in 1..=n {
        store.deliver(
            "INBOX",
            &[],
            Bytes::from(format!("Subject: {i}\r\n\r\nbody {i}\r\n")),
        );
    }
    for m in &mut store.folders.get_mut("INBOX").unwrap().messages {
        m.recent = false;
    }
    store
}

fn logged_in(n: u32) -> Harness {
    let mut h = Harness::new(plain(), store(n));
    h.output();
    assert!(h.say("L LOGIN joe password\r\n").starts_with("L OK"));
    h
}

fn selected(n: u32) -> Harness {
    let mut h = logged_in(n);
    assert!(h.say("S SELECT INBOX\r\n").contains("S OK [READ-WRITE]"));
    h
}

fn status_of(line: &str) -> Vec<&str> {
    line.splitn(3, ' ').take(2).collect()
}

// ---- states -----------------------------------------------------------------------------

/// RFC 3501 §3: each command in a state where it is not valid gets BAD, and nothing else
/// happens (no request reaches the host).
#[test]
fn rfc3501_3_commands_in_the_wrong_state_get_bad() {
    let not_authenticated = [
        "SELECT INBOX",
        "EXAMINE INBOX",
        "CREATE x",
        "DELETE x",
        "RENAME x y",
        "SUBSCRIBE x",
        "UNSUBSCRIBE x",
        "LIST \"\" *",
        "LSUB \"\" *",
        "STATUS x (MESSAGES)",
        "CHECK",
        "CLOSE",
        "EXPUNGE",
        "SEARCH ALL",
        "FETCH 1 FLAGS",
        "STORE 1 FLAGS ()",
        "COPY 1 x",
        "MOVE 1 x",
        "UID FETCH 1 FLAGS",
        "UID EXPUNGE 1",
        "IDLE",
        "UNSELECT",
        "NAMESPACE",
        "ENABLE X",
    ];
    let selected_only = [
        "CHECK",
        "CLOSE",
        "EXPUNGE",
        "SEARCH ALL",
        "FETCH 1 FLAGS",
        "STORE 1 FLAGS ()",
        "COPY 1 x",
        "MOVE 1 x",
        "UID FETCH 1 FLAGS",
        "UID STORE 1 FLAGS ()",
        "UID COPY 1 x",
        "UID MOVE 1 x",
        "UID SEARCH ALL",
        "UID EXPUNGE 1",
        "UNSELECT",
    ];
    let not_after_login = ["LOGIN a b", "AUTHENTICATE PLAIN", "STARTTLS"];
    let mut config = plain();
    config.max_bad_commands(100, 100);
    for cmd in not_authenticated {
        let mut h = Harness::new(config.clone(), store(1));
        h.output();
        let out = h.say(&format!("t {cmd}\r\n"));
        assert_eq!(status_of(&out), ["t", "BAD"], "{cmd}: {out}");
        assert!(h.log.is_empty(), "{cmd}: {:?}", h.log);
    }
    for cmd in selected_only {
        let mut h = logged_in(1);
        let out = h.say(&format!("t {cmd}\r\n"));
        assert_eq!(out, "t BAD No mailbox selected\r\n", "{cmd}");
    }
    for cmd in not_after_login {
        let mut h = selected(1);
        let out = h.say(&format!("t {cmd}\r\n"));
        assert_eq!(out, "t BAD Already logged in\r\n", "{cmd}");
    }
    let mut h = selected(1);
    assert_eq!(
        h.say("t ENABLE X\r\n"),
        "t BAD Only valid before a mailbox is selected\r\n"
    );
    assert_eq!(h.say("t XYZZY\r\n"), "t BAD Unknown command\r\n");
}

/// RFC 3501 §7.1.4: PREAUTH for a user the host has authenticated (mutt's `tunnel`).
#[test]
fn rfc3501_7_1_4_preauth_greeting() {
    let mut h = Harness::start(plain(), Transport::Plain, store(2), Some("joe"));
    let greeting = String::from_utf8(h.output()).unwrap();
    assert!(
        greeting.starts_with("* PREAUTH [CAPABILITY IMAP4rev1 LITERAL+ "),
        "{greeting}"
    );
    assert!(greeting.ends_with("] Logged in as joe\r\n"));
    assert_eq!(h.session.state(), State::Authenticated);
    assert!(h.say("a SELECT INBOX\r\n").contains("* 2 EXISTS"));
}

// ---- login ------------------------------------------------------------------------------

/// Unknown user and wrong password answer the same, after the same delay; too many close.
#[test]
fn failed_logins_look_alike_are_delayed_and_limited() {
    let mut config = plain();
    config
        .auth_failure_delay(Duration::from_secs(2))
        .max_auth_failures(2);
    let mut h = Harness::new(config, store(0));
    h.output();
    h.auto = true;
    let start = h.now;
    let wrong_password = h.say("a LOGIN joe nope\r\n");
    assert_eq!(
        h.now - start,
        Duration::from_secs(2),
        "the reply waited out the delay"
    );
    let unknown_user = h.say("b LOGIN nobody nope\r\n");
    assert_eq!(
        wrong_password.replace("a ", ""),
        unknown_user
            .replace("b ", "")
            .lines()
            .next()
            .unwrap()
            .to_owned()
            + "\r\n"
    );
    assert!(unknown_user.starts_with("b NO [AUTHENTICATIONFAILED] Authentication failed\r\n"));
    assert!(unknown_user.ends_with("* BYE Too many authentication failures\r\n"));
    assert_eq!(h.closed, Some(CloseReason::TooManyAuthFailures));
}

/// Commands pipelined after a failed login wait out its delay (they are not read early).
#[test]
fn pipelined_commands_wait_for_the_failed_login_delay() {
    let mut h = Harness::new(plain(), store(0));
    h.output();
    h.session.feed(h.now, b"a LOGIN joe nope\r\nb NOOP\r\n");
    while let Some(e) = h.session.poll_event() {
        h.answer(e);
    }
    assert_eq!(h.output(), b"", "nothing before the delay");
    let out = h.advance(Duration::from_secs(2));
    assert_eq!(
        out,
        "a NO [AUTHENTICATIONFAILED] Authentication failed\r\nb OK NOOP completed\r\n"
    );
}

/// RFC 3501 §6.2.3 and §11.1: without TLS, LOGIN is refused (LOGINDISABLED) unless the host
/// allows plaintext; so is AUTHENTICATE PLAIN.
#[test]
fn plaintext_login_needs_tls() {
    let mut h = Harness::new(Config::default(), store(0));
    let greeting = String::from_utf8(h.output()).unwrap();
    assert!(
        greeting.contains(" LOGINDISABLED") && !greeting.contains("AUTH=PLAIN"),
        "{greeting}"
    );
    assert_eq!(
        h.say("a LOGIN joe password\r\n"),
        "a NO [PRIVACYREQUIRED] Plaintext authentication disallowed on non-secure connections\r\n"
    );
    assert_eq!(
        h.say("b AUTHENTICATE PLAIN\r\n"),
        "b NO [PRIVACYREQUIRED] Plaintext authentication disallowed on non-secure connections\r\n"
    );
    assert!(h.log.is_empty(), "no credentials reached the host");
    let mut h = Harness::start(Config::default(), Transport::Tls, store(0), None);
    h.output();
    assert!(
        h.say("a LOGIN joe password\r\n")
            .starts_with("a OK [CAPABILITY IMAP4rev1 LITERAL+")
    );
}

/// Dovecot's limits: 3 bad commands in a row before login end the session (a client of
/// another protocol, a cross-protocol attack), 20 after.
#[test]
fn bad_commands_before_login_close_the_session() {
    let mut h = Harness::new(plain(), store(0));
    h.output();
    let out = h.say("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n");
    assert!(
        out.ends_with("* BYE Too many invalid commands\r\n"),
        "{out}"
    );
    assert_eq!(h.closed, Some(CloseReason::TooManyBadCommands));
    let mut h = logged_in(0);
    for i in 0..19 {
        assert!(
            h.say(&format!("{i} BOGUS\r\n"))
                .starts_with(&format!("{i} BAD"))
        );
    }
    assert!(
        h.say("x BOGUS\r\n")
            .ends_with("* BYE Too many invalid commands\r\n")
    );
}

/// AUTHENTICATE LOGIN and CRAM-MD5 through line mode; bad base64 is BAD.
#[test]
fn authenticate_login_cram_md5_and_bad_base64() {
    let mut config = plain();
    config.mechanisms(&[
        pobox::sasl::Mechanism::Login,
        pobox::sasl::Mechanism::CramMd5,
    ]);
    let mut h = Harness::new(config.clone(), store(0));
    h.output();
    converse(
        &mut h,
        "C: a AUTHENTICATE LOGIN\nS: + VXNlcm5hbWU6\nC: am9l\nS: + UGFzc3dvcmQ6\nC: cGFzc3dvcmQ=\nS~ a OK",
    );
    let mut h = Harness::new(config.clone(), store(0));
    h.output();
    let challenge = h.say("b AUTHENTICATE CRAM-MD5\r\n");
    assert!(challenge.starts_with("+ "), "{challenge}");
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let decoded = b64.decode(challenge[2..].trim_end()).unwrap();
    assert!(decoded.starts_with(b"<") && decoded.ends_with(b"@pobox>"));
    let mut h = Harness::new(config, store(0));
    h.output();
    h.say("c AUTHENTICATE LOGIN\r\n");
    assert_eq!(h.say("!!not base64!!\r\n"), "c BAD Invalid base64 data\r\n");
    assert_eq!(
        h.say("d NOOP\r\n"),
        "d OK NOOP completed\r\n",
        "back to commands"
    );
}

// ---- STARTTLS ---------------------------------------------------------------------------

/// CVE-2011-0411: whatever follows STARTTLS in the same read is discarded, never run.
#[test]
fn starttls_discards_injected_commands_however_split() {
    let mut config = Config::default();
    config.starttls(true);
    let input = b"a STARTTLS\r\nb LOGIN joe password\r\nc NOOP\r\n";
    for split in 1..input.len() {
        let mut h = Harness::new(config.clone(), store(0));
        h.output();
        h.auto = false;
        h.session.feed(h.now, &input[..split]);
        h.drive();
        h.session.feed(h.now, &input[split..]);
        h.drive();
        let out = String::from_utf8(h.output()).unwrap();
        let started = out == "a OK Begin TLS negotiation now\r\n";
        if !started {
            assert_eq!(out, "", "split {split}");
            continue;
        }
        for e in std::mem::take(&mut h.unanswered) {
            h.answer(e);
        }
        h.drive();
        assert_eq!(h.output(), b"", "split {split}: injected bytes ran");
        assert!(
            h.log.iter().all(|l| !l.starts_with("login")),
            "split {split}"
        );
        assert!(h.session.tls_active());
        assert_eq!(h.say("d NOOP\r\n"), "d OK NOOP completed\r\n");
    }
    let mut h = Harness::start(config, Transport::Tls, store(0), None);
    h.output();
    assert_eq!(h.say("a STARTTLS\r\n"), "a BAD TLS is already active\r\n");
}

// ---- literals ---------------------------------------------------------------------------

/// RFC 3501 §7.5: `+` comes only after the tag, command, state and size are checked; a
/// refused literal's octets are never read as commands.
#[test]
fn refused_literals_are_answered_by_tag_and_skipped() {
    let mut config = plain();
    config.max_bad_commands(1000, 1000);
    let mut h = Harness::new(config, store(0));
    h.output();
    assert_eq!(
        h.say("a SELECT {5}\r\n"),
        "a BAD Log in first\r\n",
        "state checked before +"
    );
    assert_eq!(
        h.say("b LOGIN {99999}\r\n"),
        "b BAD [LIMIT] Literal too big\r\n"
    );
    assert_eq!(h.say("c FROB {3}\r\n"), "c BAD Unknown command\r\n");
    assert_eq!(h.say("{3}\r\n"), "* BAD Invalid tag\r\n");
    assert_eq!(h.say("d NOOP\r\n"), "d OK NOOP completed\r\n");
    // Non-synchronizing: the octets come anyway and are skipped, even when they look like
    // commands.
    let out = h.say("e SELECT {20+}\r\nf LOGIN joe password\r\ng NOOP\r\n");
    assert_eq!(out, "e BAD Log in first\r\ng OK NOOP completed\r\n");
    assert_eq!(h.session.state(), State::NotAuthenticated);
}

/// A literal bomb: `{4294967295}` and a thousand refused literals in a row cost nothing.
#[test]
fn literal_bombs_before_and_after_login() {
    let mut config = plain();
    config.max_bad_commands(2000, 2000);
    let mut h = Harness::new(config.clone(), store(0));
    h.output();
    assert_eq!(
        h.say("a LOGIN {4294967295}\r\n"),
        "a BAD [LIMIT] Literal too big\r\n"
    );
    assert!(
        h.say("b LOGIN {4294967296}\r\n")
            .starts_with("b BAD [TOOBIG]")
    );
    let mut burst = String::new();
    for i in 0..1000 {
        burst.push_str(&format!("x{i} LOGIN {{4294967295}}\r\n"));
    }
    let out = h.say(&burst);
    assert_eq!(out.lines().count(), 1000);
    assert_eq!(h.say("z NOOP\r\n"), "z OK NOOP completed\r\n");
    let mut h = Harness::new(config, store(0));
    h.output();
    h.say("l LOGIN joe password\r\n");
    assert_eq!(
        h.say("a CREATE {4294967295}\r\n"),
        "a BAD [LIMIT] Literal too big\r\n"
    );
    assert_eq!(
        h.say("b APPEND INBOX {4294967295}\r\n"),
        "b NO [TOOBIG] Message is larger than APPENDLIMIT\r\n"
    );
}

/// Output is the same however the input is split: one byte at a time, CR and LF apart, in
/// the middle of a literal.
#[test]
fn output_does_not_depend_on_how_input_is_split() {
    let script: &[u8] = b"a LOGIN {3}\r\njoe {8}\r\npassword\r\nb SELECT INBOX\r\nc FETCH 1:2 (FLAGS BODY[])\r\nd SEARCH TEXT {4}\r\nbody\r\ne STORE 1 +FLAGS (\\Seen)\r\nf APPEND Archive {5}\r\nhello\r\ng LOGOUT\r\n";
    let run = |pieces: &[&[u8]]| {
        let mut h = Harness::new(plain(), store(2));
        let mut out = h.output();
        for p in pieces {
            out.extend(h.feed(p));
        }
        out
    };
    let whole = run(&[script]);
    let text = String::from_utf8(whole.clone()).unwrap();
    assert!(text.contains("g OK LOGOUT completed"), "{text}");
    let bytes: Vec<&[u8]> = script.chunks(1).collect();
    assert_eq!(run(&bytes), whole, "one byte at a time");
    for size in [2, 3, 7, 13] {
        let pieces: Vec<&[u8]> = script.chunks(size).collect();
        assert_eq!(run(&pieces), whole, "pieces of {size}");
    }
}

/// The bare-LF rule: a command line may end in LF alone, as in POP3 and Dovecot.
#[test]
fn bare_lf_ends_a_command_line() {
    let mut h = Harness::new(plain(), store(1));
    h.output();
    assert_eq!(h.say("a NOOP\n"), "a OK NOOP completed\r\n");
    let out = h.say("b LOGIN {3}\njoe password\n");
    assert!(out.starts_with("+ Ready for literal data\r\nb OK"), "{out}");
    assert!(h.say("c SELECT INBOX\n").contains("c OK [READ-WRITE]"));
}

// ---- the selected view ------------------------------------------------------------------

/// RFC 3501 §7.4.1: no EXPUNGE while answering FETCH, STORE or SEARCH; the UID commands may
/// send it; NOOP sends it. EXISTS goes out meanwhile.
#[test]
fn rfc3501_7_4_1_expunges_wait_for_a_command_that_may_send_them() {
    let mut h = selected(5);
    h.expunge_elsewhere(2);
    h.deliver("INBOX", &[], b"Subject: 6\r\n\r\nsix\r\n");
    assert_eq!(
        h.say("a FETCH 1 (UID)\r\n"),
        "* 1 FETCH (UID 1)\r\n* 6 EXISTS\r\n* 0 RECENT\r\na OK FETCH completed\r\n"
    );
    assert_eq!(
        h.say("b STORE 1 +FLAGS.SILENT (\\Seen)\r\n"),
        "b OK +FLAGS completed\r\n"
    );
    assert_eq!(
        h.say("c SEARCH ALL\r\n"),
        "* SEARCH 1 2 3 4 5 6\r\nc OK SEARCH completed\r\n"
    );
    // The client still numbers the expunged message 2; its FLAGS are still answered
    // (RFC 2180 §4.1.1), its body is not (§4.1.2).
    assert_eq!(
        h.say("d FETCH 2 (FLAGS)\r\n"),
        "* 2 FETCH (FLAGS ())\r\nd OK FETCH completed\r\n"
    );
    assert_eq!(
        h.say("e FETCH 2 (BODY.PEEK[])\r\n"),
        "e NO [EXPUNGEISSUED] Some messages were expunged\r\n"
    );
    assert_eq!(
        h.say("f UID FETCH 3 (FLAGS)\r\n"),
        "* 3 FETCH (FLAGS () UID 3)\r\n* 2 EXPUNGE\r\nf OK UID FETCH completed\r\n"
    );
    assert_eq!(h.say("g NOOP\r\n"), "g OK NOOP completed\r\n");
}

/// RFC 2180 §4.1.2, RFC 5530: a message the host finds expunged in the middle of a FETCH is
/// left out; the others are answered; the FETCH ends NO [EXPUNGEISSUED].
#[test]
fn rfc2180_4_1_2_fetch_of_a_message_expunged_meanwhile() {
    let mut h = selected(3);
    h.gone = vec![2];
    let out = h.say("a FETCH 1:3 (UID RFC822.SIZE)\r\n");
    assert_eq!(
        out,
        "* 1 FETCH (UID 1 RFC822.SIZE 22)\r\n* 3 FETCH (UID 3 RFC822.SIZE 22)\r\na NO [EXPUNGEISSUED] Some messages were expunged\r\n"
    );
    assert_eq!(
        h.say("b COPY 2 Archive\r\n"),
        "b OK [COPYUID 3857528947 2 1] COPY completed\r\n".replace(
            "3857528947",
            &h.store.folders["Archive"].uid_validity.to_string()
        )
    );
}

/// A host report of the flags this session's own STORE set is not echoed a second time;
/// a different change is.
#[test]
fn own_store_flags_are_not_echoed_twice() {
    let mut h = selected(2);
    assert_eq!(
        h.say("a STORE 1 +FLAGS (\\Flagged)\r\n"),
        "* 1 FETCH (FLAGS (\\Flagged))\r\na OK +FLAGS completed\r\n"
    );
    h.flags_elsewhere(1, &[Flag::Flagged]);
    assert_eq!(h.say("b NOOP\r\n"), "b OK NOOP completed\r\n");
    h.flags_elsewhere(1, &[Flag::Flagged, Flag::Seen]);
    assert_eq!(
        h.say("c NOOP\r\n"),
        "* 1 FETCH (FLAGS (\\Seen \\Flagged))\r\nc OK NOOP completed\r\n"
    );
}

/// Reports about a mailbox that is no longer selected, and late reports of what the snapshot
/// already held, change nothing.
#[test]
fn stale_and_repeated_changes_are_ignored() {
    let mut h = selected(2);
    let now = h.now;
    h.session.handle_change(
        now,
        Change::Arrived {
            uid: 2,
            flags: &[],
            recent: false,
        },
    );
    h.session.handle_change(now, Change::Expunged { uid: 99 });
    assert_eq!(h.say("a NOOP\r\n"), "a OK NOOP completed\r\n");
    h.say("b UNSELECT\r\n");
    h.session.handle_change(
        now,
        Change::Arrived {
            uid: 3,
            flags: &[],
            recent: false,
        },
    );
    assert!(h.say("c SELECT INBOX\r\n").contains("* 2 EXISTS"));
}

/// The host says the selected mailbox went away: the session ends with BYE.
#[test]
fn an_invalidated_mailbox_ends_the_session() {
    let mut h = selected(1);
    let now = h.now;
    h.session.handle_change(now, Change::Invalidated);
    h.drive();
    assert_eq!(
        String::from_utf8(h.output()).unwrap(),
        "* BYE Selected mailbox was removed or changed\r\n"
    );
    assert_eq!(h.closed, Some(CloseReason::MailboxInvalidated));
}

// ---- FETCH ------------------------------------------------------------------------------

/// RFC 3501 §6.4.5: a body section without PEEK sets `\Seen` through the host and the
/// response says so; in a read-only mailbox it does not.
#[test]
fn rfc3501_6_4_5_body_fetch_sets_seen() {
    let mut h = selected(1);
    let out = h.say("a FETCH 1 BODY[TEXT]\r\n");
    assert_eq!(
        out,
        "* 1 FETCH (BODY[TEXT] {8}\r\nbody 1\r\n FLAGS (\\Seen))\r\na OK FETCH completed\r\n"
    );
    assert_eq!(h.store.folders["INBOX"].messages[0].flags, [Flag::Seen]);
    assert_eq!(
        h.say("b FETCH 1 BODY[TEXT]\r\n"),
        "* 1 FETCH (BODY[TEXT] {8}\r\nbody 1\r\n)\r\nb OK FETCH completed\r\n"
    );
    let mut h = logged_in(1);
    h.say("e EXAMINE INBOX\r\n");
    assert_eq!(
        h.say("c FETCH 1 RFC822.TEXT\r\n"),
        "* 1 FETCH (RFC822.TEXT {8}\r\nbody 1\r\n)\r\nc OK FETCH completed\r\n"
    );
    assert!(h.store.folders["INBOX"].messages[0].flags.is_empty());
}

/// Messages stored with bare LF go out with CRLF, sizes count the wire octets, a partial
/// window counts wire octets too, and a NUL goes out as 0x80.
#[test]
fn bare_lf_messages_on_the_wire() {
    let mut s = store(0);
    s.deliver(
        "INBOX",
        &[],
        Bytes::from_static(b"Subject: lf\n\nline one\nnul\0here\n"),
    );
    let mut h = Harness::new(plain(), s);
    h.output();
    h.say("l LOGIN joe password\r\ns SELECT INBOX\r\n");
    let out = h.feed(b"a FETCH 1 (RFC822.SIZE BODY.PEEK[])\r\n");
    let want = b"* 1 FETCH (RFC822.SIZE 35 BODY[] {35}\r\nSubject: lf\r\n\r\nline one\r\nnul\x80here\r\n)\r\na OK FETCH completed\r\n";
    assert_eq!(out, want.to_vec());
    let out = h.say("b FETCH 1 BODY.PEEK[]<12.3>\r\n");
    assert_eq!(
        out,
        "* 1 FETCH (BODY[]<12> {3}\r\n\n\r\n)\r\nb OK FETCH completed\r\n"
    );
}

/// FETCH bodies are the host's bytes: every chunk of a large body is a slice of them.
#[test]
fn fetch_bodies_are_not_copied() {
    let body = Bytes::from(format!("Subject: big\r\n\r\n{}", "x".repeat(100_000)));
    let mut s = store(0);
    s.deliver("INBOX", &[], body.clone());
    let mut h = Harness::new(plain(), s);
    h.output();
    h.say("l LOGIN joe password\r\ns SELECT INBOX\r\n");
    h.session.feed(h.now, b"a FETCH 1 BODY.PEEK[]\r\n");
    h.drive();
    let range = body.as_ptr() as usize..body.as_ptr() as usize + body.len();
    let mut from_body = 0;
    let t = h.session.transmit();
    while let Some(chunk) = t.next_bytes() {
        if range.contains(&(chunk.as_ptr() as usize)) {
            from_body += chunk.len();
        }
    }
    assert_eq!(from_body, body.len());
}

/// Answers may come in any order; responses go out in sequence order, and the host is
/// asked for at most `fetch_window` messages at once.
#[test]
fn fetch_answers_out_of_order_go_out_in_order() {
    let mut config = plain();
    config.fetch_window(3);
    let mut h = Harness::new(config, store(5));
    h.output();
    h.say("l LOGIN joe password\r\ns SELECT INBOX\r\n");
    h.hold_messages = true;
    h.say("a FETCH 1:5 (UID RFC822.SIZE)\r\n");
    assert_eq!(h.unanswered.len(), 3, "the window");
    h.hold_messages = false;
    let mut held: Vec<Event> = std::mem::take(&mut h.unanswered);
    held.reverse();
    for e in held {
        h.answer(e);
    }
    h.drive();
    let out = String::from_utf8(h.output()).unwrap();
    let seqs: Vec<&str> = out
        .lines()
        .filter_map(|l| l.strip_prefix("* ")?.split(' ').next())
        .collect();
    assert_eq!(seqs, ["1", "2", "3", "4", "5"]);
    assert!(out.ends_with("a OK FETCH completed\r\n"));
}

/// A host that caches ENVELOPE and BODYSTRUCTURE may hand them instead of the bytes.
#[test]
fn cached_envelope_and_structure_need_no_bytes() {
    let mut h = selected(1);
    h.auto = false;
    h.say("a FETCH 1 (ENVELOPE BODYSTRUCTURE)\r\n");
    let Some(Event::Message(request)) = h.unanswered.pop() else {
        panic!("{:?}", h.unanswered)
    };
    assert!(request.needs_envelope() && request.needs_structure());
    let msg = pobox::mime::Message::parse(Bytes::from_static(b"Subject: cached\r\n\r\nx\r\n"));
    let data = MessageData::new(rfc3501_date())
        .envelope(msg.envelope())
        .body_structure(msg.body_structure());
    let now = h.now;
    h.session.answer(request, Ok(data), now).unwrap();
    h.drive();
    let out = String::from_utf8(h.output()).unwrap();
    assert!(
        out.starts_with("* 1 FETCH (ENVELOPE (NIL \"cached\""),
        "{out}"
    );
    assert!(out.ends_with("a OK FETCH completed\r\n"));
}

// ---- APPEND -----------------------------------------------------------------------------

/// RFC 3501 §6.3.11: a missing destination is refused with TRYCREATE before `+`.
#[test]
fn append_to_a_missing_mailbox_is_refused_before_the_literal() {
    let mut h = logged_in(0);
    assert_eq!(
        h.say("a APPEND nowhere {5}\r\n"),
        "a NO [TRYCREATE] Mailbox does not exist\r\n"
    );
    assert_eq!(h.say("b NOOP\r\n"), "b OK NOOP completed\r\n");
}

/// APPEND reaches the host in pieces as they arrive; the session holds none of them.
#[test]
fn append_streams_in_pieces() {
    let mut h = logged_in(0);
    h.auto = false;
    h.session.feed(h.now, b"a APPEND Archive {10}\r\n");
    let Some(Event::Append(request)) = h.session.poll_event() else {
        panic!()
    };
    assert_eq!(request.size(), 10);
    let now = h.now;
    h.session.answer(request, Ok(()), now).unwrap();
    assert_eq!(h.output(), b"+ Ready for literal data\r\n");
    let mut got = Vec::new();
    for piece in [&b"012"[..], b"3456", b"789\r\n"] {
        h.session.feed(now, piece);
        while let Some(event) = h.session.poll_event() {
            match event {
                Event::AppendData(data) => {
                    got.push(data.data().clone());
                    h.session.answer(data, Ok(()), now).unwrap();
                }
                Event::AppendCommit(commit) => {
                    let appended = pobox::imap::server::Appended {
                        uid_validity: 7,
                        uid: 9,
                    };
                    h.session.answer(commit, Ok(appended), now).unwrap();
                }
                other => panic!("{other:?}"),
            }
        }
    }
    assert_eq!(got, ["012", "3456", "789"]);
    assert_eq!(h.output(), b"a OK [APPENDUID 7 9] APPEND completed\r\n");
}

/// The host may refuse an APPEND mid-way: the rest of the message is skipped, the APPEND
/// fails with the host's reason. A NUL in the message fails it with BAD and a cancel event.
#[test]
fn append_refused_mid_way_and_nul_in_the_message() {
    let mut h = logged_in(0);
    h.auto = false;
    let now = h.now;
    h.session.feed(now, b"a APPEND Archive {10}\r\n");
    let Some(Event::Append(request)) = h.session.poll_event() else {
        panic!()
    };
    h.session.answer(request, Ok(()), now).unwrap();
    h.output();
    h.session.feed(now, b"0123");
    let Some(Event::AppendData(data)) = h.session.poll_event() else {
        panic!()
    };
    h.session
        .answer(data, Err(MailboxError::OverQuota), now)
        .unwrap();
    h.session.feed(now, b"456789\r\nb NOOP\r\n");
    assert!(h.session.poll_event().is_none());
    assert_eq!(
        h.output(),
        b"a NO [OVERQUOTA] Quota exceeded\r\nb OK NOOP completed\r\n"
    );
    let mut h = logged_in(0);
    let out = h.say("c APPEND Archive {5}\r\n");
    assert_eq!(out, "+ Ready for literal data\r\n");
    assert_eq!(
        h.say("ab\0cd\r\nd NOOP\r\n"),
        "c BAD NUL octet in the APPEND message\r\nd OK NOOP completed\r\n"
    );
    assert!(h.log.contains(&"append cancelled".to_owned()));
    assert!(h.store.folders["Archive"].messages.is_empty());
}

/// An APPEND to the selected mailbox is told with EXISTS before its OK.
#[test]
fn append_to_the_selected_mailbox_reports_exists() {
    let mut h = selected(1);
    let out = h.say("a APPEND INBOX {5+}\r\nhello\r\n");
    assert!(
        out.starts_with("* 2 EXISTS\r\n* 0 RECENT\r\na OK [APPENDUID "),
        "{out}"
    );
    assert_eq!(
        h.say("b FETCH 2 (UID BODY.PEEK[])\r\n"),
        "* 2 FETCH (UID 2 BODY[] {5}\r\nhello)\r\nb OK FETCH completed\r\n"
    );
}

// ---- host timeouts and answers ----------------------------------------------------------

/// A host that does not answer a read gets it answered `NO [UNAVAILABLE]`; one that does not
/// answer a change closes the session without any claim about its outcome.
#[test]
fn host_timeouts_never_invent_an_outcome() {
    let mut h = logged_in(1);
    h.auto = false;
    h.say("a STATUS INBOX (MESSAGES)\r\n");
    assert_eq!(
        h.advance(Duration::from_secs(61)),
        "a NO [UNAVAILABLE] Mailbox temporarily unavailable\r\n"
    );
    let late = h.unanswered.pop().unwrap();
    let Event::Status(late) = late else { panic!() };
    let now = h.now;
    let refused = h.session.answer(late, Ok(Default::default()), now);
    assert!(matches!(
        refused,
        Err(AnswerError {
            kind: UsageError::NotPending,
            ..
        })
    ));
    h.auto = true;
    h.say("s SELECT INBOX\r\n");
    h.hold_writes = true;
    h.say("b STORE 1 +FLAGS (\\Deleted)\r\n");
    let out = h.advance(Duration::from_secs(61));
    assert_eq!(
        out,
        "* BYE [UNAVAILABLE] Storage did not answer; the outcome is unknown\r\n"
    );
    assert_eq!(h.closed, Some(CloseReason::HostTimeout));
}

/// An answer from another session, or of the wrong kind of request, comes back.
#[test]
fn answers_to_another_session_come_back() {
    let mut a = logged_in(1);
    let mut b = logged_in(1);
    a.auto = false;
    a.say("x STATUS INBOX (MESSAGES)\r\n");
    let Some(Event::Status(request)) = a.unanswered.pop() else {
        panic!()
    };
    let now = b.now;
    let err = b
        .session
        .answer(request, Ok(Default::default()), now)
        .unwrap_err();
    assert_eq!(err.kind, UsageError::NotPending);
    let now = a.now;
    a.session
        .answer(err.request, Ok(Default::default()), now)
        .unwrap();
    a.drive();
    assert!(
        String::from_utf8(a.output())
            .unwrap()
            .ends_with("x OK STATUS completed\r\n")
    );
}

/// An invalid snapshot comes back and the SELECT still waits for a good one.
#[test]
fn an_invalid_snapshot_is_refused() {
    let mut h = logged_in(0);
    h.auto = false;
    h.say("s SELECT INBOX\r\n");
    let Some(Event::Select(request)) = h.unanswered.pop() else {
        panic!()
    };
    let now = h.now;
    let mut bad = pobox::imap::server::Snapshot::new(1, 10);
    bad.push(5, &[], false).push(4, &[], false);
    let err = h.session.answer(request, Ok(bad), now).unwrap_err();
    assert!(matches!(err.kind, UsageError::InvalidAnswer(_)));
    let mut good = pobox::imap::server::Snapshot::new(1, 10);
    good.push(4, &[], false);
    h.session.answer(err.request, Ok(good), now).unwrap();
    h.drive();
    assert!(
        String::from_utf8(h.output())
            .unwrap()
            .contains("* 1 EXISTS")
    );
}

// ---- ending -----------------------------------------------------------------------------

#[test]
fn autologout_shutdown_and_eof() {
    let mut h = logged_in(0);
    assert_eq!(h.advance(Duration::from_secs(29 * 60)), "");
    assert_eq!(
        h.advance(Duration::from_secs(61)),
        "* BYE Autologout; idle for too long\r\n"
    );
    assert_eq!(h.closed, Some(CloseReason::Autologout));
    let mut h = Harness::new(plain(), store(0));
    h.output();
    assert_eq!(
        h.advance(Duration::from_secs(61)),
        "* BYE Autologout; idle for too long\r\n",
        "before login: a minute"
    );
    let mut h = logged_in(0);
    let now = h.now;
    h.session.shutdown(now);
    h.drive();
    assert_eq!(h.output(), b"* BYE Server shutting down\r\n");
    assert_eq!(h.closed, Some(CloseReason::Shutdown));
    let mut h = logged_in(0);
    let now = h.now;
    h.session.feed(now, b"a NOOP\r\n");
    h.session.feed_eof(now);
    h.drive();
    assert_eq!(h.output(), b"a OK NOOP completed\r\n");
    assert_eq!(h.closed, Some(CloseReason::ClientClosed));
}

/// `Debug` never shows a password, pipelined or in a request, nor message data.
#[test]
fn debug_shows_no_password_or_message() {
    let mut h = Harness::new(plain(), store(0));
    h.output();
    h.auto = false;
    h.session.feed(
        h.now,
        b"a LOGIN joe s3cr3t-pw\r\nb LOGIN joe other-s3cr3t\r\n",
    );
    h.drive();
    let session = format!("{:?}", h.session);
    let events = format!("{:?}", h.unanswered);
    for text in [&session, &events] {
        assert!(!text.contains("s3cr3t"), "{text}");
    }
    let data = pobox::imap::server::MessageData::new(rfc3501_date())
        .bytes(Bytes::from_static(b"top secret body"));
    assert!(!format!("{data:?}").contains("secret"));
    let s = IString::try_from("x").unwrap();
    let _ = s.as_bytes().remaining();
}

/// RFC 3501 §9: `number` is 32 bits; a sequence number or UID of 2^32 or more is BAD, with
/// the tag.
#[test]
fn rfc3501_9_numbers_past_32_bits_are_bad() {
    let mut h = selected(3);
    for cmd in [
        "FETCH 4294967296 FLAGS",
        "UID FETCH 1:99999999999999 FLAGS",
        "STORE 1,4294967296 +FLAGS (\\Seen)",
        "SEARCH LARGER 4294967296",
        "UID EXPUNGE 4294967296",
    ] {
        assert_eq!(
            h.say(&format!("t {cmd}\r\n")),
            "t BAD Number out of range\r\n",
            "{cmd}"
        );
    }
    assert_eq!(
        h.say("u UID FETCH 4294967295 FLAGS\r\n"),
        "u OK UID FETCH completed\r\n"
    );
    assert_eq!(
        h.say("v FETCH 4 FLAGS\r\n"),
        "v BAD Invalid message sequence number\r\n"
    );
}

/// Two sessions expunge the same messages (RFC 3501 §7.4.1: each removal is announced
/// once to each session). Session b's store finds the messages already gone, so its
/// EXPUNGE answer removes nothing; the removals reach b as host changes, before its
/// request, while it is out, or after it was answered. In each order b hears of each
/// removal exactly once, by the end of its next command.
#[test]
fn an_expunge_racing_another_sessions_expunge_is_announced_once() {
    for order in ["before", "during", "after"] {
        let mut h = selected(4);
        h.say("a STORE 1:2 +FLAGS.SILENT (\\Deleted)\r\n");
        if order == "before" {
            h.expunge_elsewhere(1);
            h.expunge_elsewhere(2);
        }
        h.hold_writes = true;
        let mut out = h.say("b EXPUNGE\r\n");
        // With nothing left to remove, the session need not ask the host at all.
        if let Some(request) = h.unanswered.pop() {
            let Event::Expunge(request) = request else {
                panic!("{request:?}")
            };
            if order == "during" {
                h.expunge_elsewhere(1);
                h.expunge_elsewhere(2);
            }
            let now = h.now;
            h.session.answer(request, Ok(Vec::new()), now).unwrap();
            h.drive();
        }
        h.hold_writes = false;
        out += &String::from_utf8(h.output()).unwrap();
        if order == "after" {
            h.expunge_elsewhere(1);
            h.expunge_elsewhere(2);
        }
        out += &h.say("c NOOP\r\n");
        assert_eq!(
            out.matches(" EXPUNGE\r\n").count(),
            2,
            "removals {order} the request: {out}"
        );
        let all = h.say("d SEARCH ALL\r\n");
        assert!(all.starts_with("* SEARCH 1 2\r\n"), "{order}: {all}");
    }
}

/// RFC 3501 §6.1.2: "the NOOP command can be used as a periodic poll for new messages or
/// message status updates". With a mailbox selected, NOOP and CHECK (§6.4.1) ask the
/// host to report changes first, and the changes it reports go out before the tagged OK;
/// without one, NOOP asks nothing. A host that never answers the poll gets
/// `NO [UNAVAILABLE]`: nothing changed.
#[test]
fn noop_and_check_poll_the_host() {
    let mut h = logged_in(2);
    h.auto = false;
    assert_eq!(h.say("a NOOP\r\n"), "a OK NOOP completed\r\n");
    assert!(h.unanswered.is_empty());
    h.auto = true;
    h.say("s SELECT INBOX\r\n");
    h.auto = false;
    for (gone, command, done) in [
        (1, "NOOP", "NOOP completed"),
        (2, "CHECK", "CHECK completed"),
    ] {
        assert_eq!(h.say(&format!("p {command}\r\n")), "");
        let Some(Event::Poll(request)) = h.unanswered.pop() else {
            panic!("{command} did not poll: {:?}", h.unanswered)
        };
        // What the host finds while polling: another session expunged the first message
        // (UID 1, then UID 2), a delivery arrived.
        h.expunge_elsewhere(gone);
        h.deliver("INBOX", &[], b"Subject: new\r\n\r\nnew\r\n");
        assert_eq!(h.output(), b"", "nothing before the poll is answered");
        let now = h.now;
        h.session.answer(request, (), now).unwrap();
        h.drive();
        let out = String::from_utf8(h.output()).unwrap();
        assert_eq!(
            out,
            format!("* 1 EXPUNGE\r\n* 2 EXISTS\r\n* 0 RECENT\r\np OK {done}\r\n")
        );
    }
    h.say("q NOOP\r\n");
    let out = h.advance(Duration::from_secs(61));
    assert_eq!(
        out,
        "q NO [UNAVAILABLE] Mailbox temporarily unavailable\r\n"
    );
    assert!(!h.session.is_closed());
}
