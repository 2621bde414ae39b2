//! The MIME structure parser (RFC 2045, RFC 2046 §5): one linear pass over
//! the lines of a message, recording byte ranges for every part.

use std::ops::Range;

use super::content::{self, ContentType};
use super::header::{self, Field};
use super::limits::Limits;
use super::scan::{Line, line_at};

/// How a part's contents are organized.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Kind {
    /// No sub-parts (includes parts degraded by a limit).
    Leaf,
    /// multipart/*: the children, in order (indices into the entity list).
    Multipart(Vec<usize>),
    /// message/rfc822: the encapsulated message (an entity index).
    Message(usize),
}

/// One MIME entity: the top-level message, a body part, or an encapsulated
/// message. All ranges index the original message bytes.
#[derive(Debug, Clone)]
pub(crate) struct Entity {
    /// Header block, including the blank line that ends it when present.
    pub(crate) header: Range<usize>,
    /// Body. For a part inside a multipart it stops before the line break
    /// that precedes the next boundary line (RFC 2046 §5.1.1: that CRLF
    /// belongs to the boundary).
    pub(crate) body: Range<usize>,
    /// Indexed header fields (at most `Limits::max_fields`).
    pub(crate) fields: Vec<Field>,
    /// Content-Type: parsed, or the RFC 2045 §5.2 / RFC 2046 §5.1.5 default.
    pub(crate) content_type: ContentType,
    /// The part was declared multipart or message/rfc822 but a limit kept it
    /// a leaf; it is reported as application/octet-stream.
    pub(crate) degraded: bool,
    pub(crate) kind: Kind,
}

/// What a part defaults to without a (valid) Content-Type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Default {
    /// RFC 2045 §5.2: text/plain; charset=us-ascii.
    Text,
    /// RFC 2046 §5.1.5: message/rfc822 inside multipart/digest.
    Message,
}

/// Parses `buf` into its entity tree. Entity 0 is the whole message; entities
/// are numbered in document order (a parent before its children).
pub(crate) fn parse(buf: &[u8], limits: &Limits) -> Vec<Entity> {
    let mut p = Parser {
        buf,
        pos: 0,
        last_term: 0,
        stack: Vec::new(),
        entities: Vec::new(),
        limits,
    };
    p.entity(0, Default::Text, 0);
    p.entities
}

struct Parser<'a, 'l> {
    buf: &'a [u8],
    /// Start of the next unread line.
    pos: usize,
    /// Terminator length of the line before `pos`.
    last_term: usize,
    /// Open multipart boundaries, outermost first.
    stack: Vec<Vec<u8>>,
    entities: Vec<Entity>,
    limits: &'l Limits,
}

