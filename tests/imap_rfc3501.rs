//! Known-answer tests: every command and response example of RFC 3501 §6-§7 and the §8
//! sample session (parse → expected value → encode → same bytes). Where the encoder writes a
//! canonical form that differs (lower-case keywords, optional quoting), the canonical bytes are
//! given and must parse to the same value.

#[path = "imap_support/mod.rs"]
mod support;

use bytes::Bytes;
use pobox::imap::*;
use pobox::{Secret, Status};
use support::*;

use CommandBody as C;

/// A status line without a code, `TAG KIND text` or `* KIND text`, built by splitting.
fn line_status(line: &str) -> Response {
    let mut it = line.splitn(3, ' ');
    let t = it.next().unwrap();
    let kind = match it.next().unwrap() {
        "OK" => StatusKind::Ok,
        "NO" => StatusKind::No,
        "BAD" => StatusKind::Bad,
        "BYE" => StatusKind::Bye,
        k => panic!("{k}"),
    };
    let t = if t == "*" { None } else { Some(t) };
    status(t, kind, None, it.next().unwrap())
}

/// KAT for plain status lines.
fn kat_status(lines: &[&str]) {
    for l in lines {
        kat_resp(format!("{l}\r\n").as_bytes(), line_status(l));
    }
}

fn list_resp(attrs: &[MailboxAttribute], delim: u8, name: &str) -> Response {
    data(Data::List(ListData {
        attributes: attrs.to_vec(),
        delimiter: Some(Delimiter::new(delim).unwrap()),
        mailbox: mbox(name),
    }))
}

fn list_cmd(t: &str, reference: &str, pattern: &str) -> Command {
    cmd(
        t,
        C::List {
            reference: mbox(reference),
            pattern: ListMailbox::new(pattern.to_string()).unwrap(),
            selection: vec![],
            return_options: vec![],
        },
    )
}

fn fetch_flags(seq: u32, flags: &[Flag]) -> Response {
    data(Data::Fetch {
        seq: nz(seq),
        items: vec![MessageDataItem::Flags(
            flags.iter().cloned().map(FlagFetch::Flag).collect(),
        )],
    })
}

#[test]
fn rfc3501_6_1_1_capability_example() {
    kat_cmd(b"abcd CAPABILITY\r\n", cmd("abcd", C::Capability));
    kat_resp(
        b"* CAPABILITY IMAP4rev1 STARTTLS AUTH=GSSAPI LOGINDISABLED\r\n",
        data(Data::Capability(caps(
            "IMAP4rev1 STARTTLS AUTH=GSSAPI LOGINDISABLED",
        ))),
    );
    kat_status(&["abcd OK CAPABILITY completed"]);
    kat_cmd(b"efgh STARTTLS\r\n", cmd("efgh", C::StartTls));
    kat_status(&["efgh OK STARTLS completed"]);
    kat_cmd(b"ijkl CAPABILITY\r\n", cmd("ijkl", C::Capability));
    kat_resp(
        b"* CAPABILITY IMAP4rev1 AUTH=GSSAPI AUTH=PLAIN\r\n",
        data(Data::Capability(caps("IMAP4rev1 AUTH=GSSAPI AUTH=PLAIN"))),
    );
    kat_status(&["ijkl OK CAPABILITY completed"]);
}

#[test]
fn rfc3501_6_1_2_noop_example() {
    kat_cmd(b"a002 NOOP\r\n", cmd("a002", C::Noop));
    kat_status(&["a002 OK NOOP completed"]);
    kat_cmd(b"a047 NOOP\r\n", cmd("a047", C::Noop));
    kat_resp(b"* 22 EXPUNGE\r\n", data(Data::Expunge(nz(22))));
    kat_resp(b"* 23 EXISTS\r\n", data(Data::Exists(23)));
    kat_resp(b"* 3 RECENT\r\n", data(Data::Recent(3)));
    kat_resp(
        b"* 14 FETCH (FLAGS (\\Seen \\Deleted))\r\n",
        fetch_flags(14, &[Flag::Seen, Flag::Deleted]),
    );
    kat_status(&["a047 OK NOOP completed"]);
}

#[test]
fn rfc3501_6_1_3_logout_example() {
    kat_cmd(b"A023 LOGOUT\r\n", cmd("A023", C::Logout));
    kat_status(&[
        "* BYE IMAP4rev1 Server logging out",
        "A023 OK LOGOUT completed",
    ]);
}

#[test]
fn rfc3501_6_2_1_starttls_example() {
    kat_cmd(b"a001 CAPABILITY\r\n", cmd("a001", C::Capability));
    kat_resp(
        b"* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED\r\n",
        data(Data::Capability(caps("IMAP4rev1 STARTTLS LOGINDISABLED"))),
    );
    kat_status(&["a001 OK CAPABILITY completed"]);
    kat_cmd(b"a002 STARTTLS\r\n", cmd("a002", C::StartTls));
    kat_status(&["a002 OK Begin TLS negotiation now"]);
    kat_cmd(b"a003 CAPABILITY\r\n", cmd("a003", C::Capability));
    kat_resp(
        b"* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n",
        data(Data::Capability(caps("IMAP4rev1 AUTH=PLAIN"))),
    );
    kat_status(&["a003 OK CAPABILITY completed"]);
    kat_cmd(
        b"a004 LOGIN joe password\r\n",
        cmd(
            "a004",
            C::Login {
                username: s("joe"),
                password: Secret::new(s("password")),
            },
        ),
    );
    kat_status(&["a004 OK LOGIN completed"]);
}

