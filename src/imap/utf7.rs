//! Modified UTF-7 for mailbox names (RFC 3501 §5.1.3): encode, decode, reject malformed.
//!
//! Printable US-ASCII (0x20-0x7e) stands for itself except `&`, which is `&-`; any other
//! character is UTF-16BE in modified BASE64 (`,` instead of `/`, no padding) between `&` and `-`.
//! The decoder is strict: it refuses anything RFC 3501 §5.1.3 forbids an encoder to produce
//! (8-bit or control bytes, a shifted run that encodes printable ASCII, two adjacent shifted
//! runs, non-zero padding bits, unpaired surrogates, an unterminated run), so every name has
//! exactly one encoding and `encode(decode(x)) == x`.
//!
//! ```
//! use pobox::imap::utf7;
//! assert_eq!(utf7::encode("~peter/mail/台北/日本語"), "~peter/mail/&U,BTFw-/&ZeVnLIqe-");
//! assert_eq!(utf7::decode(b"&ZeVnLIqe-").as_deref(), Ok("日本語"));
//! assert!(utf7::decode(b"&Jjo!").is_err());
//! ```

/// Why a name is not valid modified UTF-7.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Utf7Error {
    /// A byte outside 0x20-0x7e at this offset.
    #[error("byte outside printable US-ASCII at offset {0}")]
    NotPrintable(usize),
    /// A shifted run that is not terminated by `-`, or holds a byte outside modified BASE64.
    #[error("bad modified BASE64 in the run starting at offset {0}")]
    BadBase64(usize),
    /// A shifted run whose bits do not make whole UTF-16 units, or padding bits not zero.
    #[error("bad padding in the run starting at offset {0}")]
    BadPadding(usize),
    /// A surrogate that is not part of a pair.
    #[error("unpaired UTF-16 surrogate in the run starting at offset {0}")]
    BadSurrogate(usize),
    /// A shifted run encoding a printable ASCII character, an empty run other than `&-`, or
    /// two adjacent runs: RFC 3501 §5.1.3 forbids each of them.
    #[error("non-canonical encoding at offset {0}")]
    NotCanonical(usize),
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

fn b64_value(c: u8) -> Option<u32> {
    Some(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b',' => 63,
        _ => return None,
    } as u32)
}

/// Encodes a Unicode mailbox name to modified UTF-7.
pub fn encode(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut units: Vec<u16> = Vec::new();
    for ch in name.chars() {
        if (' '..='~').contains(&ch) {
            flush(&mut units, &mut out);
            if ch == '&' {
                out.push_str("&-");
            } else {
                out.push(ch);
            }
        } else {
            let mut buf = [0u16; 2];
            units.extend_from_slice(ch.encode_utf16(&mut buf));
        }
    }
    flush(&mut units, &mut out);
    out
}

fn flush(units: &mut Vec<u16>, out: &mut String) {
    if units.is_empty() {
        return;
    }
    out.push('&');
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    for &u in units.iter() {
        acc = (acc << 16) | u32::from(u);
        bits += 16;
        while bits >= 6 {
            bits -= 6;
            out.push(char::from(B64[((acc >> bits) & 0x3f) as usize]));
        }
        acc &= (1 << bits) - 1;
    }
    if bits > 0 {
        out.push(char::from(B64[((acc << (6 - bits)) & 0x3f) as usize]));
    }
    out.push('-');
    units.clear();
}

/// Decodes a modified UTF-7 mailbox name, refusing every malformed or non-canonical form.
pub fn decode(input: &[u8]) -> Result<String, Utf7Error> {
    let mut out = String::with_capacity(input.len());
    let mut i = 0;
    let mut last_run_end: Option<usize> = None;
    while i < input.len() {
        let c = input[i];
        if !(0x20..=0x7e).contains(&c) {
            return Err(Utf7Error::NotPrintable(i));
        }
        if c != b'&' {
            out.push(char::from(c));
            i += 1;
            continue;
        }
        let start = i;
        i += 1;
        if input.get(i) == Some(&b'-') {
            out.push('&');
            i += 1;
            continue;
        }
        if last_run_end == Some(start) {
            return Err(Utf7Error::NotCanonical(start));
        }
        let mut acc: u32 = 0;
        let mut bits = 0u32;
        let mut units: Vec<u16> = Vec::new();
        loop {
            let Some(&c) = input.get(i) else {
                return Err(Utf7Error::BadBase64(start));
            };
            i += 1;
            if c == b'-' {
                break;
            }
            let v = b64_value(c).ok_or(Utf7Error::BadBase64(start))?;
            acc = (acc << 6) | v;
            bits += 6;
            if bits >= 16 {
                bits -= 16;
                units.push(((acc >> bits) & 0xffff) as u16);
                acc &= (1 << bits) - 1;
            }
        }
        if bits >= 6 || acc != 0 {
            return Err(Utf7Error::BadPadding(start));
        }
        if units.is_empty() {
            return Err(Utf7Error::NotCanonical(start));
        }
        for r in char::decode_utf16(units.iter().copied()) {
            let ch = r.map_err(|_| Utf7Error::BadSurrogate(start))?;
            if (' '..='~').contains(&ch) {
                return Err(Utf7Error::NotCanonical(start));
            }
            out.push(ch);
        }
        last_run_end = Some(i);
    }
    Ok(out)
}

/// True when `input` is valid modified UTF-7 (what [`decode`] accepts).
pub fn is_valid(input: &[u8]) -> bool {
    decode(input).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3501_5_1_3_example() {
        // "~peter/mail/&U,BTFw-/&ZeVnLIqe-" is "~peter/mail/台北/日本語".
        let enc = "~peter/mail/&U,BTFw-/&ZeVnLIqe-";
        assert_eq!(decode(enc.as_bytes()).unwrap(), "~peter/mail/台北/日本語");
        assert_eq!(encode("~peter/mail/台北/日本語"), enc);
    }

    #[test]
    fn rfc3501_5_1_3_ampersand_and_malformed() {
        assert_eq!(encode("a&b"), "a&-b");
        assert_eq!(decode(b"a&-b").unwrap(), "a&b");
        assert!(decode(b"&").is_err());
        assert!(decode(b"&ZeVnLIqe").is_err()); // unterminated
        assert!(decode(b"&AGE-").is_err()); // 'a' shifted: must be direct
        assert!(decode(b"&ZeV-&nLIqe-").is_err()); // bad padding / adjacent runs
        assert!(decode(b"&ZeVnLIqe-&ZeVnLIqe-").is_err()); // adjacent runs
        assert!(decode("日".as_bytes()).is_err()); // raw 8-bit
        assert!(decode(b"&2D0-").is_err()); // lone high surrogate
        assert!(decode(b"&U,BTFx-").is_err()); // non-zero padding bits
        assert_eq!(decode(b"&2D3eAA-").unwrap(), "\u{1F600}"); // surrogate pair
        assert_eq!(encode("\u{1F600}"), "&2D3eAA-");
    }
}
