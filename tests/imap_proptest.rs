//! Property tests: arbitrary value → encode → parse → the same value, for commands, responses,
//! greetings, sequence sets, mailbox names, search keys and body structures; and parsing the
//! encoding fed one byte at a time through the framer gives the same result.

#[path = "imap_support/strategies.rs"]
mod strategies;
#[path = "imap_support/mod.rs"]
mod support;

use bytes::Bytes;
use pobox::Status;
use pobox::imap::*;
use proptest::prelude::*;
use strategies::*;

fn roundtrip_command(c: &Command) -> Vec<u8> {
    let wire = support::encode_command(c);
    let input = Bytes::from(wire.clone());
    match parse_command(&input) {
        Ok(Status::Complete((n, got))) => {
            assert_eq!(n, wire.len(), "{}", support::esc(&wire));
            assert_eq!(&got, c, "{}", support::esc(&wire));
        }
        other => panic!("{} -> {other:?}", support::esc(&wire)),
    }
    wire
}

fn roundtrip_response(r: &Response) -> Vec<u8> {
    let wire = support::encode_response(r);
    let input = Bytes::from(wire.clone());
    match parse_response(&input) {
        Ok(Status::Complete((n, got))) => {
            assert_eq!(n, wire.len(), "{}", support::esc(&wire));
            assert_eq!(&got, r, "{}", support::esc(&wire));
        }
        other => panic!("{} -> {other:?}", support::esc(&wire)),
    }
    wire
}

fn search_command(k: SearchKey) -> Command {
    Command {
        tag: support::tag("a"),
        body: CommandBody::Search {
            charset: None,
            criteria: vec![k],
            uid: false,
        },
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, .. ProptestConfig::default() })]

    #[test]
    fn command_roundtrip(c in command()) {
        roundtrip_command(&c);
    }


    #[test]
    fn greeting_roundtrip(g in greeting()) {
        let wire = support::encode_greeting(&g);
        let input = Bytes::from(wire.clone());
        let Ok(Status::Complete((n, got))) = parse_greeting(&input) else { panic!("{}", support::esc(&wire)) };
        prop_assert_eq!(n, wire.len());
        prop_assert_eq!(got, g);
    }

    #[test]
    fn sequence_set_roundtrip(set in sequence_set()) {
        roundtrip_command(&Command {
            tag: support::tag("a"),
            body: CommandBody::Fetch { set, items: FetchItems::Fast, uid: true },
        });
    }

    #[test]
    fn mailbox_roundtrip(m in mailbox()) {
        roundtrip_command(&Command { tag: support::tag("a"), body: CommandBody::Select(m.clone()) });
        if let Ok(name) = m.to_utf8() {
            let enc = utf7::encode(&name);
            prop_assert_eq!(enc.as_bytes(), m.as_bytes());
        }
    }

    #[test]
    fn utf7_roundtrip(name in "\\PC{0,12}") {
        let enc = utf7::encode(&name);
        prop_assert!(enc.bytes().all(|b| (0x20..=0x7e).contains(&b)));
        prop_assert_eq!(utf7::decode(enc.as_bytes()).unwrap(), name);
    }

    #[test]
    fn utf7_decode_is_canonical(raw in proptest::collection::vec(0x20u8..=0x7e, 0..16)) {
        if let Ok(s) = utf7::decode(&raw) {
            let enc = utf7::encode(&s);
            prop_assert_eq!(enc.as_bytes(), &raw[..]);
        }
    }

    #[test]
    fn search_key_roundtrip(k in search_key()) {
        roundtrip_command(&search_command(k));
    }


    /// The framer gives the same frames however the bytes are split.
    #[test]
    fn framer_split_anywhere(c in command(), cut in 1usize..7) {
        let mut wire = support::encode_command(&c);
        wire.extend_from_slice(b"z NOOP\r\n");
        let mut f = Framer::new(&Limits::default());
        let mut buf: Vec<u8> = Vec::new();
        let mut frames = Vec::new();
        for chunk in wire.chunks(cut) {
            buf.extend_from_slice(chunk);
            loop {
                match f.poll(&buf).unwrap() {
                    Frame::Incomplete => break,
                    Frame::Literal(_) => {}
                    Frame::Complete(n) => {
                        let frame: Vec<u8> = buf.drain(..n).collect();
                        frames.push(frame);
                    }
                    Frame::Discard { .. } => panic!("discard"),
                }
            }
        }
        prop_assert_eq!(frames.len(), 2);
        let got = parse_command_frame(&Bytes::from(frames[0].clone()), &Limits::default()).unwrap();
        prop_assert_eq!(got, c);
    }
}

/// Runs a property on a thread with a large stack: proptest's value trees for recursive
/// strategies (body structures inside envelopes inside responses) are deep in debug builds.
fn big_stack<S: Strategy + 'static>(strategy: fn() -> S, cases: u32, f: fn(S::Value))
where
    S::Value: std::fmt::Debug,
{
    std::thread::Builder::new()
        .stack_size(256 * 1024 * 1024)
        .spawn(move || {
            let strategy = strategy();
            let mut runner =
                proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(cases));
            runner
                .run(&strategy, |v| {
                    f(v);
                    Ok(())
                })
                .unwrap();
        })
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn response_roundtrip() {
    big_stack(response, 512, |r| {
        roundtrip_response(&r);
    });
}

#[test]
fn body_structure_roundtrip() {
    big_stack(body_structure, 512, |b| {
        let r = Response::Data(Data::Fetch {
            seq: support::nz(1),
            items: vec![MessageDataItem::BodyStructure(b)],
        });
        roundtrip_response(&r);
    });
}
