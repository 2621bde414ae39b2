//! The hostile-input classes of issue 5, for both protocols: each test asserts the
//! protocol's proper answer and a bounded buffer. POP3 is tested at the session level; IMAP,
//! which has no session yet, at the codec and framer level (what a session will build on).
//!
//! Classes already covered elsewhere are not repeated here:
//!
//! | class | POP3 | IMAP |
//! |---|---|---|
//! | STLS/STARTTLS injection, pipelined and split | `pop3_session::commands_pipelined_after_stls_are_discarded_not_executed` (4 splits), [`pop3_stls_injection_split_at_every_byte`] | [`imap_starttls_is_framed_alone_however_the_reads_split`] |
//! | 10 MB line without CRLF | [`pop3_ten_megabyte_lines_cost_no_memory`] | `imap_hostile::long_line_without_crlf_is_bounded` |
//! | literal size bombs | no literals in POP3; the SASL line bomb is in [`pop3_ten_megabyte_lines_cost_no_memory`] | `imap_hostile::literal_length_bomb`, `refused_sync_literal_drops_only_its_command` |
//! | nesting bombs | no nesting in POP3 | `imap_hostile::nesting_bombs`, `mime_hostile::ten_thousand_nested_*` |
//! | sequence-set bombs | no sets in POP3 | `imap_hostile::sequence_set_bomb` |
//! | NUL, bare CR, bare LF | `pop3_session::hostile_numbers_are_refused` (commands), [`pop3_nul_bare_cr_bare_lf_in_auth_exchanges`] | `imap_hostile::nul_and_8bit` |
//! | integer overflow in every number | [`pop3_integer_overflow_in_every_number`] | [`imap_integer_overflow_in_every_number`] |
//! | CR/LF in host-supplied text | [`pop3_host_text_cannot_add_a_response_line`] | [`imap_host_values_cannot_add_a_line`] |
//! | 1,000,000 pipelined NOOPs | `pop3_session::a_million_pipelined_noops_keep_output_bounded` | [`imap_a_million_pipelined_noops_frame_in_bounded_memory`] |
//! | every command in every wrong state | `pop3_session::every_command_in_every_wrong_state`, [`pop3_commands_inside_auth_or_behind_a_pending_login`] | no IMAP session yet: the codec parses commands whatever the state |
//! | bad base64 in SASL | `pop3_session::rfc5034_4_cancel_bad_base64_and_misplaced_initial_response`, [`pop3_bad_base64_in_every_position`] | [`imap_bad_base64_in_authenticate`] |

mod support;

use bytes::{Buf, Bytes};
use pobox::Status;
use pobox::imap::{self, ErrorKind, Frame, Framer, Limits};
use pobox::pop3::response::Text as Pop3Text;
use pobox::pop3::server::{CloseReason, Config, Event, MessageInfo, State, Transport, UniqueId};
use pobox::sasl::Mechanism;
use support::pop3::{Harness, Host, converse};

// ---- POP3 (session level) ----------------------------------------------------------------

fn host() -> Host {
    Host::default()
        .with_user("alice", "wonderland")
        .with_message("uid-1", "Subject: one\r\n\r\nbody one\r\n")
        .with_message("uid-2", "Subject: two\n\n.dot line\nlast")
}

fn config() -> Config {
    let mut config = Config::default();
    config
        .plaintext_auth_without_tls(true)
        .max_bad_commands(1000, 1000);
    config
}

fn session() -> Harness {
    let mut h = Harness::new(config(), Transport::Plain, host());
    h.output();
    h
}

fn logged_in() -> Harness {
    let mut h = session();
    assert!(
        h.say("USER alice\r\nPASS wonderland\r\n")
            .contains("maildrop has 2")
    );
    h
}

