//! RFC 5322 §3.3 dates (with the obsolete forms of §4.3), for SEARCH
//! SENTBEFORE / SENTON / SENTSINCE.

/// A calendar date as written in a `Date:` header (RFC 3501 §6.4.4 compares
/// it "disregarding time and timezone").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Ymd {
    pub(crate) year: u32,
    pub(crate) month: u32,
    pub(crate) day: u32,
}

const MONTHS: [&[u8]; 12] = [
    b"jan", b"feb", b"mar", b"apr", b"may", b"jun", b"jul", b"aug", b"sep", b"oct", b"nov", b"dec",
];

/// Parses `[day-of-week ","] day month year time zone` leniently: comments
/// and extra white space are skipped, the day-of-week is ignored, and only
/// the day, month and year are read (time and zone are not needed).
/// RFC 5322 §4.3: a two-digit year below 50 is 20xx, other two- and
/// three-digit years are 19xx/1xxx + 1900. `None` when no date is found.
pub(crate) fn parse_date(s: &[u8]) -> Option<Ymd> {
    let mut words: Vec<&[u8]> = Vec::new();
    let mut i = 0;
    while i < s.len() && words.len() < 4 {
        match s[i] {
            b'(' => i = super::content::skip_comment(s, i),
            b' ' | b'\t' | b'\r' | b'\n' | b',' => i += 1,
            _ => {
                let len = s[i..]
                    .iter()
                    .take_while(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b',' | b'('))
                    .count();
                words.push(&s[i..i + len]);
                i += len;
            }
        }
    }
    let mut it = words.into_iter().peekable();
    if it
        .peek()
        .is_some_and(|w| w.first().is_some_and(u8::is_ascii_alphabetic))
    {
        it.next();
    }
    let day = number(it.next()?)?;
    let month_word = it.next()?;
    let month = MONTHS
        .iter()
        .position(|m| month_word.len() >= 3 && month_word[..3].eq_ignore_ascii_case(m))?;
    let year_word = it.next()?;
    let mut year = number(year_word)?;
    if year_word.len() == 2 {
        year += if year < 50 { 2000 } else { 1900 };
    } else if year_word.len() == 3 {
        year += 1900;
    }
    if !(1..=31).contains(&day) {
        return None;
    }
    Some(Ymd {
        year,
        month: u32::try_from(month).ok()? + 1,
        day,
    })
}

fn number(w: &[u8]) -> Option<u32> {
    if w.is_empty() || w.len() > 4 || !w.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(w.iter().fold(0u32, |a, d| a * 10 + u32::from(d - b'0')))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ymd(y: u32, m: u32, d: u32) -> Option<Ymd> {
        Some(Ymd {
            year: y,
            month: m,
            day: d,
        })
    }

    #[test]
    fn rfc5322_a_1_1_date() {
        assert_eq!(
            parse_date(b"Fri, 21 Nov 1997 09:55:06 -0600"),
            ymd(1997, 11, 21)
        );
    }

    #[test]
    fn rfc5322_4_3_obsolete_dates() {
        assert_eq!(parse_date(b"Tue, 1 Jul 03 10:52:37 EST"), ymd(2003, 7, 1));
        assert_eq!(parse_date(b"21 Nov 97 09:55:06 GMT"), ymd(1997, 11, 21));
        assert_eq!(
            parse_date(b"Thu,\r\n 13\r\n Feb\r\n 969\r\n 23:32 -0330 (Newfoundland)"),
            ymd(2869, 2, 13)
        );
        assert_eq!(parse_date(b"25 Mar 2022 17:00 -0000"), ymd(2022, 3, 25));
        assert_eq!(
            parse_date(b"Mon, 7 Feb 1994 21:52:25 -0800 (PST)"),
            ymd(1994, 2, 7)
        );
    }

    #[test]
    fn garbage_is_none() {
        assert_eq!(parse_date(b"yesterday"), None);
        assert_eq!(parse_date(b""), None);
        assert_eq!(parse_date(b"40 Jan 2000"), None);
    }
}
