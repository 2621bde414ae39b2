//! The date in an mbox From_ line: `From SENDER Www Mmm dd hh:mm:ss yyyy`, the C
//! `asctime()` layout, written by MTAs without a time zone.
//!
//! Without a zone the writer's local time is meant; pobox has no time zone database, so
//! dates are read and written as UTC unless the line carries a numeric offset after the
//! year (`... 2023 +0100`), which some writers add. A zone name between time and year
//! (`22:13:20 MET 2023`) is skipped and taken as UTC. Only IMAP's INTERNALDATE uses this
//! date; message order and unique ids do not depend on it.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// The date of a From_ line (the line without its line end), or `None` when it has
/// none that parses. The sender field may be missing or odd, so the date is looked for
/// at every word position.
pub fn parse(line: &[u8]) -> Option<SystemTime> {
    let text = String::from_utf8_lossy(line);
    let words: Vec<&str> = text.split_ascii_whitespace().collect();
    (1..words.len()).find_map(|i| words.get(i..).and_then(parse_date_words))
}

/// `Www Mmm dd hh:mm[:ss] [ZONE] yyyy [+hhmm]` at the start of `words`.
fn parse_date_words(words: &[&str]) -> Option<SystemTime> {
    let [weekday, month, day, time, rest @ ..] = words else {
        return None;
    };
    WEEKDAYS.contains(weekday).then_some(())?;
    let month = MONTHS.iter().position(|m| m == month)? as u32 + 1;
    let day: u32 = day.parse().ok()?;
    let mut hms = time.split(':').map(|n| n.parse::<u32>().ok());
    let (hour, minute, second) = match (hms.next(), hms.next(), hms.next(), hms.next()) {
        (Some(h), Some(m), None, None) => (h?, m?, 0),
        (Some(h), Some(m), Some(s), None) => (h?, m?, s?),
        _ => return None,
    };
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let rest = match rest {
        [zone, rest @ ..] if zone.bytes().all(|b| b.is_ascii_alphabetic()) => rest,
        _ => rest,
    };
    let [year, rest @ ..] = rest else { return None };
    if year.len() != 4 {
        return None;
    }
    let year: i64 = year.parse().ok()?;
    let offset = match rest.first() {
        Some(zone) => parse_offset(zone).unwrap_or(0),
        None => 0,
    };
    let days = days_from_civil(year, month, day)?;
    let seconds = days * 86_400 + i64::from(hour * 3600 + minute * 60 + second) - offset;
    Some(from_unix(seconds))
}

/// `+hhmm` / `-hhmm` as seconds east of UTC.
fn parse_offset(zone: &str) -> Option<i64> {
    let (sign, digits) = match zone.as_bytes().first()? {
        b'+' => (1, zone.get(1..)?),
        b'-' => (-1, zone.get(1..)?),
        _ => return None,
    };
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let value: i64 = digits.parse().ok()?;
    Some(sign * ((value / 100) * 3600 + (value % 100) * 60))
}

/// `Www Mmm dd hh:mm:ss yyyy` in UTC, as written after the sender in a From_ line.
/// Times before 1970 are written as 1970-01-01.
pub fn format(time: SystemTime) -> String {
    let seconds = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let days = (seconds / 86_400) as i64;
    let rem = seconds % 86_400;
    let (year, month, day) = civil_from_days(days);
    // 1970-01-01 was a Thursday.
    let weekday = WEEKDAYS
        .get(((days + 4) % 7) as usize)
        .copied()
        .unwrap_or("Thu");
    let month = MONTHS.get(month as usize - 1).copied().unwrap_or("Jan");
    format!(
        "{weekday} {month} {day:>2} {:02}:{:02}:{:02} {year}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

fn from_unix(seconds: i64) -> SystemTime {
    if seconds >= 0 {
        UNIX_EPOCH + Duration::from_secs(seconds as u64)
    } else {
        UNIX_EPOCH - Duration::from_secs(seconds.unsigned_abs())
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date, or `None` for a date that does
/// not exist (Feb 30) or a year outside 1..=9999. (H. Hinnant's `days_from_civil`.)
pub fn days_from_civil(year: i64, month: u32, day: u32) -> Option<i64> {
    if !(1..=9999).contains(&year) || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let (m, d) = (i64::from(month), i64::from(day));
    let y = if m <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    (civil_from_days(days) == (year, month, day)).then_some(days)
}

/// The date of a day number (inverse of [`days_from_civil`]).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}
