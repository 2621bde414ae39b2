//! Property tests for the POP3 codec and session.

mod support;

use bytes::{Buf, Bytes};
use pobox::Secret;
use pobox::Status;
use pobox::pop3::command::{Command, parse_command};
use pobox::pop3::multiline::{Stuffed, top_len, unstuff};
use pobox::pop3::server::{Config, Transport};
use pobox::pop3::wire_size;
use proptest::prelude::*;
use support::pop3::{Harness, Host};

/// An owned description of a command, from which a borrowed `Command` is built.
#[derive(Debug, Clone)]
enum Cmd {
    User(String),
    Pass(Vec<u8>),
    Apop(String, [u8; 16]),
    Auth(String, Option<Vec<u8>>),
    Lang(Option<String>),
    Num(u8, u32),
    OptNum(bool, Option<u32>),
    Top(u32, u64),
    Bare(u8),
}

fn vchar() -> impl Strategy<Value = String> {
    "[!-~]{1,40}"
}

fn cmd() -> impl Strategy<Value = Cmd> {
    prop_oneof![
        vchar().prop_map(Cmd::User),
        "[ -~]{1,60}".prop_map(|p| Cmd::Pass(p.into_bytes())),
        (vchar(), any::<[u8; 16]>()).prop_map(|(n, d)| Cmd::Apop(n, d)),
        (
            vchar(),
            proptest::option::of("[A-Za-z0-9+/]{4,40}={0,2}".prop_map(String::into_bytes))
        )
            .prop_map(|(m, ir)| Cmd::Auth(m, ir)),
        proptest::option::of(vchar()).prop_map(Cmd::Lang),
        (0..2u8, 1..=u32::MAX).prop_map(|(k, n)| Cmd::Num(k, n)),
        (any::<bool>(), proptest::option::of(1..=u32::MAX)).prop_map(|(k, n)| Cmd::OptNum(k, n)),
        (1..=u32::MAX, any::<u64>()).prop_map(|(m, n)| Cmd::Top(m, n)),
        (0..7u8).prop_map(Cmd::Bare),
    ]
}

fn build(c: &Cmd) -> Command<'_> {
    match c {
        Cmd::User(n) => Command::User(n),
        Cmd::Pass(p) => Command::Pass(Secret::new(p)),
        Cmd::Apop(n, d) => Command::Apop {
            name: n,
            digest: Secret::new(*d),
        },
        Cmd::Auth(m, ir) => Command::Auth {
            mechanism: m,
            initial_response: ir.as_deref().map(Secret::new),
        },
        Cmd::Lang(tag) => Command::Lang(tag.as_deref()),
        Cmd::Num(0, n) => Command::Retr(*n),
        Cmd::Num(_, n) => Command::Dele(*n),
        Cmd::OptNum(true, n) => Command::List(*n),
        Cmd::OptNum(false, n) => Command::Uidl(*n),
        Cmd::Top(msg, lines) => Command::Top {
            msg: *msg,
            lines: *lines,
        },
        Cmd::Bare(k) => [
            Command::Stls,
            Command::Capa,
            Command::Utf8,
            Command::Stat,
            Command::Noop,
            Command::Rset,
            Command::Quit,
        ][usize::from(*k)]
        .clone(),
    }
}