/// RFC 2595 §4 and CVE-2011-0411: whatever follows STLS in the same read, or in any split of
/// it, is discarded; nothing of it is buffered while the handshake runs.
#[test]
fn pop3_stls_injection_split_at_every_byte() {
    let attack = b"STLS\r\nUSER alice\r\nPASS wonderland\r\nDELE 1\r\nQUIT\r\n";
    for split in 0..=attack.len() {
        let mut config = config();
        config.stls(true);
        let mut h = Harness::new(config, Transport::Plain, host());
        h.output();
        h.auto_answer = false;
        let mut out = h.feed(&attack[..split]);
        out.extend(h.feed(&attack[split..]));
        if split < 6 {
            // STLS was not complete before the split: the same outcome, one read later.
            assert!(
                out.starts_with(b"+OK Begin TLS negotiation\r\n"),
                "split {split}"
            );
        }
        assert_eq!(out, b"+OK Begin TLS negotiation\r\n", "split {split}");
        assert!(matches!(h.unanswered.as_slice(), [Event::StartTls(_)]));
        assert!(!h.session.wants_read(), "reads stop during the handshake");
        // 10,000 more plaintext commands before the handshake: dropped, not buffered.
        for _ in 0..100 {
            h.session.feed(h.now, &b"DELE 1\r\n".repeat(100));
        }
        let Some(Event::StartTls(request)) = h.unanswered.pop() else {
            panic!("no STLS request");
        };
        h.session.answer(request, (), h.now).unwrap();
        h.drive();
        assert_eq!(h.output(), b"", "split {split}: nothing was executed");
        assert_eq!(h.session.state(), State::Authorization);
        assert!(
            h.host.log.is_empty(),
            "no login, no commit: {:?}",
            h.host.log
        );
        assert_eq!(
            h.say("QUIT\r\n"),
            "+OK localhost POP3 server signing off\r\n"
        );
    }
}

/// A 10 MB line without LF, in 64 KiB reads: never buffered (the session keeps asking for
/// input), answered `-ERR` once, as soon as it passes the limit, and the next command works.
/// The same for a line inside an AUTH exchange, which RFC 5034 §4 exempts from the
/// 255-octet limit: `max_sasl_line` bounds it.
#[test]
fn pop3_ten_megabyte_lines_cost_no_memory() {
    let chunk = vec![b'x'; 64 * 1024];
    for in_auth in [false, true] {
        let mut h = session();
        if in_auth {
            assert_eq!(h.say("AUTH PLAIN\r\n"), "+ \r\n");
        }
        let mut out = Vec::new();
        for _ in 0..160 {
            h.session.feed(h.now, &chunk);
            assert!(h.session.wants_read(), "the overlong line is not buffered");
            assert!(h.session.transmit().remaining() <= 64);
            out.extend(h.output());
        }
        let expected = if in_auth {
            "-ERR Authentication line too long\r\n"
        } else {
            "-ERR Command line too long\r\n"
        };
        assert_eq!(String::from_utf8(out).unwrap(), expected);
        let reply = h.say("\r\nCAPA\r\n");
        assert!(
            reply.starts_with("+OK Capability list follows\r\n"),
            "{reply}"
        );
        assert_eq!(h.session.state(), State::Authorization);
    }
}

/// NUL, bare CR and bare LF where the command parser does not see them: SASL lines and the
/// password (RFC 5034 §4 base64 has no room for them; RFC 1939 §3 lines end in CRLF).
#[test]
fn pop3_nul_bare_cr_bare_lf_in_auth_exchanges() {
    let mut h = session();
    converse(
        &mut h,
        "C: AUTH PLAIN
         S: + ",
    );
    assert_eq!(h.say("AGFs\0aWNl\r\n"), "-ERR Invalid base64 data\r\n");
    assert_eq!(h.say("AUTH PLAIN\r\n"), "+ \r\n");
    assert_eq!(h.say("AGFs\raWNl\r\n"), "-ERR Invalid base64 data\r\n");
    // A bare LF ends a SASL line like any other line: this one decodes and logs in.
    assert_eq!(h.say("AUTH PLAIN\r\n"), "+ \r\n");
    assert_eq!(
        h.say("AGFsaWNlAHdvbmRlcmxhbmQ=\n"),
        "+OK Maildrop locked and ready\r\n"
    );
    let mut h = session();
    assert_eq!(h.say("USER alice\r\n"), "+OK\r\n");
    assert_eq!(
        h.say("PASS wonder\0land\r\n"),
        "-ERR NUL octet in command\r\n"
    );
    assert_eq!(h.say("USER alice\r\n"), "+OK\r\n");
    assert_eq!(
        h.say("PASS wonder\rland\r\n"),
        "-ERR Bare CR in command\r\n"
    );
    // A PLAIN message whose user holds NUL: malformed (RFC 4616 §2).
    assert_eq!(
        h.say("AUTH PLAIN AGFsAGljZQB3b25kZXJsYW5k\r\n"),
        "-ERR Invalid authentication data\r\n"
    );
}

