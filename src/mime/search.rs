//! SEARCH evaluation (RFC 3501 §6.4.4) for hosts without a search index.
//!
//! The host gives, for each message, what it stores: the parsed
//! [`Message`], its flags, its internal date and its numbers; [`matches()`]
//! says whether the message satisfies a [`SearchKey`]. Text keys (`BODY`,
//! `TEXT`, `SUBJECT`, `HEADER`...) match case-insensitively on decoded text:
//! RFC 2047 words in headers, base64 and quoted-printable bodies, charsets
//! US-ASCII, UTF-8, ISO-8859-1 and windows-1252 (others are read as UTF-8
//! or ISO-8859-1).
//!
//! # Case folding
//! RFC 3501 §6.4.4: "The matching is case-insensitive." pobox maps both the
//! key and the text to Unicode lowercase with the standard library's tables
//! (`char::to_lowercase`), so `ZÜRICH` finds `Zürich`. It does not normalize
//! or decompose: `STRASSE` does not find `Straße`, and `Andre` does not find
//! `André`. Dovecot (`i;unicode-casemap`, RFC 5051) also decomposes, so
//! there `cafe` finds `café`; that is language-sensitive matching, which
//! RFC 9051 §6.4.4 leaves to \[IMAP-I18N\], and it needs Unicode tables that
//! the standard library does not have (pobox takes no dependency for them).
//!
//! # Which text is searched
//! Like Dovecot: `BODY` searches the decoded text/* parts at any depth
//! (attachments of other types, MIME headers, preambles and epilogues are
//! not searched); `TEXT` adds every header field of every part;
//! `FROM`/`TO`/`CC`/`BCC`/`SUBJECT`/`HEADER` search the top-level fields of
//! that name, unfolded and RFC 2047-decoded. SENT* keys use the `Date:`
//! field's calendar date; a message without a readable one matches none.
//!
//! ```
//! use bytes::Bytes;
//! use pobox::imap::{DateTime, Date, IString, SearchKey};
//! use pobox::mime::{Message, search};
//!
//! # fn main() -> Result<(), pobox::imap::ValueError> {
//! let msg = Message::parse(Bytes::from_static(b"Subject: Lunch?\n\nNoodles at noon.\n"));
//! let ctx = search::MessageContext {
//!     seq: 1,
//!     uid: 7,
//!     largest_seq: 1,
//!     largest_uid: 7,
//!     flags: &[],
//!     recent: false,
//!     internal_date: DateTime::new(Date::new(2024, 5, 1)?, 12, 0, 0, 0)?,
//! };
//! let key = SearchKey::Body(IString::new("NOODLES")?);
//! assert!(search::matches(&key, &msg, &ctx));
//! # Ok(())
//! # }
//! ```

use crate::imap::{Date, DateTime, Flag, SearchKey};

use super::Message;
use super::charset;
use super::date::{self, Ymd};
use super::text::Texts;

/// Deepest `NOT` / `OR` / parenthesis nesting evaluated. The codec already
/// bounds the nesting of parsed keys; a key built by hand that nests deeper
/// than this matches no message (rather than overflowing the stack).
pub const MAX_KEY_DEPTH: usize = 256;

/// What the host knows about a message besides its bytes.
#[derive(Debug, Clone, Copy)]
pub struct MessageContext<'a> {
    /// Message sequence number (RFC 3501 §2.3.1.2).
    pub seq: u32,
    /// Unique identifier (RFC 3501 §2.3.1.1).
    pub uid: u32,
    /// Number of messages in the mailbox: what `*` means in a sequence set.
    pub largest_seq: u32,
    /// Largest UID in the mailbox: what `*` means in a `UID` set.
    pub largest_uid: u32,
    /// The message's flags and keywords (`\Recent` is `recent`).
    pub flags: &'a [Flag],
    /// Whether the message is `\Recent` in this session (RFC 3501 §2.3.2).
    pub recent: bool,
    /// The internal date (RFC 3501 §2.3.3).
    pub internal_date: DateTime,
}

/// `true` when `charset`, as given in `SEARCH CHARSET`, is one pobox can
/// search with (US-ASCII and UTF-8). For any other, RFC 3501 §6.4.4 asks for
/// `NO [BADCHARSET]`.
pub fn charset_supported(charset: &[u8]) -> bool {
    charset::search_charset_supported(charset)
}

/// Whether `msg`, with the facts in `ctx`, satisfies `key` (RFC 3501
/// §6.4.4). String arguments are taken as UTF-8 (US-ASCII is a subset); see
/// [`charset_supported`].
pub fn matches(key: &SearchKey, msg: &Message, ctx: &MessageContext<'_>) -> bool {
    let texts = Texts::new(msg);
    Eval {
        msg,
        ctx,
        texts: &texts,
    }
    .eval(key, 0)
    .unwrap_or(false)
}

