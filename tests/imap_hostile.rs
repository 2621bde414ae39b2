//! Hostile inputs: each gets its proper error (with the tag when one was read), bounded memory,
//! and no panic.

#[path = "imap_support/mod.rs"]
mod support;

use bytes::Bytes;
use pobox::Status;
use pobox::imap::*;
use proptest::prelude::*;

fn cmd_err(wire: &[u8], limits: &Limits) -> ParseError {
    match parse_command_with(&Bytes::copy_from_slice(wire), limits) {
        Err(e) => e,
        other => panic!("accepted: {other:?}"),
    }
}

#[test]
fn literal_length_bomb() {
    for wire in [
        &b"A1 APPEND x {99999999999}\r\n"[..],
        b"A1 APPEND x {99999999999+}\r\n",
        b"A1 LOGIN {4294967296}\r\n",
    ] {
        let e = cmd_err(wire, &Limits::default());
        assert_eq!(e.tag.as_ref().map(|t| t.as_bytes()), Some(&b"A1"[..]));
        assert!(matches!(e.kind, ErrorKind::LiteralTooBig { .. }), "{e:?}");
    }
    // 20+ digits saturate instead of overflowing.
    let e = cmd_err(
        b"A1 LOGIN {999999999999999999999999999999}\r\n",
        &Limits::default(),
    );
    assert!(
        matches!(
            e.kind,
            ErrorKind::LiteralTooBig {
                length: u64::MAX,
                ..
            }
        ),
        "{e:?}"
    );
    // Over the configured limit (not only over u32).
    let mut l = Limits::default();
    l.set_max_literal_size(1000);
    let e = cmd_err(b"A1 APPEND x {1001}\r\n", &l);
    assert!(matches!(
        e.kind,
        ErrorKind::LiteralTooBig {
            length: 1001,
            limit: 1000,
            mode: LiteralMode::Sync
        }
    ));
    // The sum of a command's literals counts: one of 600 is fine, a second one is not.
    assert!(
        parse_command_with(&Bytes::from_static(b"A1 LOGIN {600}\r\n"), &l)
            .unwrap()
            .is_partial()
    );
    let mut wire = b"A1 LOGIN {600+}\r\n".to_vec();
    wire.extend_from_slice(&[b'a'; 600]);
    wire.extend_from_slice(b" {600}\r\n");
    let e = cmd_err(&wire, &l);
    assert!(
        matches!(e.kind, ErrorKind::LiteralTooBig { length: 600, .. }),
        "{e:?}"
    );
}

#[test]
fn nesting_bombs() {
    let deep = "(".repeat(10_000);
    // Search keys.
    let e = cmd_err(
        format!("A1 SEARCH {deep}ALL\r\n").as_bytes(),
        &Limits::default(),
    );
    assert_eq!(e.kind, ErrorKind::TooDeep { limit: 32 });
    assert_eq!(e.tag.unwrap().as_bytes(), b"A1");
    let e = cmd_err(
        format!("A1 SEARCH {}ALL\r\n", "NOT ".repeat(10_000)).as_bytes(),
        &Limits::default(),
    );
    assert_eq!(e.kind, ErrorKind::TooDeep { limit: 32 });
    // Body structures and body extensions.
    let e =
        parse_response(&Bytes::from(format!("* 1 FETCH (BODYSTRUCTURE {deep}\r\n"))).unwrap_err();
    assert_eq!(e.kind, ErrorKind::TooDeep { limit: 32 });
    let ext = format!(
        "* 1 FETCH (BODYSTRUCTURE (\"A\" \"B\" NIL NIL NIL \"7BIT\" 1 NIL NIL NIL NIL {deep}\r\n"
    );
    let e = parse_response(&Bytes::from(ext)).unwrap_err();
    assert_eq!(e.kind, ErrorKind::TooDeep { limit: 32 });
    // Limits are parameters: depth 3 refuses what depth 32 accepts.
    let mut l = Limits::default();
    l.set_max_depth(3);
    let e = cmd_err(b"A1 SEARCH (((ALL)))\r\n", &l);
    assert_eq!(e.kind, ErrorKind::TooDeep { limit: 3 });
    assert!(
        parse_command(&Bytes::from_static(b"A1 SEARCH (((ALL)))\r\n"))
            .unwrap()
            .is_complete()
    );
    // 10,000 "(" in a place that is not recursive is a plain syntax error.
    let e = cmd_err(
        format!("A1 FETCH 1 {deep}\r\n").as_bytes(),
        &Limits::default(),
    );
    assert!(matches!(e.kind, ErrorKind::Syntax { .. }));
}

