//! RFC 3501 examples as known-answer tests for `pobox::mime`, encoded with
//! the codec so that the bytes can be compared with the RFC text.

use std::num::NonZeroU32;

use bytes::Bytes;
use pobox::imap::{
    Data, Date, DateTime, Encoder, Flag, IString, MessageDataItem, Partial, Response, SearchKey,
    Section, SectionText, SequenceSet,
};
use pobox::mime::{Message, search};

fn fetch(items: Vec<MessageDataItem>) -> String {
    let mut e = Encoder::new();
    e.response(&Response::Data(Data::Fetch {
        seq: NonZeroU32::new(12).unwrap(),
        items,
    }));
    String::from_utf8(e.to_vec()).unwrap()
}

/// The RFC text with its line breaks and indentation joined into one line.
fn joined(s: &str) -> String {
    s.split('\n')
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ")
        .replace("( ", "(")
}

/// Message 12 of the RFC 3501 §8 sample session. Its header is the one
/// `BODY[HEADER]` shows there (342 octets, as its `{342}` says); the body is
/// 92 lines and 3028 octets, as its `BODY` says. (The sample's
/// `RFC822.SIZE 4286` does not match 342 + 3028; it is not checked.)
fn sample_message() -> Message {
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
        let width = if i < 84 { 31 } else { 30 };
        body.push_str(&"m".repeat(width));
        body.push_str("\r\n");
    }
    assert_eq!(body.len(), 3028);
    Message::parse(Bytes::from(format!("{header}{body}")))
}

#[test]
fn rfc3501_8_sample_fetch_full_envelope_and_body() {
    let msg = sample_message();
    // Without Content-Transfer-Encoding, pobox reports the default as
    // "7bit" (Dovecot's spelling); the RFC's server wrote "7BIT". RFC 2045
    // §6.1: the values "are not case sensitive".
    let got = fetch(vec![
        MessageDataItem::Envelope(Box::new(msg.envelope())),
        MessageDataItem::Body(msg.body()),
    ])
    .replace("\"7bit\"", "\"7BIT\"");
    let want = joined(
        r#"* 12 FETCH (ENVELOPE ("Wed, 17 Jul 1996 02:23:25 -0700 (PDT)"
      "IMAP4rev1 WG mtg summary and minutes"
      (("Terry Gray" NIL "gray" "cac.washington.edu"))
      (("Terry Gray" NIL "gray" "cac.washington.edu"))
      (("Terry Gray" NIL "gray" "cac.washington.edu"))
      ((NIL NIL "imap" "cac.washington.edu"))
      ((NIL NIL "minutes" "CNRI.Reston.VA.US")
      ("John Klensin" NIL "KLENSIN" "MIT.EDU")) NIL NIL
      "<B27397-0100000@cac.washington.edu>")
       BODY ("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 3028
       92))"#,
    )
    // The RFC breaks the line between the two cc addresses; on the wire
    // (RFC 3501 §9 `env-cc = "(" 1*address ")"`) there is no space there.
    .replace("\"CNRI.Reston.VA.US\") (", "\"CNRI.Reston.VA.US\")(");
    assert_eq!(got, format!("{want}\r\n"));
}

#[test]
fn rfc3501_8_sample_body_header() {
    let msg = sample_message();
    let header = Section::new(vec![], Some(SectionText::Header)).unwrap();
    let got = msg.section(&header, None);
    assert!(got.starts_with(b"Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\r\n"));
    assert!(got.ends_with(b"Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n\r\n"));
    assert_eq!(got.len(), 342);
}

#[test]
fn rfc3501_7_4_2_two_part_body_structure() {
    // 23 lines of 1152 octets and 73 lines of 4554 octets, each line with
    // its CRLF; the CRLF before the next boundary line is the boundary's
    // (RFC 2046 §5.1.1).
    let mut text = String::new();
    for i in 0..23 {
        text.push_str(&"t".repeat(if i < 22 { 48 } else { 50 }));
        text.push_str("\r\n");
    }
    let mut b64 = String::new();
    for i in 0..73 {
        b64.push_str(&"QUJD".repeat(15));
        if i < 28 {
            b64.push('Q');
        }
        b64.push_str("\r\n");
    }
    assert_eq!((text.len(), b64.len()), (1152, 4554));
    let m = format!(
        "Content-Type: MULTIPART/MIXED; BOUNDARY=x\r\n\r\n--x\r\n\
         Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\nContent-Transfer-Encoding: 7BIT\r\n\r\n\
         {text}\r\n--x\r\n\
         Content-Type: TEXT/PLAIN; CHARSET=US-ASCII; NAME=cc.diff\r\n\
         Content-ID: <960723163407.20117h@cac.washington.edu>\r\n\
         Content-Description: Compiler diff\r\nContent-Transfer-Encoding: BASE64\r\n\r\n\
         {b64}\r\n--x--\r\n"
    );
    let msg = Message::parse(Bytes::from(m));
    let got = fetch(vec![MessageDataItem::Body(msg.body())]);
    let want = joined(
        r#"(("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 1152
         23)("TEXT" "PLAIN" ("CHARSET" "US-ASCII" "NAME" "cc.diff")
         "<960723163407.20117h@cac.washington.edu>" "Compiler diff"
         "BASE64" 4554 73) "MIXED")"#,
    );
    assert_eq!(got, format!("* 12 FETCH (BODY {want})\r\n"));
}