const GSSAPI_1: &str = "YIIB+wYJKoZIhvcSAQICAQBuggHqMIIB5qADAgEFoQMCAQ6iBwMFACAAAACjggEmYYIBIjCCAR6gAwIBBaESGxB1Lndhc2hpbmd0b24uZWR1oi0wK6ADAgEDoSQwIhsEaW1hcBsac2hpdmFtcy5jYW\
Mud2FzaGluZ3Rvbi5lZHWjgdMwgdCgAwIBAaEDAgEDooHDBIHAcS1GSa5b+fXnPZNmXB9SjL8Ollj2SKyb+3S0iXMljen/jNkpJXAleKTz6BQPzj8duz8EtoOuNfKgweViyn/9B9bccy1uuAE2HI0y\
C/PHXNNU9ZrBziJ8Lm0tTNc98kUpjXnHZhsMcz5Mx2GR6dGknbI0iaGcRerMUsWOuBmKKKRmVMMdR9T3EZdpqsBd7jZCNMWotjhivd5zovQlFqQ2Wjc2+y46vKP/iXxWIuQJuDiisyXF0Y8+5GTpAL\
pHDc1/pIGmMIGjoAMCAQGigZsEgZg2on5mSuxoDHEA1w9bcW9nFdFxDKpdrQhVGVRDIzcCMCTzvUboqb5KjY1NJKJsfjRQiBYBdENKfzK+g5DlV8nrw81uOcP8NOQCLR5XkoMHC0Dr/80ziQzbNqhx\
O6652Npft0LQwJvenwDI13YxpwOdMXzkWZN/XrEqOWp6GCgXTBvCyLWLlWnbaUkZdEYbKHBPjd8t/1x5Yg==";
const GSSAPI_2: &str = "YGgGCSqGSIb3EgECAgIAb1kwV6ADAgEFoQMCAQ+iSzBJoAMCAQGiQgRAtHTEuOP2BXb9sBYFR4SJlDZxmg39IxmRBOhXRKdDA0uHTCOT9Bq3OsUTXUlk0CsFLoa8j+gvGDlgHuqzWHPSQg==";
const GSSAPI_3: &str = "YDMGCSqGSIb3EgECAgIBAAD/////6jcyG4GE3KkTzBeBiVHeceP2CWY0SR0fAQAgAAQEBAQ=";
const GSSAPI_4: &str = "YDMGCSqGSIb3EgECAgIBAAD/////3LQBHXTpFfZgrejpLlLImPwkhbfa2QteAQAgAG1yYwE=";

fn b64(s: &str) -> Bytes {
    use base64::Engine as _;
    Bytes::from(base64::engine::general_purpose::STANDARD.decode(s).unwrap())
}

fn kat_auth_line(line: &str, expected: AuthenticateData) {
    let wire = format!("{line}\r\n");
    let input = Bytes::from(wire.clone());
    let Ok(Status::Complete((n, got))) = parse_authenticate_data(&input, &Limits::default()) else {
        panic!("{line}")
    };
    assert_eq!((n, &got), (wire.len(), &expected));
    let mut e = Encoder::new();
    e.authenticate_data(&got);
    assert_eq!(e.to_vec(), wire.as_bytes());
}

#[test]
fn rfc3501_6_2_2_authenticate_example() {
    kat_greeting(
        b"* OK IMAP4rev1 Server\r\n",
        Greeting {
            kind: GreetingKind::Ok,
            code: None,
            text: text("IMAP4rev1 Server"),
        },
    );
    kat_cmd(
        b"A001 AUTHENTICATE GSSAPI\r\n",
        cmd(
            "A001",
            C::Authenticate {
                mechanism: atom("GSSAPI"),
                initial_response: None,
            },
        ),
    );
    // The RFC prints "S: +" with its trailing space lost; continue-req = "+" SP base64.
    kat_resp(
        b"+ \r\n",
        Response::Continue(Continue::Base64(Bytes::new())),
    );
    kat_auth_line(
        GSSAPI_1,
        AuthenticateData::Response(Secret::new(b64(GSSAPI_1))),
    );
    kat_resp(
        format!("+ {GSSAPI_2}\r\n").as_bytes(),
        Response::Continue(Continue::Base64(b64(GSSAPI_2))),
    );
    kat_auth_line("", AuthenticateData::Response(Secret::new(Bytes::new())));
    kat_resp(
        format!("+ {GSSAPI_3}\r\n").as_bytes(),
        Response::Continue(Continue::Base64(b64(GSSAPI_3))),
    );
    kat_auth_line(
        GSSAPI_4,
        AuthenticateData::Response(Secret::new(b64(GSSAPI_4))),
    );
    kat_status(&["A001 OK GSSAPI authentication successful"]);
    kat_auth_line("*", AuthenticateData::Cancel);
}

#[test]
fn rfc3501_6_2_3_login_example() {
    kat_cmd(
        b"a001 LOGIN SMITH SESAME\r\n",
        cmd(
            "a001",
            C::Login {
                username: s("SMITH"),
                password: Secret::new(s("SESAME")),
            },
        ),
    );
    kat_status(&["a001 OK LOGIN completed"]);
}

fn system_flags() -> Vec<Flag> {
    vec![
        Flag::Answered,
        Flag::Flagged,
        Flag::Deleted,
        Flag::Seen,
        Flag::Draft,
    ]
}

#[test]
fn rfc3501_6_3_1_select_example() {
    kat_cmd(
        b"A142 SELECT INBOX\r\n",
        cmd("A142", C::Select(Mailbox::inbox())),
    );
    kat_resp(b"* 172 EXISTS\r\n", data(Data::Exists(172)));
    kat_resp(b"* 1 RECENT\r\n", data(Data::Recent(1)));
    kat_resp(
        b"* OK [UNSEEN 12] Message 12 is first unseen\r\n",
        status(
            None,
            StatusKind::Ok,
            Some(Code::Unseen(nz(12))),
            "Message 12 is first unseen",
        ),
    );
    kat_resp(
        b"* OK [UIDVALIDITY 3857529045] UIDs valid\r\n",
        status(
            None,
            StatusKind::Ok,
            Some(Code::UidValidity(nz(3857529045))),
            "UIDs valid",
        ),
    );
    kat_resp(
        b"* OK [UIDNEXT 4392] Predicted next UID\r\n",
        status(
            None,
            StatusKind::Ok,
            Some(Code::UidNext(nz(4392))),
            "Predicted next UID",
        ),
    );
    kat_resp(
        b"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n",
        data(Data::Flags(system_flags())),
    );
    kat_resp(
        b"* OK [PERMANENTFLAGS (\\Deleted \\Seen \\*)] Limited\r\n",
        status(
            None,
            StatusKind::Ok,
            Some(Code::PermanentFlags(vec![
                FlagPerm::Flag(Flag::Deleted),
                FlagPerm::Flag(Flag::Seen),
                FlagPerm::Asterisk,
            ])),
            "Limited",
        ),
    );
    kat_resp(
        b"A142 OK [READ-WRITE] SELECT completed\r\n",
        status(
            Some("A142"),
            StatusKind::Ok,
            Some(Code::ReadWrite),
            "SELECT completed",
        ),
    );
}

