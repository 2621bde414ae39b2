//! Content-Type, Content-Disposition and their parameters (RFC 2045 §5.1,
//! RFC 2183 §2, RFC 2231 §3-§4), as BODYSTRUCTURE reports them.

/// A parameter as BODYSTRUCTURE lists it (RFC 3501 `body-fld-param`):
/// name and value bytes, case kept as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Param {
    pub(crate) name: Vec<u8>,
    pub(crate) value: Vec<u8>,
}

/// A parsed `Content-Type` (RFC 2045 §5.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ContentType {
    pub(crate) mtype: Vec<u8>,
    pub(crate) subtype: Vec<u8>,
    pub(crate) params: Vec<Param>,
}

impl ContentType {
    /// RFC 2045 §5.2 default: `text/plain; charset=us-ascii`.
    pub(crate) fn default_text() -> ContentType {
        ContentType {
            mtype: b"text".to_vec(),
            subtype: b"plain".to_vec(),
            params: vec![Param {
                name: b"charset".to_vec(),
                value: b"us-ascii".to_vec(),
            }],
        }
    }

    /// RFC 2046 §5.1.5 default inside multipart/digest: `message/rfc822`.
    pub(crate) fn default_message() -> ContentType {
        ContentType {
            mtype: b"message".to_vec(),
            subtype: b"rfc822".to_vec(),
            params: Vec::new(),
        }
    }

    pub(crate) fn is(&self, mtype: &[u8], subtype: &[u8]) -> bool {
        self.mtype.eq_ignore_ascii_case(mtype) && self.subtype.eq_ignore_ascii_case(subtype)
    }

    pub(crate) fn is_type(&self, mtype: &[u8]) -> bool {
        self.mtype.eq_ignore_ascii_case(mtype)
    }

    /// The first parameter called `name` (case-insensitive, RFC 2045 §5.1).
    pub(crate) fn param(&self, name: &[u8]) -> Option<&[u8]> {
        param(&self.params, name)
    }
}

/// The first parameter called `name` (case-insensitive) in `params`.
pub(crate) fn param<'p>(params: &'p [Param], name: &[u8]) -> Option<&'p [u8]> {
    params
        .iter()
        .find(|p| p.name.eq_ignore_ascii_case(name))
        .map(|p| p.value.as_slice())
}

/// A parsed `Content-Disposition` (RFC 2183 §2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Disposition {
    pub(crate) kind: Vec<u8>,
    pub(crate) params: Vec<Param>,
}

/// RFC 2045 §5.1 `tspecials`.
fn is_tspecial(b: u8) -> bool {
    matches!(
        b,
        b'(' | b')'
            | b'<'
            | b'>'
            | b'@'
            | b','
            | b';'
            | b':'
            | b'\\'
            | b'"'
            | b'/'
            | b'['
            | b']'
            | b'?'
            | b'='
    )
}

/// RFC 2045 §5.1 `token := 1*<any (US-ASCII) CHAR except SPACE, CTLs, or
/// tspecials>`; 8-bit bytes are accepted as token bytes (real mail has them).
fn is_token_byte(b: u8) -> bool {
    b > b' ' && b != 0x7f && !is_tspecial(b)
}

/// Skips RFC 5322 §3.2.2 `CFWS`: white space, line breaks and comments
/// (nested, with quoted-pairs). An unclosed comment runs to the end.
pub(crate) fn skip_cfws(s: &[u8], mut i: usize) -> usize {
    loop {
        match s.get(i) {
            Some(b' ' | b'\t' | b'\r' | b'\n') => i += 1,
            Some(b'(') => i = skip_comment(s, i),
            _ => return i,
        }
    }
}

/// Skips one comment starting at `s[i] == '('`; returns the index after it.
pub(crate) fn skip_comment(s: &[u8], mut i: usize) -> usize {
    let mut depth = 0usize;
    while let Some(&b) = s.get(i) {
        i += 1;
        match b {
            b'\\' => i += 1,
            b'(' => depth += 1,
            b')' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i.min(s.len());
                }
            }
            _ => {}
        }
    }
    s.len()
}

/// RFC 2045 §5.1 `token`, returned with the index after it.
fn token(s: &[u8], i: usize) -> Option<(&[u8], usize)> {
    let len = s
        .get(i..)?
        .iter()
        .take_while(|&&b| is_token_byte(b))
        .count();
    (len > 0).then(|| (&s[i..i + len], i + len))
}

