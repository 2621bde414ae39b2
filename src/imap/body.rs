//! BODY and BODYSTRUCTURE (RFC 3501 §7.4.2, §9 `body`), with extension data.

use super::core::{IString, NString};
use super::envelope::Envelope;

/// `body = "(" (body-type-1part / body-type-mpart) ")"` (RFC 3501 §9). Nesting is bounded
/// by [`Limits::max_depth`](super::Limits::max_depth) when parsed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum BodyStructure {
    /// `body-type-1part`: one non-multipart part.
    Single {
        /// Type, fields and type-specific data.
        body: Body,
        /// `body-ext-1part` (BODYSTRUCTURE only; `None` for BODY).
        extension: Option<SinglePartExtension>,
    },
    /// `body-type-mpart = 1*body SP media-subtype [SP body-ext-mpart]`.
    Multipart {
        /// The parts (at least one).
        bodies: Vec<BodyStructure>,
        /// `media-subtype`, e.g. `MIXED`.
        subtype: IString,
        /// `body-ext-mpart` (BODYSTRUCTURE only).
        extension: Option<MultipartExtension>,
    },
}

/// A non-multipart body: `body-fields` plus what its media type adds.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Body {
    /// `body-fields`.
    pub fields: BodyFields,
    /// The media type and its type-specific fields.
    pub kind: BodyKind,
}

/// `body-fields = body-fld-param SP body-fld-id SP body-fld-desc SP body-fld-enc SP
/// body-fld-octets` (RFC 3501 §9).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BodyFields {
    /// `body-fld-param`: attribute/value pairs (empty = `NIL`).
    pub params: Vec<(IString, IString)>,
    /// `body-fld-id`: Content-ID.
    pub id: NString,
    /// `body-fld-desc`: Content-Description.
    pub description: NString,
    /// `body-fld-enc`: Content-Transfer-Encoding, e.g. `7BIT`, `BASE64`.
    pub encoding: IString,
    /// `body-fld-octets`: size in octets of the encoded body.
    pub octets: u32,
}

/// The type-specific part of a non-multipart body.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum BodyKind {
    /// `body-type-basic = media-basic SP body-fields`: any type but TEXT and MESSAGE/RFC822.
    Basic {
        /// Media type, e.g. `APPLICATION`.
        media_type: IString,
        /// Media subtype, e.g. `OCTET-STREAM`.
        subtype: IString,
    },
    /// `body-type-text = media-text SP body-fields SP body-fld-lines`.
    Text {
        /// Subtype, e.g. `PLAIN`.
        subtype: IString,
        /// `body-fld-lines`: size in text lines.
        lines: u32,
    },
    /// `body-type-msg = media-message SP body-fields SP envelope SP body SP body-fld-lines`:
    /// MESSAGE/RFC822.
    Message {
        /// Envelope of the encapsulated message.
        envelope: Box<Envelope>,
        /// Structure of the encapsulated message.
        body: Box<BodyStructure>,
        /// `body-fld-lines`.
        lines: u32,
    },
}

/// `body-fld-dsp = "(" string SP body-fld-param ")" / nil` (RFC 3501 §9, RFC 2183).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Disposition {
    /// Disposition type, e.g. `attachment`.
    pub kind: IString,
    /// Parameters (empty = `NIL`).
    pub params: Vec<(IString, IString)>,
}

/// `body-ext-1part = body-fld-md5 [SP body-fld-dsp [SP body-fld-lang [SP body-fld-loc
/// *(SP body-extension)]]]` (RFC 3501 §9).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SinglePartExtension {
    /// `body-fld-md5`: Content-MD5.
    pub md5: NString,
    /// The optional rest, in order.
    pub tail: Option<DispositionTail>,
}

/// `body-ext-mpart = body-fld-param [SP body-fld-dsp [SP body-fld-lang [SP body-fld-loc
/// *(SP body-extension)]]]` (RFC 3501 §9).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MultipartExtension {
    /// `body-fld-param` of the multipart (empty = `NIL`), e.g. the boundary.
    pub params: Vec<(IString, IString)>,
    /// The optional rest, in order.
    pub tail: Option<DispositionTail>,
}

/// `body-fld-dsp [SP body-fld-lang [SP body-fld-loc *(SP body-extension)]]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DispositionTail {
    /// `body-fld-dsp` (`None` = `NIL`).
    pub disposition: Option<Disposition>,
    /// `[SP body-fld-lang ...]`.
    pub tail: Option<LanguageTail>,
}

/// `body-fld-lang [SP body-fld-loc *(SP body-extension)]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LanguageTail {
    /// `body-fld-lang = nstring / "(" string *(SP string) ")"`: empty = `NIL`, one = a string,
    /// more = a list.
    pub languages: Vec<IString>,
    /// `[SP body-fld-loc ...]`.
    pub tail: Option<LocationTail>,
}

/// `body-fld-loc *(SP body-extension)`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LocationTail {
    /// `body-fld-loc`: Content-Location (RFC 2557).
    pub location: NString,
    /// Future `body-extension`s.
    pub extensions: Vec<BodyExtension>,
}

/// `body-extension = nstring / number / "(" body-extension *(SP body-extension) ")"`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum BodyExtension {
    /// `nstring`.
    NString(NString),
    /// `number`.
    Number(u32),
    /// A parenthesised list (never empty).
    List(Vec<BodyExtension>),
}
