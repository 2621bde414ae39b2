//! RFC 2047 encoded words in header text, decoded for SEARCH.

use super::charset;
use super::content::hex;
use base64::Engine as _;

/// Decodes the header value `raw` (already unfolded) to UTF-8: every RFC 2047
/// §2 `encoded-word` (`=?charset?B|Q?text?=`, RFC 2231 §5 `charset*lang`
/// accepted) is replaced by its text, white space between two adjacent
/// encoded words is dropped (RFC 2047 §6.2), and the rest is read as UTF-8 or
/// ISO-8859-1 (raw 8-bit headers, RFC 6532).
///
/// Like most readers, it decodes encoded words wherever they appear (RFC 2047
/// §5 only allows them in some places) and accepts words longer than RFC 2047
/// §2's 75 characters, up to [`MAX_WORD`]; a malformed or longer word stays
/// as written. The bound keeps the work linear: each `=?` looks at most
/// `MAX_WORD` bytes ahead.
pub(crate) fn decode(raw: &[u8]) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut i = 0;
    let mut after_word = false;
    let mut text_start = 0;
    while let Some(p) = raw.get(i..).and_then(|r| memchr::memmem::find(r, b"=?")) {
        let at = i + p;
        match encoded_word(raw, at) {
            Some((decoded, end)) => {
                let gap = &raw[text_start..at];
                if !(after_word && gap.iter().all(|b| matches!(b, b' ' | b'\t'))) {
                    out.push_str(&charset::utf8_or_latin1(gap));
                }
                out.push_str(&decoded);
                i = end;
                text_start = end;
                after_word = true;
            }
            None => i = at + 2,
        }
    }
    out.push_str(&charset::utf8_or_latin1(&raw[text_start..]));
    out
}

/// Longest encoded word decoded, in bytes (RFC 2047 §2 allows 75).
pub(crate) const MAX_WORD: usize = 1024;

/// One `encoded-word` at `raw[start..]`: decoded text and the index after
/// the closing `?=`.
fn encoded_word(raw: &[u8], start: usize) -> Option<(String, usize)> {
    let rest = raw.get(start + 2..(start + MAX_WORD).min(raw.len()))?;
    let q1 = memchr::memchr(b'?', rest)?;
    let cs = &rest[..q1];
    if cs.is_empty() || cs.iter().any(|b| matches!(b, b' ' | b'\t' | b'=')) {
        return None;
    }
    let charset = match memchr::memchr(b'*', cs) {
        Some(star) => &cs[..star],
        None => cs,
    };
    let enc = *rest.get(q1 + 1)?;
    if rest.get(q1 + 2) != Some(&b'?') {
        return None;
    }
    let text_start = q1 + 3;
    let text_len = memchr::memmem::find(rest.get(text_start..)?, b"?=")?;
    let text = &rest[text_start..text_start + text_len];
    if text.iter().any(|b| matches!(b, b' ' | b'\t')) {
        return None;
    }
    let bytes = match enc {
        b'B' | b'b' => base64_lenient(text)?,
        b'Q' | b'q' => q_decode(text),
        _ => return None,
    };
    let end = start + 2 + text_start + text_len + 2;
    Some((charset::decode(&bytes, charset).into_owned(), end))
}

/// RFC 2047 §4.2 "Q" encoding: `_` is space, `=XX` a byte.
fn q_decode(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        match text[i] {
            b'_' => out.push(b' '),
            b'=' => {
                if let (Some(h), Some(l)) = (
                    text.get(i + 1).and_then(|&c| hex(c)),
                    text.get(i + 2).and_then(|&c| hex(c)),
                ) {
                    out.push(h << 4 | l);
                    i += 3;
                    continue;
                }
                out.push(b'=');
            }
            b => out.push(b),
        }
        i += 1;
    }
    out
}

/// RFC 2047 §4.1 "B" encoding, tolerant of missing padding.
fn base64_lenient(text: &[u8]) -> Option<Vec<u8>> {
    let trimmed: Vec<u8> = text.iter().copied().filter(|&b| b != b'=').collect();
    base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(&trimmed)
        .ok()
}

#[cfg(test)]
mod tests {
    use super::decode;

    #[test]
    fn rfc2047_8_examples() {
        assert_eq!(decode(b"=?ISO-8859-1?Q?a?="), "a");
        assert_eq!(decode(b"=?ISO-8859-1?Q?a?= b"), "a b");
        assert_eq!(decode(b"=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?="), "ab");
        assert_eq!(decode(b"=?ISO-8859-1?Q?a?=  =?ISO-8859-1?Q?b?="), "ab");
        assert_eq!(decode(b"=?ISO-8859-1?Q?a?=\t =?ISO-8859-1?Q?b?="), "ab");
        assert_eq!(decode(b"=?ISO-8859-1?Q?a_b?="), "a b");
        assert_eq!(decode(b"=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?="), "a b");
        assert_eq!(decode(b"(=?ISO-8859-1?Q?a?=)"), "(a)");
        assert_eq!(
            decode(b"=?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?="),
            "Keld Jørn Simonsen"
        );
        assert_eq!(decode(b"=?US-ASCII?Q?Keith_Moore?="), "Keith Moore");
    }

    #[test]
    fn base64_words_and_rfc2231_language() {
        assert_eq!(
            decode(b"=?UTF-8?B?SsO8cmdlbiBNw7xsbGVy?= <j@x>"),
            "Jürgen Müller <j@x>"
        );
        assert_eq!(decode(b"=?US-ASCII*EN?Q?Keith_Moore?="), "Keith Moore");
        assert_eq!(decode(b"=?UTF-8?B?w7w?="), "ü");
    }

    #[test]
    fn malformed_words_stay() {
        assert_eq!(decode(b"=?UTF-8?X?abc?="), "=?UTF-8?X?abc?=");
        assert_eq!(decode(b"=?UTF-8?Q?never closed"), "=?UTF-8?Q?never closed");
        assert_eq!(decode(b"a =? b"), "a =? b");
    }

    #[test]
    fn raw_8bit_is_utf8_or_latin1() {
        assert_eq!(decode("Überraschung ☃".as_bytes()), "Überraschung ☃");
        assert_eq!(decode(b"M\xfcller"), "Müller");
    }
}