/// Every numeric argument (RFC 1939 §5, §7: message numbers and TOP's line count) with values
/// past u32 and u64, signs and empty digits: `-ERR`, never a wrapped number. Listing sizes
/// from the host that overflow u64 when added saturate.
#[test]
fn pop3_integer_overflow_in_every_number() {
    let mut h = logged_in();
    let huge = [
        "4294967296",
        "18446744073709551616",
        "99999999999999999999999999999999",
        "-1",
        "+1",
        "0x1",
        "1.0",
    ];
    for n in huge {
        let mut commands = vec![
            format!("LIST {n}"),
            format!("UIDL {n}"),
            format!("RETR {n}"),
            format!("DELE {n}"),
            format!("TOP {n} 1"),
        ];
        // TOP's line count is a u64: 2^32 lines is a valid (whole-message) request.
        if n != "4294967296" {
            commands.push(format!("TOP 1 {n}"));
        }
        for command in commands {
            let reply = h.say(&format!("{command}\r\n"));
            assert!(reply.starts_with("-ERR"), "{command}: {reply}");
            assert_eq!(reply.matches("\r\n").count(), 1, "{command}: {reply}");
        }
    }
    // The largest u32 is a valid message number (no such message); 2^32 and the largest u64
    // line counts send the whole message.
    assert_eq!(
        h.say("RETR 4294967295\r\n"),
        "-ERR no such message, only 2 messages in maildrop\r\n"
    );
    for n in ["4294967296", "18446744073709551615"] {
        let top = h.say(&format!("TOP 1 {n}\r\n"));
        assert_eq!(top, "+OK\r\nSubject: one\r\n\r\nbody one\r\n.\r\n");
    }
    // Sizes the host lists near u64::MAX: STAT saturates instead of wrapping.
    let mut h = session();
    h.auto_answer = false;
    h.say("USER alice\r\nPASS wonderland\r\n");
    let Some(Event::Login(request)) = h.unanswered.pop() else {
        panic!("no login");
    };
    let listing = vec![
        MessageInfo::new(u64::MAX, UniqueId::new("a").unwrap()),
        MessageInfo::new(u64::MAX, UniqueId::new("b").unwrap()),
    ];
    let now = h.now;
    h.session.answer(request, Ok(listing), now).unwrap();
    h.output();
    assert_eq!(h.say("STAT\r\n"), format!("+OK 2 {}\r\n", u64::MAX));
    assert_eq!(h.say("DELE 1\r\n"), "+OK message 1 deleted\r\n");
    assert_eq!(h.say("STAT\r\n"), format!("+OK 1 {}\r\n", u64::MAX));
}

