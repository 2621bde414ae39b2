//! The extensions the IMAP session implements, against the examples of their RFCs: IDLE
//! (RFC 2177), UIDPLUS (RFC 4315), MOVE (RFC 6851), UNSELECT (RFC 3691), ENABLE (RFC 5161),
//! ID (RFC 2971), SASL-IR (RFC 4959), LITERAL+ and LITERAL- (RFC 7888), NAMESPACE
//! (RFC 2342), CHILDREN (RFC 3348), SPECIAL-USE (RFC 6154), APPENDLIMIT (RFC 7889).

mod support;

use std::time::Duration;

use bytes::Bytes;
use pobox::imap::server::{Change, Config};
use pobox::imap::{Flag, MailboxAttribute};
use support::imap::{Harness, Store, converse};

fn plain() -> Config {
    let mut c = Config::default();
    c.plaintext_auth_without_tls(true);
    c
}

fn numbered(folder: &str, n: u32) -> Store {
    let mut store = Store::default().with_folder("INBOX").with_folder(folder);
    for i in 1..=n {
        store.deliver(
            folder,
            &[],
            Bytes::from(format!("Subject: {i}\r\n\r\nbody {i}\r\n")),
        );
    }
    for m in &mut store.folders.get_mut(folder).unwrap().messages {
        m.recent = false;
    }
    store
}

fn logged_in(store: Store) -> Harness {
    let mut h = Harness::new(plain(), store.with_user("joe", "password"));
    h.output();
    assert!(h.say("L LOGIN joe password\r\n").starts_with("L OK"));
    h
}

fn selected(store: Store, folder: &str) -> Harness {
    let mut h = logged_in(store);
    let out = h.say(&format!("S SELECT {folder}\r\n"));
    assert!(out.contains("S OK [READ-WRITE]"), "{out}");
    h
}

/// RFC 2177 §3: IDLE; a new message is told at once; DONE ends it.
#[test]
fn rfc2177_idle() {
    let mut h = selected(numbered("INBOX", 3), "INBOX");
    converse(&mut h, "C: A002 IDLE\nS: + idling");
    h.deliver("INBOX", &[], b"Subject: new\r\n\r\nhi\r\n");
    assert_eq!(
        String::from_utf8(h.output()).unwrap(),
        "* 4 EXISTS\r\n* 0 RECENT\r\n"
    );
    // An expunge by someone else is told at once too (IDLE is a command in progress).
    h.expunge_elsewhere(2);
    assert_eq!(String::from_utf8(h.output()).unwrap(), "* 2 EXPUNGE\r\n");
    converse(
        &mut h,
        "C: DONE\nS: A002 OK IDLE terminated\nC: A003 FETCH 3 (UID)\nS: * 3 FETCH (UID 4)\nS: A003 OK FETCH completed",
    );
}

/// RFC 2177 §3: the server may send "* OK Still here" while idling; a line other than DONE
/// ends IDLE with BAD and is not taken for a command.
#[test]
fn rfc2177_idle_keepalive_and_garbage() {
    let mut h = selected(numbered("INBOX", 1), "INBOX");
    converse(&mut h, "C: A1 IDLE\nS: + idling");
    assert_eq!(h.advance(Duration::from_secs(121)), "* OK Still here\r\n");
    converse(
        &mut h,
        "C: A2 NOOP\nS~ A1 BAD Expected DONE\nC: A3 NOOP\nS: A3 OK NOOP completed",
    );
    // DONE is case-insensitive; a bare LF ends it like any line.
    converse(&mut h, "C: A4 IDLE\nS: + idling");
    assert_eq!(h.say("done\n"), "A4 OK IDLE terminated\r\n");
}

