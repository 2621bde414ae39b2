//! Message structure (RFC 5322, RFC 2045-2049): what IMAP computes from raw
//! bytes.
//!
//! A host that stores only raw RFC 5322 messages hands one to
//! [`Message::parse`] and asks it for what RFC 3501 FETCH and SEARCH need:
//! the wire size, sections (`BODY[1.2.MIME]<0.512>`), and the search
//! evaluation in [`search`].
//!
//! ```
//! use bytes::Bytes;
//! use pobox::mime::Message;
//!
//! let raw = Bytes::from_static(b"Subject: hi\nContent-Type: text/plain\n\nHello\n");
//! let msg = Message::parse(raw);
//! // Sizes are what the wire sees: every bare LF counts as CRLF.
//! assert_eq!(msg.rfc822_size(), 49);
//! ```
//!
//! # Line endings
//! Messages may end their lines in CRLF or in a bare LF (as most files on
//! disk do), even mixed. Every size, line count and section is computed as
//! the wire (CRLF) sees it (RFC 3501 §7.4.2 `body-fld-octets`). A section of
//! a CRLF message is a slice of the original [`Bytes`] (no copy); where bare
//! LFs have to become CRLF, only the requested window is converted.
//!
//! # Broken messages
//! RFC 3501 expects an answer for every message, so nothing here fails: a
//! missing or invalid Content-Type is `text/plain; charset=us-ascii` (RFC 2045
//! §5.2), a multipart whose close delimiter never comes ends at the enclosing
//! boundary or at the end of the message, and every [`Limits`] bound has a
//! documented fallback.

#![allow(dead_code)] // TEMP: ENVELOPE, BODYSTRUCTURE and SEARCH wire up once the codec types land on main

mod address;
mod charset;
mod content;
mod date;
mod header;
mod limits;
mod rfc2047;
mod scan;
mod section;
mod structure;
mod text;
mod transfer;

use std::sync::OnceLock;

use bytes::Bytes;

pub use limits::{Limits, MAX_DEPTH_CAP};

use scan::LineIndex;
use structure::Entity;

/// One message, parsed for IMAP: the original bytes plus the byte ranges of
/// its parts. Cheap to build (one pass over the lines, no copy of the
/// message); owns its data (`Bytes`), carries no lifetime, and can be kept
/// or sent to another thread.
#[derive(Debug)]
pub struct Message {
    bytes: Bytes,
    entities: Vec<Entity>,
    limits: Limits,
    index: OnceLock<LineIndex>,
}

impl Message {
    /// Parses `bytes` with the default [`Limits`].
    pub fn parse(bytes: Bytes) -> Message {
        Message::parse_with(bytes, &Limits::default())
    }

    /// Parses `bytes` with the given limits.
    pub fn parse_with(bytes: Bytes, limits: &Limits) -> Message {
        let entities = structure::parse(&bytes, limits);
        Message {
            bytes,
            entities,
            limits: limits.clone(),
            index: OnceLock::new(),
        }
    }

    /// The raw message as handed in.
    pub fn as_bytes(&self) -> &Bytes {
        &self.bytes
    }

    /// RFC 3501 §6.4.5 `RFC822.SIZE`: the size in octets as sent on the wire,
    /// where every bare LF is a CRLF.
    pub fn rfc822_size(&self) -> u64 {
        self.index().wire_len(&self.bytes, &(0..self.bytes.len()))
    }

    /// Number of parts found (the message itself, every body part and every
    /// encapsulated message), at most `Limits::set_max_parts` plus the
    /// synthetic parts of empty multiparts.
    pub fn part_count(&self) -> usize {
        self.entities.len()
    }

    fn index(&self) -> &LineIndex {
        self.index.get_or_init(|| LineIndex::new(&self.bytes))
    }

    /// Section bytes for a part path and section text (internal form).
    pub(crate) fn section_raw(
        &self,
        path: &[u32],
        text: &section::SectionText<'_>,
        partial: Option<(u64, u64)>,
    ) -> Bytes {
        section::extract(&self.bytes, &self.entities, path, text, partial)
    }
}

#[cfg(test)]
mod tests;

/// Development hook until the codec's section type lands: `path` numbers,
/// `text` one of "", "HEADER", "TEXT", "MIME", "HEADER.FIELDS",
/// "HEADER.FIELDS.NOT".
#[doc(hidden)]
pub fn __section_for_tests(
    m: &Message,
    path: &[u32],
    text: &str,
    names: &[&[u8]],
    partial: Option<(u64, u64)>,
) -> Bytes {
    use section::SectionText as T;
    let t = match text {
        "HEADER" => T::Header,
        "TEXT" => T::Text,
        "MIME" => T::Mime,
        "HEADER.FIELDS" => T::Fields(names),
        "HEADER.FIELDS.NOT" => T::FieldsNot(names),
        _ => T::Whole,
    };
    m.section_raw(path, &t, partial)
}
