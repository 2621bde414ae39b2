//! The IMAP server session against the examples of RFC 3501: the §8 sample connection, and
//! the examples of §6 (each command's "Example:" block) replayed through the session with
//! an in-memory host holding what the example needs.

mod support;

use bytes::Bytes;
use pobox::imap::Flag;
use pobox::imap::server::Config;
use support::imap::{Harness, Store, converse, lines};

/// Message 12 of the §8 sample: the header `BODY[HEADER]` shows (342 octets) and a body of
/// 92 lines, 3028 octets, as its BODY says.
fn sample_message() -> Bytes {
    let header = "Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\r\n\
        From: Terry Gray <gray@cac.washington.edu>\r\n\
        Subject: IMAP4rev1 WG mtg summary and minutes\r\n\
        To: imap@cac.washington.edu\r\n\
        cc: minutes@CNRI.Reston.VA.US, John Klensin <KLENSIN@MIT.EDU>\r\n\
        Message-Id: <B27397-0100000@cac.washington.edu>\r\n\
        MIME-Version: 1.0\r\n\
        Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n\
        \r\n";
    let mut body = String::new();
    for i in 0..92 {
        body.push_str(&"m".repeat(if i < 84 { 31 } else { 30 }));
        body.push_str("\r\n");
    }
    Bytes::from(format!("{header}{body}"))
}

/// The §8 mailbox: 18 messages, 1-16 seen, the last two recent, message 12 the sample.
fn sample_store() -> Store {
    let mut store = Store::default()
        .with_user("mrc", "secret")
        .with_folder("INBOX");
    for i in 1..=18u32 {
        let flags: &[Flag] = if i <= 16 { &[Flag::Seen] } else { &[] };
        let bytes = match i {
            12 => sample_message(),
            _ => Bytes::from(format!("Subject: message {i}\r\n\r\nbody\r\n")),
        };
        store.deliver("INBOX", flags, bytes);
    }
    let inbox = store.folders.get_mut("INBOX").unwrap();
    inbox.uid_validity = 3857529045;
    for m in &mut inbox.messages {
        m.recent = m.uid > 16;
    }
    store
}

/// RFC 3501 §8, byte for byte, with four edits to the RFC's text, each for a reason the
/// RFC itself gives:
/// - the SELECT adds `[PERMANENTFLAGS]` and `[UIDNEXT]`, which §6.3.1 asks for and §8
///   (older) does not show;
/// - the long FETCH line is one line on the wire ("broken for editorial clarity"), with no
///   space between the two `cc` addresses (§9 `env-cc = "(" 1*address ")"`);
/// - `RFC822.SIZE` is the message's real size (§8's 4286 does not match its own 342-octet
///   header and 3028-octet body);
/// - the default body encoding is written `7bit`: RFC 2045 §6.1 values are not case
///   sensitive.
#[test]
fn rfc3501_8_sample_connection() {
    let mut config = Config::default();
    config
        .plaintext_auth_without_tls(true)
        .capability_codes(false);
    let mut h = Harness::new(config, sample_store());
    let header: String = sample_message()
        .iter()
        .take(342)
        .map(|&b| b as char)
        .collect();
    let header_lines: String = header
        .split_inclusive("\r\n")
        .map(|l| format!("S:    {}\n", l.trim_end()))
        .collect();
    let script = format!(
        r#"S:   * OK IMAP4rev1 Service Ready
C:   a001 login mrc secret
S:   a001 OK LOGIN completed
C:   a002 select inbox
S:   * 18 EXISTS
S:   * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S:   * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S:   * 2 RECENT
S:   * OK [UNSEEN 17] Message 17 is the first unseen message
S:   * OK [UIDVALIDITY 3857529045] UIDs valid
S:   * OK [UIDNEXT 19] Predicted next UID
S:   a002 OK [READ-WRITE] SELECT completed
C:   a003 fetch 12 full
S:   * 12 FETCH (FLAGS (\Seen) INTERNALDATE "17-Jul-1996 02:44:25 -0700" RFC822.SIZE 3370 ENVELOPE ("Wed, 17 Jul 1996 02:23:25 -0700 (PDT)" "IMAP4rev1 WG mtg summary and minutes" (("Terry Gray" NIL "gray" "cac.washington.edu")) (("Terry Gray" NIL "gray" "cac.washington.edu")) (("Terry Gray" NIL "gray" "cac.washington.edu")) ((NIL NIL "imap" "cac.washington.edu")) ((NIL NIL "minutes" "CNRI.Reston.VA.US")("John Klensin" NIL "KLENSIN" "MIT.EDU")) NIL NIL "<B27397-0100000@cac.washington.edu>") BODY ("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7bit" 3028 92))
S:    a003 OK FETCH completed
C:    a004 fetch 12 body[header]
S:    * 12 FETCH (BODY[HEADER] {{342}}
{header_lines}S:    )
S:    a004 OK FETCH completed
C:    a005 store 12 +flags \deleted
S:    * 12 FETCH (FLAGS (\Seen \Deleted))
S:    a005 OK +FLAGS completed
C:    a006 logout
S:    * BYE IMAP4rev1 server terminating connection
S:    a006 OK LOGOUT completed
"#
    );
    converse(&mut h, &script);
    assert!(h.session.is_closed());
    // The STORE reached the host.
    let m12 = &h.store.folders["INBOX"].messages[11];
    assert_eq!(m12.flags, [Flag::Seen, Flag::Deleted]);
    let _ = lines;
}

