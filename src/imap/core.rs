//! Core string types of RFC 3501 §4 and §9: tag, atom, string (quoted or literal), nstring,
//! text, and literals. Every type owns its bytes as [`Bytes`] (no lifetimes) and is checked
//! when built, so a value can always be written to the wire without injecting a CRLF.

use std::fmt;

use bytes::Bytes;

use super::chars::{self, ATOM_CHAR, TAG_CHAR, TEXT_CHAR};

/// A value rejected by a validating constructor.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {what}: {reason}")]
pub struct ValueError {
    /// The type or rule that was being built (`"atom"`, `"tag"`, ...).
    pub what: &'static str,
    /// Why it was refused.
    pub reason: &'static str,
}

impl ValueError {
    pub(crate) const fn new(what: &'static str, reason: &'static str) -> Self {
        ValueError { what, reason }
    }
}

/// Octets of a string that `Debug` shows.
const DEBUG_PREFIX: usize = 64;

macro_rules! bytes_newtype_common {
    ($ty:ident) => {
        impl $ty {
            /// The bytes as they appear on the wire (or, for strings, their content).
            pub fn as_bytes(&self) -> &[u8] {
                &self.0
            }

            /// The content as UTF-8, when it is.
            pub fn as_str(&self) -> Option<&str> {
                std::str::from_utf8(&self.0).ok()
            }

            /// Gives back the owned bytes.
            pub fn into_bytes(self) -> Bytes {
                self.0
            }

            #[allow(dead_code)]
            pub(crate) fn unvalidated(b: Bytes) -> Self {
                $ty(b)
            }
        }

        impl AsRef<[u8]> for $ty {
            fn as_ref(&self) -> &[u8] {
                &self.0
            }
        }

        impl fmt::Debug for $ty {
            /// The first 64 octets and the length: a string may be a message
            /// of megabytes (a FETCH's body, an APPEND), which logs must not carry whole.
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let shown = self.0.get(..DEBUG_PREFIX).unwrap_or(&self.0);
                let text = String::from_utf8_lossy(shown);
                if shown.len() == self.0.len() {
                    write!(f, "{}({:?})", stringify!($ty), text)
                } else {
                    write!(
                        f,
                        "{}({:?}.., {} octets)",
                        stringify!($ty),
                        text,
                        self.0.len()
                    )
                }
            }
        }

        impl TryFrom<&str> for $ty {
            type Error = ValueError;
            fn try_from(s: &str) -> Result<Self, ValueError> {
                $ty::new(Bytes::copy_from_slice(s.as_bytes()))
            }
        }

        impl TryFrom<String> for $ty {
            type Error = ValueError;
            fn try_from(s: String) -> Result<Self, ValueError> {
                $ty::new(Bytes::from(s))
            }
        }

        impl TryFrom<&[u8]> for $ty {
            type Error = ValueError;
            fn try_from(s: &[u8]) -> Result<Self, ValueError> {
                $ty::new(Bytes::copy_from_slice(s))
            }
        }

        impl TryFrom<Vec<u8>> for $ty {
            type Error = ValueError;
            fn try_from(s: Vec<u8>) -> Result<Self, ValueError> {
                $ty::new(Bytes::from(s))
            }
        }

        impl TryFrom<Bytes> for $ty {
            type Error = ValueError;
            fn try_from(s: Bytes) -> Result<Self, ValueError> {
                $ty::new(s)
            }
        }
    };
}

/// `tag = 1*<any ASTRING-CHAR except "+">` (RFC 3501 §9): the client's command identifier.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tag(Bytes);

impl Tag {
    /// Checks `bytes` against the `tag` rule.
    pub fn new(bytes: impl Into<Bytes>) -> Result<Self, ValueError> {
        let b = bytes.into();
        if b.is_empty() {
            return Err(ValueError::new("tag", "empty"));
        }
        if !chars::all(&TAG_CHAR, &b) {
            return Err(ValueError::new("tag", "byte outside ASTRING-CHAR or \"+\""));
        }
        Ok(Tag(b))
    }
}
bytes_newtype_common!(Tag);

/// `atom = 1*ATOM-CHAR` (RFC 3501 §9): keywords, capability names, SASL mechanism names.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Atom(Bytes);