/// RFC 5322 §3.2.4 `quoted-string` starting at `s[i] == '"'`: the content
/// with quoted-pairs resolved, and the index after the closing quote. An
/// unterminated string runs to the end of the value.
pub(crate) fn quoted_string(s: &[u8], i: usize) -> (Vec<u8>, usize) {
    let mut out = Vec::new();
    let mut j = i + 1;
    while let Some(&b) = s.get(j) {
        match b {
            b'"' => return (out, j + 1),
            b'\\' => {
                if let Some(&n) = s.get(j + 1) {
                    out.push(n);
                }
                j += 2;
            }
            b'\r' | b'\n' => j += 1,
            _ => {
                out.push(b);
                j += 1;
            }
        }
    }
    (out, s.len())
}

/// A parameter as written, before RFC 2231 continuations are joined.
#[derive(Debug)]
struct RawParam {
    name: Vec<u8>,
    value: Vec<u8>,
}

/// RFC 2045 §5.1 `*(";" parameter)` with `parameter := attribute "=" value`,
/// `value := token / quoted-string`. Lenient where real mail is: comments
/// anywhere, white space around `=`, a trailing `;`, unquoted values holding
/// tspecials (read up to the next `;` or white space). A broken parameter is
/// skipped up to the next `;`. At most `max` parameters are read.
fn parameters(s: &[u8], mut i: usize, max: usize) -> Vec<RawParam> {
    let mut out = Vec::new();
    loop {
        i = skip_cfws(s, i);
        match s.get(i) {
            None => return out,
            Some(b';') => {
                i += 1;
                continue;
            }
            Some(_) => {}
        }
        if out.len() >= max {
            return out;
        }
        let Some((name, after)) = token(s, i) else {
            i = skip_past(s, i, b';');
            continue;
        };
        i = skip_cfws(s, after);
        if s.get(i) != Some(&b'=') {
            i = skip_past(s, i, b';');
            continue;
        }
        i = skip_cfws(s, i + 1);
        let value = match s.get(i) {
            Some(b'"') => {
                let (v, after) = quoted_string(s, i);
                i = after;
                v
            }
            Some(_) => {
                let len = s[i..]
                    .iter()
                    .take_while(|&&b| !matches!(b, b';' | b' ' | b'\t' | b'\r' | b'\n' | b'('))
                    .count();
                let v = s[i..i + len].to_vec();
                i += len;
                v
            }
            None => Vec::new(),
        };
        out.push(RawParam {
            name: name.to_vec(),
            value,
        });
    }
}

fn skip_past(s: &[u8], i: usize, b: u8) -> usize {
    match s.get(i..).and_then(|r| memchr::memchr(b, r)) {
        Some(p) => i + p + 1,
        None => s.len(),
    }
}

/// Parses a `Content-Type` value (unfolded). `None` when it is not
/// `type "/" subtype` (RFC 2045 §5.2 then asks for the default).
pub(crate) fn content_type(s: &[u8], max_params: usize) -> Option<ContentType> {
    let i = skip_cfws(s, 0);
    let (mtype, i) = token(s, i)?;
    let i = skip_cfws(s, i);
    if s.get(i) != Some(&b'/') {
        return None;
    }
    let i = skip_cfws(s, i + 1);
    let (subtype, i) = token(s, i)?;
    let i = skip_cfws(s, i);
    if !matches!(s.get(i), None | Some(b';')) {
        return None;
    }
    Some(ContentType {
        mtype: mtype.to_vec(),
        subtype: subtype.to_vec(),
        params: join_continuations(parameters(s, i, max_params)),
    })
}

/// Parses a `Content-Disposition` value (RFC 2183 §2:
/// `disposition := "Content-Disposition" ":" disposition-type
/// *(";" disposition-parm)`). `None` when there is no type token.
pub(crate) fn disposition(s: &[u8], max_params: usize) -> Option<Disposition> {
    let i = skip_cfws(s, 0);
    let (kind, i) = token(s, i)?;
    Some(Disposition {
        kind: kind.to_vec(),
        params: join_continuations(parameters(s, i, max_params)),
    })
}

/// The single token of a `Content-Transfer-Encoding` value (RFC 2045 §6.1),
/// comments removed; `None` when empty or malformed.
pub(crate) fn single_token(s: &[u8]) -> Option<Vec<u8>> {
    let i = skip_cfws(s, 0);
    let (t, _) = token(s, i)?;
    Some(t.to_vec())
}

/// `Content-Language` (RFC 3282 §2): a comma-separated list of tags,
/// comments removed.
pub(crate) fn language_list(s: &[u8], max: usize) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < s.len() && out.len() < max {
        i = skip_cfws(s, i);
        let len = s[i..]
            .iter()
            .take_while(|&&b| !matches!(b, b',' | b' ' | b'\t' | b'\r' | b'\n' | b'('))
            .count();
        if len > 0 {
            out.push(s[i..i + len].to_vec());
        }
        i = skip_cfws(s, i + len);
        if s.get(i) == Some(&b',') || len == 0 {
            i += 1;
        }
    }
    out
}