// ---- §6 examples ------------------------------------------------------------------------

fn plain() -> Config {
    let mut c = Config::default();
    c.plaintext_auth_without_tls(true);
    c
}

/// A session logged in as `joe` with INBOX holding `n` messages.
fn logged_in(store: Store) -> Harness {
    let mut h = Harness::new(plain(), store.with_user("joe", "password"));
    h.output();
    let out = h.say("L LOGIN joe password\r\n");
    assert!(out.starts_with("L OK "), "{out}");
    h
}

fn numbered(n: u32) -> Store {
    let mut store = Store::default().with_folder("INBOX");
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

fn selected(store: Store) -> Harness {
    let mut h = logged_in(store);
    let out = h.say("S SELECT INBOX\r\n");
    assert!(out.contains("S OK [READ-WRITE]"), "{out}");
    h
}

/// The lines of `out`, sorted: for responses whose order RFC 3501 leaves open.
fn sorted(out: &str) -> Vec<String> {
    let mut v: Vec<String> = lines(out).into_iter().map(str::to_owned).collect();
    v.sort();
    v
}

/// §6.1.1 and §6.2.1: CAPABILITY before and after STARTTLS. Before TLS, plaintext LOGIN is
/// disabled (LOGINDISABLED) and no plaintext mechanism is offered; after it, AUTH=PLAIN.
#[test]
fn rfc3501_6_1_1_and_6_2_1_capability_around_starttls() {
    let mut config = Config::default();
    config.starttls(true);
    let mut h = Harness::new(
        config,
        Store::default()
            .with_user("joe", "password")
            .with_folder("INBOX"),
    );
    converse(
        &mut h,
        r#"
S: * OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED LITERAL- ID ENABLE IDLE] IMAP4rev1 Service Ready
C: a001 CAPABILITY
S: * CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED LITERAL- ID ENABLE IDLE
S: a001 OK CAPABILITY completed
C: a002 STARTTLS
S: a002 OK Begin TLS negotiation now
C: a003 CAPABILITY
S: * CAPABILITY IMAP4rev1 AUTH=PLAIN AUTH=LOGIN SASL-IR LITERAL- ID ENABLE IDLE
S: a003 OK CAPABILITY completed
C: a004 LOGIN joe password
S~ a004 OK LOGIN completed
"#,
    );
    assert!(h.session.tls_active());
    assert_eq!(h.log, ["starttls", "login joe"]);
}

/// §6.1.2: NOOP reports what changed: an expunge, a new message, the recent count and a flag
/// change, in that order.
#[test]
fn rfc3501_6_1_2_noop_reports_changes() {
    let mut store = numbered(23);
    for m in &mut store.folders.get_mut("INBOX").unwrap().messages {
        m.recent = m.uid >= 21;
    }
    let mut h = selected(store);
    converse(&mut h, "C: a002 NOOP\nS: a002 OK NOOP completed");
    h.expunge_elsewhere(22);
    let now = h.now;
    let uid = h.store.deliver(
        "INBOX",
        &[],
        Bytes::from_static(b"Subject: new\r\n\r\nx\r\n"),
    );
    h.session.handle_change(
        now,
        pobox::imap::server::Change::Arrived {
            uid,
            flags: &[],
            recent: true,
        },
    );
    h.flags_elsewhere(14, &[Flag::Seen, Flag::Deleted]);
    converse(
        &mut h,
        r#"
C: a047 NOOP
S: * 22 EXPUNGE
S: * 23 EXISTS
S: * 3 RECENT
S: * 14 FETCH (FLAGS (\Seen \Deleted))
S: a047 OK NOOP completed
"#,
    );
}

