//! Unit tests over the whole module (structure + sections).

use super::section::SectionText;
use super::structure::Kind;
use super::*;

fn msg(s: &str) -> Message {
    Message::parse(Bytes::copy_from_slice(s.as_bytes()))
}

fn sect(m: &Message, path: &[u32], t: SectionText<'_>) -> String {
    String::from_utf8(m.section_raw(path, &t, None).to_vec()).unwrap()
}

#[test]
fn single_part_sections() {
    let m = msg("Subject: x\n\nbody\n");
    assert_eq!(m.rfc822_size(), 20);
    assert_eq!(sect(&m, &[], SectionText::Header), "Subject: x\r\n\r\n");
    assert_eq!(sect(&m, &[], SectionText::Text), "body\r\n");
    assert_eq!(sect(&m, &[1], SectionText::Whole), "body\r\n");
    assert_eq!(sect(&m, &[1], SectionText::Mime), "Subject: x\r\n\r\n");
    assert_eq!(sect(&m, &[1, 1], SectionText::Whole), "");
    assert_eq!(sect(&m, &[2], SectionText::Whole), "");
}

#[test]
fn multipart_boundaries_take_the_preceding_line_break() {
    let m = msg(
        "Content-Type: multipart/mixed; boundary=b\n\npre\n--b\nContent-Type: text/plain\n\none\n--b\n\ntwo\n--b--\nepi\n",
    );
    let Kind::Multipart(ch) = &m.entities[0].kind else {
        panic!("not multipart")
    };
    assert_eq!(ch.len(), 2);
    assert_eq!(sect(&m, &[1], SectionText::Whole), "one");
    assert_eq!(
        sect(&m, &[1], SectionText::Mime),
        "Content-Type: text/plain\r\n\r\n"
    );
    assert_eq!(sect(&m, &[2], SectionText::Whole), "two");
    assert_eq!(sect(&m, &[2], SectionText::Mime), "\r\n");
}

#[test]
fn partial_window_on_converted_text() {
    let m = msg("A: b\n\nline1\nline2\n");
    let got = m.section_raw(&[], &SectionText::Text, Some((3, 6)));
    assert_eq!(&got[..], b"e1\r\nli");
    let got = m.section_raw(&[], &SectionText::Text, Some((100, 6)));
    assert!(got.is_empty());
}