/// RFC 2231 §4.1 `attribute-char`: what an extended value may hold unescaped.
fn is_attribute_char(b: u8) -> bool {
    is_token_byte(b) && b < 0x80 && !matches!(b, b'*' | b'\'' | b'%')
}

/// Joins RFC 2231 §3 continuations (`name*0`, `name*1*`, ...) into one
/// parameter, keeping the value encoded:
///
/// - only unextended sections (`name*0="a"; name*1="b"`) become `name "ab"`;
/// - if any section is extended, the result is `name* "charset'lang'..."`: the
///   first section's `charset'lang'` prefix is kept (`''` when the first
///   section is not extended) and unextended sections are percent-encoded
///   (RFC 2231 §4.1 `extended-other-values` only allows `attribute-char` and
///   `%XX`), so the joined value is still a valid RFC 2231 extended value.
///
/// Sections are sorted by number (they may arrive in any order, RFC 2231 §3);
/// a repeated section number keeps its first occurrence. The joined parameter
/// takes the place of the first section seen. IMAP4rev1 (RFC 3501 §7.4.2)
/// predates RFC 2231 and has no way to send decoded 8-bit values, so the
/// encoded form is what clients expect in BODYSTRUCTURE.
fn join_continuations(raw: Vec<RawParam>) -> Vec<Param> {
    struct Group {
        attr: Vec<u8>,
        slot: usize,
        sections: Vec<(u32, bool, Vec<u8>)>,
    }
    let mut out: Vec<Option<Param>> = Vec::with_capacity(raw.len());
    let mut groups: Vec<Group> = Vec::new();
    for p in raw {
        let Some((attr, number, extended)) = split_section(&p.name) else {
            out.push(Some(Param {
                name: p.name,
                value: p.value,
            }));
            continue;
        };
        let attr = attr.to_vec();
        match groups
            .iter_mut()
            .find(|g| g.attr.eq_ignore_ascii_case(&attr))
        {
            Some(g) => g.sections.push((number, extended, p.value)),
            None => {
                groups.push(Group {
                    attr,
                    slot: out.len(),
                    sections: vec![(number, extended, p.value)],
                });
                out.push(None);
            }
        }
    }
    for mut g in groups {
        g.sections.sort_by_key(|s| s.0);
        g.sections.dedup_by_key(|s| s.0);
        let any_extended = g.sections.iter().any(|s| s.1);
        let mut value = Vec::new();
        let mut name = g.attr;
        if any_extended {
            name.push(b'*');
            let first_extended = g.sections.first().is_some_and(|s| s.0 == 0 && s.1);
            if !first_extended {
                value.extend_from_slice(b"''");
            }
            for (_, extended, v) in &g.sections {
                if *extended {
                    value.extend_from_slice(v);
                } else {
                    percent_encode(v, &mut value);
                }
            }
        } else {
            for (_, _, v) in &g.sections {
                value.extend_from_slice(v);
            }
        }
        if let Some(slot) = out.get_mut(g.slot) {
            *slot = Some(Param { name, value });
        }
    }
    out.into_iter().flatten().collect()
}

/// `name*N` / `name*N*` -> (`name`, N, extended). `name*` alone (RFC 2231 §4
/// without continuation) and plain names are not sections.
fn split_section(name: &[u8]) -> Option<(&[u8], u32, bool)> {
    let (body, extended) = match name.strip_suffix(b"*") {
        Some(b) => (b, true),
        None => (name, false),
    };
    let star = memchr::memrchr(b'*', body)?;
    let digits = &body[star + 1..];
    if digits.is_empty() || digits.len() > 4 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = digits
        .iter()
        .fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'));
    Some((&body[..star], n, extended))
}

fn percent_encode(v: &[u8], out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in v {
        if is_attribute_char(b) {
            out.push(b);
        } else {
            out.extend_from_slice(&[b'%', HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]);
        }
    }
}

/// Decodes an RFC 2231 §4 extended value `charset'language'%XX...` to text.
/// Unknown charsets fall back as in [`super::charset::decode`].
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) fn decode_extended(v: &[u8]) -> String {
    let mut parts = v.splitn(3, |&b| b == b'\'');
    let (charset, _lang, text) = match (parts.next(), parts.next(), parts.next()) {
        (Some(c), Some(l), Some(t)) => (c, l, t),
        _ => (&b""[..], &b""[..], v),
    };
    let mut bytes = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        if text[i] == b'%' {
            if let (Some(h), Some(l)) = (
                text.get(i + 1).and_then(|&c| hex(c)),
                text.get(i + 2).and_then(|&c| hex(c)),
            ) {
                bytes.push(h << 4 | l);
                i += 3;
                continue;
            }
        }
        bytes.push(text[i]);
        i += 1;
    }
    super::charset::decode(&bytes, charset).into_owned()
}

