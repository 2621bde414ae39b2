//! Hostile messages: every limit of `pobox::mime::Limits` holds, the work
//! stays bounded, nothing panics. These tests assert on structure and
//! limits, never on timing.

use bytes::Bytes;
use pobox::imap::{BodyKind, BodyStructure, Section, SectionText};
use pobox::mime::{Limits, Message};

fn depth(b: &BodyStructure) -> usize {
    match b {
        BodyStructure::Multipart { bodies, .. } => 1 + bodies.iter().map(depth).max().unwrap_or(0),
        BodyStructure::Single { body, .. } => match &body.kind {
            BodyKind::Message { body, .. } => 1 + depth(body),
            _ => 1,
        },
    }
}

fn count_parts(b: &BodyStructure) -> usize {
    match b {
        BodyStructure::Multipart { bodies, .. } => {
            1 + bodies.iter().map(count_parts).sum::<usize>()
        }
        BodyStructure::Single { body, .. } => match &body.kind {
            BodyKind::Message { body, .. } => 1 + count_parts(body),
            _ => 1,
        },
    }
}

fn innermost_leaf(b: &BodyStructure) -> &BodyStructure {
    match b {
        BodyStructure::Multipart { bodies, .. } => innermost_leaf(bodies.last().unwrap()),
        BodyStructure::Single { body, .. } => match &body.kind {
            BodyKind::Message { body, .. } => innermost_leaf(body),
            _ => b,
        },
    }
}

#[test]
fn ten_thousand_nested_multiparts_stop_at_max_depth() {
    let mut m = String::new();
    for i in 0..10_000 {
        m.push_str(&format!(
            "Content-Type: multipart/mixed; boundary=\"n{i}x\"\n\n--n{i}x\n"
        ));
    }
    m.push_str("Content-Type: text/plain\n\ndeep\n");
    for i in (0..10_000).rev() {
        m.push_str(&format!("--n{i}x--\n"));
    }
    let msg = Message::parse(Bytes::from(m));
    let bs = msg.body_structure();
    // 100 multiparts (the default max_depth), then one degraded leaf.
    assert_eq!(depth(&bs), 101);
    let BodyStructure::Single { body, .. } = innermost_leaf(&bs) else {
        panic!("leaf expected")
    };
    let BodyKind::Basic {
        media_type,
        subtype,
    } = &body.kind
    else {
        panic!("degraded part must be basic")
    };
    assert_eq!(media_type.as_bytes(), b"application");
    assert_eq!(subtype.as_bytes(), b"octet-stream");
    assert!(msg.part_count() <= 101);
    // A section path deeper than the structure is simply empty.
    let path: Vec<_> = (0..200).map(|_| std::num::NonZeroU32::MIN).collect();
    assert!(
        msg.section(&Section::new(path, None).unwrap(), None)
            .is_empty()
    );
}

#[test]
fn ten_thousand_nested_messages_stop_at_max_depth() {
    let m = "Content-Type: message/rfc822\n\n".repeat(10_000) + "Subject: core\n\nbody\n";
    let msg = Message::parse(Bytes::from(m));
    assert_eq!(depth(&msg.body_structure()), 101);
    assert_eq!(msg.body().clone(), msg.body());
}

#[test]
fn max_depth_is_capped() {
    let mut limits = Limits::default();
    limits.set_max_depth(usize::MAX);
    let m = "Content-Type: message/rfc822\n\n".repeat(5_000) + "\nx\n";
    let msg = Message::parse_with(Bytes::from(m), &limits);
    assert_eq!(depth(&msg.body_structure()), pobox::mime::MAX_DEPTH_CAP + 1);
}

#[test]
fn boundary_that_never_closes() {
    let mut m = String::from("Content-Type: multipart/mixed; boundary=\"b\"\n\n--b\n\n");
    for i in 0..200_000 {
        // Lines that start with "--" but not with "--b".
        m.push_str(&format!("--c{i} almost a boundary\n"));
    }
    let len = m.len();
    let msg = Message::parse(Bytes::from(m));
    let BodyStructure::Multipart { bodies, .. } = msg.body_structure() else {
        panic!("multipart expected")
    };
    assert_eq!(bodies.len(), 1);
    // The one part runs to the end of the message.
    let one = Section::new(vec![std::num::NonZeroU32::MIN], None).unwrap();
    let body = msg.section(&one, None);
    assert!(body.ends_with(b"almost a boundary\r\n"));
    assert_eq!(msg.rfc822_size(), (len + 200_000 + 4) as u64);
}

