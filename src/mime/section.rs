//! `BODY[section]<partial>` (RFC 3501 §6.4.5): finding a part by number and
//! cutting its bytes out of the message.

use bytes::{Bytes, BytesMut};
use std::ops::Range;

use super::structure::{Entity, Kind};

/// What follows the part number in a section specifier (RFC 3501 §9
/// `section-msgtext` / `section-text`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SectionText<'n> {
    /// Nothing: the whole part (or `BODY[]`, the whole message).
    Whole,
    /// `HEADER`.
    Header,
    /// `TEXT`.
    Text,
    /// `MIME`.
    Mime,
    /// `HEADER.FIELDS (names)`.
    Fields(&'n [&'n [u8]]),
    /// `HEADER.FIELDS.NOT (names)`.
    FieldsNot(&'n [&'n [u8]]),
}

/// Finds the entity that a part number designates, the way RFC 3501 §6.4.5
/// numbers parts:
///
/// - in a multipart, `n` is its n-th part;
/// - a part that is not multipart only has a part `1`, which is the part
///   itself ("non-multipart messages ... only have a part 1"); a further
///   number after it is only valid when the part is message/rfc822;
/// - after a message/rfc822 part, further numbers address the parts of the
///   encapsulated message.
///
/// `None` when no such part exists. This is also how Dovecot resolves
/// numbers, including `2.1` naming a leaf part `2` itself.
pub(crate) fn find(entities: &[Entity], path: &[u32]) -> Option<usize> {
    let mut cur = 0usize;
    for (k, &n) in path.iter().enumerate() {
        let more = k + 1 < path.len();
        let e = entities.get(cur)?;
        match &e.kind {
            Kind::Multipart(children) => {
                let i = usize::try_from(n).ok()?.checked_sub(1)?;
                cur = *children.get(i)?;
            }
            Kind::Message(_) | Kind::Leaf => {
                if n != 1 || (more && !matches!(e.kind, Kind::Message(_))) {
                    return None;
                }
            }
        }
        if more {
            if let Kind::Message(child) = entities.get(cur)?.kind {
                cur = child;
            }
        }
    }
    Some(cur)
}

/// Where a section's bytes come from: a range of the raw message (to be sent in wire form),
/// or bytes assembled for `HEADER.FIELDS[.NOT]` (already CRLF).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Source {
    /// `msg[range]`, raw.
    Range(Range<usize>),
    /// Assembled header fields, in wire form.
    Built(Bytes),
}

/// The source of a section; an empty range when the part does not exist (RFC 3501 has no
/// error for it; Dovecot also sends `""`).
pub(crate) fn source(
    msg: &Bytes,
    entities: &[Entity],
    path: &[u32],
    text: &SectionText<'_>,
) -> Source {
    let empty = Source::Range(0..0);
    let Some(e) = find(entities, path).and_then(|idx| entities.get(idx)) else {
        return empty;
    };
    // HEADER / TEXT / HEADER.FIELDS refer to the message itself (empty path)
    // or to the message encapsulated in a message/rfc822 part.
    let target = if path.is_empty() {
        Some(e)
    } else if let Kind::Message(child) = e.kind {
        entities.get(child)
    } else {
        None
    };
    match text {
        SectionText::Whole if path.is_empty() => Source::Range(0..msg.len()),
        SectionText::Whole => Source::Range(e.body.clone()),
        SectionText::Mime => Source::Range(e.header.clone()),
        SectionText::Header => target.map_or(empty, |t| Source::Range(t.header.clone())),
        SectionText::Text => target.map_or(empty, |t| Source::Range(t.body.clone())),
        SectionText::Fields(names) | SectionText::FieldsNot(names) => {
            let Some(t) = target else {
                return empty;
            };
            let keep_named = matches!(text, SectionText::Fields(_));
            let mut out = BytesMut::new();
            for f in &t.fields {
                let named = names.iter().any(|n| f.is(msg, n));
                if named == keep_named {
                    append_wire(&mut out, msg.get(f.whole.clone()).unwrap_or_default());
                }
            }
            if has_blank_line(msg.get(t.header.clone()).unwrap_or_default()) {
                out.extend_from_slice(b"\r\n");
            }
            Source::Built(out.freeze())
        }
    }
}

