//! Known-answer tests from the extension RFCs: LITERAL+ (RFC 7888), UIDPLUS (RFC 4315), MOVE
//! (RFC 6851), UNSELECT (RFC 3691), NAMESPACE (RFC 2342), ENABLE (RFC 5161), ID (RFC 2971),
//! SASL-IR (RFC 4959), CHILDREN (RFC 3348), SPECIAL-USE (RFC 6154), IDLE (RFC 2177) and the
//! response codes of RFC 5530.
//!
//! A few RFC examples do not follow RFC 3501's grammar as their authors meant: a response code
//! without the `text` after it (RFC 3501 §9 `resp-text = ["[" resp-text-code "]" SP] text`, so
//! the optional code part does not match and the bracket is read as `text`), two spaces in a
//! row (§9 note 2). Each is tested with the reading the grammar gives, next to its grammatical
//! form.

#[path = "imap_support/mod.rs"]
mod support;

use bytes::Bytes;
use pobox::imap::*;
use pobox::{Secret, Status};
use support::*;

use CommandBody as C;

fn kat_status(lines: &[(&str, Option<Code>)]) {
    for (l, code) in lines {
        let mut it = l.splitn(3, ' ');
        let t = it.next().unwrap();
        let kind = match it.next().unwrap() {
            "OK" => StatusKind::Ok,
            "NO" => StatusKind::No,
            "BAD" => StatusKind::Bad,
            "BYE" => StatusKind::Bye,
            k => panic!("{k}"),
        };
        let rest = it.next().unwrap();
        let txt = match code {
            Some(_) => rest.split_once("] ").unwrap().1,
            None => rest,
        };
        let t = if t == "*" { None } else { Some(t) };
        kat_resp(
            format!("{l}\r\n").as_bytes(),
            status(t, kind, code.clone(), txt),
        );
    }
}

fn list(attrs: &[MailboxAttribute], name: &str) -> Response {
    data(Data::List(ListData {
        attributes: attrs.to_vec(),
        delimiter: Some(Delimiter::new(b'/').unwrap()),
        mailbox: mbox(name),
    }))
}