#[test]
fn one_megabyte_header_line() {
    let subject = "x".repeat(1 << 20);
    let ct_params: String = (0..50_000).map(|i| format!("; p{i}=v")).collect();
    let m = format!("Subject: {subject}\nContent-Type: text/plain{ct_params}\n\nbody\n");
    let msg = Message::parse(Bytes::from(m));
    let env = msg.envelope();
    // ENVELOPE strings are read up to max_field_bytes (64 KiB by default).
    assert_eq!(env.subject.unwrap().len(), 64 * 1024);
    let BodyStructure::Single { body, .. } = msg.body_structure() else {
        panic!()
    };
    // 64 parameters at most, plus nothing else (charset is missing, so the
    // RFC 2046 default is added).
    assert_eq!(body.fields.params.len(), 65);
    // The header section still has every byte.
    let header = Section::new(vec![], Some(SectionText::Header)).unwrap();
    assert!(msg.section(&header, None).len() > 1 << 20);
}

#[test]
fn hundred_thousand_addresses() {
    let to: Vec<String> = (0..100_000).map(|i| format!("u{i}@example.org")).collect();
    let m = format!("From: a@b\nTo: {}\n\nx\n", to.join(", "));
    let msg = Message::parse(Bytes::from(m));
    let env = msg.envelope();
    assert!(!env.to.is_empty());
    assert!(env.to.len() <= 10_000);
    // The list is cut at a complete address.
    let last = env.to.last().unwrap();
    assert_eq!(last.host.as_ref().unwrap().as_bytes(), b"example.org");

    let mut limits = Limits::default();
    limits.set_max_field_bytes(16 << 20).set_max_addresses(100);
    let msg = Message::parse_with(msg.as_bytes().clone(), &limits);
    assert_eq!(msg.envelope().to.len(), 100);
}

#[test]
fn ten_thousand_rfc2231_continuations() {
    let sections: String = (0..10_000)
        .rev()
        .map(|i| format!(";\n name*{i}*=%41"))
        .collect();
    let m = format!("Content-Type: application/x-big{sections}\n\nx\n");
    let msg = Message::parse(Bytes::from(m));
    let BodyStructure::Single { body, .. } = msg.body_structure() else {
        panic!()
    };
    assert_eq!(body.fields.params.len(), 1);
    let (name, value) = &body.fields.params[0];
    assert_eq!(name.as_bytes(), b"name*");
    // 64 sections read (max_params), each "%41", behind a "''" prefix since
    // section 0 is not among them.
    assert_eq!(value.len(), 2 + 64 * 3);
}

#[test]
fn parts_beyond_max_parts_are_not_listed() {
    let mut m = String::from("Content-Type: multipart/mixed; boundary=p\n\n");
    for i in 0..20_000 {
        m.push_str(&format!("--p\n\npart {i}\n"));
    }
    m.push_str("--p--\n");
    let msg = Message::parse(Bytes::from(m));
    assert!(msg.part_count() <= 10_001);
    assert_eq!(count_parts(&msg.body_structure()), msg.part_count());
}

#[test]
fn many_header_fields_and_unclosed_comments() {
    let mut m = String::new();
    for i in 0..100_000 {
        m.push_str(&format!("X-F{i}: v\n"));
    }
    m.push_str("From: ((((((((((((((((((((");
    m.push_str(&"(".repeat(100_000));
    m.push_str("\nSubject: ");
    m.push_str(&"=?a?q?".repeat(100_000));
    m.push_str("\n\nbody\n");
    let msg = Message::parse(Bytes::from(m));
    let env = msg.envelope();
    // From is beyond the 1,000 indexed fields.
    assert!(env.from.is_empty());
    let fields = Section::new(
        vec![],
        Some(SectionText::HeaderFields(vec![
            pobox::imap::IString::new("X-F5").unwrap(),
        ])),
    )
    .unwrap();
    assert_eq!(&msg.section(&fields, None)[..], b"X-F5: v\r\n\r\n");
}

#[test]
fn garbage_bytes_never_panic() {
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..300 {
        let mut buf = Vec::new();
        for _ in 0..2_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let pick = (seed % 12) as usize;
            let pieces: [&[u8]; 12] = [
                b"\n",
                b"\r\n",
                b"--b",
                b"--",
                b"Content-Type: multipart/mixed; boundary=b\n",
                b"Content-Type: message/rfc822\n",
                b": ",
                b"=?utf-8?q?",
                b"?=",
                b"\"",
                b"(",
                b"x",
            ];
            buf.extend_from_slice(pieces[pick]);
        }
        let msg = Message::parse(Bytes::from(buf));
        let _ = msg.envelope();
        let _ = msg.body_structure();
        let _ = msg.rfc822_size();
    }
}