#[test]
fn rfc3501_6_3_2_examine_example() {
    kat_cmd(
        b"A932 EXAMINE blurdybloop\r\n",
        cmd("A932", C::Examine(mbox("blurdybloop"))),
    );
    kat_resp(b"* 17 EXISTS\r\n", data(Data::Exists(17)));
    kat_resp(b"* 2 RECENT\r\n", data(Data::Recent(2)));
    kat_resp(
        b"* OK [UNSEEN 8] Message 8 is first unseen\r\n",
        status(
            None,
            StatusKind::Ok,
            Some(Code::Unseen(nz(8))),
            "Message 8 is first unseen",
        ),
    );
    kat_resp(
        b"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n",
        data(Data::Flags(system_flags())),
    );
    kat_resp(
        b"* OK [PERMANENTFLAGS ()] No permanent flags permitted\r\n",
        status(
            None,
            StatusKind::Ok,
            Some(Code::PermanentFlags(vec![])),
            "No permanent flags permitted",
        ),
    );
    kat_resp(
        b"A932 OK [READ-ONLY] EXAMINE completed\r\n",
        status(
            Some("A932"),
            StatusKind::Ok,
            Some(Code::ReadOnly),
            "EXAMINE completed",
        ),
    );
}

#[test]
fn rfc3501_6_3_3_create_example() {
    let create = |t, m| {
        cmd(
            t,
            C::Create {
                mailbox: mbox(m),
                special_use: vec![],
            },
        )
    };
    kat_cmd(
        b"A003 CREATE owatagusiam/\r\n",
        create("A003", "owatagusiam/"),
    );
    kat_status(&["A003 OK CREATE completed"]);
    kat_cmd(
        b"A004 CREATE owatagusiam/blurdybloop\r\n",
        create("A004", "owatagusiam/blurdybloop"),
    );
    kat_status(&["A004 OK CREATE completed"]);
}

#[test]
fn rfc3501_6_3_4_delete_examples() {
    use MailboxAttribute::Noselect;
    kat_cmd(b"A682 LIST \"\" *\r\n", list_cmd("A682", "", "*"));
    kat_resp(
        b"* LIST () \"/\" blurdybloop\r\n",
        list_resp(&[], b'/', "blurdybloop"),
    );
    kat_resp(
        b"* LIST (\\Noselect) \"/\" foo\r\n",
        list_resp(&[Noselect], b'/', "foo"),
    );
    kat_resp(
        b"* LIST () \"/\" foo/bar\r\n",
        list_resp(&[], b'/', "foo/bar"),
    );
    kat_status(&["A682 OK LIST completed"]);
    kat_cmd(
        b"A683 DELETE blurdybloop\r\n",
        cmd("A683", C::Delete(mbox("blurdybloop"))),
    );
    kat_status(&["A683 OK DELETE completed"]);
    kat_cmd(b"A684 DELETE foo\r\n", cmd("A684", C::Delete(mbox("foo"))));
    kat_status(&["A684 NO Name \"foo\" has inferior hierarchical names"]);
    kat_cmd(
        b"A685 DELETE foo/bar\r\n",
        cmd("A685", C::Delete(mbox("foo/bar"))),
    );
    kat_status(&["A685 OK DELETE Completed"]);
    kat_cmd(b"A686 LIST \"\" *\r\n", list_cmd("A686", "", "*"));
    kat_resp(
        b"* LIST (\\Noselect) \"/\" foo\r\n",
        list_resp(&[Noselect], b'/', "foo"),
    );
    kat_status(&["A686 OK LIST completed"]);
    kat_cmd(b"A687 DELETE foo\r\n", cmd("A687", C::Delete(mbox("foo"))));
    kat_status(&["A687 OK DELETE Completed"]);

    kat_cmd(b"A82 LIST \"\" *\r\n", list_cmd("A82", "", "*"));
    kat_resp(
        b"* LIST () \".\" blurdybloop\r\n",
        list_resp(&[], b'.', "blurdybloop"),
    );
    kat_resp(b"* LIST () \".\" foo\r\n", list_resp(&[], b'.', "foo"));
    kat_resp(
        b"* LIST () \".\" foo.bar\r\n",
        list_resp(&[], b'.', "foo.bar"),
    );
    kat_status(&["A82 OK LIST completed"]);
    kat_cmd(
        b"A83 DELETE blurdybloop\r\n",
        cmd("A83", C::Delete(mbox("blurdybloop"))),
    );
    kat_status(&["A83 OK DELETE completed"]);
    kat_cmd(b"A84 DELETE foo\r\n", cmd("A84", C::Delete(mbox("foo"))));
    kat_status(&["A84 OK DELETE Completed"]);
    kat_cmd(b"A85 LIST \"\" *\r\n", list_cmd("A85", "", "*"));
    kat_resp(
        b"* LIST () \".\" foo.bar\r\n",
        list_resp(&[], b'.', "foo.bar"),
    );
    kat_status(&["A85 OK LIST completed"]);
    kat_cmd(b"A86 LIST \"\" %\r\n", list_cmd("A86", "", "%"));
    kat_resp(
        b"* LIST (\\Noselect) \".\" foo\r\n",
        list_resp(&[Noselect], b'.', "foo"),
    );
    kat_status(&["A86 OK LIST completed"]);
}