/// §6.1.3: LOGOUT.
#[test]
fn rfc3501_6_1_3_logout() {
    let mut h = logged_in(Store::default());
    converse(
        &mut h,
        "C: A023 LOGOUT\nS~ * BYE IMAP4rev1 Server logging out\nS: A023 OK LOGOUT completed",
    );
    assert!(h.session.is_closed());
    assert_eq!(h.closed, Some(pobox::imap::server::CloseReason::Logout));
}

/// §6.2.2 with PLAIN in place of GSSAPI (same shape: an empty challenge, the response, OK),
/// and the `*` cancel, which "MUST" be answered BAD.
#[test]
fn rfc3501_6_2_2_authenticate() {
    let mut h = Harness::new(
        plain(),
        Store::default().with_user("tim", "tanstaaftanstaaf"),
    );
    converse(
        &mut h,
        r#"
S~ * OK IMAP4rev1 Server
C: A001 AUTHENTICATE PLAIN
S: + 
C: AHRpbQB0YW5zdGFhZnRhbnN0YWFm
S~ A001 OK GSSAPI authentication successful
"#,
    );
    let mut h = Harness::new(plain(), Store::default().with_user("tim", "x"));
    h.output();
    converse(
        &mut h,
        "C: A002 AUTHENTICATE LOGIN\nS: + VXNlcm5hbWU6\nC: *\nS~ A002 BAD cancelled",
    );
    assert_eq!(
        h.session.state(),
        pobox::imap::server::State::NotAuthenticated
    );
}

/// §6.2.3: LOGIN.
#[test]
fn rfc3501_6_2_3_login() {
    let mut h = Harness::new(plain(), Store::default().with_user("SMITH", "SESAME"));
    h.output();
    converse(
        &mut h,
        "C: a001 LOGIN SMITH SESAME\nS~ a001 OK LOGIN completed",
    );
    assert_eq!(h.session.user(), Some("SMITH"));
}

/// §6.3.1: SELECT of 172 messages, 1 recent, the first unseen 12, with limited permanent
/// flags. RFC 3501 does not fix the order of the untagged responses; pobox sends them in
/// §8's order.
#[test]
fn rfc3501_6_3_1_select() {
    let mut store = numbered(172);
    let inbox = store.folders.get_mut("INBOX").unwrap();
    inbox.uid_validity = 3857529045;
    for m in &mut inbox.messages {
        m.uid += 4391 - 172;
        if m.uid - (4391 - 172) < 12 {
            m.flags.push(Flag::Seen);
        }
        m.recent = m.uid == 4391;
    }
    inbox.uid_next = 4392;
    let mut h = logged_in(store);
    let out = h.say("A142 SELECT INBOX\r\n");
    let want = r#"* 172 EXISTS
* 1 RECENT
* OK [UNSEEN 12] Message 12 is the first unseen message
* OK [UIDVALIDITY 3857529045] UIDs valid
* OK [UIDNEXT 4392] Predicted next UID
* FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
* OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
A142 OK [READ-WRITE] SELECT completed
"#;
    let mut want: Vec<String> = want.lines().map(str::to_owned).collect();
    want.sort();
    assert_eq!(sorted(&out), want);
    assert!(
        out.starts_with("* 172 EXISTS\r\n* FLAGS"),
        "§8's order: {out}"
    );
}

