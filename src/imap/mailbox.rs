//! Mailbox names (RFC 3501 §5.1, §9 `mailbox`) and LIST patterns (§6.3.8, §9 `list-mailbox`).

use bytes::Bytes;

use super::core::{IString, ValueError};
use super::utf7;

/// `mailbox = "INBOX" / astring` (RFC 3501 §9): the name as sent on the wire (modified UTF-7,
/// §5.1.3). Every case variant of `INBOX` is stored as `INBOX` ("MUST be interpreted as INBOX
/// not as an astring").
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Mailbox(IString);

impl Mailbox {
    /// A mailbox from its wire form (already modified UTF-7); refuses NUL only, like `astring`.
    /// Use [`Mailbox::from_utf8`] for a Unicode name.
    pub fn new(wire: impl Into<Bytes>) -> Result<Self, ValueError> {
        let s = IString::new(wire)?;
        Ok(Self::normalize(s))
    }

    /// The INBOX.
    pub fn inbox() -> Self {
        Mailbox(IString::unvalidated(Bytes::from_static(b"INBOX")))
    }

    /// A mailbox from a Unicode name, encoded to modified UTF-7 (RFC 3501 §5.1.3).
    pub fn from_utf8(name: &str) -> Result<Self, ValueError> {
        Self::new(Bytes::from(utf7::encode(name)))
    }

    pub(crate) fn normalize(s: IString) -> Self {
        if s.as_bytes().eq_ignore_ascii_case(b"INBOX") {
            Mailbox::inbox()
        } else {
            Mailbox(s)
        }
    }

    /// True for INBOX.
    pub fn is_inbox(&self) -> bool {
        self.0.as_bytes() == b"INBOX"
    }

    /// The wire form (modified UTF-7).
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }

    /// The name as an `astring` value.
    pub fn as_istring(&self) -> &IString {
        &self.0
    }

    /// The Unicode name: the wire form decoded from modified UTF-7, refused when malformed.
    pub fn to_utf8(&self) -> Result<String, utf7::Utf7Error> {
        utf7::decode(self.0.as_bytes())
    }
}

/// `list-mailbox = 1*list-char / string` (RFC 3501 §9): a LIST/LSUB pattern, where `*` and `%`
/// are wildcards (§6.3.8). May be empty (`""`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ListMailbox(pub IString);

impl ListMailbox {
    /// A pattern from its wire bytes.
    pub fn new(wire: impl Into<Bytes>) -> Result<Self, ValueError> {
        IString::new(wire).map(ListMailbox)
    }

    /// The pattern bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3501_5_1_inbox_case_insensitive() {
        assert!(Mailbox::new(&b"iNbOx"[..]).unwrap().is_inbox());
        assert_eq!(Mailbox::new(&b"inbox"[..]).unwrap(), Mailbox::inbox());
        assert!(!Mailbox::new(&b"INBOX.foo"[..]).unwrap().is_inbox());
        assert_eq!(Mailbox::from_utf8("台北").unwrap().as_bytes(), b"&U,BTFw-");
    }
}