/// Text a host hands to the session for the wire: every validated constructor refuses CR,
/// LF, NUL and other controls, so no value can end a response line and forge a second one.
/// And names a client smuggles in SASL (base64 can carry CRLF) are never echoed.
#[test]
fn pop3_host_text_cannot_add_a_response_line() {
    let injections = [
        "ready\r\n+OK forged",
        "ready\n+OK forged",
        "ready\r-ERR",
        "a\0b",
        "tab\there",
        "next\u{85}line",
        "\u{2028}",
    ];
    for bad in injections {
        let mut c = Config::default();
        if !bad.contains('\u{2028}') {
            assert!(Pop3Text::new(bad).is_err(), "Text {bad:?}");
            assert!(c.greeting(bad).is_err(), "greeting {bad:?}");
        }
        assert!(c.hostname(bad).is_err(), "hostname {bad:?}");
        assert!(c.implementation(bad).is_err(), "implementation {bad:?}");
        assert!(UniqueId::new(bad).is_err(), "unique id {bad:?}");
    }
    // U+2028 is not a POP3 line end: allowed in UTF-8 text (RFC 6856 §3.2), refused where
    // only ASCII is allowed.
    assert!(Pop3Text::new("a\u{2028}b").is_ok());
    // PLAIN with authcid "alice\r\n+OK forged": the host may even accept it; the reply
    // never echoes a SASL name, so it stays one line.
    let mut h = Harness::new(
        config(),
        Transport::Plain,
        Host::default().with_user("alice\r\n+OK forged", "pw"),
    );
    h.output();
    let plain = base64(b"\0alice\r\n+OK forged\0pw");
    assert_eq!(
        h.say(&format!("AUTH PLAIN {plain}\r\n")),
        "+OK Maildrop locked and ready\r\n"
    );
    assert_eq!(h.session.user(), Some("alice\r\n+OK forged"));
    assert_eq!(h.say("STAT\r\n"), "+OK 0 0\r\n");
}

/// Lines that arrive in states where they are not commands yet: inside an AUTH exchange
/// they are SASL data (RFC 5034 §4); behind a login the host has not answered they wait, and
/// are answered in order after it. (During the STLS handshake they are dropped: see
/// [`pop3_stls_injection_split_at_every_byte`].)
#[test]
fn pop3_commands_inside_auth_or_behind_a_pending_login() {
    let mut config = config();
    config.mechanisms(&[Mechanism::Login]);
    let mut h = Harness::new(config, Transport::Plain, host());
    h.output();
    assert_eq!(h.say("AUTH LOGIN\r\n"), "+ VXNlcm5hbWU6\r\n");
    // "QUIT" is valid base64 (3 octets): it is the user name, not a command, and the
    // session does not close.
    assert_eq!(h.say("QUIT\r\n"), "+ UGFzc3dvcmQ6\r\n");
    assert!(!h.session.is_closed());
    assert_eq!(h.say("STAT\r\n"), "-ERR [AUTH] Authentication failed\r\n");
    // Commands pipelined behind a login the host has not answered wait for the answer.
    let mut h = session();
    h.auto_answer = false;
    assert_eq!(
        h.say("USER alice\r\nPASS wonderland\r\nSTAT\r\nQUIT\r\n"),
        "+OK\r\n"
    );
    let Some(Event::Login(request)) = h.unanswered.pop() else {
        panic!("no login");
    };
    let now = h.now;
    h.session.answer(request, Ok(vec![]), now).unwrap();
    h.drive();
    assert_eq!(
        String::from_utf8(h.output()).unwrap(),
        "+OK alice's maildrop has 0 messages (0 octets)\r\n+OK 0 0\r\n"
    );
    let Some(Event::Commit(commit)) = h.unanswered.pop() else {
        panic!("QUIT waits for the commit");
    };
    h.session.answer(commit, Ok(()), h.now).unwrap();
    assert_eq!(h.closed, None);
    h.drive();
    assert_eq!(h.closed, Some(CloseReason::Quit));
}