/// RFC 4315 §2.1: UID EXPUNGE removes only the `\Deleted` messages in its set.
#[test]
fn rfc4315_uid_expunge() {
    let mut store = numbered("INBOX", 6);
    let msgs = &mut store.folders.get_mut("INBOX").unwrap().messages;
    for (m, uid) in msgs.iter_mut().zip([1000, 2000, 3000, 3001, 3002, 4000]) {
        m.uid = uid;
        m.flags = vec![Flag::Deleted];
    }
    store.folders.get_mut("INBOX").unwrap().uid_next = 4001;
    let mut h = selected(store, "INBOX");
    converse(
        &mut h,
        "C: A003 UID EXPUNGE 3000:3002\nS: * 3 EXPUNGE\nS: * 3 EXPUNGE\nS: * 3 EXPUNGE\nS: A003 OK UID EXPUNGE completed",
    );
    let left: Vec<u32> = h.store.folders["INBOX"]
        .messages
        .iter()
        .map(|m| m.uid)
        .collect();
    assert_eq!(left, [1000, 2000, 4000]);
}

/// RFC 4315 §3: APPENDUID and COPYUID, and a UID COPY that matches nothing.
#[test]
fn rfc4315_appenduid_and_copyuid() {
    let mut store = numbered("INBOX", 4)
        .with_folder("saved-messages")
        .with_folder("meeting");
    let inbox = store.folders.get_mut("INBOX").unwrap();
    for (m, uid) in inbox.messages.iter_mut().zip([100, 304, 319, 320]) {
        m.uid = uid;
    }
    inbox.uid_next = 321;
    let saved = store.folders.get_mut("saved-messages").unwrap();
    saved.uid_validity = 38505;
    saved.uid_next = 3955;
    let meeting = store.folders.get_mut("meeting").unwrap();
    meeting.uid_validity = 38505;
    meeting.uid_next = 3956;
    let mut h = selected(store, "INBOX");
    let message = "Date: Mon, 7 Feb 1994 21:52:25 -0800 (PST)\r\n\
From: Fred Foobar <foobar@example.com>\r\n\
Subject: afternoon meeting\r\n\
To: mooch@example.com\r\n\
Message-Id: <B27397-0100000@example.com>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n\
\r\n\
Hello Joe, do you think we can meet at 3:30 tomorrow?\r\n";
    assert_eq!(message.len(), 297);
    // LITERAL+ (RFC 7888): the message follows at once, without "+".
    let out = h.say(&format!(
        "A003 APPEND saved-messages (\\Seen) {{297+}}\r\n{message}\r\n"
    ));
    assert_eq!(out, "A003 OK [APPENDUID 38505 3955] APPEND completed\r\n");
    converse(
        &mut h,
        "C: A004 COPY 2:4 meeting\nS: A004 OK [COPYUID 38505 304,319:320 3956:3958] COPY completed\nC: A005 UID COPY 305:310 meeting\nS~ A005 OK No matching messages, so nothing copied",
    );
}

/// RFC 6851 §4.3: UID MOVE sends COPYUID in an untagged OK, then the EXPUNGEs, then OK.
#[test]
fn rfc6851_move() {
    let mut store = numbered("INBOX", 49).with_folder("foo");
    let inbox = store.folders.get_mut("INBOX").unwrap();
    for (i, m) in inbox.messages.iter_mut().enumerate() {
        m.uid = i as u32 + 21;
    }
    inbox.uid_next = 70;
    let foo = store.folders.get_mut("foo").unwrap();
    foo.uid_validity = 432432;
    foo.uid_next = 1202;
    let mut h = selected(store, "INBOX");
    let out = h.say("a UID MOVE 42:69 foo\r\n");
    let mut want = String::from("* OK [COPYUID 432432 42:69 1202:1229] Moved UIDs\r\n");
    for _ in 42..=69 {
        want.push_str("* 22 EXPUNGE\r\n");
    }
    want.push_str("a OK MOVE completed\r\n");
    assert_eq!(out, want);
    assert_eq!(h.store.folders["INBOX"].messages.len(), 21);
    assert_eq!(h.store.folders["foo"].messages.len(), 28);
    // A MOVE never sets \Deleted on what it moved (RFC 6851 §3.3).
    assert!(
        h.store.folders["foo"]
            .messages
            .iter()
            .all(|m| !m.flags.contains(&Flag::Deleted))
    );
    converse(&mut h, "C: b MOVE 1 nowhere\nS~ b NO [TRYCREATE]");
}

