//! Header fields (RFC 5322 §2.2): names, raw values, folding.
//!
//! The structure parser records each field as byte ranges into the message;
//! nothing is copied until a caller asks for an unfolded value.

use std::borrow::Cow;
use std::ops::Range;

/// One header field, as ranges into the message bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Field {
    /// The field name (RFC 5322 §3.6.8 `field-name`), without the colon.
    pub(crate) name: Range<usize>,
    /// The raw value after the colon and any leading white space, with its
    /// folding line breaks, without the final line terminator.
    pub(crate) value: Range<usize>,
    /// The whole field including its final line terminator (if any): what
    /// `BODY[HEADER.FIELDS (...)]` returns for it.
    pub(crate) whole: Range<usize>,
}

impl Field {
    /// Case-insensitive name comparison (RFC 5322 §1.2.2: field names are
    /// case-insensitive).
    pub(crate) fn is(&self, buf: &[u8], name: &[u8]) -> bool {
        buf.get(self.name.clone())
            .is_some_and(|n| n.eq_ignore_ascii_case(name))
    }

    /// The raw value bytes (folds included).
    pub(crate) fn raw_value<'a>(&self, buf: &'a [u8]) -> &'a [u8] {
        buf.get(self.value.clone()).unwrap_or_default()
    }

    /// The value with folding removed, truncated to `max` bytes of raw input.
    pub(crate) fn unfolded<'a>(&self, buf: &'a [u8], max: usize) -> Cow<'a, [u8]> {
        let raw = self.raw_value(buf);
        let raw = raw.get(..max).unwrap_or(raw);
        unfold(raw)
    }
}

/// RFC 5322 §2.2.3 unfolding: remove every CRLF (or bare LF) that is
/// followed by white space; other bytes, the white space included, stay.
pub(crate) fn unfold(raw: &[u8]) -> Cow<'_, [u8]> {
    if memchr::memchr(b'\n', raw).is_none() {
        return Cow::Borrowed(raw);
    }
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let b = raw[i];
        if b == b'\r' && raw.get(i + 1) == Some(&b'\n') {
            i += 2;
            continue;
        }
        if b == b'\n' {
            i += 1;
            continue;
        }
        out.push(b);
        i += 1;
    }
    Cow::Owned(out)
}

/// Splits the first line of a field, `line` (without terminator, starting at
/// `start` in the message), into name and value start.
///
/// RFC 5322 §3.6.8: `field-name = 1*ftext`, `ftext = %d33-57 / %d59-126`.
/// Obsolete syntax (RFC 5322 §4.5) allows white space before the colon; it is
/// accepted and not part of the name. Returns `None` for a line that is not a
/// field (no colon, empty name, or bytes outside `ftext` in the name).
pub(crate) fn split_field(line: &[u8], start: usize) -> Option<(Range<usize>, usize)> {
    let colon = memchr::memchr(b':', line)?;
    let name = &line[..colon];
    let name_len = name
        .iter()
        .rposition(|b| !matches!(b, b' ' | b'\t'))
        .map_or(0, |p| p + 1);
    if name_len == 0 || !name[..name_len].iter().all(|b| (33..=126).contains(b)) {
        return None;
    }
    let mut v = colon + 1;
    while matches!(line.get(v), Some(b' ' | b'\t')) {
        v += 1;
    }
    Some((start..start + name_len, start + v))
}

/// The first field called `name` among `fields`.
pub(crate) fn find<'f>(fields: &'f [Field], buf: &[u8], name: &[u8]) -> Option<&'f Field> {
    fields.iter().find(|f| f.is(buf, name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc5322_2_2_3_unfolding_removes_only_line_breaks() {
        assert_eq!(
            &*unfold(b"This is a folded\r\n  subject\n\tline"),
            b"This is a folded  subject\tline"
        );
        assert_eq!(&*unfold(b"plain  "), b"plain  ");
    }

    #[test]
    fn rfc5322_3_6_8_field_name_split() {
        assert_eq!(split_field(b"Subject: hi", 10), Some((10..17, 19)));
        assert_eq!(split_field(b"Subject  :hi", 0), Some((0..7, 10)));
        assert_eq!(split_field(b"no colon here", 0), None);
        assert_eq!(split_field(b": empty name", 0), None);
        assert_eq!(split_field(b"bad name: x", 0), None);
    }
}
