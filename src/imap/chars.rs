//! Byte classes of RFC 3501 §9 as `const` 256-entry tables, one per ABNF rule.
//!
//! Core rules (RFC 5234 appendix B.1): `CHAR = %x01-7F`, `CTL = %x00-1F / %x7F`, `SP = %x20`.

/// `atom-specials = "(" / ")" / "{" / SP / CTL / list-wildcards / quoted-specials / resp-specials`
const fn is_atom_special(c: u8) -> bool {
    c <= 0x20 || c >= 0x7f || matches!(c, b'(' | b')' | b'{' | b'%' | b'*' | b'"' | b'\\' | b']')
}

const fn table(kind: u8) -> [bool; 256] {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        let c = i as u8;
        let atom = !is_atom_special(c);
        t[i] = match kind {
            // ATOM-CHAR = <any CHAR except atom-specials>
            0 => atom,
            // ASTRING-CHAR = ATOM-CHAR / resp-specials
            1 => atom || c == b']',
            // tag = 1*<any ASTRING-CHAR except "+">
            2 => (atom || c == b']') && c != b'+',
            // list-char = ATOM-CHAR / list-wildcards / resp-specials
            3 => atom || c == b'%' || c == b'*' || c == b']',
            // TEXT-CHAR = <any CHAR except CR and LF>
            4 => c >= 0x01 && c <= 0x7f && c != b'\r' && c != b'\n',
            // QUOTED-CHAR (unescaped part) = <any TEXT-CHAR except quoted-specials>
            5 => c >= 0x01 && c <= 0x7f && c != b'\r' && c != b'\n' && c != b'"' && c != b'\\',
            // base64-char = ALPHA / DIGIT / "+" / "/"
            6 => c.is_ascii_alphanumeric() || c == b'+' || c == b'/',
            // resp-text-code free text: 1*<any TEXT-CHAR except "]">
            _ => c >= 0x01 && c <= 0x7f && c != b'\r' && c != b'\n' && c != b']',
        };
        i += 1;
    }
    t
}

/// `ATOM-CHAR` (RFC 3501 §9).
pub(crate) const ATOM_CHAR: [bool; 256] = table(0);
/// `ASTRING-CHAR` (RFC 3501 §9).
pub(crate) const ASTRING_CHAR: [bool; 256] = table(1);
/// Bytes of `tag` (RFC 3501 §9).
pub(crate) const TAG_CHAR: [bool; 256] = table(2);
/// `list-char` (RFC 3501 §9).
pub(crate) const LIST_CHAR: [bool; 256] = table(3);
/// `TEXT-CHAR` (RFC 3501 §9).
pub(crate) const TEXT_CHAR: [bool; 256] = table(4);
/// `QUOTED-CHAR` without the escaped `quoted-specials` (RFC 3501 §9).
pub(crate) const QUOTED_CHAR: [bool; 256] = table(5);
/// `base64-char` (RFC 3501 §9).
pub(crate) const BASE64_CHAR: [bool; 256] = table(6);
/// The free text of `resp-text-code`: `<any TEXT-CHAR except "]">` (RFC 3501 §9).
pub(crate) const CODE_TEXT_CHAR: [bool; 256] = table(7);

/// True when every byte of `s` is in `class`.
#[inline]
pub(crate) fn all(class: &[bool; 256], s: &[u8]) -> bool {
    s.iter().all(|&b| class[b as usize])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3501_9_classes() {
        assert!(ATOM_CHAR[b'a' as usize] && ATOM_CHAR[b'+' as usize] && ATOM_CHAR[b'[' as usize]);
        for c in b"(){ %*\"\\]\x00\x1f\x7f\x80\xff" {
            assert!(!ATOM_CHAR[*c as usize], "{c}");
        }
        assert!(ASTRING_CHAR[b']' as usize] && !ASTRING_CHAR[b'{' as usize]);
        assert!(!TAG_CHAR[b'+' as usize] && TAG_CHAR[b']' as usize]);
        assert!(LIST_CHAR[b'%' as usize] && LIST_CHAR[b'*' as usize]);
        assert!(TEXT_CHAR[b'"' as usize] && !TEXT_CHAR[b'\r' as usize] && !TEXT_CHAR[0x80]);
        assert!(!QUOTED_CHAR[b'"' as usize] && !QUOTED_CHAR[0]);
        assert!(BASE64_CHAR[b'/' as usize] && !BASE64_CHAR[b'=' as usize]);
        assert!(!CODE_TEXT_CHAR[b']' as usize]);
    }
}