impl<'a> Parser<'a, '_> {
    /// RFC 2046 §5.1.1: a line that starts with `--boundary` is a boundary
    /// line ("it is sufficient that the boundary appear in its entirety
    /// following the CRLF"); `--boundary--` closes the multipart. The
    /// innermost boundary is tried first, so an inner boundary that merely
    /// starts with an outer one (`XX-1` inside `XX`) is still found.
    fn boundary(&self, line: &Line) -> Option<(usize, bool)> {
        let text = self.buf.get(line.start..line.end)?;
        let rest = text.strip_prefix(b"--")?;
        self.stack.iter().enumerate().rev().find_map(|(i, b)| {
            rest.strip_prefix(b.as_slice())
                .map(|after| (i, after.starts_with(b"--")))
        })
    }

    fn next_line(&self) -> Option<Line> {
        line_at(self.buf, self.pos)
    }

    fn consume(&mut self, line: &Line) {
        self.pos = line.next;
        self.last_term = line.terminator_len();
    }

    /// Where a region that started at `region_start` ends when a boundary
    /// line starts at `line_start`: before the preceding line break.
    fn cut(&self, line_start: usize, region_start: usize) -> usize {
        line_start.saturating_sub(self.last_term).max(region_start)
    }

    /// Skips lines until a boundary line (not consumed) or the end.
    /// Returns the end of the skipped region.
    fn skip_to_boundary(&mut self, region_start: usize) -> usize {
        while let Some(line) = self.next_line() {
            if self.boundary(&line).is_some() {
                return self.cut(line.start, region_start);
            }
            self.consume(&line);
        }
        self.buf.len()
    }

    /// Parses one entity whose header starts at `start` (== `self.pos`).
    fn entity(&mut self, start: usize, default: Default, depth: usize) -> usize {
        let idx = self.entities.len();
        self.entities.push(Entity {
            header: start..start,
            body: start..start,
            fields: Vec::new(),
            content_type: ContentType::default_text(),
            degraded: false,
            kind: Kind::Leaf,
        });
        let mut fields: Vec<Field> = Vec::new();
        let mut in_ignored_field = false;
        let mut body_start = None;
        let mut header_end = self.buf.len();
        while let Some(line) = self.next_line() {
            if self.boundary(&line).is_some() {
                header_end = self.cut(line.start, start);
                break;
            }
            self.consume(&line);
            if line.start == line.end {
                header_end = line.next;
                body_start = Some(line.next);
                break;
            }
            let text = self.buf.get(line.start..line.end).unwrap_or_default();
            if matches!(text.first(), Some(b' ' | b'\t')) {
                // RFC 5322 §2.2.3 folding: continues the previous field.
                if !in_ignored_field {
                    if let Some(f) = fields.last_mut() {
                        f.value.end = line.end;
                        f.whole.end = line.next;
                    }
                }
                continue;
            }
            in_ignored_field = true;
            if fields.len() < self.limits.max_fields {
                if let Some((name, value_start)) = header::split_field(text, line.start) {
                    fields.push(Field {
                        name,
                        value: value_start..line.end,
                        whole: line.start..line.next,
                    });
                    in_ignored_field = false;
                }
            }
        }
        let content_type = self.content_type(&fields, default);
        let body_start = body_start.unwrap_or(header_end);
        let mut kind = Kind::Leaf;
        let mut degraded = false;
        let body_end;
        let boundary = content_type
            .param(b"boundary")
            .filter(|b| !b.is_empty() && b.len() <= self.limits.max_boundary_len)
            .map(<[u8]>::to_vec);
        let nested_ok = depth < self.limits.max_depth;
        if content_type.is_type(b"multipart") {
            if !nested_ok {
                degraded = true;
                body_end = self.skip_to_boundary(start);
            } else {
                let digest = content_type.subtype.eq_ignore_ascii_case(b"digest");
                let (children, end) = self.multipart(start, boundary, digest, depth);
                kind = Kind::Multipart(children);
                body_end = end;
            }
        } else if content_type.is(b"message", b"rfc822") {
            if !nested_ok || self.entities.len() >= self.limits.max_parts {
                degraded = true;
                body_end = self.skip_to_boundary(start);
            } else {
                let child = self.entity(body_start, Default::Text, depth + 1);
                kind = Kind::Message(child);
                body_end = self.entities.get(child).map_or(body_start, |c| c.body.end);
            }
        } else {
            body_end = self.skip_to_boundary(start);
        }
        // A boundary right after the blank line takes that line break.
        let (header_end, body) = if body_end < body_start {
            (body_end, body_end..body_end)
        } else {
            (header_end, body_start..body_end)
        };
        if let Some(e) = self.entities.get_mut(idx) {
            e.header = start..header_end;
            e.body = body;
            e.fields = fields;
            e.content_type = content_type;
            e.kind = kind;
            e.degraded = degraded;
        }
        idx
    }

    fn content_type(&self, fields: &[Field], default: Default) -> ContentType {
        let parsed = header::find(fields, self.buf, b"Content-Type").and_then(|f| {
            content::content_type(
                &f.unfolded(self.buf, self.limits.max_field_bytes),
                self.limits.max_params,
            )
        });
        match (parsed, default) {
            (Some(ct), _) => ct,
            (None, Default::Text) => ContentType::default_text(),
            (None, Default::Message) => ContentType::default_message(),
        }
    }

    /// The body of a multipart (RFC 2046 §5.1.1): preamble, parts between
    /// delimiter lines, close delimiter, epilogue. A missing close delimiter
    /// ends the multipart at the enclosing boundary or at the end of input.
    /// A multipart in which no part is found gets one empty text/plain part,
    /// since RFC 3501 §9 `body-type-mpart` needs at least one.
    fn multipart(
        &mut self,
        start: usize,
        boundary: Option<Vec<u8>>,
        digest: bool,
        depth: usize,
    ) -> (Vec<usize>, usize) {
        let mut children = Vec::new();
        let end = match boundary {
            None => self.skip_to_boundary(start),
            Some(b) => {
                self.stack.push(b);
                let mine = self.stack.len() - 1;
                let mut last_end = self.skip_to_boundary(start);
                let child_default = if digest {
                    Default::Message
                } else {
                    Default::Text
                };
                let end = loop {
                    let Some(line) = self.next_line() else {
                        break self.buf.len();
                    };
                    match self.boundary(&line) {
                        Some((i, close)) if i == mine => {
                            self.consume(&line);
                            if close {
                                // RFC 2046 §5.1.1: `close-delimiter
                                // transport-padding [CRLF epilogue]`; when an
                                // enclosing boundary follows at once, the
                                // close line's CRLF is that boundary's.
                                break self.skip_to_boundary(line.end);
                            }
                            if self.entities.len() >= self.limits.max_parts {
                                let region = self.pos;
                                last_end = self.skip_to_boundary(region);
                                continue;
                            }
                            let child = self.entity(self.pos, child_default, depth + 1);
                            children.push(child);
                            last_end = self.entities.get(child).map_or(last_end, |c| c.body.end);
                        }
                        _ => break last_end,
                    }
                };
                self.stack.truncate(mine);
                end
            }
        };
        if children.is_empty() {
            let idx = self.entities.len();
            self.entities.push(Entity {
                header: end..end,
                body: end..end,
                fields: Vec::new(),
                content_type: ContentType::default_text(),
                degraded: false,
                kind: Kind::Leaf,
            });
            children.push(idx);
        }
        (children, end)
    }
}
