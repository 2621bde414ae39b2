//! Helpers shared by the IMAP test files: value builders and known-answer checks
//! (parse → expected value → encode → same bytes).
#![allow(dead_code)]

use std::num::NonZeroU32;

use bytes::Bytes;
use pobox::Status;
use pobox::imap::*;

/// Escaped bytes for failure messages.
pub fn esc(b: &[u8]) -> String {
    b.escape_ascii().to_string()
}

pub fn s(v: &str) -> IString {
    IString::try_from(v).unwrap()
}

pub fn ns(v: &str) -> NString {
    Some(s(v))
}

pub fn atom(v: &str) -> Atom {
    Atom::try_from(v).unwrap()
}

pub fn tag(v: &str) -> Tag {
    Tag::try_from(v).unwrap()
}

pub fn text(v: &str) -> Text {
    Text::try_from(v).unwrap()
}

pub fn mbox(v: &str) -> Mailbox {
    Mailbox::new(Bytes::copy_from_slice(v.as_bytes())).unwrap()
}

pub fn nz(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap()
}

pub fn num(n: u32) -> SeqNumber {
    SeqNumber::new(n).unwrap()
}

/// A sequence set from `(a, b)` pairs; `b == 0` means a single number, `u32::MAX` stands for `*`.
pub fn set(items: &[(u32, u32)]) -> SequenceSet {
    let sn = |v: u32| {
        if v == u32::MAX {
            SeqNumber::Asterisk
        } else {
            num(v)
        }
    };
    SequenceSet::new(
        items
            .iter()
            .map(|&(a, b)| {
                if b == 0 {
                    Sequence::Single(sn(a))
                } else {
                    Sequence::Range(sn(a), sn(b))
                }
            })
            .collect(),
    )
    .unwrap()
}

pub fn date(y: u16, m: u8, d: u8) -> Date {
    Date::new(y, m, d).unwrap()
}

pub fn cmd(t: &str, body: CommandBody) -> Command {
    Command { tag: tag(t), body }
}

pub fn status(t: Option<&str>, kind: StatusKind, code: Option<Code>, txt: &str) -> Response {
    Response::Status(StatusResponse {
        tag: t.map(tag),
        kind,
        code,
        text: text(txt),
    })
}

pub fn ok(t: &str, txt: &str) -> Response {
    status(Some(t), StatusKind::Ok, None, txt)
}

pub fn data(d: Data) -> Response {
    Response::Data(d)
}

pub fn caps(list: &str) -> Vec<Atom> {
    list.split(' ').map(atom).collect()
}

pub fn encode_command(c: &Command) -> Vec<u8> {
    let mut e = Encoder::new();
    e.command(c);
    e.to_vec()
}

pub fn encode_response(r: &Response) -> Vec<u8> {
    let mut e = Encoder::new();
    e.response(r);
    e.to_vec()
}

pub fn encode_greeting(g: &Greeting) -> Vec<u8> {
    let mut e = Encoder::new();
    e.greeting(g);
    e.to_vec()
}

fn parse_cmd(wire: &[u8]) -> Command {
    let input = Bytes::copy_from_slice(wire);
    match parse_command(&input) {
        Ok(Status::Complete((n, c))) => {
            assert_eq!(n, wire.len(), "consumed of {}", esc(wire));
            c
        }
        other => panic!("parse_command({}) = {other:?}", esc(wire)),
    }
}

fn parse_resp(wire: &[u8]) -> Response {
    let input = Bytes::copy_from_slice(wire);
    match parse_response(&input) {
        Ok(Status::Complete((n, r))) => {
            assert_eq!(n, wire.len(), "consumed of {}", esc(wire));
            r
        }
        other => panic!("parse_response({}) = {other:?}", esc(wire)),
    }
}

/// Known answer for a command whose canonical encoding is the input itself.
pub fn kat_cmd(wire: &[u8], expected: Command) {
    kat_cmd_canon(wire, expected, wire);
}

/// Known answer for a command the encoder writes differently (case, optional quoting):
/// `canonical` must parse to the same value too.
pub fn kat_cmd_canon(wire: &[u8], expected: Command, canonical: &[u8]) {
    let got = parse_cmd(wire);
    assert_eq!(got, expected, "value of {}", esc(wire));
    let enc = encode_command(&got);
    assert_eq!(esc(&enc), esc(canonical), "encoding");
    assert_eq!(
        parse_cmd(canonical),
        expected,
        "value of canonical {}",
        esc(canonical)
    );
}

/// Known answer for a response.
pub fn kat_resp(wire: &[u8], expected: Response) {
    kat_resp_canon(wire, expected, wire);
}

/// Known answer for a response with a different canonical encoding.
pub fn kat_resp_canon(wire: &[u8], expected: Response, canonical: &[u8]) {
    let got = parse_resp(wire);
    assert_eq!(got, expected, "value of {}", esc(wire));
    let enc = encode_response(&got);
    assert_eq!(esc(&enc), esc(canonical), "encoding");
    assert_eq!(
        parse_resp(canonical),
        expected,
        "value of canonical {}",
        esc(canonical)
    );
}

/// Known answer for a status response whose code has no text after it, which RFC 3501 §9
/// `resp-text` reads as text that starts with `[`. Hosts cannot build such text
/// (`Text::new` refuses a leading `[`: it could forge a code), so the value is checked by
/// its parts, and the parsed value must encode back to the same bytes.
pub fn kat_resp_bracket_text(wire: &[u8], t: Option<&str>, kind: StatusKind, txt: &str) {
    let got = parse_resp(wire);
    let Response::Status(status) = &got else {
        panic!("{} is not a status response: {got:?}", esc(wire));
    };
    assert_eq!(status.tag, t.map(tag));
    assert_eq!(status.kind, kind);
    assert_eq!(status.code, None);
    assert_eq!(esc(status.text.as_bytes()), esc(txt.as_bytes()));
    assert!(
        Text::try_from(txt).is_err(),
        "host text may not start with ["
    );
    assert_eq!(esc(&encode_response(&got)), esc(wire));
}

/// Known answer for a greeting.
pub fn kat_greeting(wire: &[u8], expected: Greeting) {
    let input = Bytes::copy_from_slice(wire);
    let got = match parse_greeting(&input) {
        Ok(Status::Complete((n, g))) => {
            assert_eq!(n, wire.len());
            g
        }
        other => panic!("parse_greeting({}) = {other:?}", esc(wire)),
    };
    assert_eq!(got, expected);
    assert_eq!(esc(&encode_greeting(&got)), esc(wire));
}

/// The command must be refused with a syntax error (or another error kind).
pub fn reject_cmd(wire: &[u8]) -> ParseError {
    let input = Bytes::copy_from_slice(wire);
    match parse_command(&input) {
        Err(e) => e,
        other => panic!("parse_command({}) accepted: {other:?}", esc(wire)),
    }
}

/// The response must be refused.
pub fn reject_resp(wire: &[u8]) -> ParseError {
    let input = Bytes::copy_from_slice(wire);
    match parse_response(&input) {
        Err(e) => e,
        other => panic!("parse_response({}) accepted: {other:?}", esc(wire)),
    }
}
