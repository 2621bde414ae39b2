//! Property tests: arbitrary MIME trees are rendered to bytes (CRLF or bare
//! LF line ends), parsed back, and
//! - BODYSTRUCTURE has the shape, types, sizes and line counts generated;
//! - every leaf's section holds exactly the generated body (wire form), and
//!   for CRLF messages is a slice of the message buffer (no copy);
//! - any section of any path, with any partial, lies within the message.

use std::num::NonZeroU32;

use bytes::Bytes;
use pobox::imap::{BodyKind, BodyStructure, Partial, Section, SectionText};
use pobox::mime::Message;
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Node {
    Leaf {
        text: bool,
        subtype: &'static str,
        lines: Vec<String>,
    },
    Multipart {
        subtype: &'static str,
        children: Vec<Node>,
    },
    Message(Box<Node>),
}

fn leaf() -> impl Strategy<Value = Node> {
    (
        prop_oneof![
            Just((true, "plain")),
            Just((true, "html")),
            Just((false, "octet-stream"))
        ],
        prop::collection::vec("[a-zA-Z0-9 ,.:=?-]{0,30}", 0..5),
    )
        .prop_map(|((text, subtype), lines)| Node::Leaf {
            text,
            subtype,
            // A body line must not look like a boundary line.
            lines: lines
                .into_iter()
                .map(|l| {
                    if l.starts_with("--") {
                        format!("x{l}")
                    } else {
                        l
                    }
                })
                .collect(),
        })
}

fn tree() -> impl Strategy<Value = Node> {
    leaf().prop_recursive(5, 40, 4, |inner| {
        prop_oneof![
            (
                prop_oneof![Just("mixed"), Just("alternative"), Just("related")],
                prop::collection::vec(inner.clone(), 1..4)
            )
                .prop_map(|(subtype, children)| Node::Multipart { subtype, children }),
            inner.prop_map(|n| Node::Message(Box::new(n))),
        ]
    })
}

fn render(node: &Node, eol: &str, counter: &mut u32, out: &mut String) {
    match node {
        Node::Leaf {
            text,
            subtype,
            lines,
        } => {
            let mtype = if *text { "text" } else { "application" };
            out.push_str(&format!("Content-Type: {mtype}/{subtype}{eol}{eol}"));
            out.push_str(&lines.join(eol));
        }
        Node::Multipart { subtype, children } => {
            *counter += 1;
            let b = format!("=_b{counter}_=");
            out.push_str(&format!(
                "Content-Type: multipart/{subtype}; boundary=\"{b}\"{eol}{eol}"
            ));
            for c in children {
                out.push_str(&format!("--{b}{eol}"));
                render(c, eol, counter, out);
                out.push_str(eol);
            }
            out.push_str(&format!("--{b}--"));
        }
        Node::Message(inner) => {
            out.push_str(&format!("Content-Type: message/rfc822{eol}{eol}"));
            render(inner, eol, counter, out);
        }
    }
}

/// The wire (CRLF) form of `node`'s rendering.
fn wire(node: &Node) -> String {
    let mut s = String::new();
    render(node, "\r\n", &mut 0, &mut s);
    s
}

fn check_shape(node: &Node, bs: &BodyStructure) {
    match (node, bs) {
        (
            Node::Multipart { subtype, children },
            BodyStructure::Multipart {
                bodies, subtype: s, ..
            },
        ) => {
            assert_eq!(s.as_bytes(), subtype.as_bytes());
            assert_eq!(children.len(), bodies.len());
            for (c, b) in children.iter().zip(bodies) {
                check_shape(c, b);
            }
        }
        (Node::Message(inner), BodyStructure::Single { body, .. }) => {
            let BodyKind::Message { body: b, lines, .. } = &body.kind else {
                panic!("message expected, got {body:?}")
            };
            let w = wire(inner);
            assert_eq!(body.fields.octets as usize, w.len());
            assert_eq!(*lines as usize, w.matches('\n').count());
            check_shape(inner, b);
        }
        (
            Node::Leaf {
                text,
                subtype,
                lines,
            },
            BodyStructure::Single { body, .. },
        ) => {
            let want = lines.join("\r\n");
            assert_eq!(body.fields.octets as usize, want.len());
            match &body.kind {
                BodyKind::Text {
                    subtype: s,
                    lines: n,
                } => {
                    assert!(*text);
                    assert_eq!(s.as_bytes(), subtype.as_bytes());
                    assert_eq!(*n as usize, lines.len().saturating_sub(1));
                }
                BodyKind::Basic { subtype: s, .. } => {
                    assert!(!*text);
                    assert_eq!(s.as_bytes(), subtype.as_bytes());
                }
                other => panic!("leaf became {other:?}"),
            }
        }
        (n, b) => panic!("shape mismatch: {n:?} vs {b:?}"),
    }
}