#[test]
fn rfc3501_6_3_5_rename_examples() {
    use MailboxAttribute::Noselect;
    let rename = |t, a, b| {
        cmd(
            t,
            C::Rename {
                from: mbox(a),
                to: mbox(b),
            },
        )
    };
    kat_cmd(b"A682 LIST \"\" *\r\n", list_cmd("A682", "", "*"));
    kat_resp(
        b"* LIST () \"/\" blurdybloop\r\n",
        list_resp(&[], b'/', "blurdybloop"),
    );
    kat_resp(
        b"* LIST (\\Noselect) \"/\" foo\r\n",
        list_resp(&[Noselect], b'/', "foo"),
    );
    kat_resp(
        b"* LIST () \"/\" foo/bar\r\n",
        list_resp(&[], b'/', "foo/bar"),
    );
    kat_status(&["A682 OK LIST completed"]);
    kat_cmd(
        b"A683 RENAME blurdybloop sarasoop\r\n",
        rename("A683", "blurdybloop", "sarasoop"),
    );
    kat_status(&["A683 OK RENAME completed"]);
    kat_cmd(b"A684 RENAME foo zowie\r\n", rename("A684", "foo", "zowie"));
    kat_status(&["A684 OK RENAME Completed"]);
    kat_cmd(b"A685 LIST \"\" *\r\n", list_cmd("A685", "", "*"));
    kat_resp(
        b"* LIST () \"/\" sarasoop\r\n",
        list_resp(&[], b'/', "sarasoop"),
    );
    kat_resp(
        b"* LIST (\\Noselect) \"/\" zowie\r\n",
        list_resp(&[Noselect], b'/', "zowie"),
    );
    kat_resp(
        b"* LIST () \"/\" zowie/bar\r\n",
        list_resp(&[], b'/', "zowie/bar"),
    );
    kat_status(&["A685 OK LIST completed"]);

    kat_cmd(b"Z432 LIST \"\" *\r\n", list_cmd("Z432", "", "*"));
    kat_resp(b"* LIST () \".\" INBOX\r\n", list_resp(&[], b'.', "INBOX"));
    kat_resp(
        b"* LIST () \".\" INBOX.bar\r\n",
        list_resp(&[], b'.', "INBOX.bar"),
    );
    kat_status(&["Z432 OK LIST completed"]);
    kat_cmd(
        b"Z433 RENAME INBOX old-mail\r\n",
        rename("Z433", "INBOX", "old-mail"),
    );
    kat_status(&["Z433 OK RENAME completed"]);
    kat_cmd(b"Z434 LIST \"\" *\r\n", list_cmd("Z434", "", "*"));
    kat_resp(b"* LIST () \".\" INBOX\r\n", list_resp(&[], b'.', "INBOX"));
    kat_resp(
        b"* LIST () \".\" INBOX.bar\r\n",
        list_resp(&[], b'.', "INBOX.bar"),
    );
    kat_resp(
        b"* LIST () \".\" old-mail\r\n",
        list_resp(&[], b'.', "old-mail"),
    );
    kat_status(&["Z434 OK LIST completed"]);
}

#[test]
fn rfc3501_6_3_6_subscribe_example() {
    kat_cmd(
        b"A002 SUBSCRIBE #news.comp.mail.mime\r\n",
        cmd("A002", C::Subscribe(mbox("#news.comp.mail.mime"))),
    );
    kat_status(&["A002 OK SUBSCRIBE completed"]);
}

#[test]
fn rfc3501_6_3_7_unsubscribe_example() {
    kat_cmd(
        b"A002 UNSUBSCRIBE #news.comp.mail.mime\r\n",
        cmd("A002", C::Unsubscribe(mbox("#news.comp.mail.mime"))),
    );
    kat_status(&["A002 OK UNSUBSCRIBE completed"]);
}

#[test]
fn rfc3501_6_3_8_list_example() {
    use MailboxAttribute::Noselect;
    kat_cmd(b"A101 LIST \"\" \"\"\r\n", list_cmd("A101", "", ""));
    kat_resp(
        b"* LIST (\\Noselect) \"/\" \"\"\r\n",
        list_resp(&[Noselect], b'/', ""),
    );
    kat_status(&["A101 OK LIST Completed"]);
    kat_cmd(
        b"A102 LIST #news.comp.mail.misc \"\"\r\n",
        list_cmd("A102", "#news.comp.mail.misc", ""),
    );
    kat_resp(
        b"* LIST (\\Noselect) \".\" #news.\r\n",
        list_resp(&[Noselect], b'.', "#news."),
    );
    kat_status(&["A102 OK LIST Completed"]);
    kat_cmd(
        b"A103 LIST /usr/staff/jones \"\"\r\n",
        list_cmd("A103", "/usr/staff/jones", ""),
    );
    kat_resp(
        b"* LIST (\\Noselect) \"/\" /\r\n",
        list_resp(&[Noselect], b'/', "/"),
    );
    kat_status(&["A103 OK LIST Completed"]);
    kat_cmd(b"A202 LIST ~/Mail/ %\r\n", list_cmd("A202", "~/Mail/", "%"));
    kat_resp(
        b"* LIST (\\Noselect) \"/\" ~/Mail/foo\r\n",
        list_resp(&[Noselect], b'/', "~/Mail/foo"),
    );
    kat_resp(
        b"* LIST () \"/\" ~/Mail/meetings\r\n",
        list_resp(&[], b'/', "~/Mail/meetings"),
    );
    kat_status(&["A202 OK LIST completed"]);
}

#[test]
fn rfc3501_6_3_9_lsub_example() {
    let lsub = |t, r: &str, p: &str| {
        cmd(
            t,
            C::Lsub {
                reference: mbox(r),
                pattern: ListMailbox::new(p.to_string()).unwrap(),
            },
        )
    };
    let lsub_resp = |attrs: &[MailboxAttribute], name| {
        data(Data::Lsub(ListData {
            attributes: attrs.to_vec(),
            delimiter: Some(Delimiter::new(b'.').unwrap()),
            mailbox: mbox(name),
        }))
    };
    // "#news." is an astring the encoder writes bare; "comp.mail.*" holds list-wildcards, which
    // are list-char, so the canonical pattern is unquoted too.
    kat_cmd_canon(
        b"A002 LSUB \"#news.\" \"comp.mail.*\"\r\n",
        lsub("A002", "#news.", "comp.mail.*"),
        b"A002 LSUB #news. comp.mail.*\r\n",
    );
    kat_resp(
        b"* LSUB () \".\" #news.comp.mail.mime\r\n",
        lsub_resp(&[], "#news.comp.mail.mime"),
    );
    kat_resp(
        b"* LSUB () \".\" #news.comp.mail.misc\r\n",
        lsub_resp(&[], "#news.comp.mail.misc"),
    );
    kat_status(&["A002 OK LSUB completed"]);
    kat_cmd_canon(
        b"A003 LSUB \"#news.\" \"comp.%\"\r\n",
        lsub("A003", "#news.", "comp.%"),
        b"A003 LSUB #news. comp.%\r\n",
    );
    kat_resp_canon(
        b"* LSUB (\\NoSelect) \".\" #news.comp.mail\r\n",
        lsub_resp(&[MailboxAttribute::Noselect], "#news.comp.mail"),
        b"* LSUB (\\Noselect) \".\" #news.comp.mail\r\n",
    );
    kat_status(&["A003 OK LSUB completed"]);
}