/// §6.3.2: EXAMINE is read-only: no permanent flags, `[READ-ONLY]`, and `\Recent` stays
/// for other sessions.
#[test]
fn rfc3501_6_3_2_examine() {
    let mut store = numbered(17).with_folder("blurdybloop");
    let messages = store.folders.remove("INBOX").unwrap().messages;
    let b = store.folders.get_mut("blurdybloop").unwrap();
    b.uid_validity = 3857529045;
    b.uid_next = 4392;
    b.messages = messages;
    for m in &mut b.messages {
        if m.uid < 8 {
            m.flags.push(Flag::Seen);
        }
        m.recent = m.uid > 15;
    }
    let mut h = logged_in(store);
    converse(
        &mut h,
        r#"
C: A932 EXAMINE blurdybloop
S: * 17 EXISTS
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS ()] No permanent flags permitted
S: * 2 RECENT
S: * OK [UNSEEN 8] Message 8 is the first unseen message
S: * OK [UIDVALIDITY 3857529045] UIDs valid
S: * OK [UIDNEXT 4392] Predicted next UID
S: A932 OK [READ-ONLY] EXAMINE completed
"#,
    );
    assert!(
        h.store.folders["blurdybloop"]
            .messages
            .iter()
            .filter(|m| m.recent)
            .count()
            == 2
    );
}

/// §6.3.3: CREATE with a trailing delimiter declares a level of hierarchy.
#[test]
fn rfc3501_6_3_3_create() {
    let mut h = logged_in(Store::default().with_folder("INBOX"));
    converse(
        &mut h,
        "C: A003 CREATE owatagusiam/\nS: A003 OK CREATE completed\nC: A004 CREATE owatagusiam/blurdybloop\nS: A004 OK CREATE completed\nC: A005 CREATE inbox\nS~ A005 NO INBOX",
    );
    assert!(h.store.folders.contains_key("owatagusiam"));
    assert!(h.store.folders.contains_key("owatagusiam/blurdybloop"));
}

/// §6.3.4: DELETE, with the CHILDREN attributes of RFC 3348 in the LIST responses.
#[test]
fn rfc3501_6_3_4_delete() {
    let mut store = Store::default()
        .with_folder("blurdybloop")
        .with_folder("foo")
        .with_folder("foo/bar");
    store.folders.get_mut("foo").unwrap().noselect = true;
    let mut h = logged_in(store);
    converse(
        &mut h,
        r#"
C: A682 LIST "" *
S: * LIST (\HasNoChildren) "/" blurdybloop
S: * LIST (\Noselect \HasChildren) "/" foo
S: * LIST (\HasNoChildren) "/" foo/bar
S: A682 OK LIST completed
C: A683 DELETE blurdybloop
S: A683 OK DELETE completed
C: A685 DELETE foo/bar
S: A685 OK DELETE completed
C: A686 LIST "" *
S: * LIST (\Noselect \HasNoChildren) "/" foo
S: A686 OK LIST completed
C: A687 DELETE foo
S: A687 OK DELETE completed
C: A688 DELETE INBOX
S~ A688 NO [CANNOT]
"#,
    );
}

/// §6.3.5: RENAME takes the children along; RENAME of INBOX moves its messages and leaves
/// it empty.
#[test]
fn rfc3501_6_3_5_rename() {
    let store = Store::default()
        .with_folder("blurdybloop")
        .with_folder("foo/bar");
    let mut h = logged_in(store.with_message("INBOX", &[], "Subject: x\r\n\r\ny\r\n"));
    converse(
        &mut h,
        r#"
C: A682 LIST "" *
S: * LIST (\HasNoChildren) "/" INBOX
S: * LIST (\HasNoChildren) "/" blurdybloop
S: * LIST (\HasNoChildren) "/" foo/bar
S: A682 OK LIST completed
C: A683 RENAME blurdybloop sarasoop
S: A683 OK RENAME completed
C: A684 RENAME foo/bar zowie/bar
S: A684 OK RENAME completed
C: Z433 RENAME INBOX old-mail
S: Z433 OK RENAME completed
C: A685 LIST "" *
S: * LIST (\HasNoChildren) "/" INBOX
S: * LIST (\HasNoChildren) "/" old-mail
S: * LIST (\HasNoChildren) "/" sarasoop
S: * LIST (\HasNoChildren) "/" zowie/bar
S: A685 OK LIST completed
"#,
    );
    assert!(h.store.folders["INBOX"].messages.is_empty());
    assert_eq!(h.store.folders["old-mail"].messages.len(), 1);
}