/// What a client must receive for `body`: LF made CRLF, and a final line end.
fn normalized(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, &b) in body.iter().enumerate() {
        if b == b'\n' && (i == 0 || body[i - 1] != b'\r') {
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

/// Message bodies rich in the octets that matter: dots, CR, LF.
fn body() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(
        prop_oneof![
            3 => Just(b'.'),
            3 => Just(b'\n'),
            2 => Just(b'\r'),
            4 => any::<u8>(),
        ],
        0..400,
    )
}

proptest! {
    #[test]
    fn command_encode_then_parse_is_identity(c in cmd()) {
        let command = build(&c);
        let mut wire = Vec::new();
        command.encode(&mut wire).unwrap();
        prop_assert!(wire.ends_with(b"\r\n"));
        prop_assert_eq!(wire.iter().filter(|&&b| b == b'\n').count(), 1);
        let parsed = parse_command(&wire).unwrap();
        prop_assert_eq!(parsed, Status::Complete((wire.len(), command)));
    }

    #[test]
    fn stuffing_then_unstuffing_gives_the_normalized_body(body in body()) {
        let mut stuffed = Stuffed::new(Bytes::from(body.clone()));
        let len = stuffed.remaining();
        let wire = stuffed.copy_to_bytes(len);
        prop_assert!(wire.ends_with(b"\r\n.\r\n") || wire.as_ref() == b".\r\n");
        let received = unstuff(&wire).unwrap();
        prop_assert_eq!(&received, &normalized(&body));
        prop_assert_eq!(received.len() as u64, wire_size(&body));
        // No line of the wire form but the last is a lone ".".
        let lines: Vec<&[u8]> = wire.split_inclusive(|&b| b == b'\n').collect();
        prop_assert!(lines[..lines.len() - 1].iter().all(|l| *l != b".\r\n"));
    }

    #[test]
    fn chunk_by_chunk_and_vectored_views_agree(body in body(), step in 1usize..7) {
        let stuffed = Stuffed::new(Bytes::from(body));
        let mut by_chunk = stuffed.clone();
        let mut a = Vec::new();
        while by_chunk.has_remaining() {
            let n = by_chunk.chunk().len().min(step);
            a.extend_from_slice(&by_chunk.chunk()[..n]);
            by_chunk.advance(n);
        }
        let mut by_bytes = stuffed.clone();
        let mut b = Vec::new();
        while let Some(chunk) = by_bytes.next_bytes() {
            b.extend_from_slice(&chunk);
        }
        prop_assert_eq!(&a, &b);
        let mut c = Vec::new();
        let mut vectored = stuffed;
        while vectored.has_remaining() {
            let mut slices = [std::io::IoSlice::new(&[]); 4];
            let n = vectored.chunks_vectored(&mut slices);
            prop_assert!(n > 0);
            let got: usize = slices[..n].iter().map(|s| s.len()).sum();
            for s in &slices[..n] {
                c.extend_from_slice(s);
            }
            vectored.advance(got);
        }
        prop_assert_eq!(&a, &c);
    }

    #[test]
    fn top_sends_a_prefix_ending_on_a_line(body in body(), lines in 0u64..10) {
        let len = top_len(&body, lines);
        prop_assert!(len <= body.len());
        prop_assert!(len == body.len() || body[len - 1] == b'\n');
    }

    #[test]
    fn a_session_gives_the_same_output_however_input_is_split(
        cuts in proptest::collection::vec(0usize..2000, 0..40)
    ) {
        let script = SCRIPT.as_bytes();
        let reference = run_session(&[script]);
        let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c % (script.len() + 1)).collect();
        cuts.sort_unstable();
        let mut pieces = Vec::new();
        let mut last = 0;
        for cut in cuts {
            pieces.push(&script[last..cut]);
            last = cut;
        }
        pieces.push(&script[last..]);
        prop_assert_eq!(run_session(&pieces), reference);
    }
}

/// A client session touching every state and most commands, with a failed
/// login (held back by the failure delay) and a SASL exchange.
const SCRIPT: &str = "CAPA\r\nUSER alice\r\nPASS nope\r\nAUTH PLAIN\r\n\
    AGFsaWNlAHdvbmRlcmxhbmQ=\r\nSTAT\r\nLIST\r\nUIDL\r\nLIST 2\r\nTOP 2 1\r\nRETR 1\r\n\
    RETR 2\r\nDELE 1\r\nRETR 1\r\nXYZZY\r\nRSET\r\nDELE 2\r\nNOOP\r\nQUIT\r\nSTAT\r\n";

fn run_session(pieces: &[&[u8]]) -> Vec<u8> {
    let mut config = Config::default();
    config.plaintext_auth_without_tls(true);
    let host = Host::default()
        .with_user("alice", "wonderland")
        .with_message("a", "Subject: a\r\n\r\nbody\r\n.dot\r\n")
        .with_message("b", "Subject: b\n\nline 1\nline 2\n");
    let mut h = Harness::new(config, Transport::Plain, host);
    let mut out = h.output();
    for piece in pieces {
        out.extend(h.feed(piece));
    }
    out
}

#[test]
fn the_chunking_script_exercises_what_it_claims() {
    let out = String::from_utf8(run_session(&[SCRIPT.as_bytes()])).unwrap();
    assert!(out.contains("-ERR [AUTH] Authentication failed\r\n+ \r\n+OK Maildrop locked"));
    assert!(out.contains("\r\n..dot\r\n"));
    assert!(out.ends_with("+OK localhost POP3 server signing off (1 message left)\r\n"));
    // One byte at a time.
    let bytes: Vec<&[u8]> = SCRIPT.as_bytes().chunks(1).collect();
    assert_eq!(run_session(&bytes), out.as_bytes());
}
