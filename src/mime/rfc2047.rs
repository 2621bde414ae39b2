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
    let window = raw.get(start..(start + MAX_WORD).min(raw.len()))?;
    let (rest, word) = grammar::encoded_word(window).ok()?;
    Some((word, start + window.len() - rest.len()))
}

/// The `encoded-word` of RFC 2047 §2 as nom 8 parsers, one function per ABNF rule.
mod grammar {
    use nom::bytes::complete::{tag, take_till1, take_until};
    use nom::combinator::verify;
    use nom::number::complete::u8 as octet;
    use nom::sequence::terminated;
    use nom::{IResult, Parser};

    /// No SP or HTAB: RFC 2047 §2 "an 'encoded-word' may not ... contain white space".
    fn no_space(s: &&[u8]) -> bool {
        !s.iter().any(|b| matches!(b, b' ' | b'\t'))
    }

    /// `charset = token` (RFC 2047 §2), with the RFC 2231 §5 language suffix
    /// (`charset "*" language`) dropped: the bytes before the next `?`.
    fn charset(i: &[u8]) -> IResult<&[u8], &[u8]> {
        let (rest, cs) = verify(take_till1(|b| b == b'?'), |cs: &[u8]| {
            no_space(&cs) && !cs.contains(&b'=')
        })
        .parse(i)?;
        let charset = cs.split(|&b| b == b'*').next().unwrap_or(cs);
        Ok((rest, charset))
    }

    /// `encoding = token` (RFC 2047 §2): one octet, `B` or `Q` in either case (checked
    /// by the caller).
    fn encoding(i: &[u8]) -> IResult<&[u8], u8> {
        octet(i)
    }

    /// `encoded-text = 1*<Any printable ASCII character other than "?" or SPACE>`
    /// (RFC 2047 §2), up to the `?=` that ends the word.
    fn encoded_text(i: &[u8]) -> IResult<&[u8], &[u8]> {
        verify(take_until(&b"?="[..]), no_space).parse(i)
    }

    /// `encoded-word = "=?" charset "?" encoding "?" encoded-text "?="` (RFC 2047 §2),
    /// decoded to UTF-8.
    pub(super) fn encoded_word(i: &[u8]) -> IResult<&[u8], String> {
        let (i, _) = tag(&b"=?"[..])(i)?;
        let (i, charset) = terminated(charset, tag(&b"?"[..])).parse(i)?;
        let (i, enc) = terminated(encoding, tag(&b"?"[..])).parse(i)?;
        let (i, text) = terminated(encoded_text, tag(&b"?="[..])).parse(i)?;
        let bytes = match enc {
            b'B' | b'b' => super::base64_lenient(text),
            b'Q' | b'q' => Some(super::q_decode(text)),
            _ => None,
        };
        match bytes {
            Some(bytes) => Ok((i, super::charset::decode(&bytes, charset).into_owned())),
            None => Err(nom::Err::Error(nom::error::Error::new(
                i,
                nom::error::ErrorKind::Verify,
            ))),
        }
    }
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