/// RFC 3691 §2: UNSELECT leaves the mailbox without expunging.
#[test]
fn rfc3691_unselect() {
    let mut store = numbered("INBOX", 2);
    store.folders.get_mut("INBOX").unwrap().messages[0]
        .flags
        .push(Flag::Deleted);
    let mut h = selected(store, "INBOX");
    converse(
        &mut h,
        "C: A341 UNSELECT\nS~ A341 OK Unselect completed\nC: A342 UNSELECT\nS~ A342 BAD No mailbox selected",
    );
    assert_eq!(h.store.folders["INBOX"].messages.len(), 2);
    assert_eq!(h.log.iter().filter(|l| *l == "unselected").count(), 1);
}

/// RFC 5161 §3.1: ENABLE of extensions the server does not have enables nothing; it is
/// valid only before a mailbox is selected.
#[test]
fn rfc5161_enable() {
    let mut h = logged_in(numbered("INBOX", 1));
    converse(
        &mut h,
        "C: t2 ENABLE CONDSTORE X-GOOD-IDEA\nS: * ENABLED\nS: t2 OK ENABLE completed",
    );
    h.say("S SELECT INBOX\r\n");
    converse(&mut h, "C: t3 ENABLE QRESYNC\nS~ t3 BAD");
}

/// RFC 2971 §3.1: the server answers ID with its own list, NIL unless configured.
#[test]
fn rfc2971_id() {
    let mut h = Harness::new(plain(), Store::default());
    h.output();
    converse(
        &mut h,
        r#"C: a023 ID ("name" "sodr" "version" "19.34" "vendor" "Pink Floyd Music Limited")
S: * ID NIL
S: a023 OK ID completed"#,
    );
    let mut config = plain();
    config.id(&[("name", "pobox"), ("version", "0.1")]).unwrap();
    let mut h = Harness::new(config, Store::default());
    h.output();
    converse(
        &mut h,
        "C: a042 ID NIL\nS: * ID (\"name\" \"pobox\" \"version\" \"0.1\")\nS: a042 OK ID completed",
    );
}

/// RFC 4959 §3: AUTHENTICATE with an initial response; `=` is an empty one.
#[test]
fn rfc4959_sasl_ir() {
    let mut h = Harness::new(plain(), Store::default().with_user("test", "test"));
    converse(
        &mut h,
        r#"
S~ * OK
C: C01 CAPABILITY
S: * CAPABILITY IMAP4rev1 AUTH=PLAIN AUTH=LOGIN SASL-IR LITERAL- ID ENABLE IDLE
S: C01 OK CAPABILITY completed
C: A01 AUTHENTICATE PLAIN dGVzdAB0ZXN0AHRlc3Q=
S~ A01 OK Success (tls protection)
"#,
    );
    let mut h = Harness::new(plain(), Store::default().with_user("test", "test"));
    h.output();
    // An empty initial response: PLAIN then needs the message itself.
    converse(
        &mut h,
        "C: A02 AUTHENTICATE PLAIN =\nS~ A02 BAD Invalid authentication data",
    );
}

/// RFC 7888 §3: non-synchronizing literals need no `+`; before login the session offers
/// LITERAL- and takes up to its pre-login limit; after login LITERAL+.
#[test]
fn rfc7888_literal_plus_and_minus() {
    let mut h = Harness::new(
        plain(),
        Store::default().with_user("FRED FOOBAR", "fat man"),
    );
    h.output();
    assert_eq!(
        h.say("A001 LOGIN {11+}\r\nFRED FOOBAR {7+}\r\nfat man\r\n")
            .split(' ')
            .take(2)
            .collect::<Vec<_>>(),
        ["A001", "OK"]
    );
    let caps = h.say("A002 CAPABILITY\r\n");
    assert!(
        caps.contains(" LITERAL+ ") && !caps.contains("LITERAL-"),
        "{caps}"
    );
    // Before login, a literal over the pre-login limit is refused and its octets skipped.
    let mut h = Harness::new(plain(), Store::default());
    h.output();
    let big = "x".repeat(9000);
    let out = h.say(&format!("A1 LOGIN {{9000+}}\r\n{big} pw\r\nA2 NOOP\r\n"));
    assert_eq!(
        out,
        "A1 BAD [LIMIT] Literal too big\r\nA2 OK NOOP completed\r\n"
    );
}