/// §6.3.6 and §6.3.7: SUBSCRIBE and UNSUBSCRIBE.
#[test]
fn rfc3501_6_3_6_subscribe_and_6_3_7_unsubscribe() {
    let mut h = logged_in(Store::default());
    converse(
        &mut h,
        "C: A002 SUBSCRIBE #news.comp.mail.mime\nS: A002 OK SUBSCRIBE completed\nC: A003 UNSUBSCRIBE #news.comp.mail.mime\nS: A003 OK UNSUBSCRIBE completed",
    );
    assert!(!h.store.folders["#news.comp.mail.mime"].subscribed);
}

/// §6.3.8: LIST with an empty pattern gives the delimiter and the root of the reference;
/// `%` at the end also returns the levels of hierarchy it matches, `\Noselect` when they are
/// not mailboxes.
#[test]
fn rfc3501_6_3_8_list() {
    let store = Store::default()
        .with_folder("~/Mail/foo/bar")
        .with_folder("~/Mail/meetings");
    let mut h = logged_in(store);
    converse(
        &mut h,
        r#"
C: A101 LIST "" ""
S: * LIST (\Noselect) "/" ""
S: A101 OK LIST completed
C: A103 LIST /usr/staff/jones ""
S: * LIST (\Noselect) "/" /
S: A103 OK LIST completed
C: A202 LIST ~/Mail/ %
S: * LIST (\Noselect \HasChildren) "/" ~/Mail/foo
S: * LIST (\HasNoChildren) "/" ~/Mail/meetings
S: A202 OK LIST completed
C: A203 LIST ~/Mail/ *
S: * LIST (\HasNoChildren) "/" ~/Mail/foo/bar
S: * LIST (\HasNoChildren) "/" ~/Mail/meetings
S: A203 OK LIST completed
"#,
    );
    let mut config = plain();
    config.delimiter(b'.').unwrap();
    let mut h = Harness::new(config, Store::default().with_user("joe", "password"));
    h.output();
    h.say("L LOGIN joe password\r\n");
    converse(
        &mut h,
        "C: A102 LIST #news.comp.mail.misc \"\"\nS: * LIST (\\Noselect) \".\" #news.\nS: A102 OK LIST completed",
    );
}

/// §6.3.9: LSUB, with a `%` that matches a level that is not subscribed.
#[test]
fn rfc3501_6_3_9_lsub() {
    let mut config = plain();
    config.delimiter(b'.').unwrap();
    let mut store = Store::default()
        .with_user("joe", "password")
        .with_folder("#news.comp.mail.mime")
        .with_folder("#news.comp.mail.misc")
        .with_folder("#news.comp.other");
    for name in ["#news.comp.mail.mime", "#news.comp.mail.misc"] {
        store.folders.get_mut(name).unwrap().subscribed = true;
    }
    let mut h = Harness::new(config, store);
    h.output();
    h.say("L LOGIN joe password\r\n");
    converse(
        &mut h,
        r##"
C: A002 LSUB "#news." "comp.mail.*"
S: * LSUB () "." #news.comp.mail.mime
S: * LSUB () "." #news.comp.mail.misc
S: A002 OK LSUB completed
C: A003 LSUB "#news." "comp.%"
S: * LSUB (\Noselect) "." #news.comp.mail
S: A003 OK LSUB completed
"##,
    );
}

/// §6.3.10: STATUS answers the items asked for, in the order asked.
#[test]
fn rfc3501_6_3_10_status() {
    let mut store = numbered(231);
    let f = store.folders.remove("INBOX").unwrap();
    store
        .folders
        .insert("blurdybloop".into(), pobox_folder(f, 44292));
    let mut h = logged_in(store);
    converse(
        &mut h,
        "C: A042 STATUS blurdybloop (UIDNEXT MESSAGES)\nS: * STATUS blurdybloop (UIDNEXT 44292 MESSAGES 231)\nS: A042 OK STATUS completed",
    );
}

fn pobox_folder(mut f: support::imap::Folder, uid_next: u32) -> support::imap::Folder {
    f.uid_next = uid_next;
    f
}