/// The bytes of a section, in wire form (every bare LF sent as CRLF), cut to
/// `partial` (`<start.count>`, counted in wire octets). A missing part gives
/// an empty result (RFC 3501 has no error for it; Dovecot also sends `""`).
pub(crate) fn extract(
    msg: &Bytes,
    entities: &[Entity],
    path: &[u32],
    text: &SectionText<'_>,
    partial: Option<(u64, u64)>,
) -> Bytes {
    match source(msg, entities, path, text) {
        Source::Range(range) => window(msg, range, partial),
        Source::Built(all) => cut(all, partial),
    }
}

/// RFC 3501 §6.4.5: "the blank line is included in all header fetches,
/// except in the case of a message which has no body and no blank line."
fn has_blank_line(header: &[u8]) -> bool {
    header == b"\n" || header == b"\r\n" || header.ends_with(b"\n\n") || header.ends_with(b"\n\r\n")
}

fn cut(all: Bytes, partial: Option<(u64, u64)>) -> Bytes {
    match partial {
        None => all,
        Some((start, count)) => {
            let len = all.len() as u64;
            let s = start.min(len);
            let e = s.saturating_add(count).min(len);
            all.slice(usize::try_from(s).unwrap_or(0)..usize::try_from(e).unwrap_or(0))
        }
    }
}

fn append_wire(out: &mut BytesMut, raw: &[u8]) {
    let mut last = 0;
    for i in memchr::memchr_iter(b'\n', raw) {
        if i == 0 || raw[i - 1] != b'\r' {
            out.extend_from_slice(&raw[last..i]);
            out.extend_from_slice(b"\r\n");
            last = i + 1;
        }
    }
    out.extend_from_slice(&raw[last..]);
}

/// `msg[range]` in wire form, cut to `partial`. A slice of `msg` (no copy)
/// when the range holds no bare LF; otherwise only the requested window is
/// converted.
pub(crate) fn window(msg: &Bytes, range: Range<usize>, partial: Option<(u64, u64)>) -> Bytes {
    let start = range.start.min(msg.len());
    let end = range.end.min(msg.len()).max(start);
    let raw = &msg[start..end];
    let has_bare_lf = memchr::memchr_iter(b'\n', raw).any(|i| {
        if i == 0 {
            start == 0 || msg.get(start - 1) != Some(&b'\r')
        } else {
            raw[i - 1] != b'\r'
        }
    });
    if !has_bare_lf {
        let sub = match partial {
            None => start..end,
            Some((s, c)) => {
                let len = (end - start) as u64;
                let s2 = s.min(len);
                let e2 = s2.saturating_add(c).min(len);
                start + usize::try_from(s2).unwrap_or(0)..start + usize::try_from(e2).unwrap_or(0)
            }
        };
        return msg.slice(sub);
    }
    let (want_start, want_end) = match partial {
        None => (0u64, u64::MAX),
        Some((s, c)) => (s, s.saturating_add(c)),
    };
    let mut out = BytesMut::new();
    let mut wire_pos = 0u64;
    let mut emit = |piece: &[u8], wire_pos: &mut u64| {
        let len = piece.len() as u64;
        let p_start = *wire_pos;
        let p_end = p_start + len;
        if p_end > want_start && p_start < want_end {
            let a = want_start.saturating_sub(p_start);
            let b = (want_end.min(p_end)) - p_start;
            out.extend_from_slice(
                piece
                    .get(usize::try_from(a).unwrap_or(0)..usize::try_from(b).unwrap_or(0))
                    .unwrap_or_default(),
            );
        }
        *wire_pos = p_end;
    };
    let mut last = 0;
    for i in memchr::memchr_iter(b'\n', raw) {
        let bare = if i == 0 {
            start == 0 || msg.get(start - 1) != Some(&b'\r')
        } else {
            raw[i - 1] != b'\r'
        };
        if bare {
            emit(&raw[last..i], &mut wire_pos);
            emit(b"\r\n", &mut wire_pos);
            last = i + 1;
            if wire_pos >= want_end {
                break;
            }
        }
    }
    if wire_pos < want_end {
        emit(&raw[last..], &mut wire_pos);
    }
    out.freeze()
}