struct Eval<'a, 'm> {
    msg: &'m Message,
    ctx: &'a MessageContext<'a>,
    texts: &'a Texts<'m>,
}

fn needle(s: &[u8]) -> String {
    charset::fold(&charset::utf8_or_latin1(s))
}

fn ymd(d: Date) -> Ymd {
    Ymd {
        year: u32::from(d.year()),
        month: u32::from(d.month()),
        day: u32::from(d.day()),
    }
}

impl Eval<'_, '_> {
    fn has_flag(&self, f: &Flag) -> bool {
        self.ctx.flags.iter().any(|g| match (f, g) {
            (Flag::Keyword(a), Flag::Keyword(b)) | (Flag::Extension(a), Flag::Extension(b)) => {
                a.eq_ignore_case(b.as_bytes())
            }
            _ => f == g,
        })
    }

    fn internal(&self) -> Ymd {
        ymd(self.ctx.internal_date.date())
    }

    /// The `Date:` header's calendar date; `None` when absent or unreadable,
    /// and then no SENT* key matches (RFC 3501 §6.4.4 defines them on the
    /// Date: header only; Dovecot instead treats such a message as sent in
    /// 1970).
    fn sent(&self) -> Option<Ymd> {
        let root = self.msg.entities.first()?;
        let f = super::header::find(&root.fields, &self.msg.bytes, b"Date")?;
        date::parse_date(&f.unfolded(&self.msg.bytes, self.msg.limits.max_field_bytes))
    }

    fn header(&self, name: &[u8], s: &[u8]) -> bool {
        self.texts.header_contains(name, &needle(s))
    }

    /// `None` when the key nests deeper than [`MAX_KEY_DEPTH`].
    fn eval(&self, key: &SearchKey, depth: usize) -> Option<bool> {
        if depth > MAX_KEY_DEPTH {
            return None;
        }
        use SearchKey as K;
        let ctx = self.ctx;
        Some(match key {
            K::All => true,
            K::Answered => self.has_flag(&Flag::Answered),
            K::Deleted => self.has_flag(&Flag::Deleted),
            K::Draft => self.has_flag(&Flag::Draft),
            K::Flagged => self.has_flag(&Flag::Flagged),
            K::Seen => self.has_flag(&Flag::Seen),
            K::Unanswered => !self.has_flag(&Flag::Answered),
            K::Undeleted => !self.has_flag(&Flag::Deleted),
            K::Undraft => !self.has_flag(&Flag::Draft),
            K::Unflagged => !self.has_flag(&Flag::Flagged),
            K::Unseen => !self.has_flag(&Flag::Seen),
            K::Keyword(k) => self.has_flag(&Flag::Keyword(k.clone())),
            K::Unkeyword(k) => !self.has_flag(&Flag::Keyword(k.clone())),
            K::Recent => ctx.recent,
            K::New => ctx.recent && !self.has_flag(&Flag::Seen),
            K::Old => !ctx.recent,
            K::Before(d) => self.internal() < ymd(*d),
            K::On(d) => self.internal() == ymd(*d),
            K::Since(d) => self.internal() >= ymd(*d),
            K::SentBefore(d) => self.sent().is_some_and(|s| s < ymd(*d)),
            K::SentOn(d) => self.sent().is_some_and(|s| s == ymd(*d)),
            K::SentSince(d) => self.sent().is_some_and(|s| s >= ymd(*d)),
            K::Larger(n) => self.msg.rfc822_size() > u64::from(*n),
            K::Smaller(n) => self.msg.rfc822_size() < u64::from(*n),
            K::From(s) => self.header(b"From", s.as_bytes()),
            K::To(s) => self.header(b"To", s.as_bytes()),
            K::Cc(s) => self.header(b"Cc", s.as_bytes()),
            K::Bcc(s) => self.header(b"Bcc", s.as_bytes()),
            K::Subject(s) => self.header(b"Subject", s.as_bytes()),
            K::Header(name, s) => self.header(name.as_bytes(), s.as_bytes()),
            K::Body(s) => self.texts.body_contains(&needle(s.as_bytes())),
            K::Text(s) => self.texts.text_contains(&needle(s.as_bytes())),
            K::SequenceSet(set) => set.contains(ctx.seq, ctx.largest_seq),
            K::Uid(set) => set.contains(ctx.uid, ctx.largest_uid),
            K::Not(k) => !self.eval(k, depth + 1)?,
            K::Or(a, b) => self.eval(a, depth + 1)? || self.eval(b, depth + 1)?,
            K::And(keys) => {
                for k in keys {
                    if !self.eval(k, depth + 1)? {
                        return Some(false);
                    }
                }
                true
            }
        })
    }
}
