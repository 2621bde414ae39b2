//! Charset conversion to UTF-8 for SEARCH, and the case folding SEARCH uses.
//!
//! pobox has no charset library (the crate keeps its dependency list short):
//! it converts US-ASCII, UTF-8, ISO-8859-1 and windows-1252 (the charsets of
//! most mail, and the cheap ones). Text in any other charset, and bytes that
//! are not valid in their declared charset, are read as UTF-8 when they are
//! valid UTF-8 and as ISO-8859-1 otherwise: every byte then maps to some
//! character, so a search still finds ASCII words in such text.

use std::borrow::Cow;

/// Charsets that [`decode`] converts exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Known {
    Utf8,
    Latin1,
    Windows1252,
    Other,
}

fn classify(label: &[u8]) -> Known {
    let label = trim(label);
    let eq = |s: &str| label.eq_ignore_ascii_case(s.as_bytes());
    if [
        "utf-8",
        "utf8",
        "us-ascii",
        "ascii",
        "ansi_x3.4-1968",
        "iso646-us",
    ]
    .iter()
    .any(|s| eq(s))
    {
        Known::Utf8
    } else if [
        "iso-8859-1",
        "iso8859-1",
        "iso_8859-1",
        "latin1",
        "l1",
        "cp819",
    ]
    .iter()
    .any(|s| eq(s))
    {
        Known::Latin1
    } else if ["windows-1252", "cp1252"].iter().any(|s| eq(s)) {
        Known::Windows1252
    } else {
        Known::Other
    }
}

fn trim(s: &[u8]) -> &[u8] {
    let start = s
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(s.len());
    let end = s
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |p| p + 1);
    s.get(start..end).unwrap_or_default()
}

/// `true` for charset names a SEARCH command may use (RFC 3501 §6.4.4
/// requires US-ASCII; UTF-8 is what clients send). Others get `NO
/// [BADCHARSET]` from the session.
pub(crate) fn search_charset_supported(label: &[u8]) -> bool {
    classify(label) == Known::Utf8
}

/// Converts `bytes` in charset `label` to UTF-8 (see the module docs for
/// the fallback).
pub(crate) fn decode<'a>(bytes: &'a [u8], label: &[u8]) -> Cow<'a, str> {
    match classify(label) {
        Known::Latin1 => latin1(bytes),
        Known::Windows1252 => windows1252(bytes),
        Known::Utf8 | Known::Other => utf8_or_latin1(bytes),
    }
}

/// UTF-8 when valid, ISO-8859-1 otherwise (raw 8-bit header text, RFC 6532).
pub(crate) fn utf8_or_latin1(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => latin1(bytes),
    }
}

fn latin1(bytes: &[u8]) -> Cow<'_, str> {
    if bytes.is_ascii() {
        return Cow::Borrowed(std::str::from_utf8(bytes).unwrap_or_default());
    }
    Cow::Owned(bytes.iter().map(|&b| char::from(b)).collect())
}

/// windows-1252 bytes 0x80..=0x9F (0 where the code page has no character:
/// those stay as the C1 control of ISO-8859-1).
const CP1252_HIGH: [u16; 32] = [
    0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039,
    0x0152, 0, 0x017D, 0, 0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC,
    0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
];

fn windows1252(bytes: &[u8]) -> Cow<'_, str> {
    if bytes.is_ascii() {
        return Cow::Borrowed(std::str::from_utf8(bytes).unwrap_or_default());
    }
    Cow::Owned(
        bytes
            .iter()
            .map(|&b| {
                let mapped = (0x80..=0x9f)
                    .contains(&b)
                    .then(|| CP1252_HIGH[usize::from(b - 0x80)])
                    .filter(|&c| c != 0)
                    .and_then(|c| char::from_u32(u32::from(c)));
                mapped.unwrap_or(char::from(b))
            })
            .collect(),
    )
}

/// The case folding SEARCH applies to both the key and the text.
///
/// RFC 3501 §6.4.4: "The matching is case-insensitive." pobox maps every
/// character to its Unicode lowercase form with the standard library's
/// tables (`char::to_lowercase`), so `ZÜRICH` finds `Zürich` and `Straße`
/// finds `STRAßE`. It does not normalize or decompose: `Andre` does not find
/// `André` and `STRASSE` does not find `Straße`. Dovecot's
/// `i;unicode-casemap` (RFC 5051) also decomposes characters, so there a
/// search for `cafe` finds `café`; that is language-sensitive matching that
/// RFC 9051 §6.4.4 leaves to \[IMAP-I18N\], and it needs Unicode tables the
/// standard library does not have.
pub(crate) fn fold(s: &str) -> String {
    if s.is_ascii() {
        return s.to_ascii_lowercase();
    }
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        out.extend(c.to_lowercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_charsets() {
        assert_eq!(decode(b"caf\xe9", b"ISO-8859-1"), "café");
        assert_eq!(decode(b"\x80 \x93q\x94", b"windows-1252"), "€ “q”");
        assert_eq!(decode("café".as_bytes(), b" utf-8 "), "café");
        assert_eq!(decode(b"caf\xe9", b"us-ascii"), "café");
        assert_eq!(decode(b"plain", b"koi8-r"), "plain");
    }

    #[test]
    fn rfc3501_6_4_4_case_insensitive_fold() {
        assert_eq!(fold("ZÜRICH Straße"), "zürich straße");
        assert_ne!(fold("STRASSE"), fold("straße"));
        assert!(search_charset_supported(b"utf-8"));
        assert!(search_charset_supported(b"US-ASCII"));
        assert!(!search_charset_supported(b"iso-2022-jp"));
    }
}