/// Issue 9, hygiene: `Debug` of a session never shows what the client sent. A `PASS`
/// pipelined behind a login the host has not answered sits in the input buffer; the
/// session's `Debug` shows its size, not its bytes, and the login event shows the user but
/// not the password.
#[test]
fn pop3_debug_of_a_session_never_shows_a_pipelined_password() {
    let mut h = session();
    h.auto_answer = false;
    let pipelined = "USER alice\r\nPASS secret\r\nRETR 1\r\n";
    assert_eq!(
        h.say(&format!("USER alice\r\nPASS wonderland\r\n{pipelined}")),
        "+OK\r\n"
    );
    let debug = format!("{:?}", h.session);
    assert!(!debug.contains("secret"), "{debug}");
    assert!(!debug.contains("wonderland"), "{debug}");
    assert!(
        debug.contains(&format!("buffered_input: {}", pipelined.len())),
        "{debug}"
    );
    assert!(debug.contains("state: Authorization"), "{debug}");
    let event = h.unanswered.pop().expect("the login event");
    let shown = format!("{event:?} {event:#?}");
    assert!(
        shown.contains("alice") && !shown.contains("wonderland"),
        "{shown}"
    );
    let Event::Login(request) = event else {
        panic!("not a login: {shown}");
    };
    h.session.answer(request, Ok(Vec::new()), h.now).unwrap();
    h.drive();
    // Once logged in the pipelined lines are processed, still without a trace in Debug.
    let debug = format!("{:#?}", h.session);
    assert!(!debug.contains("secret"), "{debug}");
    assert!(debug.contains("\"alice\""), "{debug}");
}

/// Malformed base64 (RFC 4648 §4 with RFC 5034 §4's strictness) as an initial response and
/// as a continuation line, for every mechanism: `-ERR`, the exchange is over, and the next
/// command is a command again.
#[test]
fn pop3_bad_base64_in_every_position() {
    let bad = [
        "AGFsaWNl=AHg=",             // padding in the middle
        "AGFsaWNlAHdvbmRlcmxhbmQ",   // missing padding
        "AGFsaWNlAHdvbmRlcmxhbmQ==", // too much padding
        "A",
        "AB=",
        "!!!!",
        "AGFs aWNl",
        "AGFs\taWNl",
        "====",
        "YR==", // non-zero trailing bits
    ];
    let mut config = config();
    config.mechanisms(&Mechanism::ALL);
    for mechanism in ["PLAIN", "LOGIN", "CRAM-MD5"] {
        for b in bad {
            let mut h = Harness::new(config.clone(), Transport::Plain, host());
            h.output();
            let reply = h.say(&format!("AUTH {mechanism} {b}\r\n"));
            assert!(reply.starts_with("-ERR"), "AUTH {mechanism} {b}: {reply}");
            assert!(h.say("CAPA\r\n").starts_with("+OK Capability"));
            let challenge = h.say(&format!("AUTH {mechanism}\r\n"));
            assert!(challenge.starts_with("+ "), "{challenge}");
            assert_eq!(
                h.say(&format!("{b}\r\n")),
                "-ERR Invalid base64 data\r\n",
                "{mechanism} {b}"
            );
            assert!(h.say("CAPA\r\n").starts_with("+OK Capability"));
            assert_eq!(h.session.state(), State::Authorization);
        }
    }
}

fn base64(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in data.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(c.get(1).copied().unwrap_or(0)) << 8)
            | u32::from(c.get(2).copied().unwrap_or(0));
        for i in 0..4 {
            out.push(if i <= c.len() {
                char::from(A[((n >> (18 - 6 * i)) & 63) as usize])
            } else {
                '='
            });
        }
    }
    out
}

// ---- IMAP (codec and framer level) -------------------------------------------------------

/// Feeds `input` to a framer in reads of `piece` bytes; the frames, the errors' kinds, and
/// the largest buffer held.
fn frame_all(input: &[u8], piece: usize, limits: &Limits) -> (Vec<Bytes>, Vec<ErrorKind>, usize) {
    let mut framer = Framer::new(limits);
    let mut buf: Vec<u8> = Vec::new();
    let (mut frames, mut errors, mut peak) = (Vec::new(), Vec::new(), 0);
    for chunk in input.chunks(piece) {
        buf.extend_from_slice(chunk);
        peak = peak.max(buf.len());
        loop {
            match framer.poll(&buf) {
                Ok(Frame::Incomplete) => break,
                Ok(Frame::Literal(_)) => {}
                Ok(Frame::Complete(n)) => {
                    frames.push(Bytes::from(buf.drain(..n).collect::<Vec<u8>>()))
                }
                Ok(Frame::Discard { len, .. }) => {
                    buf.drain(..len);
                }
                Err(e) => errors.push(e.kind),
            }
        }
    }
    (frames, errors, peak)
}

