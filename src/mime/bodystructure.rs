//! BODY and BODYSTRUCTURE (RFC 3501 §7.4.2) from the parsed structure.

use crate::imap::{
    Body, BodyFields, BodyKind, BodyStructure, Disposition, DispositionTail, IString, LanguageTail,
    LocationTail, MultipartExtension, NString, SinglePartExtension,
};

use super::content::{self, Param};
use super::envelope::{envelope, istring};
use super::header;
use super::limits::Limits;
use super::scan::LineIndex;
use super::structure::{Entity, Kind};

/// What [`build`] needs from the message.
pub(crate) struct Ctx<'a> {
    pub(crate) buf: &'a [u8],
    pub(crate) entities: &'a [Entity],
    pub(crate) index: &'a LineIndex,
    pub(crate) limits: &'a Limits,
    /// BODYSTRUCTURE (with extension data) rather than BODY.
    pub(crate) extensions: bool,
}

fn sat_u32(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn params(ps: &[Param]) -> Vec<(IString, IString)> {
    ps.iter()
        .map(|p| (istring(&p.name), istring(&p.value)))
        .collect()
}

impl Ctx<'_> {
    fn text_field(&self, e: &Entity, name: &[u8]) -> NString {
        header::find(&e.fields, self.buf, name)
            .map(|f| istring(&f.unfolded(self.buf, self.limits.max_field_bytes)))
    }

    /// The body structure of entity `idx` (RFC 3501 §9 `body`). The walk is
    /// iterative over depth only through recursion bounded by
    /// `Limits::max_depth`, since the parser never nests deeper.
    pub(crate) fn build(&self, idx: usize) -> BodyStructure {
        let Some(e) = self.entities.get(idx) else {
            return self.empty_text();
        };
        match &e.kind {
            Kind::Multipart(children) if !e.degraded => {
                let bodies = children.iter().map(|&c| self.build(c)).collect();
                let extension = self.extensions.then(|| MultipartExtension {
                    params: params(&e.content_type.params),
                    tail: Some(self.disposition_tail(e)),
                });
                BodyStructure::Multipart {
                    bodies,
                    subtype: istring(&e.content_type.subtype),
                    extension,
                }
            }
            _ => self.single(e),
        }
    }

    fn empty_text(&self) -> BodyStructure {
        BodyStructure::Single {
            body: Body {
                fields: BodyFields {
                    params: vec![(istring(b"charset"), istring(b"us-ascii"))],
                    id: None,
                    description: None,
                    encoding: istring(b"7bit"),
                    octets: 0,
                },
                kind: BodyKind::Text {
                    subtype: istring(b"plain"),
                    lines: 0,
                },
            },
            extension: None,
        }
    }

    fn single(&self, e: &Entity) -> BodyStructure {
        let ct = &e.content_type;
        let octets = sat_u32(self.index.wire_len(self.buf, &e.body));
        let lines = || sat_u32(self.index.lines(self.buf, &e.body));
        let mut ps = params(&ct.params);
        let encoding = header::find(&e.fields, self.buf, b"Content-Transfer-Encoding")
            .and_then(|f| content::single_token(&f.unfolded(self.buf, self.limits.max_field_bytes)))
            .map_or_else(|| istring(b"7bit"), |t| istring(&t));
        let kind = if e.degraded {
            ps.clear();
            BodyKind::Basic {
                media_type: istring(b"application"),
                subtype: istring(b"octet-stream"),
            }
        } else if let Kind::Message(child) = e.kind {
            let env = self
                .entities
                .get(child)
                .map(|c| envelope(self.buf, &c.fields, self.limits))
                .unwrap_or_default();
            BodyKind::Message {
                envelope: Box::new(env),
                body: Box::new(self.build(child)),
                lines: lines(),
            }
        } else if ct.is_type(b"text") {
            // RFC 2046 §4.1.2: the default charset of text/* is US-ASCII;
            // listing it saves clients from guessing.
            if ct.param(b"charset").is_none() {
                ps.push((istring(b"charset"), istring(b"us-ascii")));
            }
            BodyKind::Text {
                subtype: istring(&ct.subtype),
                lines: lines(),
            }
        } else {
            BodyKind::Basic {
                media_type: istring(&ct.mtype),
                subtype: istring(&ct.subtype),
            }
        };
        let fields = BodyFields {
            params: ps,
            id: self.text_field(e, b"Content-ID"),
            description: self.text_field(e, b"Content-Description"),
            encoding,
            octets,
        };
        let extension = self.extensions.then(|| SinglePartExtension {
            md5: self.text_field(e, b"Content-MD5"),
            tail: Some(self.disposition_tail(e)),
        });
        BodyStructure::Single {
            body: Body { fields, kind },
            extension,
        }
    }

    /// `body-fld-dsp`, `body-fld-lang`, `body-fld-loc` (RFC 3501 §9), always
    /// all three (NIL where absent), as Dovecot sends them.
    fn disposition_tail(&self, e: &Entity) -> DispositionTail {
        let max = self.limits.max_field_bytes;
        let disposition = header::find(&e.fields, self.buf, b"Content-Disposition")
            .and_then(|f| content::disposition(&f.unfolded(self.buf, max), self.limits.max_params))
            .map(|d| Disposition {
                kind: istring(&d.kind),
                params: params(&d.params),
            });
        let languages = header::find(&e.fields, self.buf, b"Content-Language")
            .map(|f| {
                content::language_list(&f.unfolded(self.buf, max), self.limits.max_params)
                    .iter()
                    .map(|l| istring(l))
                    .collect()
            })
            .unwrap_or_default();
        DispositionTail {
            disposition,
            tail: Some(LanguageTail {
                languages,
                tail: Some(LocationTail {
                    location: self.text_field(e, b"Content-Location"),
                    extensions: Vec::new(),
                }),
            }),
        }
    }
}
