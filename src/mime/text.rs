//! Decoded, case-folded text of a message for SEARCH substring matching
//! (RFC 3501 §6.4.4).

use std::cell::OnceCell;

use super::Message;
use super::charset;
use super::content;
use super::header::{self, Field};
use super::rfc2047;
use super::structure::{Entity, Kind};
use super::transfer;

/// Lazily decoded text of one message, shared by all keys of one SEARCH
/// evaluation so that `OR BODY a BODY b` decodes the bodies once.
pub(crate) struct Texts<'m> {
    msg: &'m Message,
    bodies: OnceCell<Vec<String>>,
    headers: OnceCell<Vec<String>>,
}

impl<'m> Texts<'m> {
    pub(crate) fn new(msg: &'m Message) -> Self {
        Texts {
            msg,
            bodies: OnceCell::new(),
            headers: OnceCell::new(),
        }
    }

    fn buf(&self) -> &'m [u8] {
        &self.msg.bytes
    }

    fn decoded_field(&self, f: &Field) -> String {
        let value = f.unfolded(self.buf(), self.msg.limits.max_field_bytes);
        charset::fold(&rfc2047::decode(&value))
    }

    /// RFC 3501 §6.4.4 `HEADER`, `FROM`, `SUBJECT`...: some top-level field
    /// called `name` contains `needle` (already folded) once unfolded,
    /// RFC 2047-decoded and folded. An empty needle matches any message that
    /// has the field.
    pub(crate) fn header_contains(&self, name: &[u8], needle: &str) -> bool {
        let Some(root) = self.msg.entities.first() else {
            return false;
        };
        root.fields
            .iter()
            .filter(|f| f.is(self.buf(), name))
            .any(|f| needle.is_empty() || self.decoded_field(f).contains(needle))
    }

    /// RFC 3501 §6.4.4 `BODY`: the decoded text of some text/* part
    /// contains `needle`. Like Dovecot, pobox searches the parts that hold
    /// text (every text/* part, at any depth, encapsulated messages
    /// included), after undoing base64 / quoted-printable and converting the
    /// charset; it does not search attachments of other types, MIME headers,
    /// preambles or epilogues.
    pub(crate) fn body_contains(&self, needle: &str) -> bool {
        needle.is_empty() || self.bodies().iter().any(|b| b.contains(needle))
    }

    /// RFC 3501 §6.4.4 `TEXT`: "header or body": any header field of any
    /// part (name, colon and decoded value), or the body text.
    pub(crate) fn text_contains(&self, needle: &str) -> bool {
        needle.is_empty()
            || self.headers().iter().any(|h| h.contains(needle))
            || self.body_contains(needle)
    }

    fn bodies(&self) -> &Vec<String> {
        self.bodies.get_or_init(|| {
            let buf = self.buf();
            self.msg
                .entities
                .iter()
                .filter(|e| is_text_leaf(e))
                .map(|e| {
                    let raw = buf.get(e.body.clone()).unwrap_or_default();
                    let cte = header::find(&e.fields, buf, b"Content-Transfer-Encoding")
                        .and_then(|f| {
                            content::single_token(&f.unfolded(buf, self.msg.limits.max_field_bytes))
                        })
                        .unwrap_or_default();
                    let decoded = transfer::decode(raw, &cte);
                    let cs = e.content_type.param(b"charset").unwrap_or(b"us-ascii");
                    charset::fold(&charset::decode(&decoded, cs))
                })
                .collect()
        })
    }

    fn headers(&self) -> &Vec<String> {
        self.headers.get_or_init(|| {
            let buf = self.buf();
            let mut out = Vec::new();
            for e in &self.msg.entities {
                for f in &e.fields {
                    let name = buf.get(f.name.clone()).unwrap_or_default();
                    let mut s = charset::fold(&charset::utf8_or_latin1(name));
                    s.push_str(": ");
                    s.push_str(&self.decoded_field(f));
                    out.push(s);
                }
            }
            out
        })
    }
}

fn is_text_leaf(e: &Entity) -> bool {
    matches!(e.kind, Kind::Leaf) && !e.degraded && e.content_type.is_type(b"text")
}