#[test]
fn rfc3501_6_3_10_status_example() {
    kat_cmd(
        b"A042 STATUS blurdybloop (UIDNEXT MESSAGES)\r\n",
        cmd(
            "A042",
            C::Status {
                mailbox: mbox("blurdybloop"),
                items: vec![StatusAttribute::UidNext, StatusAttribute::Messages],
            },
        ),
    );
    kat_resp(
        b"* STATUS blurdybloop (MESSAGES 231 UIDNEXT 44292)\r\n",
        data(Data::Status {
            mailbox: mbox("blurdybloop"),
            items: vec![
                StatusItem {
                    attribute: StatusAttribute::Messages,
                    value: 231,
                },
                StatusItem {
                    attribute: StatusAttribute::UidNext,
                    value: 44292,
                },
            ],
        }),
    );
    kat_status(&["A042 OK STATUS completed"]);
}

const APPEND_MESSAGE: &str = "Date: Mon, 7 Feb 1994 21:52:25 -0800 (PST)\r\n\
From: Fred Foobar <foobar@Blurdybloop.COM>\r\n\
Subject: afternoon meeting\r\n\
To: mooch@owatagu.siam.edu\r\n\
Message-Id: <B27397-0100000@Blurdybloop.COM>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n\
\r\n\
Hello Joe, do you think we can meet at 3:30 tomorrow?\r\n";

#[test]
fn rfc3501_6_3_11_append_example() {
    assert_eq!(APPEND_MESSAGE.len(), 310);
    let wire = format!("A003 APPEND saved-messages (\\Seen) {{310}}\r\n{APPEND_MESSAGE}\r\n");
    let expected = cmd(
        "A003",
        C::Append {
            mailbox: mbox("saved-messages"),
            flags: vec![Flag::Seen],
            date: None,
            message: Literal::new(APPEND_MESSAGE, LiteralMode::Sync).unwrap(),
        },
    );
    kat_cmd(wire.as_bytes(), expected.clone());
    kat_resp(
        b"+ Ready for literal data\r\n",
        Response::Continue(Continue::Text {
            code: None,
            text: text("Ready for literal data"),
        }),
    );
    kat_status(&["A003 OK APPEND completed"]);
    // The client encoder stops before the literal to wait for "+" (RFC 3501 §7.5).
    let mut e = Encoder::new();
    e.command(&expected);
    let frags = e.take_fragments();
    assert_eq!(frags.len(), 4);
    assert_eq!(frags[1], Fragment::AwaitContinuation);
    // The literal is a slice of the input, not a copy.
    let input = Bytes::from(wire);
    let Ok(Status::Complete((_, c))) = parse_command(&input) else {
        panic!()
    };
    let C::Append { message, .. } = c.body else {
        panic!()
    };
    let range = input.as_ptr() as usize..input.as_ptr() as usize + input.len();
    assert!(range.contains(&(message.data().as_ptr() as usize)));
}

#[test]
fn rfc3501_6_4_1_check_example() {
    kat_cmd(b"FXXZ CHECK\r\n", cmd("FXXZ", C::Check));
    kat_status(&["FXXZ OK CHECK Completed"]);
}

#[test]
fn rfc3501_6_4_2_close_example() {
    kat_cmd(b"A341 CLOSE\r\n", cmd("A341", C::Close));
    kat_status(&["A341 OK CLOSE completed"]);
}

#[test]
fn rfc3501_6_4_3_expunge_example() {
    kat_cmd(b"A202 EXPUNGE\r\n", cmd("A202", C::Expunge));
    for n in [3, 3, 5, 8] {
        kat_resp(
            format!("* {n} EXPUNGE\r\n").as_bytes(),
            data(Data::Expunge(nz(n))),
        );
    }
    kat_status(&["A202 OK EXPUNGE completed"]);
}

#[test]
fn rfc3501_6_4_4_search_examples() {
    use SearchKey as K;
    kat_cmd_canon(
        b"A282 SEARCH FLAGGED SINCE 1-Feb-1994 NOT FROM \"Smith\"\r\n",
        cmd(
            "A282",
            C::Search {
                charset: None,
                criteria: vec![
                    K::Flagged,
                    K::Since(date(1994, 2, 1)),
                    K::Not(Box::new(K::From(s("Smith")))),
                ],
                uid: false,
            },
        ),
        b"A282 SEARCH FLAGGED SINCE 1-Feb-1994 NOT FROM Smith\r\n",
    );
    kat_resp(
        b"* SEARCH 2 84 882\r\n",
        data(Data::Search(vec![nz(2), nz(84), nz(882)])),
    );
    kat_status(&["A282 OK SEARCH completed"]);
    kat_cmd(
        b"A283 SEARCH TEXT \"string not in mailbox\"\r\n",
        cmd(
            "A283",
            C::Search {
                charset: None,
                criteria: vec![K::Text(s("string not in mailbox"))],
                uid: false,
            },
        ),
    );
    kat_resp(b"* SEARCH\r\n", data(Data::Search(vec![])));
    kat_status(&["A283 OK SEARCH completed"]);
    // "XXXXXX is a placeholder for what would be 6 octets of 8-bit data": use real UTF-8.
    let utf8 = "Ærøskø".as_bytes();
    assert_eq!(utf8.len(), 9);
    let mut wire = b"A284 SEARCH CHARSET UTF-8 TEXT {9}\r\n".to_vec();
    wire.extend_from_slice(utf8);
    wire.extend_from_slice(b"\r\n");
    kat_cmd(
        &wire,
        cmd(
            "A284",
            C::Search {
                charset: Some(s("UTF-8")),
                criteria: vec![K::Text(IString::try_from(utf8).unwrap())],
                uid: false,
            },
        ),
    );
    kat_resp(b"* SEARCH 43\r\n", data(Data::Search(vec![nz(43)])));
    kat_status(&["A284 OK SEARCH completed"]);
}

