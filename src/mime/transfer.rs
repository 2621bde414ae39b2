//! Content-Transfer-Encoding decoding (RFC 2045 §6) for SEARCH.

/// Decodes `raw` according to the transfer encoding `cte` (case-insensitive).
/// `7bit`, `8bit`, `binary` and unknown encodings are returned as they are.
pub(crate) fn decode(raw: &[u8], cte: &[u8]) -> Vec<u8> {
    if cte.eq_ignore_ascii_case(b"base64") {
        base64(raw)
    } else if cte.eq_ignore_ascii_case(b"quoted-printable") {
        quoted_printable(raw)
    } else {
        raw.to_vec()
    }
}

fn b64_value(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// RFC 2045 §6.8: "Any characters outside of the base64 alphabet are to be
/// ignored"; decoding stops at the first `=` pad.
fn base64(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len() / 4 * 3);
    let mut acc = 0u32;
    let mut n = 0u32;
    for &c in raw {
        if c == b'=' {
            break;
        }
        let Some(v) = b64_value(c) else { continue };
        acc = (acc << 6) | u32::from(v);
        n += 1;
        if n == 4 {
            out.extend_from_slice(&[(acc >> 16) as u8, (acc >> 8) as u8, acc as u8]);
            acc = 0;
            n = 0;
        }
    }
    match n {
        2 => out.push((acc >> 4) as u8),
        3 => out.extend_from_slice(&[(acc >> 10) as u8, (acc >> 2) as u8]),
        _ => {}
    }
    out
}

/// RFC 2045 §6.7: `=XX` octets, soft line breaks (`=` at the end of a line),
/// and trailing white space on a line removed (rule 3). A malformed `=` is
/// kept as written.
fn quoted_printable(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut lines = raw.split(|&b| b == b'\n').peekable();
    while let Some(line) = lines.next() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let end = line
            .iter()
            .rposition(|b| !matches!(b, b' ' | b'\t'))
            .map_or(0, |p| p + 1);
        let line = &line[..end];
        let (line, soft) = match line.strip_suffix(b"=") {
            Some(l) => (l, true),
            None => (line, false),
        };
        let mut i = 0;
        while i < line.len() {
            if line[i] == b'=' {
                if let (Some(h), Some(l)) = (
                    line.get(i + 1).and_then(|&c| super::content::hex(c)),
                    line.get(i + 2).and_then(|&c| super::content::hex(c)),
                ) {
                    out.push(h << 4 | l);
                    i += 3;
                    continue;
                }
            }
            out.push(line[i]);
            i += 1;
        }
        if !soft && lines.peek().is_some() {
            out.extend_from_slice(b"\r\n");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::decode;

    #[test]
    fn rfc2045_6_8_base64_ignores_line_breaks() {
        assert_eq!(decode(b"SGVs\r\nbG8=\r\n", b"BASE64"), b"Hello");
        assert_eq!(decode(b"SGVsbG8", b"base64"), b"Hello");
        assert_eq!(decode(b"SGV*sbG8h", b"base64"), b"Hello!");
    }

    #[test]
    fn rfc2045_6_7_quoted_printable() {
        assert_eq!(
            decode(
                b"Caf=C3=A9 soft=\r\nbreak  \r\nnext=3D",
                b"Quoted-Printable"
            ),
            "Café softbreak\r\nnext=".as_bytes()
        );
        assert_eq!(decode(b"bad =ZZ end=", b"quoted-printable"), b"bad =ZZ end");
    }

    #[test]
    fn identity_encodings() {
        assert_eq!(decode(b"a\r\nb", b"8bit"), b"a\r\nb");
    }
}
