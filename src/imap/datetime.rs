//! `date` and `date-time` (RFC 3501 §9): search dates and INTERNALDATE / APPEND dates.

use super::core::ValueError;

/// Month names of `date-month` (RFC 3501 §9), index 0 = January.
pub(crate) const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

/// `date-text = date-day "-" date-month "-" date-year` (RFC 3501 §9): a calendar date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

impl Date {
    /// A date; `month` is 1-12, `year` has four digits (0-9999), the day must exist.
    pub fn new(year: u16, month: u8, day: u8) -> Result<Self, ValueError> {
        if year > 9999 {
            return Err(ValueError::new("date", "year is not 4DIGIT"));
        }
        if !(1..=12).contains(&month) {
            return Err(ValueError::new("date", "month out of range"));
        }
        if day == 0 || day > days_in_month(year, month) {
            return Err(ValueError::new("date", "day out of range"));
        }
        Ok(Date { year, month, day })
    }

    /// The year.
    pub fn year(&self) -> u16 {
        self.year
    }

    /// The month, 1-12.
    pub fn month(&self) -> u8 {
        self.month
    }

    /// The day of month, 1-31.
    pub fn day(&self) -> u8 {
        self.day
    }
}

/// `date-time = DQUOTE date-day-fixed "-" date-month "-" date-year SP time SP zone DQUOTE`
/// (RFC 3501 §9): INTERNALDATE and the APPEND date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DateTime {
    date: Date,
    hour: u8,
    minute: u8,
    second: u8,
    zone_minutes: i16,
}

impl DateTime {
    /// A date-time; `zone_minutes` is the offset east of UTC in minutes. `zone` is "hours and
    /// minutes east of Greenwich" (RFC 3501 §9), so its magnitude is below 24 hours; `second`
    /// may be 60 (a leap second, RFC 5322 §3.3).
    pub fn new(
        date: Date,
        hour: u8,
        minute: u8,
        second: u8,
        zone_minutes: i16,
    ) -> Result<Self, ValueError> {
        if hour > 23 || minute > 59 || second > 60 {
            return Err(ValueError::new("time", "out of range"));
        }
        if zone_minutes.unsigned_abs() > 23 * 60 + 59 {
            return Err(ValueError::new("zone", "out of range"));
        }
        Ok(DateTime {
            date,
            hour,
            minute,
            second,
            zone_minutes,
        })
    }

    /// The calendar date.
    pub fn date(&self) -> Date {
        self.date
    }

    /// Hour, minute, second.
    pub fn time(&self) -> (u8, u8, u8) {
        (self.hour, self.minute, self.second)
    }

    /// The zone offset east of UTC, in minutes.
    pub fn zone_minutes(&self) -> i16 {
        self.zone_minutes
    }
}