#[test]
fn rfc3501_6_4_5_fetch_example() {
    kat_cmd(
        b"A654 FETCH 2:4 (FLAGS BODY[HEADER.FIELDS (DATE FROM)])\r\n",
        cmd(
            "A654",
            C::Fetch {
                set: set(&[(2, 4)]),
                items: FetchItems::Attributes(vec![
                    FetchAttribute::Flags,
                    FetchAttribute::BodySection {
                        peek: false,
                        section: Section::new(
                            vec![],
                            Some(SectionText::HeaderFields(vec![s("DATE"), s("FROM")])),
                        )
                        .unwrap(),
                        partial: None,
                    },
                ]),
                uid: false,
            },
        ),
    );
    kat_status(&["A654 OK FETCH completed"]);
}

#[test]
fn rfc3501_6_4_6_store_example() {
    kat_cmd(
        b"A003 STORE 2:4 +FLAGS (\\Deleted)\r\n",
        cmd(
            "A003",
            C::Store {
                set: set(&[(2, 4)]),
                kind: StoreKind::Add,
                silent: false,
                flags: vec![Flag::Deleted],
                uid: false,
            },
        ),
    );
    kat_resp(
        b"* 2 FETCH (FLAGS (\\Deleted \\Seen))\r\n",
        fetch_flags(2, &[Flag::Deleted, Flag::Seen]),
    );
    kat_resp(
        b"* 3 FETCH (FLAGS (\\Deleted))\r\n",
        fetch_flags(3, &[Flag::Deleted]),
    );
    kat_resp(
        b"* 4 FETCH (FLAGS (\\Deleted \\Flagged \\Seen))\r\n",
        fetch_flags(4, &[Flag::Deleted, Flag::Flagged, Flag::Seen]),
    );
    kat_status(&["A003 OK STORE completed"]);
}

#[test]
fn rfc3501_6_4_7_copy_example() {
    kat_cmd(
        b"A003 COPY 2:4 MEETING\r\n",
        cmd(
            "A003",
            C::Copy {
                set: set(&[(2, 4)]),
                mailbox: mbox("MEETING"),
                uid: false,
            },
        ),
    );
    kat_status(&["A003 OK COPY completed"]);
}

#[test]
fn rfc3501_6_4_8_uid_example() {
    kat_cmd(
        b"A999 UID FETCH 4827313:4828442 FLAGS\r\n",
        cmd(
            "A999",
            C::Fetch {
                set: set(&[(4827313, 4828442)]),
                items: FetchItems::Attributes(vec![FetchAttribute::Flags]),
                uid: true,
            },
        ),
    );
    for (seq, uid) in [(23, 4827313), (24, 4827943), (25, 4828442)] {
        kat_resp(
            format!("* {seq} FETCH (FLAGS (\\Seen) UID {uid})\r\n").as_bytes(),
            data(Data::Fetch {
                seq: nz(seq),
                items: vec![
                    MessageDataItem::Flags(vec![FlagFetch::Flag(Flag::Seen)]),
                    MessageDataItem::Uid(nz(uid)),
                ],
            }),
        );
    }
    kat_status(&["A999 OK UID FETCH completed"]);
}

#[test]
fn rfc3501_6_5_1_x_command_example() {
    kat_cmd(b"a441 CAPABILITY\r\n", cmd("a441", C::Capability));
    kat_resp(
        b"* CAPABILITY IMAP4rev1 XPIG-LATIN\r\n",
        data(Data::Capability(caps("IMAP4rev1 XPIG-LATIN"))),
    );
    kat_status(&["a441 OK CAPABILITY completed"]);
    kat_cmd(
        b"A442 XPIG-LATIN\r\n",
        cmd(
            "A442",
            C::Extension {
                name: atom("XPIG-LATIN"),
                arguments: ExtensionArguments::new(Bytes::new()).unwrap(),
            },
        ),
    );
    // "* XPIG-LATIN ow-nay eaking-spay ig-pay atin-lay" is experimental response data that
    // RFC 3501 §9 `response-data` has no rule for: it is refused, as it must be.
    reject_resp(b"* XPIG-LATIN ow-nay eaking-spay ig-pay atin-lay\r\n");
    kat_status(&["A442 OK XPIG-LATIN ompleted-cay"]);
}

#[test]
fn rfc3501_7_1_1_ok_example() {
    kat_greeting(
        b"* OK IMAP4rev1 server ready\r\n",
        Greeting {
            kind: GreetingKind::Ok,
            code: None,
            text: text("IMAP4rev1 server ready"),
        },
    );
    kat_cmd(
        b"A001 LOGIN fred blurdybloop\r\n",
        cmd(
            "A001",
            C::Login {
                username: s("fred"),
                password: Secret::new(s("blurdybloop")),
            },
        ),
    );
    kat_resp(
        b"* OK [ALERT] System shutdown in 10 minutes\r\n",
        status(
            None,
            StatusKind::Ok,
            Some(Code::Alert),
            "System shutdown in 10 minutes",
        ),
    );
    kat_status(&["A001 OK LOGIN Completed"]);
}

#[test]
fn rfc3501_7_1_2_no_example() {
    kat_cmd(
        b"A222 COPY 1:2 owatagusiam\r\n",
        cmd(
            "A222",
            C::Copy {
                set: set(&[(1, 2)]),
                mailbox: mbox("owatagusiam"),
                uid: false,
            },
        ),
    );
    kat_status(&[
        "* NO Disk is 98% full, please delete unnecessary data",
        "A222 OK COPY completed",
    ]);
    kat_cmd(
        b"A223 COPY 3:200 blurdybloop\r\n",
        cmd(
            "A223",
            C::Copy {
                set: set(&[(3, 200)]),
                mailbox: mbox("blurdybloop"),
                uid: false,
            },
        ),
    );
    kat_status(&[
        "* NO Disk is 98% full, please delete unnecessary data",
        "* NO Disk is 99% full, please delete unnecessary data",
        "A223 NO COPY failed: disk is full",
    ]);
}

#[test]
fn rfc3501_7_1_3_bad_example() {
    kat_status(&["* BAD Command line too long", "* BAD Empty command line"]);
    // "...empty line...": an empty command line is not a command.
    reject_cmd(b"\r\n");
    kat_cmd(b"A443 EXPUNGE\r\n", cmd("A443", C::Expunge));
    kat_status(&[
        "* BAD Disk crash, attempting salvage to a new disk!",
        "* OK Salvage successful, no data lost",
        "A443 OK Expunge completed",
    ]);
}

