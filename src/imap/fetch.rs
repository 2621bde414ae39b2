//! FETCH attributes (RFC 3501 §6.4.5, §9 `fetch-att`), sections (`section`) and the message
//! data of FETCH responses (§7.4.2, §9 `msg-att`).

use std::num::NonZeroU32;

use super::body::BodyStructure;
use super::core::{IString, NString, ValueError};
use super::datetime::DateTime;
use super::envelope::Envelope;
use super::flag::FlagFetch;

/// `section-msgtext` / `section-text` (RFC 3501 §9): which text of a part.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SectionText {
    /// `HEADER`.
    Header,
    /// `HEADER.FIELDS header-list`: only these fields (names are `astring`; never empty).
    HeaderFields(Vec<IString>),
    /// `HEADER.FIELDS.NOT header-list`: all but these fields (never empty).
    HeaderFieldsNot(Vec<IString>),
    /// `TEXT`.
    Text,
    /// `MIME`: the MIME header of a part; only after a part number.
    Mime,
}

/// `section = "[" [section-spec] "]"` (RFC 3501 §9): `BODY[]`, `BODY[1.2.TEXT]`, ...
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Section {
    part: Vec<NonZeroU32>,
    text: Option<SectionText>,
}

impl Section {
    /// `section-spec = section-msgtext / (section-part ["." section-text])`. Refuses `MIME`
    /// without a part and an empty header list.
    pub fn new(part: Vec<NonZeroU32>, text: Option<SectionText>) -> Result<Self, ValueError> {
        match &text {
            Some(SectionText::Mime) if part.is_empty() => {
                return Err(ValueError::new("section", "MIME needs a part number"));
            }
            Some(SectionText::HeaderFields(v) | SectionText::HeaderFieldsNot(v))
                if v.is_empty() =>
            {
                return Err(ValueError::new("section", "empty header-list"));
            }
            _ => {}
        }
        Ok(Section { part, text })
    }

    /// `[]`: the whole message.
    pub fn full() -> Self {
        Section::default()
    }

    /// `section-part = nz-number *("." nz-number)`: empty for the top level.
    pub fn part(&self) -> &[NonZeroU32] {
        &self.part
    }

    /// The text specifier, if any.
    pub fn text(&self) -> Option<&SectionText> {
        self.text.as_ref()
    }

    pub(crate) fn from_parts_unchecked(part: Vec<NonZeroU32>, text: Option<SectionText>) -> Self {
        Section { part, text }
    }
}

/// `<origin.length>` of `BODY[section]<partial>` (RFC 3501 §6.4.5): `"<" number "." nz-number ">"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Partial {
    /// First octet (0-based).
    pub origin: u32,
    /// Maximum number of octets.
    pub length: NonZeroU32,
}

/// `fetch-att` (RFC 3501 §9).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FetchAttribute {
    /// `ENVELOPE`.
    Envelope,
    /// `FLAGS`.
    Flags,
    /// `INTERNALDATE`.
    InternalDate,
    /// `RFC822` (= `BODY[]`, sets \Seen).
    Rfc822,
    /// `RFC822.HEADER` (= `BODY.PEEK[HEADER]`).
    Rfc822Header,
    /// `RFC822.SIZE`.
    Rfc822Size,
    /// `RFC822.TEXT` (= `BODY[TEXT]`).
    Rfc822Text,
    /// `BODY` (non-extensible BODYSTRUCTURE).
    Body,
    /// `BODYSTRUCTURE`.
    BodyStructure,
    /// `UID`.
    Uid,
    /// `BODY[section]<partial>` or `BODY.PEEK[section]<partial>`.
    BodySection {
        /// `BODY.PEEK` (does not set \Seen).
        peek: bool,
        /// The section.
        section: Section,
        /// `<origin.length>`.
        partial: Option<Partial>,
    },
}

/// The argument of FETCH: a macro or a list of attributes (RFC 3501 §6.4.5).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FetchItems {
    /// `ALL` = `(FLAGS INTERNALDATE RFC822.SIZE ENVELOPE)`.
    All,
    /// `FAST` = `(FLAGS INTERNALDATE RFC822.SIZE)`.
    Fast,
    /// `FULL` = `(FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODY)`.
    Full,
    /// Attributes (never empty); one is written without parentheses.
    Attributes(Vec<FetchAttribute>),
}

impl FetchItems {
    /// The attributes the macro stands for (RFC 3501 §6.4.5).
    pub fn expand(&self) -> Vec<FetchAttribute> {
        use FetchAttribute as A;
        match self {
            FetchItems::All => vec![A::Flags, A::InternalDate, A::Rfc822Size, A::Envelope],
            FetchItems::Fast => vec![A::Flags, A::InternalDate, A::Rfc822Size],
            FetchItems::Full => {
                vec![
                    A::Flags,
                    A::InternalDate,
                    A::Rfc822Size,
                    A::Envelope,
                    A::Body,
                ]
            }
            FetchItems::Attributes(v) => v.clone(),
        }
    }
}

/// One item of `msg-att` in a FETCH response (RFC 3501 §7.4.2, §9 `msg-att-dynamic`,
/// `msg-att-static`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MessageDataItem {
    /// `FLAGS (flag-fetch ...)`.
    Flags(Vec<FlagFetch>),
    /// `ENVELOPE envelope`.
    Envelope(Box<Envelope>),
    /// `INTERNALDATE date-time`.
    InternalDate(DateTime),
    /// `RFC822 nstring`.
    Rfc822(NString),
    /// `RFC822.HEADER nstring`.
    Rfc822Header(NString),
    /// `RFC822.TEXT nstring`.
    Rfc822Text(NString),
    /// `RFC822.SIZE number`.
    Rfc822Size(u32),
    /// `BODY body` (no extension data).
    Body(BodyStructure),
    /// `BODYSTRUCTURE body`.
    BodyStructure(BodyStructure),
    /// `BODY section ["<" number ">"] SP nstring`: the data of a section. A large body handed
    /// in as `Bytes` is written as its own output chunk, never copied.
    BodySection {
        /// The section.
        section: Section,
        /// Origin octet when a partial fetch was asked for.
        origin: Option<u32>,
        /// The data (`NIL` when the section does not exist).
        data: NString,
    },
    /// `UID uniqueid`.
    Uid(NonZeroU32),
}