/// §6.3.11: APPEND with a synchronizing literal; the message reaches the store whole, and
/// the OK carries APPENDUID (RFC 4315).
#[test]
fn rfc3501_6_3_11_append() {
    let mut h = logged_in(Store::default().with_folder("saved-messages"));
    let message = "Date: Mon, 7 Feb 1994 21:52:25 -0800 (PST)\r\n\
From: Fred Foobar <foobar@Blurdybloop.COM>\r\n\
Subject: afternoon meeting\r\n\
To: mooch@owatagu.siam.edu\r\n\
Message-Id: <B27397-0100000@Blurdybloop.COM>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n\
\r\n\
Hello Joe, do you think we can meet at 3:30 tomorrow?\r\n";
    assert_eq!(message.len(), 310);
    assert_eq!(
        h.say("A003 APPEND saved-messages (\\Seen) {310}\r\n"),
        "+ Ready for literal data\r\n"
    );
    let out = h.say(&format!("{message}\r\n"));
    let validity = h.store.folders["saved-messages"].uid_validity;
    assert_eq!(
        out,
        format!("A003 OK [APPENDUID {validity} 1] APPEND completed\r\n")
    );
    let stored = &h.store.folders["saved-messages"].messages[0];
    assert_eq!(&stored.bytes[..], message.as_bytes());
    assert_eq!(stored.flags, [Flag::Seen]);
}

/// §6.4.1 and §6.4.2: CHECK and CLOSE; CLOSE expunges silently (no EXPUNGE responses).
#[test]
fn rfc3501_6_4_1_check_and_6_4_2_close() {
    let mut store = numbered(3);
    store.folders.get_mut("INBOX").unwrap().messages[1]
        .flags
        .push(Flag::Deleted);
    let mut h = selected(store);
    converse(
        &mut h,
        "C: FXXZ CHECK\nS: FXXZ OK CHECK completed\nC: A341 CLOSE\nS: A341 OK CLOSE completed",
    );
    assert_eq!(h.store.folders["INBOX"].messages.len(), 2);
    assert_eq!(h.session.state(), pobox::imap::server::State::Authenticated);
}

/// §6.4.3: messages 3, 4, 7 and 11 had `\Deleted`: EXPUNGE numbers them as they shift.
#[test]
fn rfc3501_6_4_3_expunge() {
    let mut store = numbered(12);
    for m in &mut store.folders.get_mut("INBOX").unwrap().messages {
        if [3, 4, 7, 11].contains(&m.uid) {
            m.flags.push(Flag::Deleted);
        }
    }
    let mut h = selected(store);
    converse(
        &mut h,
        "C: A202 EXPUNGE\nS: * 3 EXPUNGE\nS: * 3 EXPUNGE\nS: * 5 EXPUNGE\nS: * 8 EXPUNGE\nS: A202 OK EXPUNGE completed",
    );
    assert_eq!(h.store.folders["INBOX"].messages.len(), 8);
}

/// §6.4.4: SEARCH by flag, date and header; a text nobody has; and a CHARSET search whose
/// string is a literal of six UTF-8 octets.
#[test]
fn rfc3501_6_4_4_search() {
    let mut store = Store::default().with_folder("INBOX");
    for i in 1..=882u32 {
        let from = if i == 100 {
            "Smith <smith@example.com>"
        } else {
            "Jones <jones@example.com>"
        };
        let body = if i == 43 {
            "Umlaute: äöü"
        } else {
            "plain text"
        };
        let flags: &[Flag] = if [2, 84, 100, 882].contains(&i) {
            &[Flag::Flagged]
        } else {
            &[]
        };
        store.deliver("INBOX", flags, Bytes::from(format!("From: {from}\r\nSubject: {i}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n")));
    }
    let mut h = selected(store);
    converse(
        &mut h,
        r#"
C: A282 SEARCH FLAGGED SINCE 1-Feb-1994 NOT FROM "Smith"
S: * SEARCH 2 84 882
S: A282 OK SEARCH completed
C: A283 SEARCH TEXT "string not in mailbox"
S: * SEARCH
S: A283 OK SEARCH completed
C: A284 SEARCH CHARSET UTF-8 TEXT {6}
S: + Ready for literal data
C: äöü
S: * SEARCH 43
S: A284 OK SEARCH completed
C: A285 SEARCH CHARSET KOI8-R ALL
S: A285 NO [BADCHARSET (US-ASCII UTF-8)] Charset not supported
"#,
    );
}