#[test]
fn rfc3501_7_1_4_preauth_example() {
    kat_greeting(
        b"* PREAUTH IMAP4rev1 server logged in as Smith\r\n",
        Greeting {
            kind: GreetingKind::PreAuth,
            code: None,
            text: text("IMAP4rev1 server logged in as Smith"),
        },
    );
    // PREAUTH is a greeting only (RFC 3501 §9 resp-cond-auth).
    reject_resp(b"* PREAUTH IMAP4rev1 server logged in as Smith\r\n");
}

#[test]
fn rfc3501_7_1_5_bye_example() {
    kat_status(&["* BYE Autologout; idle for too long"]);
    kat_greeting(
        b"* BYE Autologout; idle for too long\r\n",
        Greeting {
            kind: GreetingKind::Bye,
            code: None,
            text: text("Autologout; idle for too long"),
        },
    );
    // resp-cond-bye is never tagged.
    reject_resp(b"A1 BYE Autologout; idle for too long\r\n");
}

#[test]
fn rfc3501_7_2_1_capability_response_example() {
    kat_resp(
        b"* CAPABILITY IMAP4rev1 STARTTLS AUTH=GSSAPI XPIG-LATIN\r\n",
        data(Data::Capability(caps(
            "IMAP4rev1 STARTTLS AUTH=GSSAPI XPIG-LATIN",
        ))),
    );
}

#[test]
fn rfc3501_7_2_2_list_response_example() {
    kat_resp(
        b"* LIST (\\Noselect) \"/\" ~/Mail/foo\r\n",
        list_resp(&[MailboxAttribute::Noselect], b'/', "~/Mail/foo"),
    );
}

#[test]
fn rfc3501_7_2_3_lsub_response_example() {
    kat_resp(
        b"* LSUB () \".\" #news.comp.mail.misc\r\n",
        data(Data::Lsub(ListData {
            attributes: vec![],
            delimiter: Some(Delimiter::new(b'.').unwrap()),
            mailbox: mbox("#news.comp.mail.misc"),
        })),
    );
}

#[test]
fn rfc3501_7_2_4_status_response_example() {
    kat_resp(
        b"* STATUS blurdybloop (MESSAGES 231 UIDNEXT 44292)\r\n",
        data(Data::Status {
            mailbox: mbox("blurdybloop"),
            items: vec![
                StatusItem {
                    attribute: StatusAttribute::Messages,
                    value: 231,
                },
                StatusItem {
                    attribute: StatusAttribute::UidNext,
                    value: 44292,
                },
            ],
        }),
    );
}

#[test]
fn rfc3501_7_2_5_search_response_example() {
    kat_resp(
        b"* SEARCH 2 3 6\r\n",
        data(Data::Search(vec![nz(2), nz(3), nz(6)])),
    );
}

#[test]
fn rfc3501_7_2_6_flags_response_example() {
    kat_resp(
        b"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n",
        data(Data::Flags(system_flags())),
    );
}

#[test]
fn rfc3501_7_3_1_exists_example() {
    kat_resp(b"* 23 EXISTS\r\n", data(Data::Exists(23)));
}

#[test]
fn rfc3501_7_3_2_recent_example() {
    kat_resp(b"* 5 RECENT\r\n", data(Data::Recent(5)));
}

#[test]
fn rfc3501_7_4_1_expunge_example() {
    kat_resp(b"* 44 EXPUNGE\r\n", data(Data::Expunge(nz(44))));
    // EXPUNGE takes an nz-number.
    reject_resp(b"* 0 EXPUNGE\r\n");
}

#[test]
fn rfc3501_7_4_2_fetch_example() {
    kat_resp(
        b"* 23 FETCH (FLAGS (\\Seen) RFC822.SIZE 44827)\r\n",
        data(Data::Fetch {
            seq: nz(23),
            items: vec![
                MessageDataItem::Flags(vec![FlagFetch::Flag(Flag::Seen)]),
                MessageDataItem::Rfc822Size(44827),
            ],
        }),
    );
}

#[test]
fn rfc3501_7_5_continuation_example() {
    let cont = Response::Continue(Continue::Text {
        code: None,
        text: text("Ready for additional command text"),
    });
    kat_resp(b"+ Ready for additional command text\r\n", cont);
    // C: A001 LOGIN {11} / FRED FOOBAR {7} / fat man
    let login = cmd(
        "A001",
        C::Login {
            username: s("FRED FOOBAR"),
            password: Secret::new(s("fat man")),
        },
    );
    kat_cmd_canon(
        b"A001 LOGIN {11}\r\nFRED FOOBAR {7}\r\nfat man\r\n",
        login,
        b"A001 LOGIN \"FRED FOOBAR\" \"fat man\"\r\n",
    );
    kat_status(&["A001 OK LOGIN completed"]);
    // C: A044 BLURDYBLOOP {102856}: the framer announces the literal with the tag, so the
    // server can refuse without waiting for the bytes.
    let mut f = Framer::new(&Limits::default());
    let Ok(Frame::Literal(l)) = f.poll(b"A044 BLURDYBLOOP {102856}\r\n") else {
        panic!()
    };
    assert_eq!(
        (l.tag, l.length, l.mode),
        (Some(tag("A044")), 102856, LiteralMode::Sync)
    );
    kat_status(&["A044 BAD No such command as \"BLURDYBLOOP\""]);
}

fn terry() -> Address {
    Address {
        name: ns("Terry Gray"),
        adl: None,
        mailbox: ns("gray"),
        host: ns("cac.washington.edu"),
    }
}

fn sample_envelope() -> Envelope {
    Envelope {
        date: ns("Wed, 17 Jul 1996 02:23:25 -0700 (PDT)"),
        subject: ns("IMAP4rev1 WG mtg summary and minutes"),
        from: vec![terry()],
        sender: vec![terry()],
        reply_to: vec![terry()],
        to: vec![Address {
            name: None,
            adl: None,
            mailbox: ns("imap"),
            host: ns("cac.washington.edu"),
        }],
        cc: vec![
            Address {
                name: None,
                adl: None,
                mailbox: ns("minutes"),
                host: ns("CNRI.Reston.VA.US"),
            },
            Address {
                name: ns("John Klensin"),
                adl: None,
                mailbox: ns("KLENSIN"),
                host: ns("MIT.EDU"),
            },
        ],
        bcc: vec![],
        in_reply_to: None,
        message_id: ns("<B27397-0100000@cac.washington.edu>"),
    }
}