fn nz(v: &[u32]) -> Vec<NonZeroU32> {
    v.iter().map(|&n| NonZeroU32::new(n).unwrap()).collect()
}

/// Expected (path, body) for every leaf, numbered as RFC 3501 §6.4.5 does.
fn walk_part(node: &Node, path: Vec<u32>, out: &mut Vec<(Vec<u32>, String)>) {
    match node {
        Node::Leaf { lines, .. } => out.push((path, lines.join("\r\n"))),
        Node::Multipart { children, .. } => {
            for (i, c) in children.iter().enumerate() {
                let mut p = path.clone();
                p.push(i as u32 + 1);
                walk_part(c, p, out);
            }
        }
        Node::Message(inner) => walk_content(inner, path, out),
    }
}

fn walk_content(node: &Node, path: Vec<u32>, out: &mut Vec<(Vec<u32>, String)>) {
    match node {
        Node::Multipart { .. } => walk_part(node, path, out),
        _ => {
            let mut p = path;
            p.push(1);
            walk_part(node, p, out);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn generated_trees_parse_back(node in tree(), crlf in any::<bool>()) {
        let eol = if crlf { "\r\n" } else { "\n" };
        let mut raw = String::new();
        render(&node, eol, &mut 0, &mut raw);
        let msg = Message::parse(Bytes::from(raw.clone()));
        let wire_form = wire(&node);
        prop_assert_eq!(msg.rfc822_size() as usize, wire_form.len());
        check_shape(&node, &msg.body_structure());

        let mut leaves = Vec::new();
        walk_content(&node, Vec::new(), &mut leaves);
        let base = msg.as_bytes().as_ptr() as usize;
        for (path, body) in leaves {
            let sec = msg.section(&Section::new(nz(&path), None).unwrap(), None);
            prop_assert_eq!(&sec[..], body.as_bytes(), "path {:?}", path);
            if crlf && !sec.is_empty() {
                let at = sec.as_ptr() as usize;
                prop_assert!(at >= base && at + sec.len() <= base + raw.len(), "copied");
            }
        }
    }

    #[test]
    fn every_section_lies_within_the_message(
        node in tree(),
        crlf in any::<bool>(),
        path in prop::collection::vec(1u32..4, 0..5),
        text in 0u8..4,
        partial in prop::option::of((0u32..400, 1u32..400)),
    ) {
        let eol = if crlf { "\r\n" } else { "\n" };
        let mut raw = String::new();
        render(&node, eol, &mut 0, &mut raw);
        let msg = Message::parse(Bytes::from(raw));
        let wire_form = wire(&node);
        let text = match text {
            0 => None,
            1 => Some(SectionText::Header),
            2 => Some(SectionText::Text),
            _ => Some(SectionText::Mime),
        };
        let Ok(section) = Section::new(nz(&path), text) else { return Ok(()) };
        let partial = partial.map(|(origin, len)| Partial {
            origin,
            length: NonZeroU32::new(len).unwrap(),
        });
        let sec = msg.section(&section, partial.as_ref());
        if let Some(p) = partial {
            prop_assert!(sec.len() <= p.length.get() as usize);
        }
        if !sec.is_empty() {
            prop_assert!(
                memchr::memmem::find(wire_form.as_bytes(), &sec).is_some(),
                "section not found in the message"
            );
        }
    }
}