/// RFC 3501 §6.2.1, CVE-2011-0411: STARTTLS is a frame of its own that ends at its CRLF,
/// however the reads split the input, so a session can drop everything after it; a
/// STARTTLS with anything glued to it (an argument, a literal) is not STARTTLS.
#[test]
fn imap_starttls_is_framed_alone_however_the_reads_split() {
    let attack = b"a STARTTLS\r\nb LOGIN joe {6+}\r\nsecret\r\nc DELETE INBOX\r\n";
    for piece in 1..=attack.len() {
        let (frames, errors, _) = frame_all(attack, piece, &Limits::default());
        assert!(errors.is_empty());
        assert_eq!(&frames[0][..], b"a STARTTLS\r\n", "reads of {piece}");
        let cmd = imap::parse_command_frame(&frames[0], &Limits::default()).unwrap();
        assert_eq!(cmd.body, imap::CommandBody::StartTls);
    }
    for glued in [
        &b"a STARTTLS b LOGIN joe x\r\n"[..],
        b"a STARTTLS {5+}\r\nb NOO\r\n",
        b"a STARTTLS\rb NOOP\r\n",
    ] {
        let e = imap::parse_command(&Bytes::from_static(glued)).unwrap_err();
        assert!(matches!(e.kind, ErrorKind::Syntax { .. }), "{e:?}");
        assert_eq!(e.tag.unwrap().as_bytes(), b"a");
    }
}

/// Every number of the grammar (RFC 3501 §9 `number`, `nz-number`: 32-bit) given 2^32 and
/// more, in commands and in responses: refused, never wrapped.
#[test]
fn imap_integer_overflow_in_every_number() {
    let commands: &[&[u8]] = &[
        b"a FETCH 4294967296 FLAGS\r\n",
        b"a FETCH 1:4294967296 FLAGS\r\n",
        b"a UID FETCH 1 BODY[4294967296]\r\n",
        b"a FETCH 1 BODY[1.4294967296.TEXT]\r\n",
        b"a FETCH 1 BODY[]<4294967296.1>\r\n",
        b"a FETCH 1 BODY[]<0.4294967296>\r\n",
        b"a FETCH 1 BODY[]<0.99999999999999999999999>\r\n",
        b"a SEARCH LARGER 4294967296\r\n",
        b"a SEARCH SMALLER 18446744073709551616\r\n",
        b"a SEARCH UID 4294967296\r\n",
        b"a STORE 4294967296 FLAGS ()\r\n",
        b"a UID EXPUNGE 4294967296\r\n",
        b"a COPY 4294967296 x\r\n",
        b"a SEARCH SINCE 1-Jan-99999\r\n",
        b"a SEARCH SINCE 99999999999-Jan-2000\r\n",
        b"a APPEND x \"99999999999-Jan-2000 00:00:00 +0000\" {1}\r\nx\r\n",
        b"a APPEND x \"01-Jan-2000 99999999999:00:00 +0000\" {1}\r\nx\r\n",
        b"a APPEND x \"01-Jan-2000 00:00:00 +99999\" {1}\r\nx\r\n",
    ];
    let responses: &[&[u8]] = &[
        b"* 4294967296 EXISTS\r\n",
        b"* 4294967296 RECENT\r\n",
        b"* 4294967296 EXPUNGE\r\n",
        b"* 4294967296 FETCH (FLAGS ())\r\n",
        b"* 1 FETCH (RFC822.SIZE 4294967296)\r\n",
        b"* 1 FETCH (UID 4294967296)\r\n",
        b"* 1 FETCH (BODY[]<4294967296> NIL)\r\n",
        b"* 1 FETCH (BODY (\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 4294967296 1))\r\n",
        b"* 1 FETCH (BODY (\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 1 4294967296))\r\n",
        b"* SEARCH 1 4294967296\r\n",
        b"* STATUS x (MESSAGES 4294967296)\r\n",
        b"* OK [UIDVALIDITY 4294967296] x\r\n",
        b"* OK [UIDNEXT 99999999999999999999999] x\r\n",
        b"* OK [UNSEEN 4294967296] x\r\n",
        b"* OK [APPENDUID 1 4294967296] x\r\n",
        b"* OK [COPYUID 4294967296 1 1] x\r\n",
        b"+ {4294967296}\r\n",
    ];
    for wire in commands {
        let e = imap::parse_command(&Bytes::from_static(wire))
            .expect_err(&wire.escape_ascii().to_string());
        assert!(
            matches!(
                e.kind,
                ErrorKind::NumberOutOfRange | ErrorKind::Syntax { .. }
            ),
            "{}: {e:?}",
            wire.escape_ascii()
        );
        assert_eq!(e.tag.unwrap().as_bytes(), b"a");
    }
    for wire in responses {
        match imap::parse_response(&Bytes::from_static(wire)) {
            Err(e) => assert!(
                matches!(
                    e.kind,
                    ErrorKind::NumberOutOfRange
                        | ErrorKind::Syntax { .. }
                        | ErrorKind::LiteralTooBig { .. }
                ),
                "{}: {e:?}",
                wire.escape_ascii()
            ),
            // A response code that is not understood is kept as text (RFC 3501 §7.1
            // `atom [SP 1*<any TEXT-CHAR except "]">]`), never as a wrapped number.
            Ok(Status::Complete((_, imap::Response::Status(s)))) => assert!(
                matches!(s.code, Some(imap::Code::Other { .. })),
                "{}: {s:?}",
                wire.escape_ascii()
            ),
            other => panic!("{}: {other:?}", wire.escape_ascii()),
        }
    }
}