#[test]
fn rfc7888_3_literal_plus_example() {
    let login = cmd(
        "A001",
        C::Login {
            username: s("FRED FOOBAR"),
            password: Secret::new(s("fat man")),
        },
    );
    kat_cmd_canon(
        b"A001 LOGIN {11+}\r\nFRED FOOBAR {7+}\r\nfat man\r\n",
        login.clone(),
        b"A001 LOGIN \"FRED FOOBAR\" \"fat man\"\r\n",
    );
    kat_cmd(b"A001 LOGIN \"FRED FOOBAR\" \"fat man\"\r\n", login);
    // The framer reports both literals as non-synchronizing (no "+" to send).
    let mut f = Framer::new(&Limits::default());
    let buf = b"A001 LOGIN {11+}\r\nFRED FOOBAR {7+}\r\nfat man\r\n";
    let mut modes = vec![];
    loop {
        match f.poll(buf).unwrap() {
            Frame::Literal(l) => modes.push((l.length, l.mode)),
            Frame::Complete(n) => {
                assert_eq!(n, buf.len());
                break;
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(
        modes,
        [(11, LiteralMode::NonSync), (7, LiteralMode::NonSync)]
    );
    // A client encoder under LITERAL+ writes {n+} and never waits.
    let mut e = Encoder::with_client_literals(ClientLiterals::LiteralPlus);
    e.command(&cmd(
        "A001",
        C::Login {
            username: s("FRED\r\nFOOBAR"),
            password: Secret::new(s("x")),
        },
    ));
    let frags = e.take_fragments();
    assert!(!frags.contains(&Fragment::AwaitContinuation));
    let mut wire = vec![];
    for f in frags {
        if let Fragment::Data(d) = f {
            wire.extend_from_slice(&d);
        }
    }
    assert_eq!(wire, b"A001 LOGIN {12+}\r\nFRED\r\nFOOBAR x\r\n");
}

#[test]
fn rfc7888_5_literal_minus_limit() {
    // LITERAL-: non-synchronizing only up to 4096 bytes; beyond, the encoder waits for "+".
    let big = IString::try_from(vec![b'\n'; 4097]).unwrap();
    let small = IString::try_from(vec![b'\n'; 4096]).unwrap();
    let mut e = Encoder::with_client_literals(ClientLiterals::LiteralMinus);
    e.command(&cmd(
        "a",
        C::Login {
            username: small,
            password: Secret::new(big),
        },
    ));
    let frags = e.take_fragments();
    assert_eq!(
        frags
            .iter()
            .filter(|f| **f == Fragment::AwaitContinuation)
            .count(),
        1
    );
    let Fragment::Data(first) = &frags[0] else {
        panic!()
    };
    assert!(first.starts_with(b"a LOGIN {4096+}\r\n"));
}

#[test]
fn rfc4315_2_1_uid_expunge_example() {
    kat_cmd(
        b"A003 UID EXPUNGE 3000:3002\r\n",
        cmd("A003", C::UidExpunge(set(&[(3000, 3002)]))),
    );
    for _ in 0..3 {
        kat_resp(b"* 3 EXPUNGE\r\n", data(Data::Expunge(nz(3))));
    }
    kat_status(&[("A003 OK UID EXPUNGE completed", None)]);
}

const UIDPLUS_MESSAGE: &str = "Date: Mon, 7 Feb 1994 21:52:25 -0800 (PST)\r\n\
From: Fred Foobar <foobar@example.com>\r\n\
Subject: afternoon meeting\r\n\
To: mooch@example.com\r\n\
Message-Id: <B27397-0100000@example.com>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n\
\r\n\
Hello Joe, do you think we can meet at 3:30 tomorrow?\r\n";

#[test]
fn rfc4315_3_appenduid_copyuid_example() {
    assert_eq!(UIDPLUS_MESSAGE.len(), 297);
    kat_cmd(
        format!("A003 APPEND saved-messages (\\Seen) {{297}}\r\n{UIDPLUS_MESSAGE}\r\n").as_bytes(),
        cmd(
            "A003",
            C::Append {
                mailbox: mbox("saved-messages"),
                flags: vec![Flag::Seen],
                date: None,
                message: Literal::new(UIDPLUS_MESSAGE, LiteralMode::Sync).unwrap(),
            },
        ),
    );
    kat_status(&[(
        "A003 OK [APPENDUID 38505 3955] APPEND completed",
        Some(Code::AppendUid {
            uid_validity: nz(38505),
            uids: set(&[(3955, 0)]),
        }),
    )]);
    kat_cmd(
        b"A004 COPY 2:4 meeting\r\n",
        cmd(
            "A004",
            C::Copy {
                set: set(&[(2, 4)]),
                mailbox: mbox("meeting"),
                uid: false,
            },
        ),
    );
    kat_status(&[(
        "A004 OK [COPYUID 38505 304,319:320 3956:3958] Done",
        Some(Code::CopyUid {
            uid_validity: nz(38505),
            source: set(&[(304, 0), (319, 320)]),
            destination: set(&[(3956, 3958)]),
        }),
    )]);
    kat_cmd(
        b"A005 UID COPY 305:310 meeting\r\n",
        cmd(
            "A005",
            C::Copy {
                set: set(&[(305, 310)]),
                mailbox: mbox("meeting"),
                uid: true,
            },
        ),
    );
    kat_status(&[("A005 OK No matching messages, so nothing copied", None)]);
    kat_cmd(
        b"A006 COPY 2 funny\r\n",
        cmd(
            "A006",
            C::Copy {
                set: set(&[(2, 0)]),
                mailbox: mbox("funny"),
                uid: false,
            },
        ),
    );
    kat_status(&[("A006 OK Done", None)]);
    kat_cmd(
        b"A007 SELECT funny\r\n",
        cmd("A007", C::Select(mbox("funny"))),
    );
    kat_resp(b"* 1 EXISTS\r\n", data(Data::Exists(1)));
    kat_resp(b"* 1 RECENT\r\n", data(Data::Recent(1)));
    kat_status(&[
        (
            "* OK [UNSEEN 1] Message 1 is first unseen",
            Some(Code::Unseen(nz(1))),
        ),
        (
            "* OK [UIDVALIDITY 3857529045] Validity session-only",
            Some(Code::UidValidity(nz(3857529045))),
        ),
        (
            "* OK [UIDNEXT 2] Predicted next UID",
            Some(Code::UidNext(nz(2))),
        ),
        (
            "* NO [UIDNOTSTICKY] Non-persistent UIDs",
            Some(Code::UidNotSticky),
        ),
    ]);
    kat_resp(
        b"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n",
        data(Data::Flags(vec![
            Flag::Answered,
            Flag::Flagged,
            Flag::Deleted,
            Flag::Seen,
            Flag::Draft,
        ])),
    );
    kat_status(&[
        (
            "* OK [PERMANENTFLAGS (\\Deleted \\Seen)] Limited",
            Some(Code::PermanentFlags(vec![
                FlagPerm::Flag(Flag::Deleted),
                FlagPerm::Flag(Flag::Seen),
            ])),
        ),
        (
            "A007 OK [READ-WRITE] SELECT completed",
            Some(Code::ReadWrite),
        ),
    ]);
    // uid-set has no "*" (RFC 4315 §4): not a COPYUID code, so the generic
    // `atom [SP 1*<any TEXT-CHAR except "]">]` alternative of resp-text-code applies.
    kat_status(&[(
        "A1 OK [COPYUID 1 1:* 2:3] x",
        Some(Code::Other {
            name: atom("COPYUID"),
            argument: Some(Bytes::from_static(b"1 1:* 2:3")),
        }),
    )]);
}

#[test]
fn rfc6851_4_4_uid_move_example() {
    kat_cmd(
        b"a UID MOVE 42:69 foo\r\n",
        cmd(
            "a",
            C::Move {
                set: set(&[(42, 69)]),
                mailbox: mbox("foo"),
                uid: true,
            },
        ),
    );
    // The RFC prints "* OK [COPYUID 432432 42:69 1202:1229]" without text after the code; by
    // RFC 3501 §9 resp-text the whole bracket is then `text`.
    kat_resp_bracket_text(
        b"* OK [COPYUID 432432 42:69 1202:1229]\r\n",
        None,
        StatusKind::Ok,
        "[COPYUID 432432 42:69 1202:1229]",
    );
    kat_status(&[(
        "* OK [COPYUID 432432 42:69 1202:1229] Moved",
        Some(Code::CopyUid {
            uid_validity: nz(432432),
            source: set(&[(42, 69)]),
            destination: set(&[(1202, 1229)]),
        }),
    )]);
    kat_resp(b"* 22 EXPUNGE\r\n", data(Data::Expunge(nz(22))));
    kat_status(&[("a OK Done", None)]);
    kat_cmd(
        b"b MOVE 1:3 Trash\r\n",
        cmd(
            "b",
            C::Move {
                set: set(&[(1, 3)]),
                mailbox: mbox("Trash"),
                uid: false,
            },
        ),
    );
}

#[test]
fn rfc3691_3_unselect_example() {
    kat_cmd(b"A341 UNSELECT\r\n", cmd("A341", C::Unselect));
    kat_status(&[("A341 OK Unselect completed", None)]);
}

fn nsd(prefix: &str, delim: Option<u8>) -> NamespaceDescription {
    NamespaceDescription {
        prefix: s(prefix),
        delimiter: delim.map(|d| Delimiter::new(d).unwrap()),
        extensions: vec![],
    }
}

fn namespace(
    p: Vec<NamespaceDescription>,
    o: Vec<NamespaceDescription>,
    sh: Vec<NamespaceDescription>,
) -> Response {
    data(Data::Namespace {
        personal: p,
        other: o,
        shared: sh,
    })
}

#[test]
fn rfc2342_5_namespace_examples() {
    kat_cmd(b"A001 NAMESPACE\r\n", cmd("A001", C::Namespace));
    // 5.1
    kat_resp(
        b"* NAMESPACE ((\"\" \"/\")) NIL NIL\r\n",
        namespace(vec![nsd("", Some(b'/'))], vec![], vec![]),
    );
    kat_status(&[("A001 OK NAMESPACE command completed", None)]);
    // 5.2
    kat_resp(
        b"* NAMESPACE NIL NIL ((\"\" \".\"))\r\n",
        namespace(vec![], vec![], vec![nsd("", Some(b'.'))]),
    );
    // 5.3
    kat_resp(
        b"* NAMESPACE ((\"\" \"/\")) NIL ((\"Public Folders/\" \"/\"))\r\n",
        namespace(
            vec![nsd("", Some(b'/'))],
            vec![],
            vec![nsd("Public Folders/", Some(b'/'))],
        ),
    );
    // 5.4 (the RFC breaks the line for print)
    kat_resp(
        b"* NAMESPACE ((\"\" \"/\")) ((\"~\" \"/\")) ((\"#shared/\" \"/\")(\"#public/\" \"/\")(\"#ftp/\" \"/\")(\"#news.\" \".\"))\r\n",
        namespace(
            vec![nsd("", Some(b'/'))],
            vec![nsd("~", Some(b'/'))],
            vec![nsd("#shared/", Some(b'/')), nsd("#public/", Some(b'/')), nsd("#ftp/", Some(b'/')), nsd("#news.", Some(b'.'))],
        ),
    );
    // 5.5: printed with two spaces before the last NIL; RFC 3501 §9 note 2: "SP refers to
    // exactly one space".
    reject_resp(b"* NAMESPACE ((\"INBOX.\" \".\")) NIL  NIL\r\n");
    kat_resp(
        b"* NAMESPACE ((\"INBOX.\" \".\")) NIL NIL\r\n",
        namespace(vec![nsd("INBOX.", Some(b'.'))], vec![], vec![]),
    );
    kat_cmd_canon(
        b"A002 CREATE \"INBOX.Sent Mail\"\r\n",
        cmd(
            "A002",
            C::Create {
                mailbox: mbox("INBOX.Sent Mail"),
                special_use: vec![],
            },
        ),
        b"A002 CREATE \"INBOX.Sent Mail\"\r\n",
    );
    // 5.6
    let mut mh = nsd("#mh/", Some(b'/'));
    mh.extensions = vec![(s("X-PARAM"), vec![s("FLAG1"), s("FLAG2")])];
    kat_resp(
        b"* NAMESPACE ((\"\" \"/\")(\"#mh/\" \"/\" \"X-PARAM\" (\"FLAG1\" \"FLAG2\"))) NIL NIL\r\n",
        namespace(vec![nsd("", Some(b'/')), mh], vec![], vec![]),
    );
    for (t, m) in [
        ("A002", "Sent Mail"),
        ("A003", "Delete Items"),
        ("A004", "#mh/Deleted Items"),
    ] {
        kat_cmd(
            format!("{t} CREATE \"{m}\"\r\n").as_bytes(),
            cmd(
                t,
                C::Create {
                    mailbox: mbox(m),
                    special_use: vec![],
                },
            ),
        );
    }
    // 5.7
    kat_resp(
        b"* NAMESPACE ((\"\" \"/\")) ((\"Other Users/\" \"/\")) NIL\r\n",
        namespace(
            vec![nsd("", Some(b'/'))],
            vec![nsd("Other Users/", Some(b'/'))],
            vec![],
        ),
    );
    let list_cmd = |t: &str, p: &str| {
        cmd(
            t,
            C::List {
                reference: mbox(""),
                pattern: ListMailbox::new(p.to_string()).unwrap(),
                selection: vec![],
                return_options: vec![],
            },
        )
    };
    kat_cmd(
        b"A002 LIST \"\" \"Other Users/%\"\r\n",
        list_cmd("A002", "Other Users/%"),
    );
    for who in ["Mike", "Karen", "Matthew", "Tesa"] {
        kat_resp(
            format!("* LIST () \"/\" \"Other Users/{who}\"\r\n").as_bytes(),
            list(&[], &format!("Other Users/{who}")),
        );
    }
    // 5.8
    kat_resp(
        b"* NAMESPACE ((\"\" \"/\")) ((\"#Users/\" \"/\")) NIL\r\n",
        namespace(
            vec![nsd("", Some(b'/'))],
            vec![nsd("#Users/", Some(b'/'))],
            vec![],
        ),
    );
    kat_cmd_canon(
        b"A002 LIST \"\" \"#Users/%\"\r\n",
        list_cmd("A002", "#Users/%"),
        b"A002 LIST \"\" #Users/%\r\n",
    );
    kat_status(&[("A002 NO The requested item could not be found.", None)]);
    kat_cmd_canon(
        b"A003 LIST \"\" \"#Users/Mike/%\"\r\n",
        list_cmd("A003", "#Users/Mike/%"),
        b"A003 LIST \"\" #Users/Mike/%\r\n",
    );
    kat_resp_canon(
        b"* LIST () \"/\" \"#Users/Mike/INBOX\"\r\n",
        list(&[], "#Users/Mike/INBOX"),
        b"* LIST () \"/\" #Users/Mike/INBOX\r\n",
    );
    // 5.9
    kat_cmd_canon(
        b"A002 LIST \"\" \"~mark/%\"\r\n",
        list_cmd("A002", "~mark/%"),
        b"A002 LIST \"\" ~mark/%\r\n",
    );
    kat_resp_canon(
        b"* LIST () \"/\" \"~mark/foo\"\r\n",
        list(&[], "~mark/foo"),
        b"* LIST () \"/\" ~mark/foo\r\n",
    );
}

#[test]
fn rfc5161_4_enable_examples() {
    let cap = "IMAP4rev1 ID LITERAL+ ENABLE X-GOOD-IDEA";
    kat_cmd(b"t1 CAPABILITY\r\n", cmd("t1", C::Capability));
    kat_resp(
        format!("* CAPABILITY {cap}\r\n").as_bytes(),
        data(Data::Capability(caps(cap))),
    );
    kat_status(&[("t1 OK foo", None)]);
    kat_cmd(
        b"t2 ENABLE CONDSTORE X-GOOD-IDEA\r\n",
        cmd("t2", C::Enable(caps("CONDSTORE X-GOOD-IDEA"))),
    );
    kat_resp(
        b"* ENABLED X-GOOD-IDEA\r\n",
        data(Data::Enabled(caps("X-GOOD-IDEA"))),
    );
    kat_status(&[("t2 OK foo", None), ("t3 OK foo again", None)]);
    kat_cmd(
        b"a1 ENABLE CONDSTORE\r\n",
        cmd("a1", C::Enable(caps("CONDSTORE"))),
    );
    kat_resp(
        b"* ENABLED CONDSTORE\r\n",
        data(Data::Enabled(caps("CONDSTORE"))),
    );
    kat_status(&[("a1 OK Conditional Store enabled", None)]);
    // enable = "ENABLE" 1*(SP capability); the ENABLED response may be empty.
    reject_cmd(b"a ENABLE\r\n");
    kat_resp(b"* ENABLED\r\n", data(Data::Enabled(vec![])));
}

#[test]
fn rfc2971_3_id_examples() {
    let kv = |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| (s(k), ns(v))).collect::<Vec<_>>();
    kat_cmd(
        b"a023 ID (\"name\" \"sodr\" \"version\" \"19.34\" \"vendor\" \"Pink Floyd Music Limited\")\r\n",
        cmd("a023", C::Id(Some(kv(&[("name", "sodr"), ("version", "19.34"), ("vendor", "Pink Floyd Music Limited")])))),
    );
    kat_resp(b"* ID NIL\r\n", data(Data::Id(None)));
    kat_status(&[("a023 OK ID completed", None)]);
    kat_cmd(b"a042 ID NIL\r\n", cmd("a042", C::Id(None)));
    kat_resp(
        b"* ID (\"name\" \"Cyrus\" \"version\" \"1.5\" \"os\" \"sunos\" \"os-version\" \"5.5\" \"support-url\" \"mailto:cyrus-bugs+@andrew.cmu.edu\")\r\n",
        data(Data::Id(Some(kv(&[
            ("name", "Cyrus"),
            ("version", "1.5"),
            ("os", "sunos"),
            ("os-version", "5.5"),
            ("support-url", "mailto:cyrus-bugs+@andrew.cmu.edu"),
        ])))),
    );
    kat_status(&[("a042 OK ID command completed", None)]);
}

#[test]
fn rfc4959_4_sasl_ir_examples() {
    let cap = "IMAP4rev1 SASL-IR AUTH=PLAIN";
    kat_cmd(b"C01 CAPABILITY\r\n", cmd("C01", C::Capability));
    kat_resp(
        format!("* CAPABILITY {cap}\r\n").as_bytes(),
        data(Data::Capability(caps(cap))),
    );
    kat_status(&[("C01 OK Completed", None)]);
    kat_cmd(
        b"A01 AUTHENTICATE PLAIN dGVzdAB0ZXN0AHRlc3Q=\r\n",
        cmd(
            "A01",
            C::Authenticate {
                mechanism: atom("PLAIN"),
                initial_response: Some(Secret::new(Bytes::from_static(b"test\0test\0test"))),
            },
        ),
    );
    kat_status(&[("A01 OK Success (tls protection)", None)]);
    kat_cmd(
        b"A01 AUTHENTICATE PLAIN\r\n",
        cmd(
            "A01",
            C::Authenticate {
                mechanism: atom("PLAIN"),
                initial_response: None,
            },
        ),
    );
    kat_resp(
        b"+ \r\n",
        Response::Continue(Continue::Base64(Bytes::new())),
    );
    let line = Bytes::from_static(b"dGVzdAB0ZXN0AHRlc3Q=\r\n");
    assert_eq!(
        parse_authenticate_data(&line, &Limits::default()).unwrap(),
        Status::Complete((
            22,
            AuthenticateData::Response(Secret::new(Bytes::from_static(b"test\0test\0test")))
        ))
    );
    let cap = "IMAP4rev1 SASL-IR AUTH=PLAIN AUTH=EXTERNAL";
    kat_resp(
        format!("* CAPABILITY {cap}\r\n").as_bytes(),
        data(Data::Capability(caps(cap))),
    );
    kat_cmd(
        b"A01 AUTHENTICATE EXTERNAL =\r\n",
        cmd(
            "A01",
            C::Authenticate {
                mechanism: atom("EXTERNAL"),
                initial_response: Some(Secret::new(Bytes::new())),
            },
        ),
    );
    kat_cmd(
        b"A01 AUTHENTICATE EXTERNAL\r\n",
        cmd(
            "A01",
            C::Authenticate {
                mechanism: atom("EXTERNAL"),
                initial_response: None,
            },
        ),
    );
    let empty = Bytes::from_static(b"\r\n");
    assert_eq!(
        parse_authenticate_data(&empty, &Limits::default()).unwrap(),
        Status::Complete((2, AuthenticateData::Response(Secret::new(Bytes::new()))))
    );
    // Secrets stay out of Debug output.
    let c = parse_command(&Bytes::from_static(
        b"A01 AUTHENTICATE PLAIN dGVzdAB0ZXN0AHRlc3Q=\r\n",
    ))
    .unwrap();
    assert!(!format!("{c:?}").contains("dGVz") && !format!("{c:?}").contains("test"));
}

#[test]
fn rfc3348_3_children_example() {
    use MailboxAttribute::{HasChildren, HasNoChildren};
    kat_cmd(
        b"A001 LIST \"\" *\r\n",
        cmd(
            "A001",
            C::List {
                reference: mbox(""),
                pattern: ListMailbox::new("*").unwrap(),
                selection: vec![],
                return_options: vec![],
            },
        ),
    );
    kat_resp(
        b"* LIST (\\HasNoChildren) \"/\" INBOX\r\n",
        list(&[HasNoChildren], "INBOX"),
    );
    kat_resp(
        b"* LIST (\\HasChildren) \"/\" ITEM_1\r\n",
        list(&[HasChildren], "ITEM_1"),
    );
    kat_resp(
        b"* LIST (\\HasNoChildren) \"/\" ITEM_1/ITEM_1A\r\n",
        list(&[HasNoChildren], "ITEM_1/ITEM_1A"),
    );
    kat_resp(
        b"* LIST (\\HasChildren) \"/\" ITEM_2\r\n",
        list(&[HasChildren], "ITEM_2"),
    );
    kat_status(&[("A001 OK LIST Completed", None)]);
}

#[test]
fn rfc6154_5_special_use_examples() {
    use MailboxAttribute as A;
    let list_cmd = |t: &str, pat: &str, sel: &[&str], ret: &[&str]| {
        cmd(
            t,
            C::List {
                reference: mbox(""),
                pattern: ListMailbox::new(pat.to_string()).unwrap(),
                selection: sel.iter().map(|a| atom(a)).collect(),
                return_options: ret.iter().map(|a| atom(a)).collect(),
            },
        )
    };
    // 5.1
    kat_cmd_canon(
        b"t1 LIST \"\" \"%\"\r\n",
        list_cmd("t1", "%", &[], &[]),
        b"t1 LIST \"\" %\r\n",
    );
    // "Inbox" is INBOX (RFC 3501 §9 mailbox: "All case variants of INBOX ... MUST be
    // interpreted as INBOX"), written canonically.
    kat_resp_canon(
        b"* LIST (\\Marked \\HasNoChildren) \"/\" Inbox\r\n",
        list(&[A::Marked, A::HasNoChildren], "INBOX"),
        b"* LIST (\\Marked \\HasNoChildren) \"/\" INBOX\r\n",
    );
    kat_resp(
        b"* LIST (\\HasNoChildren) \"/\" ToDo\r\n",
        list(&[A::HasNoChildren], "ToDo"),
    );
    kat_resp(
        b"* LIST (\\HasChildren) \"/\" Projects\r\n",
        list(&[A::HasChildren], "Projects"),
    );
    kat_resp(
        b"* LIST (\\Sent \\HasNoChildren) \"/\" SentMail\r\n",
        list(&[A::Sent, A::HasNoChildren], "SentMail"),
    );
    kat_resp(
        b"* LIST (\\Marked \\Drafts \\HasNoChildren) \"/\" MyDrafts\r\n",
        list(&[A::Marked, A::Drafts, A::HasNoChildren], "MyDrafts"),
    );
    kat_resp(
        b"* LIST (\\Trash \\HasNoChildren) \"/\" Trash\r\n",
        list(&[A::Trash, A::HasNoChildren], "Trash"),
    );
    kat_status(&[("t1 OK done", None)]);
    // 5.2
    kat_resp(
        b"* CAPABILITY IMAP4rev1 SPECIAL-USE\r\n",
        data(Data::Capability(caps("IMAP4rev1 SPECIAL-USE"))),
    );
    kat_cmd_canon(
        b"t2 LIST \"\" \"%\" RETURN (SPECIAL-USE)\r\n",
        list_cmd("t2", "%", &[], &["SPECIAL-USE"]),
        b"t2 LIST \"\" % RETURN (SPECIAL-USE)\r\n",
    );
    kat_resp_canon(
        b"* LIST (\\Marked) \"/\" Inbox\r\n",
        list(&[A::Marked], "INBOX"),
        b"* LIST (\\Marked) \"/\" INBOX\r\n",
    );
    kat_resp(b"* LIST () \"/\" ToDo\r\n", list(&[], "ToDo"));
    kat_cmd_canon(
        b"t3 LIST (SPECIAL-USE) \"\" \"*\"\r\n",
        list_cmd("t3", "*", &["SPECIAL-USE"], &[]),
        b"t3 LIST (SPECIAL-USE) \"\" *\r\n",
    );
    kat_resp(
        b"* LIST (\\Marked \\Drafts) \"/\" MyDrafts\r\n",
        list(&[A::Marked, A::Drafts], "MyDrafts"),
    );
    // 5.3
    kat_resp(
        b"* CAPABILITY IMAP4rev1 CREATE-SPECIAL-USE\r\n",
        data(Data::Capability(caps("IMAP4rev1 CREATE-SPECIAL-USE"))),
    );
    kat_cmd(
        b"t2 CREATE MySpecial (USE (\\Drafts \\Sent))\r\n",
        cmd(
            "t2",
            C::Create {
                mailbox: mbox("MySpecial"),
                special_use: vec![A::Drafts, A::Sent],
            },
        ),
    );
    kat_status(&[("t2 OK MySpecial created", None)]);
    kat_cmd(
        b"t3 CREATE Everything (USE (\\All))\r\n",
        cmd(
            "t3",
            C::Create {
                mailbox: mbox("Everything"),
                special_use: vec![A::All],
            },
        ),
    );
    kat_status(&[(
        "t3 NO [USEATTR] \\All not supported",
        Some(Code::Other {
            name: atom("USEATTR"),
            argument: None,
        }),
    )]);
    // Only one selectability attribute per LIST response (RFC 3501 §9 mbx-list-flags).
    reject_resp(b"* LIST (\\Marked \\Noselect) \"/\" x\r\n");
}

#[test]
fn rfc2177_3_idle_example() {
    kat_cmd(
        b"A001 SELECT INBOX\r\n",
        cmd("A001", C::Select(Mailbox::inbox())),
    );
    kat_resp(
        b"* FLAGS (Deleted Seen)\r\n",
        data(Data::Flags(vec![
            Flag::keyword("Deleted").unwrap(),
            Flag::keyword("Seen").unwrap(),
        ])),
    );
    kat_resp(b"* 3 EXISTS\r\n", data(Data::Exists(3)));
    kat_resp(b"* 0 RECENT\r\n", data(Data::Recent(0)));
    // "* OK [UIDVALIDITY 1]" has no text after the code: by RFC 3501 §9 resp-text it is text.
    kat_resp_bracket_text(
        b"* OK [UIDVALIDITY 1]\r\n",
        None,
        StatusKind::Ok,
        "[UIDVALIDITY 1]",
    );
    kat_status(&[("A001 OK SELECT completed", None)]);
    kat_cmd(b"A002 IDLE\r\n", cmd("A002", C::Idle));
    kat_resp(
        b"+ idling\r\n",
        Response::Continue(Continue::Text {
            code: None,
            text: text("idling"),
        }),
    );
    kat_resp(b"* 4 EXISTS\r\n", data(Data::Exists(4)));
    let done = Bytes::from_static(b"DONE\r\n");
    assert_eq!(
        parse_idle_done(&done, &Limits::default()).unwrap(),
        Status::Complete(6)
    );
    let mut e = Encoder::new();
    e.idle_done();
    assert_eq!(e.to_vec(), b"DONE\r\n");
    assert!(
        parse_idle_done(&Bytes::from_static(b"DON"), &Limits::default())
            .unwrap()
            .is_partial()
    );
    assert!(parse_idle_done(&Bytes::from_static(b"A3 NOOP\r\n"), &Limits::default()).is_err());
    kat_status(&[("A002 OK IDLE terminated", None)]);
    kat_cmd(
        b"A003 FETCH 4 ALL\r\n",
        cmd(
            "A003",
            C::Fetch {
                set: set(&[(4, 0)]),
                items: FetchItems::All,
                uid: false,
            },
        ),
    );
    kat_cmd(b"A004 IDLE\r\n", cmd("A004", C::Idle));
    kat_resp(b"* 2 EXPUNGE\r\n", data(Data::Expunge(nz(2))));
    kat_status(&[("A004 OK IDLE terminated", None)]);
    kat_cmd(
        b"A005 FETCH 3 ALL\r\n",
        cmd(
            "A005",
            C::Fetch {
                set: set(&[(3, 0)]),
                items: FetchItems::All,
                uid: false,
            },
        ),
    );
    kat_cmd(b"A006 IDLE\r\n", cmd("A006", C::Idle));
}

#[test]
fn rfc5530_3_response_code_examples() {
    let login = |t: &str| {
        cmd(
            t,
            C::Login {
                username: s("fred"),
                password: Secret::new(s("foo")),
            },
        )
    };
    kat_cmd_canon(
        b"a LOGIN \"fred\" \"foo\"\r\n",
        login("a"),
        b"a LOGIN fred foo\r\n",
    );
    kat_cmd_canon(
        b"d login \"fred\" \"foo\"\r\n",
        login("d"),
        b"d LOGIN fred foo\r\n",
    );
    kat_cmd_canon(
        b"d select inbox\r\n",
        cmd("d", C::Select(Mailbox::inbox())),
        b"d SELECT INBOX\r\n",
    );
    let arch = "/archive/projects/experiment-iv";
    kat_cmd_canon(
        format!("f select \"{arch}\"\r\n").as_bytes(),
        cmd("f", C::Select(mbox(arch))),
        format!("f SELECT {arch}\r\n").as_bytes(),
    );
    kat_cmd_canon(
        format!("g delete \"{arch}\"\r\n").as_bytes(),
        cmd("g", C::Delete(mbox(arch))),
        format!("g DELETE {arch}\r\n").as_bytes(),
    );
    kat_cmd_canon(
        b"h search from fred@example.com\r\n",
        cmd(
            "h",
            C::Search {
                charset: None,
                criteria: vec![SearchKey::From(s("fred@example.com"))],
                uid: false,
            },
        ),
        b"h SEARCH FROM fred@example.com\r\n",
    );
    kat_resp(
        b"* SEARCH 1 2 3 5 8 13 21 42\r\n",
        data(Data::Search(
            [1, 2, 3, 5, 8, 13, 21, 42].into_iter().map(nz).collect(),
        )),
    );
    kat_cmd_canon(
        format!("k2 status \"{arch}\" (messages)\r\n").as_bytes(),
        cmd(
            "k2",
            C::Status {
                mailbox: mbox(arch),
                items: vec![StatusAttribute::Messages],
            },
        ),
        format!("k2 STATUS {arch} (MESSAGES)\r\n").as_bytes(),
    );
    kat_cmd_canon(
        b"l create \"///////\"\r\n",
        cmd(
            "l",
            C::Create {
                mailbox: mbox("///////"),
                special_use: vec![],
            },
        ),
        b"l CREATE ///////\r\n",
    );
    kat_cmd_canon(
        b"n1 uid copy 1:* oldmail\r\n",
        cmd(
            "n1",
            C::Copy {
                set: set(&[(1, u32::MAX)]),
                mailbox: mbox("oldmail"),
                uid: true,
            },
        ),
        b"n1 UID COPY 1:* oldmail\r\n",
    );
    kat_cmd(
        b"o RENAME this that\r\n",
        cmd(
            "o",
            C::Rename {
                from: mbox("this"),
                to: mbox("that"),
            },
        ),
    );
    kat_status(&[
        (
            "a NO [UNAVAILABLE] User's backend down for maintenance",
            Some(Code::Unavailable),
        ),
        (
            "b NO [AUTHENTICATIONFAILED] Authentication failed",
            Some(Code::AuthenticationFailed),
        ),
        (
            "c1 NO [AUTHORIZATIONFAILED] No such authorization-ID",
            Some(Code::AuthorizationFailed),
        ),
        (
            "c2 NO [AUTHORIZATIONFAILED] Authenticator is not an admin",
            Some(Code::AuthorizationFailed),
        ),
        (
            "d NO [EXPIRED] That password isn't valid any more",
            Some(Code::Expired),
        ),
        (
            "d NO [PRIVACYREQUIRED] Connection offers no privacy",
            Some(Code::PrivacyRequired),
        ),
        ("f NO [NOPERM] Access denied", Some(Code::NoPerm)),
        ("g NO [INUSE] Mailbox in use", Some(Code::InUse)),
        (
            "h OK [EXPUNGEISSUED] Search completed",
            Some(Code::ExpungeIssued),
        ),
        (
            "i NO [CORRUPTION] Cannot open mailbox",
            Some(Code::Corruption),
        ),
        (
            "j NO [SERVERBUG] This should not happen",
            Some(Code::ServerBug),
        ),
        ("k1 OK [READ-ONLY] Done", Some(Code::ReadOnly)),
        ("k2 OK [CLIENTBUG] Done", Some(Code::ClientBug)),
        (
            "l NO [CANNOT] Adjacent slashes are not supported",
            Some(Code::Cannot),
        ),
        (
            "m NO [LIMIT] At most 32 flags in one mailbox supported",
            Some(Code::Limit),
        ),
        ("n1 NO [OVERQUOTA] Sorry", Some(Code::OverQuota)),
        (
            "n2 OK [OVERQUOTA] You are now over your soft quota",
            Some(Code::OverQuota),
        ),
        (
            "o NO [ALREADYEXISTS] Mailbox \"that\" already exists",
            Some(Code::AlreadyExists),
        ),
        (
            "p NO [NONEXISTENT] No such mailbox",
            Some(Code::NonExistent),
        ),
    ]);
    // "e OK [CONTACTADMIN]" has no text after the code: by RFC 3501 §9 resp-text it is text.
    kat_resp_bracket_text(
        b"e OK [CONTACTADMIN]\r\n",
        Some("e"),
        StatusKind::Ok,
        "[CONTACTADMIN]",
    );
    kat_status(&[(
        "e OK [CONTACTADMIN] Contact your administrator",
        Some(Code::ContactAdmin),
    )]);
    // RFC 4469 §4 / RFC 7888 §5: TOOBIG.
    kat_status(&[("A1 NO [TOOBIG] Message too big", Some(Code::TooBig))]);
}

#[test]
fn rfc3516_literal8_append() {
    let wire = b"A1 APPEND x ~{3}\r\na\0b\r\n";
    kat_cmd(
        wire,
        cmd(
            "A1",
            C::Append {
                mailbox: mbox("x"),
                flags: vec![],
                date: None,
                message: Literal::new_binary(&b"a\0b"[..], LiteralMode::Sync).unwrap(),
            },
        ),
    );
    // A NUL in a plain literal is refused (CHAR8 = %x01-ff).
    reject_cmd(b"A1 APPEND x {3}\r\na\0b\r\n");
}