/// §6.4.5: FETCH of FLAGS and two header fields for 2:4.
#[test]
fn rfc3501_6_4_5_fetch() {
    let mut store = Store::default().with_folder("INBOX");
    for i in 1..=4u32 {
        store.deliver("INBOX", &[], Bytes::from(format!("Date: {i} Jan 2024 10:00 +0000\r\nFrom: a{i}@example.com\r\nSubject: s{i}\r\n\r\nbody\r\n")));
    }
    for m in &mut store.folders.get_mut("INBOX").unwrap().messages {
        m.recent = false;
    }
    let mut h = selected(store);
    let out = h.say("A654 FETCH 2:4 (FLAGS BODY[HEADER.FIELDS (DATE FROM)])\r\n");
    let mut want = String::new();
    for i in 2..=4 {
        let fields = format!("Date: {i} Jan 2024 10:00 +0000\r\nFrom: a{i}@example.com\r\n\r\n");
        want.push_str(&format!(
            "* {i} FETCH (FLAGS (\\Seen) BODY[HEADER.FIELDS (DATE FROM)] {{{}}}\r\n{fields})\r\n",
            fields.len()
        ));
    }
    want.push_str("A654 OK FETCH completed\r\n");
    assert_eq!(out, want);
}

/// §6.4.6: STORE +FLAGS answers each message's flags. (pobox lists `\Seen` first, as §8
/// does; the order of a flag list carries no meaning.)
#[test]
fn rfc3501_6_4_6_store() {
    let mut store = numbered(4);
    let msgs = &mut store.folders.get_mut("INBOX").unwrap().messages;
    msgs[1].flags = vec![Flag::Seen];
    msgs[3].flags = vec![Flag::Flagged, Flag::Seen];
    let mut h = selected(store);
    converse(
        &mut h,
        r#"
C: A003 STORE 2:4 +FLAGS (\Deleted)
S: * 2 FETCH (FLAGS (\Seen \Deleted))
S: * 3 FETCH (FLAGS (\Deleted))
S: * 4 FETCH (FLAGS (\Seen \Flagged \Deleted))
S~ A003 OK STORE completed
"#,
    );
    assert!(
        h.store.folders["INBOX"].messages[2]
            .flags
            .contains(&Flag::Deleted)
    );
}

/// §6.4.7: COPY, with COPYUID (RFC 4315).
#[test]
fn rfc3501_6_4_7_copy() {
    let mut h = selected(numbered(4).with_folder("MEETING"));
    let validity = h.store.folders["MEETING"].uid_validity;
    converse(
        &mut h,
        &format!(
            "C: A003 COPY 2:4 MEETING\nS: A003 OK [COPYUID {validity} 2:4 1:3] COPY completed\nC: A004 COPY 1 nowhere\nS~ A004 NO [TRYCREATE]"
        ),
    );
    assert_eq!(h.store.folders["MEETING"].messages.len(), 3);
}

/// §6.4.8: UID FETCH names messages by UID and always includes UID in its responses.
#[test]
fn rfc3501_6_4_8_uid_fetch() {
    let mut store = numbered(25);
    let msgs = &mut store.folders.get_mut("INBOX").unwrap().messages;
    for (m, uid) in msgs[22..].iter_mut().zip([4827313, 4827943, 4828442]) {
        m.uid = uid;
        m.flags = vec![Flag::Seen];
    }
    store.folders.get_mut("INBOX").unwrap().uid_next = 4828443;
    let mut h = selected(store);
    converse(
        &mut h,
        r#"
C: A999 UID FETCH 4827313:4828442 FLAGS
S: * 23 FETCH (FLAGS (\Seen) UID 4827313)
S: * 24 FETCH (FLAGS (\Seen) UID 4827943)
S: * 25 FETCH (FLAGS (\Seen) UID 4828442)
S: A999 OK UID FETCH completed
"#,
    );
}

/// §7.5: a literal waits for `+`; a command that is not known is refused before its
/// literal is read.
#[test]
fn rfc3501_7_5_command_continuation() {
    let mut h = Harness::new(
        plain(),
        Store::default().with_user("FRED FOOBAR", "fat man"),
    );
    h.output();
    converse(
        &mut h,
        r#"
C: A001 LOGIN {11}
S~ + Ready for additional command text
C: FRED FOOBAR {7}
S~ + Ready for additional command text
C: fat man
S~ A001 OK LOGIN completed
C: A044 BLURDYBLOOP {102856}
S~ A044 BAD No such command as "BLURDYBLOOP"
C: A045 NOOP
S: A045 OK NOOP completed
"#,
    );
}