/// RFC 2342 §5: one personal namespace with no prefix.
#[test]
fn rfc2342_namespace() {
    let mut h = logged_in(Store::default());
    converse(
        &mut h,
        "C: A001 NAMESPACE\nS: * NAMESPACE ((\"\" \"/\")) NIL NIL\nS~ A001 OK NAMESPACE command completed",
    );
}

/// RFC 6154 §5.1 (with RFC 3348 CHILDREN): special-use attributes in LIST; the SPECIAL-USE
/// return and selection options of the RFC 5258 syntax.
#[test]
fn rfc6154_special_use_and_rfc3348_children() {
    let mut store = Store::default()
        .with_folder("INBOX")
        .with_folder("ToDo")
        .with_folder("Projects")
        .with_folder("Projects/Alpha")
        .with_folder("SentMail")
        .with_folder("MyDrafts")
        .with_folder("Trash");
    let mut attr = |name: &str, a: &[MailboxAttribute]| {
        store.folders.get_mut(name).unwrap().attributes = a.to_vec()
    };
    attr("INBOX", &[MailboxAttribute::Marked]);
    attr("SentMail", &[MailboxAttribute::Sent]);
    attr(
        "MyDrafts",
        &[MailboxAttribute::Marked, MailboxAttribute::Drafts],
    );
    attr("Trash", &[MailboxAttribute::Trash]);
    let mut h = logged_in(store);
    converse(
        &mut h,
        r#"
C: t1 LIST "" "%"
S: * LIST (\Marked \HasNoChildren) "/" INBOX
S: * LIST (\Marked \Drafts \HasNoChildren) "/" MyDrafts
S: * LIST (\HasChildren) "/" Projects
S: * LIST (\Sent \HasNoChildren) "/" SentMail
S: * LIST (\HasNoChildren) "/" ToDo
S: * LIST (\Trash \HasNoChildren) "/" Trash
S: t1 OK LIST completed
C: t2 LIST "" "%" RETURN (SPECIAL-USE)
S: * LIST (\Marked) "/" INBOX
S: * LIST (\Marked \Drafts) "/" MyDrafts
S: * LIST () "/" Projects
S: * LIST (\Sent) "/" SentMail
S: * LIST () "/" ToDo
S: * LIST (\Trash) "/" Trash
S: t2 OK LIST completed
C: t3 LIST (SPECIAL-USE) "" "*"
S: * LIST (\Marked \Drafts) "/" MyDrafts
S: * LIST (\Sent) "/" SentMail
S: * LIST (\Trash) "/" Trash
S: t3 OK LIST completed
C: t4 LIST (SUBSCRIBED) "" "*"
S~ t4 BAD
"#,
    );
}

/// RFC 7889 §4: APPENDLIMIT is advertised, and an APPEND over it is refused with TOOBIG
/// before any of its octets is read.
#[test]
fn rfc7889_appendlimit() {
    let mut config = plain();
    config.max_append(10_000);
    let mut h = Harness::new(
        config,
        Store::default()
            .with_user("joe", "password")
            .with_folder("INBOX"),
    );
    h.output();
    h.say("L LOGIN joe password\r\n");
    let caps = h.say("C CAPABILITY\r\n");
    assert!(caps.contains(" APPENDLIMIT=10000"), "{caps}");
    converse(
        &mut h,
        "C: A1 APPEND INBOX {10001}\nS: A1 NO [TOOBIG] Message is larger than APPENDLIMIT\nC: A2 NOOP\nS: A2 OK NOOP completed",
    );
    // The non-synchronizing form: the octets come anyway and are skipped.
    let body = "y".repeat(10001);
    let out = h.say(&format!(
        "A3 APPEND INBOX {{10001+}}\r\n{body}\r\nA4 NOOP\r\n"
    ));
    assert_eq!(
        out,
        "A3 NO [TOOBIG] Message is larger than APPENDLIMIT\r\nA4 OK NOOP completed\r\n"
    );
    assert!(h.store.folders["INBOX"].messages.is_empty());
    let _ = Change::Invalidated;
}