pub(crate) fn hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(ct: &ContentType) -> Vec<(String, String)> {
        ct.params
            .iter()
            .map(|p| {
                (
                    String::from_utf8_lossy(&p.name).into_owned(),
                    String::from_utf8_lossy(&p.value).into_owned(),
                )
            })
            .collect()
    }

    #[test]
    fn rfc2045_5_1_examples() {
        let ct = content_type(b"text/plain; charset=us-ascii (Plain text)", 10).unwrap();
        assert_eq!(
            (&ct.mtype[..], &ct.subtype[..]),
            (&b"text"[..], &b"plain"[..])
        );
        assert_eq!(p(&ct), [("charset".into(), "us-ascii".into())]);
        let ct = content_type(b"text/plain; charset=\"us-ascii\"", 10).unwrap();
        assert_eq!(ct.param(b"CHARSET"), Some(&b"us-ascii"[..]));
    }

    #[test]
    fn comments_and_spaces_everywhere() {
        let ct = content_type(
            b"text/plain (plain text) ; charset = \"iso-8859-1\" (latin one) ; Format=\"Fixed\"",
            10,
        )
        .unwrap();
        assert_eq!(
            p(&ct),
            [
                ("charset".into(), "iso-8859-1".into()),
                ("Format".into(), "Fixed".into())
            ]
        );
    }

    #[test]
    fn rfc2045_5_2_invalid_is_none() {
        assert!(content_type(b"garbage", 10).is_none());
        assert!(content_type(b"text/", 10).is_none());
        assert!(content_type(b"text/plain junk", 10).is_none());
    }

    #[test]
    fn quoted_pairs_resolved() {
        let ct = content_type(br#"text/html; x="Quoted \"value\"""#, 10).unwrap();
        assert_eq!(ct.param(b"x"), Some(&br#"Quoted "value""#[..]));
    }

    #[test]
    fn rfc2231_3_continuations_join_in_order() {
        let ct = content_type(
            b"message/external-body; access-type=URL;\r\n URL*1=\"cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar\";\r\n URL*0=\"ftp://\"",
            10,
        )
        .unwrap();
        assert_eq!(
            p(&ct),
            [
                ("access-type".into(), "URL".into()),
                (
                    "URL".into(),
                    "ftp://cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar".into()
                )
            ]
        );
    }

    #[test]
    fn rfc2231_4_1_mixed_sections_stay_a_valid_extended_value() {
        let ct = content_type(
            b"application/x-stuff; title*1*=%2A%2A%2Afun%2A%2A%2A%20; title*0*=us-ascii'en'This%20is%20even%20more%20; title*2=\"isn't it!\"",
            10,
        )
        .unwrap();
        assert_eq!(
            p(&ct),
            [(
                "title*".into(),
                "us-ascii'en'This%20is%20even%20more%20%2A%2A%2Afun%2A%2A%2A%20isn%27t%20it!"
                    .into()
            )]
        );
        assert_eq!(
            decode_extended(&ct.params[0].value),
            "This is even more ***fun*** isn't it!"
        );
    }

    #[test]
    fn rfc2231_4_charset_decoding() {
        assert_eq!(
            decode_extended(b"UTF-8''%E2%82%AC%20rates.txt"),
            "€ rates.txt"
        );
        assert_eq!(decode_extended(b"iso-8859-1'fr'r%E9sum%E9"), "résumé");
    }

    #[test]
    fn parameter_limit_is_respected() {
        let mut s = b"text/plain".to_vec();
        for i in 0..1000 {
            s.extend_from_slice(format!("; p{i}=v").as_bytes());
        }
        assert_eq!(content_type(&s, 64).unwrap().params.len(), 64);
    }

    #[test]
    fn rfc2183_disposition() {
        let d = disposition(b"attachment; filename=genome.jpeg;\r\n modification-date=\"Wed, 12 Feb 1997 16:29:51 -0500\";", 10).unwrap();
        assert_eq!(d.kind, b"attachment");
        assert_eq!(
            param(&d.params, b"modification-date"),
            Some(&b"Wed, 12 Feb 1997 16:29:51 -0500"[..])
        );
    }

    #[test]
    fn rfc3282_language_list() {
        assert_eq!(
            language_list(b"en, de (German)", 10),
            [b"en".to_vec(), b"de".to_vec()]
        );
    }
}