const SAMPLE_HEADER: &str = "Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\r\n\
From: Terry Gray <gray@cac.washington.edu>\r\n\
Subject: IMAP4rev1 WG mtg summary and minutes\r\n\
To: imap@cac.washington.edu\r\n\
cc: minutes@CNRI.Reston.VA.US, John Klensin <KLENSIN@MIT.EDU>\r\n\
Message-Id: <B27397-0100000@cac.washington.edu>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n\
\r\n";

#[test]
fn rfc3501_8_sample_session() {
    kat_greeting(
        b"* OK IMAP4rev1 Service Ready\r\n",
        Greeting {
            kind: GreetingKind::Ok,
            code: None,
            text: text("IMAP4rev1 Service Ready"),
        },
    );
    kat_cmd_canon(
        b"a001 login mrc secret\r\n",
        cmd(
            "a001",
            C::Login {
                username: s("mrc"),
                password: Secret::new(s("secret")),
            },
        ),
        b"a001 LOGIN mrc secret\r\n",
    );
    kat_status(&["a001 OK LOGIN completed"]);
    kat_cmd_canon(
        b"a002 select inbox\r\n",
        cmd("a002", C::Select(Mailbox::inbox())),
        b"a002 SELECT INBOX\r\n",
    );
    kat_resp(b"* 18 EXISTS\r\n", data(Data::Exists(18)));
    kat_resp(
        b"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n",
        data(Data::Flags(system_flags())),
    );
    kat_resp(b"* 2 RECENT\r\n", data(Data::Recent(2)));
    kat_resp(
        b"* OK [UNSEEN 17] Message 17 is the first unseen message\r\n",
        status(
            None,
            StatusKind::Ok,
            Some(Code::Unseen(nz(17))),
            "Message 17 is the first unseen message",
        ),
    );
    kat_resp(
        b"* OK [UIDVALIDITY 3857529045] UIDs valid\r\n",
        status(
            None,
            StatusKind::Ok,
            Some(Code::UidValidity(nz(3857529045))),
            "UIDs valid",
        ),
    );
    kat_resp(
        b"a002 OK [READ-WRITE] SELECT completed\r\n",
        status(
            Some("a002"),
            StatusKind::Ok,
            Some(Code::ReadWrite),
            "SELECT completed",
        ),
    );
    kat_cmd_canon(
        b"a003 fetch 12 full\r\n",
        cmd(
            "a003",
            C::Fetch {
                set: set(&[(12, 0)]),
                items: FetchItems::Full,
                uid: false,
            },
        ),
        b"a003 FETCH 12 FULL\r\n",
    );
    // The RFC breaks this line "for editorial clarity"; on the wire it is one line.
    let fetch_full = b"* 12 FETCH (FLAGS (\\Seen) INTERNALDATE \"17-Jul-1996 02:44:25 -0700\" \
RFC822.SIZE 4286 ENVELOPE (\"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\" \
\"IMAP4rev1 WG mtg summary and minutes\" \
((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) \
((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) \
((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) \
((NIL NIL \"imap\" \"cac.washington.edu\")) \
((NIL NIL \"minutes\" \"CNRI.Reston.VA.US\")\
(\"John Klensin\" NIL \"KLENSIN\" \"MIT.EDU\")) NIL NIL \
\"<B27397-0100000@cac.washington.edu>\") \
BODY (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 3028 92))\r\n";
    let internal = DateTime::new(date(1996, 7, 17), 2, 44, 25, -7 * 60).unwrap();
    let body = BodyStructure::Single {
        body: Body {
            fields: BodyFields {
                params: vec![(s("CHARSET"), s("US-ASCII"))],
                id: None,
                description: None,
                encoding: s("7BIT"),
                octets: 3028,
            },
            kind: BodyKind::Text {
                subtype: s("PLAIN"),
                lines: 92,
            },
        },
        extension: None,
    };
    kat_resp(
        fetch_full,
        data(Data::Fetch {
            seq: nz(12),
            items: vec![
                MessageDataItem::Flags(vec![FlagFetch::Flag(Flag::Seen)]),
                MessageDataItem::InternalDate(internal),
                MessageDataItem::Rfc822Size(4286),
                MessageDataItem::Envelope(Box::new(sample_envelope())),
                MessageDataItem::Body(body),
            ],
        }),
    );
    kat_status(&["a003 OK FETCH completed"]);
    kat_cmd_canon(
        b"a004 fetch 12 body[header]\r\n",
        cmd(
            "a004",
            C::Fetch {
                set: set(&[(12, 0)]),
                items: FetchItems::Attributes(vec![FetchAttribute::BodySection {
                    peek: false,
                    section: Section::new(vec![], Some(SectionText::Header)).unwrap(),
                    partial: None,
                }]),
                uid: false,
            },
        ),
        b"a004 FETCH 12 BODY[HEADER]\r\n",
    );
    assert_eq!(SAMPLE_HEADER.len(), 342);
    let wire = format!("* 12 FETCH (BODY[HEADER] {{342}}\r\n{SAMPLE_HEADER})\r\n");
    kat_resp(
        wire.as_bytes(),
        data(Data::Fetch {
            seq: nz(12),
            items: vec![MessageDataItem::BodySection {
                section: Section::new(vec![], Some(SectionText::Header)).unwrap(),
                origin: None,
                data: ns(SAMPLE_HEADER),
            }],
        }),
    );
    kat_status(&["a004 OK FETCH completed"]);
    kat_cmd_canon(
        b"a005 store 12 +flags \\deleted\r\n",
        cmd(
            "a005",
            C::Store {
                set: set(&[(12, 0)]),
                kind: StoreKind::Add,
                silent: false,
                flags: vec![Flag::Deleted],
                uid: false,
            },
        ),
        b"a005 STORE 12 +FLAGS (\\Deleted)\r\n",
    );
    kat_resp(
        b"* 12 FETCH (FLAGS (\\Seen \\Deleted))\r\n",
        fetch_flags(12, &[Flag::Seen, Flag::Deleted]),
    );
    kat_status(&["a005 OK +FLAGS completed"]);
    kat_cmd_canon(
        b"a006 logout\r\n",
        cmd("a006", C::Logout),
        b"a006 LOGOUT\r\n",
    );
    kat_status(&[
        "* BYE IMAP4rev1 server terminating connection",
        "a006 OK LOGOUT completed",
    ]);
}