#[test]
fn rfc3501_6_4_5_partial_and_header_fields() {
    let msg = sample_message();
    let whole = Section::full();
    let partial = Partial {
        origin: 0,
        length: NonZeroU32::new(4).unwrap(),
    };
    assert_eq!(&msg.section(&whole, Some(&partial))[..], b"Date");
    // "If the origin octet ... is past the end, an empty string is returned".
    let past = Partial {
        origin: 10_000,
        length: NonZeroU32::new(4).unwrap(),
    };
    assert!(msg.section(&whole, Some(&past)).is_empty());
    // rfc3501_6_4_5: "FETCH 2:4 (FLAGS BODY[HEADER.FIELDS (DATE FROM)])".
    let fields = Section::new(
        vec![],
        Some(SectionText::HeaderFields(vec![
            IString::new("DATE").unwrap(),
            IString::new("FROM").unwrap(),
        ])),
    )
    .unwrap();
    assert_eq!(
        &msg.section(&fields, None)[..],
        &b"Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\r\nFrom: Terry Gray <gray@cac.washington.edu>\r\n\r\n"[..]
    );
}

fn ctx<'a>(flags: &'a [Flag], seq: u32) -> search::MessageContext<'a> {
    search::MessageContext {
        seq,
        uid: seq + 100,
        largest_seq: 20,
        largest_uid: 120,
        flags,
        recent: seq == 12,
        internal_date: DateTime::new(Date::new(1996, 7, 17).unwrap(), 2, 44, 25, -420).unwrap(),
    }
}

#[test]
fn rfc3501_6_4_4_search_examples() {
    let msg = sample_message();
    let flags = [Flag::Seen, Flag::Deleted];
    let c = ctx(&flags, 12);
    let s = |v: &str| IString::new(v.to_string()).unwrap();
    // "SEARCH FLAGGED SINCE 1-Feb-1994 NOT FROM "Smith""
    let key = SearchKey::And(vec![
        SearchKey::Flagged,
        SearchKey::Since(Date::new(1994, 2, 1).unwrap()),
        SearchKey::Not(Box::new(SearchKey::From(s("Smith")))),
    ]);
    assert!(!search::matches(&key, &msg, &c));
    let key = SearchKey::And(vec![
        SearchKey::Seen,
        SearchKey::Since(Date::new(1994, 2, 1).unwrap()),
        SearchKey::Not(Box::new(SearchKey::From(s("Smith")))),
    ]);
    assert!(search::matches(&key, &msg, &c));
    // "SEARCH TEXT "string not in mailbox""
    assert!(!search::matches(
        &SearchKey::Text(s("string not in mailbox")),
        &msg,
        &c
    ));
    // Internal date is 17-Jul-1996 in its own zone (-0700).
    assert!(search::matches(
        &SearchKey::On(Date::new(1996, 7, 17).unwrap()),
        &msg,
        &c
    ));
    assert!(search::matches(
        &SearchKey::SentOn(Date::new(1996, 7, 17).unwrap()),
        &msg,
        &c
    ));
    assert!(search::matches(&SearchKey::Cc(s("klensin")), &msg, &c));
    assert!(search::matches(
        &SearchKey::Header(s("message-id"), s("")),
        &msg,
        &c
    ));
    assert!(!search::matches(
        &SearchKey::Header(s("x-nope"), s("")),
        &msg,
        &c
    ));
    assert!(search::matches(&SearchKey::Recent, &msg, &c));
    assert!(!search::matches(&SearchKey::New, &msg, &c));
    assert!(search::matches(&SearchKey::Larger(3000), &msg, &c));
    assert!(search::matches(&SearchKey::Smaller(4000), &msg, &c));
    assert!(search::matches(
        &SearchKey::Uid(SequenceSet::range(110, 112).unwrap()),
        &msg,
        &c
    ));
    assert!(search::matches(
        &SearchKey::SequenceSet(SequenceSet::all()),
        &msg,
        &c
    ));
    assert!(!search::matches(
        &SearchKey::SequenceSet(SequenceSet::single(13).unwrap()),
        &msg,
        &c
    ));
}

#[test]
fn search_key_nesting_is_bounded() {
    let msg = sample_message();
    let c = ctx(&[], 1);
    let mut key = SearchKey::All;
    for _ in 0..(search::MAX_KEY_DEPTH + 10) {
        key = SearchKey::Not(Box::new(SearchKey::Not(Box::new(key))));
    }
    assert!(!search::matches(&key, &msg, &c));
    let mut ok = SearchKey::All;
    for _ in 0..100 {
        ok = SearchKey::Not(Box::new(SearchKey::Not(Box::new(ok))));
    }
    assert!(search::matches(&ok, &msg, &c));
}