impl Atom {
    /// Checks `bytes` against the `atom` rule.
    pub fn new(bytes: impl Into<Bytes>) -> Result<Self, ValueError> {
        let b = bytes.into();
        if b.is_empty() {
            return Err(ValueError::new("atom", "empty"));
        }
        if !chars::all(&ATOM_CHAR, &b) {
            return Err(ValueError::new("atom", "byte outside ATOM-CHAR"));
        }
        Ok(Atom(b))
    }

    /// Case-insensitive comparison (RFC 3501 §9 note 1).
    pub fn eq_ignore_case(&self, other: &[u8]) -> bool {
        self.0.eq_ignore_ascii_case(other)
    }
}
bytes_newtype_common!(Atom);

/// The content of an IMAP `string` / `astring` (RFC 3501 §4.3, §9): any bytes except NUL
/// (`CHAR8 = %x01-ff`), at most `u32::MAX` long.
///
/// The encoder writes it as an atom (where the rule is `astring` and the bytes allow), a quoted
/// string, or a literal, as its bytes require, so the value keeps only the content: a CR or LF
/// inside forces a literal and can never end a line early.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IString(Bytes);

impl IString {
    /// Checks `bytes` against `*CHAR8` (no NUL, RFC 3501 §9 note 3).
    pub fn new(bytes: impl Into<Bytes>) -> Result<Self, ValueError> {
        let b = bytes.into();
        if memchr::memchr(0, &b).is_some() {
            return Err(ValueError::new("string", "contains NUL"));
        }
        if u32::try_from(b.len()).is_err() {
            return Err(ValueError::new(
                "string",
                "longer than a literal can announce",
            ));
        }
        Ok(IString(b))
    }

    /// The empty string `""`.
    pub fn empty() -> Self {
        IString(Bytes::new())
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True for `""`.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}
bytes_newtype_common!(IString);

impl From<Atom> for IString {
    fn from(a: Atom) -> Self {
        IString(a.0)
    }
}

/// `nstring = string / nil` (RFC 3501 §9): `None` is `NIL`.
pub type NString = Option<IString>;

/// `text = 1*TEXT-CHAR` (RFC 3501 §9): human-readable response text. 7-bit, no CR, LF or
/// NUL, not empty, not starting with `[` (a reader would take it for a response code, so host
/// text could forge `[ALERT]`), and not ending like a literal announcement (`{5}`, `{5+}`, `~{5}`): text
/// ends its line, and a reader frames a line ending in `{n}` as one followed by an n-octet
/// literal (RFC 3501 §4.3), so such text would make the client swallow the bytes of the
/// next response.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Text(Bytes);

impl Text {
    /// Checks `bytes` against the `text` rule.
    pub fn new(bytes: impl Into<Bytes>) -> Result<Self, ValueError> {
        let b = bytes.into();
        if b.is_empty() {
            return Err(ValueError::new(
                "text",
                "empty (RFC 3501 text is 1*TEXT-CHAR)",
            ));
        }
        if !chars::all(&TEXT_CHAR, &b) {
            return Err(ValueError::new("text", "CR, LF, NUL or 8-bit byte"));
        }
        if super::framer::announcement(&b).is_some() {
            return Err(ValueError::new(
                "text",
                "ends like a literal announcement ({n}), which readers frame as one",
            ));
        }
        if b.first() == Some(&b'[') {
            // resp-text = ["[" resp-text-code "]" SP] text (RFC 3501 §9): a reader takes
            // a leading "[" for a response code, so host text could forge "[ALERT]".
            return Err(ValueError::new(
                "text",
                "starts with \"[\", which readers take for a response code",
            ));
        }
        Ok(Text(b))
    }
}
bytes_newtype_common!(Text);

/// How a literal is announced (RFC 3501 §4.3, RFC 7888).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LiteralMode {
    /// `{n}`: the client waits for a `+` continuation before sending the bytes.
    Sync,
    /// `{n+}` (LITERAL+ / LITERAL-, RFC 7888): the bytes follow at once.
    NonSync,
}

/// A literal whose form matters: the APPEND message (RFC 3501 §6.3.11), optionally as
/// `literal8` (`~{n}`, RFC 3516 / RFC 4466).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Literal {
    data: Bytes,
    mode: LiteralMode,
    binary: bool,
}