/// Host-built IMAP values with CR, LF or NUL: refused by the validated constructors, or (for
/// strings, whose content may be anything but NUL) written as a literal, so the encoded
/// response is still one response, however the reads split it. Response-code arguments are
/// sanitised by the encoder.
#[test]
fn imap_host_values_cannot_add_a_line() {
    let bad: &[&[u8]] = &[
        b"x\r\n* BYE forged",
        b"x\n* BYE",
        b"x\r* BYE",
        b"x\0y",
        b"x {3}",
    ];
    for b in bad {
        let text_ok = imap::Text::try_from(*b).is_ok();
        assert!(!text_ok, "Text {}", b.escape_ascii());
        assert!(imap::Tag::try_from(*b).is_err());
        assert!(imap::Atom::try_from(*b).is_err());
        assert!(imap::Flag::parse(b).is_err());
        assert!(imap::MailboxAttribute::from_name(b).is_err());
        let mut args = b" ".to_vec();
        args.extend_from_slice(b);
        assert!(imap::ExtensionArguments::new(args).is_err());
    }
    for c in [b'\r', b'\n', 0] {
        assert!(imap::Delimiter::new(c).is_err());
    }
    // Strings (mailbox names, NSTRINGs) keep CR/LF as literals.
    let name = Bytes::from_static(b"x\r\n* BYE forged");
    let mailbox = imap::Mailbox::new(name.clone()).unwrap();
    let response = imap::Response::Data(imap::Data::List(imap::ListData {
        attributes: vec![],
        delimiter: None,
        mailbox: mailbox.clone(),
    }));
    let code = imap::Code::Other {
        name: imap::Atom::try_from("XSTUFF").unwrap(),
        argument: Some(Bytes::from_static(b"a]\r\n* BYE forged")),
    };
    let status = imap::Response::Status(imap::StatusResponse {
        tag: None,
        kind: imap::StatusKind::No,
        code: Some(code),
        text: imap::Text::try_from("no").unwrap(),
    });
    for r in [response, status] {
        let mut enc = imap::Encoder::new();
        enc.response(&r);
        let wire = enc.to_vec();
        for piece in [1, 3, wire.len()] {
            let (frames, errors, _) = frame_all(&wire, piece, &Limits::default());
            assert!(errors.is_empty());
            assert_eq!(frames.len(), 1, "{}", wire.escape_ascii());
            assert_eq!(frames[0].len(), wire.len());
        }
        let back = imap::parse_response(&Bytes::from(wire.clone())).unwrap();
        let Status::Complete((n, _)) = back else {
            panic!("partial")
        };
        assert_eq!(n, wire.len());
    }
}

