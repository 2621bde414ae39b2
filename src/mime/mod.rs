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
//! use pobox::imap::{Section, SectionText};
//! use pobox::mime::Message;
//!
//! # fn main() -> Result<(), pobox::imap::ValueError> {
//! let raw = Bytes::from_static(b"Subject: hi\nContent-Type: text/plain\n\nHello\n");
//! let msg = Message::parse(raw);
//! // Sizes are what the wire sees: every bare LF counts as CRLF.
//! assert_eq!(msg.rfc822_size(), 48);
//! let text = Section::new(vec![], Some(SectionText::Text))?;
//! assert_eq!(&msg.section(&text, None)[..], b"Hello\r\n");
//! let envelope = msg.envelope();
//! assert_eq!(envelope.subject.as_ref().map(|s| s.as_bytes()), Some(&b"hi"[..]));
//! # Ok(())
//! # }
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

mod address;
mod bodystructure;
mod charset;
mod content;
mod date;
mod envelope;
mod header;
mod limits;
mod rfc2047;
mod scan;
pub mod search;
pub(crate) mod section;
mod structure;
mod text;
mod transfer;

use std::sync::OnceLock;

use bytes::Bytes;

use crate::imap::{BodyStructure, Envelope, Partial, Section, SectionText};

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

    /// RFC 3501 §7.4.2 ENVELOPE of the message.
    pub fn envelope(&self) -> Envelope {
        match self.entities.first() {
            Some(root) => envelope::envelope(&self.bytes, &root.fields, &self.limits),
            None => Envelope::default(),
        }
    }

    /// RFC 3501 §7.4.2 BODYSTRUCTURE, with the extension data (MD5,
    /// disposition, language, location) for every part.
    pub fn body_structure(&self) -> BodyStructure {
        self.structure(true)
    }

    /// RFC 3501 §7.4.2 BODY: BODYSTRUCTURE without extension data.
    pub fn body(&self) -> BodyStructure {
        self.structure(false)
    }

    fn structure(&self, extensions: bool) -> BodyStructure {
        bodystructure::Ctx {
            buf: &self.bytes,
            entities: &self.entities,
            index: self.index(),
            limits: &self.limits,
            extensions,
        }
        .build(0)
    }

    /// RFC 3501 §6.4.5 `BODY[section]<partial>`: the bytes of `section`, as
    /// sent on the wire, cut to `partial` when given.
    ///
    /// - `BODY[]` / `RFC822` is `Section::full()`, `RFC822.HEADER` is
    ///   `HEADER` and `RFC822.TEXT` is `TEXT` on the full message.
    /// - A part that does not exist gives an empty result (Dovecot also
    ///   answers `""`; RFC 3501 defines no error for it).
    /// - A partial fetch past the end gives an empty result; one that runs
    ///   past the end is cut there (RFC 3501 §6.4.5).
    ///
    /// For a message with CRLF line ends, the result is a slice of the
    /// message `Bytes` (no copy) except for `HEADER.FIELDS[.NOT]`, which is
    /// assembled from the chosen fields. Where bare LFs must become CRLF,
    /// only the requested window is converted into a new buffer.
    pub fn section(&self, section: &Section, partial: Option<&Partial>) -> Bytes {
        let partial = partial.map(|p| (u64::from(p.origin), u64::from(p.length.get())));
        self.with_section(section, |bytes, entities, path, text| {
            section::extract(bytes, entities, path, text, partial)
        })
    }

    /// Where the bytes of `section` are, for a caller that sends them without copying
    /// (the IMAP session's wire form of a literal).
    pub(crate) fn section_source(&self, section: &Section) -> section::Source {
        self.with_section(section, section::source)
    }

    fn with_section<T>(
        &self,
        section: &Section,
        f: impl FnOnce(&Bytes, &[Entity], &[u32], &section::SectionText<'_>) -> T,
    ) -> T {
        let path: Vec<u32> = section.part().iter().map(|n| n.get()).collect();
        let names: Vec<&[u8]>;
        let text = match section.text() {
            None => section::SectionText::Whole,
            Some(SectionText::Header) => section::SectionText::Header,
            Some(SectionText::Text) => section::SectionText::Text,
            Some(SectionText::Mime) => section::SectionText::Mime,
            Some(SectionText::HeaderFields(v)) => {
                names = v.iter().map(|n| n.as_bytes()).collect();
                section::SectionText::Fields(&names)
            }
            Some(SectionText::HeaderFieldsNot(v)) => {
                names = v.iter().map(|n| n.as_bytes()).collect();
                section::SectionText::FieldsNot(&names)
            }
        };
        f(&self.bytes, &self.entities, &path, &text)
    }

    /// Section bytes for a part path and section text (internal form).
    #[cfg(test)]
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