#[test]
fn sequence_set_bomb() {
    // 64 KiB of "1," exceeds the default line limit: refused by the framer before parsing.
    let set = "1,".repeat(32 * 1024);
    let wire = format!("A1 FETCH {set}1 FLAGS\r\n");
    let e = cmd_err(wire.as_bytes(), &Limits::default());
    assert_eq!(e.kind, ErrorKind::LineTooLong { limit: 65536 });
    assert_eq!(e.tag.unwrap().as_bytes(), b"A1");
    // With the line limit raised, the item limit refuses it.
    let mut l = Limits::default();
    l.set_max_line_length(1 << 20);
    let e = cmd_err(wire.as_bytes(), &l);
    assert_eq!(e.kind, ErrorKind::TooManyItems { limit: 32 * 1024 });
    // A 64 KiB set of ranges under both limits is accepted, kept as ranges, never expanded.
    let set: Vec<String> = (0..6000)
        .map(|i| format!("{}:{}", i * 10 + 1, i * 10 + 5))
        .collect();
    let wire = format!("A1 UID FETCH {} FLAGS\r\n", set.join(","));
    assert!(wire.len() > 64 * 1024);
    let Ok(Status::Complete((_, c))) = parse_command_with(&Bytes::from(wire), &l) else {
        panic!()
    };
    let CommandBody::Fetch { set, .. } = c.body else {
        panic!()
    };
    assert_eq!(set.items().len(), 6000);
    // 0 is not a sequence number; numbers past u32 are refused.
    assert!(matches!(
        cmd_err(b"A1 FETCH 0 FLAGS\r\n", &l).kind,
        ErrorKind::Syntax { .. }
    ));
    assert!(matches!(
        cmd_err(b"A1 FETCH 1:0 FLAGS\r\n", &l).kind,
        ErrorKind::Syntax { .. }
    ));
    assert_eq!(
        cmd_err(b"A1 FETCH 4294967296 FLAGS\r\n", &l).kind,
        ErrorKind::NumberOutOfRange
    );
    assert_eq!(
        cmd_err(b"A1 FETCH 99999999999999999999999 FLAGS\r\n", &l).kind,
        ErrorKind::NumberOutOfRange
    );
}

#[test]
fn nul_and_8bit() {
    // NUL in a quoted string (RFC 3501 §9 note 3: NUL MUST NOT be used).
    let e = cmd_err(b"A1 LOGIN \"fr\0ed\" x\r\n", &Limits::default());
    assert!(matches!(e.kind, ErrorKind::Syntax { .. }));
    assert_eq!(e.tag.unwrap().as_bytes(), b"A1");
    assert_eq!(e.offset, 12);
    // NUL in a literal.
    assert!(matches!(
        cmd_err(b"A1 LOGIN {3}\r\na\0b x\r\n", &Limits::default()).kind,
        ErrorKind::Syntax { .. }
    ));
    // 8-bit bytes in an atom, a tag, a quoted string, a flag.
    for wire in [
        &b"A1 NO\xffOP\r\n"[..],
        b"A\xe91 NOOP\r\n",
        b"A1 LOGIN \"fr\xc3\xa9d\" x\r\n",
        b"A1 STORE 1 +FLAGS (k\xe9)\r\n",
        b"A1 SELECT inb\xf6x\r\n",
    ] {
        assert!(
            matches!(
                cmd_err(wire, &Limits::default()).kind,
                ErrorKind::Syntax { .. }
            ),
            "{}",
            support::esc(wire)
        );
    }
    // The same bytes in a literal are fine (CHAR8).
    assert!(
        parse_command(&Bytes::from_static(b"A1 LOGIN {5}\r\nfr\xc3\xa9d x\r\n"))
            .unwrap()
            .is_complete()
    );
    // Bare CR, bare LF.
    assert_eq!(
        cmd_err(b"A1 NOOP\n", &Limits::default()).kind,
        ErrorKind::BareLf
    );
    assert!(matches!(
        cmd_err(b"A1 NO\rOP\r\n", &Limits::default()).kind,
        ErrorKind::Syntax { .. }
    ));
    // Two spaces, tab (RFC 3501 §9 note 2).
    let e = cmd_err(b"A1  NOOP\r\n", &Limits::default());
    assert!(matches!(e.kind, ErrorKind::Syntax { .. }) && e.tag.is_some());
    assert!(matches!(
        cmd_err(b"A1 SELECT\tINBOX\r\n", &Limits::default()).kind,
        ErrorKind::Syntax { .. }
    ));
}