/// 1,000,000 pipelined `a NOOP` in 64 KiB reads: a million frames, each parsed, with the
/// framer's buffer never above one read plus one line.
#[test]
fn imap_a_million_pipelined_noops_frame_in_bounded_memory() {
    let input = b"a NOOP\r\n".repeat(1_000_000);
    let limits = Limits::default();
    let mut framer = Framer::new(&limits);
    let mut buf = bytes::BytesMut::new();
    let (mut count, mut peak) = (0, 0);
    for chunk in input.chunks(64 * 1024) {
        buf.extend_from_slice(chunk);
        peak = peak.max(buf.len());
        loop {
            match framer.poll(&buf).unwrap() {
                Frame::Complete(n) => {
                    let frame = buf.split_to(n).freeze();
                    let cmd = imap::parse_command_frame(&frame, &limits).unwrap();
                    assert_eq!(cmd.body, imap::CommandBody::Noop);
                    count += 1;
                }
                Frame::Incomplete => break,
                other => panic!("{other:?}"),
            }
        }
    }
    assert_eq!(count, 1_000_000);
    assert!(peak <= 64 * 1024 + 8, "{peak}");
    assert!(buf.is_empty());
}

/// RFC 3501 §6.2.2 and RFC 4959: bad base64 in AUTHENTICATE lines and in the SASL-IR initial
/// response is refused (the session answers BAD), `*` cancels, and an overlong line is
/// refused without being buffered.
#[test]
fn imap_bad_base64_in_authenticate() {
    let limits = Limits::default();
    for b in [
        &b"AGFsaWNl=AHg=\r\n"[..],
        b"AGFsaWNlAHdvbmRlcmxhbmQ\r\n",
        b"A\r\n",
        b"!!!!\r\n",
        b"AGFs aWNl\r\n",
        b"AGFs\0aWNl\r\n",
        b"AGFsaWNl\n",
        b"YR==\r\n",
    ] {
        assert!(
            imap::parse_authenticate_data(&Bytes::from_static(b), &limits).is_err(),
            "{}",
            b.escape_ascii()
        );
    }
    assert!(matches!(
        imap::parse_authenticate_data(&Bytes::from_static(b"*\r\n"), &limits),
        Ok(Status::Complete((3, imap::AuthenticateData::Cancel)))
    ));
    let Ok(Status::Complete((_, imap::AuthenticateData::Response(r)))) =
        imap::parse_authenticate_data(&Bytes::from_static(b"AGFsaWNlAHB3\r\n"), &limits)
    else {
        panic!("valid base64 refused");
    };
    assert_eq!(&r.declassify()[..], b"\0alice\0pw");
    for b in [
        &b"a AUTHENTICATE PLAIN AGFsaWNl=AHg=\r\n"[..],
        b"a AUTHENTICATE PLAIN !!!!\r\n",
        b"a AUTHENTICATE PLAIN A\r\n",
    ] {
        let e = imap::parse_command(&Bytes::from_static(b)).unwrap_err();
        assert_eq!(e.tag.unwrap().as_bytes(), b"a", "{}", b.escape_ascii());
    }
    let long = Bytes::from(vec![b'A'; 2 * limits.max_line_length()]);
    let e = imap::parse_authenticate_data(&long, &limits).unwrap_err();
    assert!(matches!(e.kind, ErrorKind::LineTooLong { .. }));
}

#[test]
fn helpers_agree_with_known_base64() {
    // RFC 4648 §10 test vectors, so the helper above is trusted.
    assert_eq!(base64(b"f"), "Zg==");
    assert_eq!(base64(b"fo"), "Zm8=");
    assert_eq!(base64(b"foobar"), "Zm9vYmFy");
}