impl Literal {
    /// A `literal` (`*CHAR8`: NUL refused) announced as `mode`.
    pub fn new(data: impl Into<Bytes>, mode: LiteralMode) -> Result<Self, ValueError> {
        let data = data.into();
        if memchr::memchr(0, &data).is_some() {
            return Err(ValueError::new("literal", "contains NUL (use literal8)"));
        }
        if u32::try_from(data.len()).is_err() {
            return Err(ValueError::new("literal", "longer than u32::MAX"));
        }
        Ok(Literal {
            data,
            mode,
            binary: false,
        })
    }

    /// A `literal8 = "~{" number ["+"] "}" CRLF *OCTET` (RFC 3516 §4.2, RFC 4466): NUL allowed.
    pub fn new_binary(data: impl Into<Bytes>, mode: LiteralMode) -> Result<Self, ValueError> {
        let data = data.into();
        if u32::try_from(data.len()).is_err() {
            return Err(ValueError::new("literal8", "longer than u32::MAX"));
        }
        Ok(Literal {
            data,
            mode,
            binary: true,
        })
    }

    /// The bytes (a slice of the input when parsed; never copied).
    pub fn data(&self) -> &Bytes {
        &self.data
    }

    /// Gives back the bytes.
    pub fn into_data(self) -> Bytes {
        self.data
    }

    /// Synchronizing or not.
    pub fn mode(&self) -> LiteralMode {
        self.mode
    }

    /// True for `literal8` (`~{n}`).
    pub fn is_binary(&self) -> bool {
        self.binary
    }
}

impl fmt::Debug for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Literal")
            .field("len", &self.data.len())
            .field("mode", &self.mode)
            .field("binary", &self.binary)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constructors_reject_injection() {
        assert!(Tag::try_from("A1").is_ok());
        assert!(Tag::try_from("A+1").is_err());
        assert!(Tag::try_from("A\r\n1").is_err());
        assert!(Atom::try_from("\\Seen").is_err());
        assert!(Atom::try_from("AUTH=PLAIN").is_ok());
        assert!(IString::try_from("a\r\nb").is_ok());
        assert!(IString::try_from("a\0b").is_err());
        assert!(Text::try_from("ok\r\n* BYE").is_err());
        assert!(Text::try_from("").is_err());
        assert!(Literal::new(&b"a\0"[..], LiteralMode::Sync).is_err());
        assert!(Literal::new_binary(&b"a\0"[..], LiteralMode::Sync).is_ok());
    }

    /// Issue 9 hygiene: `Debug` of a megabyte string shows its start and length, not the
    /// megabyte.
    #[test]
    fn debug_of_a_long_string_is_short() {
        let big = IString::new(vec![b'm'; 1 << 20]).unwrap();
        let shown = format!("{big:?}");
        assert!(shown.len() < 120, "{shown}");
        assert!(shown.ends_with(", 1048576 octets)"), "{shown}");
        assert_eq!(
            format!("{:?}", IString::try_from("hi").unwrap()),
            "IString(\"hi\")"
        );
    }

    /// Found by the `imap_value_roundtrip` fuzz target: `* PREAUTH x ~{3}` made a reader
    /// wait for a 3-octet literal (RFC 3501 §4.3), swallowing the next response.
    #[test]
    fn rfc3501_4_3_text_cannot_end_in_a_literal_announcement() {
        for t in ["x {3}", "x {3+}", "x ~{3}", "{0}", " 01 ~{3}"] {
            assert!(Text::try_from(t).is_err(), "{t}");
        }
        for t in ["x {3} y", "x {}", "x {a}", "x }", "x {3+1}", "{"] {
            assert!(Text::try_from(t).is_ok(), "{t}");
        }
        assert!(super::super::ExtensionArguments::new(&b" {3}"[..]).is_err());
        assert!(super::super::ExtensionArguments::new(&b" {3} x"[..]).is_ok());
    }

    /// RFC 3501 §9 `resp-text = ["[" resp-text-code "]" SP] text`: host text starting with
    /// `[` would read back as a response code (`* OK [ALERT] ...` forged by a mailbox name
    /// in an error message, say). Found by the `imap_value_roundtrip` fuzz target.
    #[test]
    fn rfc3501_9_text_cannot_start_like_a_response_code() {
        for t in ["[ALERT] you were hacked", "[", "[x"] {
            assert!(Text::try_from(t).is_err(), "{t}");
        }
        for t in ["x [ALERT]", "] x", "x"] {
            assert!(Text::try_from(t).is_ok(), "{t}");
        }
    }
}