#[test]
fn long_line_without_crlf_is_bounded() {
    // 10 MB without CRLF, fed in 64 KiB reads: the framer refuses once past the limit, then
    // discards without buffering.
    let mut f = Framer::new(&Limits::default());
    let mut buf: Vec<u8> = b"A1 LOGIN ".to_vec();
    let chunk = vec![b'a'; 64 * 1024];
    let mut refused = false;
    let mut max_buf = 0;
    for _ in 0..160 {
        buf.extend_from_slice(&chunk);
        max_buf = max_buf.max(buf.len());
        loop {
            match f.poll(&buf) {
                Err(e) => {
                    assert_eq!(e.kind, ErrorKind::LineTooLong { limit: 65536 });
                    assert_eq!(e.tag.as_ref().unwrap().as_bytes(), b"A1");
                    refused = true;
                }
                Ok(Frame::Discard { len, .. }) => {
                    buf.drain(..len);
                }
                Ok(Frame::Incomplete) => break,
                Ok(other) => panic!("{other:?}"),
            }
        }
    }
    assert!(refused);
    assert!(max_buf <= 2 * 64 * 1024 + 16, "{max_buf}");
    // The next command after the CRLF is framed normally.
    buf.extend_from_slice(b"\r\nA2 NOOP\r\n");
    let mut frames = vec![];
    loop {
        match f.poll(&buf).unwrap() {
            Frame::Discard { len, .. } => {
                buf.drain(..len);
            }
            Frame::Complete(n) => {
                frames.push(buf.drain(..n).collect::<Vec<u8>>());
            }
            Frame::Incomplete => break,
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(frames, [b"A2 NOOP\r\n".to_vec()]);
}

#[test]
fn refused_sync_literal_drops_only_its_command() {
    let mut l = Limits::default();
    l.set_max_literal_size(10);
    let mut f = Framer::new(&l);
    let buf = b"A1 APPEND x {11}\r\n";
    let e = f.poll(buf).unwrap_err();
    assert_eq!(e.tag.unwrap().as_bytes(), b"A1");
    assert!(matches!(
        e.kind,
        ErrorKind::LiteralTooBig {
            length: 11,
            limit: 10,
            mode: LiteralMode::Sync
        }
    ));
    assert_eq!(
        f.poll(buf).unwrap(),
        Frame::Discard {
            len: buf.len(),
            done: true
        }
    );
    assert_eq!(f.poll(b"A2 NOOP\r\n").unwrap(), Frame::Complete(9));
}

#[test]
fn errors_carry_the_tag() {
    let e = cmd_err(b"tag7 FETCH 1 (FLAGS\r\n", &Limits::default());
    assert_eq!(e.tag.unwrap().as_bytes(), b"tag7");
    let e = cmd_err(b"tag8 FROB\r\n", &Limits::default());
    assert_eq!(e.tag.unwrap().as_bytes(), b"tag8");
    assert!(matches!(
        e.kind,
        ErrorKind::Syntax {
            expected: "command name"
        }
    ));
    let e = cmd_err(b"+bad NOOP\r\n", &Limits::default());
    assert!(e.tag.is_none());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Arbitrary bytes never panic any entry point, and a framer fed them in pieces only ever
    /// buffers up to its line limit (plus one read).
    #[test]
    fn arbitrary_bytes_never_panic(input in proptest::collection::vec(any::<u8>(), 0..300), cut in 1usize..40) {
        let b = Bytes::from(input.clone());
        let _ = parse_command(&b);
        let _ = parse_response(&b);
        let _ = parse_greeting(&b);
        let _ = parse_authenticate_data(&b, &Limits::default());
        let _ = parse_idle_done(&b, &Limits::default());
        let _ = parse_command_frame(&b, &Limits::default());
        let _ = parse_response_frame(&b, &Limits::default());
        let mut l = Limits::default();
        l.set_max_line_length(64).set_max_literal_size(64);
        let mut f = Framer::new(&l);
        let mut buf = Vec::new();
        for chunk in input.chunks(cut) {
            buf.extend_from_slice(chunk);
            loop {
                match f.poll(&buf) {
                    Ok(Frame::Incomplete) => break,
                    Ok(Frame::Complete(n)) | Ok(Frame::Discard { len: n, .. }) => {
                        prop_assert!(n <= buf.len());
                        buf.drain(..n);
                    }
                    Ok(Frame::Literal(_)) | Err(_) => {}
                }
            }
            prop_assert!(buf.len() <= 64 + 64 + cut + 64, "{}", buf.len());
        }
    }

    /// Mutated valid commands never panic and give the same answer whole or framed.
    #[test]
    fn mutated_commands(pos in 0usize..60, byte in any::<u8>()) {
        let mut wire = b"A1 UID FETCH 1:*,5 (FLAGS BODY.PEEK[1.2.HEADER.FIELDS (A B)]<0.10>)\r\n".to_vec();
        let p = pos % wire.len();
        wire[p] = byte;
        let b = Bytes::from(wire);
        let whole = parse_command(&b);
        if let Ok(Status::Complete((n, c))) = whole {
            let again = parse_command_frame(&b.slice(..n), &Limits::default()).unwrap();
            prop_assert_eq!(again, c);
        }
    }
}

/// `Limits::accept_bare_lf`: a line may end in LF alone, everywhere a CRLF ends one (the
/// command, a literal announcement, AUTHENTICATE data, DONE); a CR before the LF stays part
/// of the terminator, and strict limits still refuse it.
#[test]
fn bare_lf_line_ends_when_accepted() {
    let mut lenient = Limits::default();
    lenient.set_accept_bare_lf(true);
    let parse = |wire: &'static [u8]| match parse_command_with(&Bytes::from_static(wire), &lenient)
    {
        Ok(Status::Complete((n, c))) => (n, c),
        other => panic!("{other:?}"),
    };
    let (n, c) = parse(b"A1 NOOP\n");
    assert_eq!((n, c.body), (8, CommandBody::Noop));
    let (_, c) = parse(b"A2 LOGIN {4}\nfred pw\n");
    assert!(matches!(c.body, CommandBody::Login { .. }));
    let (_, c) = parse(b"A3 XPING a b\n");
    match c.body {
        CommandBody::Extension { arguments, .. } => assert_eq!(arguments.as_bytes(), b" a b"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        parse_idle_done(&Bytes::from_static(b"done\n"), &lenient).unwrap(),
        Status::Complete(5)
    );
    assert!(matches!(
        parse_authenticate_data(&Bytes::from_static(b"AGZyZWQAcHc=\n"), &lenient).unwrap(),
        Status::Complete((13, AuthenticateData::Response(_)))
    ));
    assert_eq!(
        parse_idle_done(&Bytes::from_static(b"DONE\n"), &Limits::default())
            .unwrap_err()
            .kind,
        ErrorKind::BareLf
    );
}

/// `parse_append_head`: an APPEND up to its message literal (RFC 3501 §6.3.11), with the
/// mailbox name itself a literal; the announcement of that name is not a head.
#[test]
fn append_head_before_the_message_literal() {
    let lim = Limits::default();
    let head = parse_append_head(
        &Bytes::from_static(
            b"A4 APPEND {5}\r\nDraft (\\Seen $x) \"05-Jan-2024 10:00:00 +0100\" {12+}\r\n",
        ),
        &lim,
    )
    .unwrap();
    assert_eq!(head.tag.as_bytes(), b"A4");
    assert_eq!(head.mailbox.as_bytes(), b"Draft");
    assert_eq!(head.flags.len(), 2);
    assert!(head.date.is_some());
    assert_eq!(
        (head.length, head.mode, head.binary),
        (12, LiteralMode::NonSync, false)
    );
    let e = parse_append_head(&Bytes::from_static(b"A4 APPEND {5}\r\n"), &lim).unwrap_err();
    assert_eq!(e.tag.map(|t| t.as_bytes().to_vec()), Some(b"A4".to_vec()));
    assert!(parse_append_head(&Bytes::from_static(b"A5 LOGIN {5}\r\n"), &lim).is_err());
    assert!(
        parse_append_head(&Bytes::from_static(b"A6 APPEND x ~{5}\r\n"), &lim)
            .unwrap()
            .binary
    );
}
