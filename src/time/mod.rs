//! Time: turning the timestamps written in log lines into UTC instants.
//!
//! Formats parse the bytes of a timestamp into a [`CivilTime`] (the wall-clock fields exactly as
//! written, plus the offset when the line states one) with the hand-written parsers in [`parse`].
//! The ingest driver then converts it to a UTC [`Timestamp`] with a [`ZoneConverter`], which knows
//! the zone assumed for the file (`--tz`), infers missing years ([`year`]) and reuses the previous
//! conversion when a line repeats the previous line's second, which most busy logs do.

pub mod parse;
pub mod year;
mod zone;

pub use zone::{Zone, ZoneConverter, ZoneRule, ZoneRules, abbreviation_offset};

use std::fmt;

/// An instant in UTC: microseconds since the Unix epoch.
///
/// Microseconds keep PostgreSQL's and syslog's sub-second precision while an `i64` still spans
/// ±292,000 years, so absurd years in hostile input cannot overflow.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

pub const MICROS_PER_SECOND: i64 = 1_000_000;

/// The UTC seconds chrono and RFC 3339 can print (years 1 to 9999): a time outside them is
/// treated as no time rather than wrapped.
pub(crate) const PRINTABLE_SECONDS: std::ops::RangeInclusive<i64> =
    -62_135_596_800..=253_402_300_799;

impl Timestamp {
    pub fn from_unix_seconds(secs: i64, micros: u32) -> Timestamp {
        Timestamp(
            secs.saturating_mul(MICROS_PER_SECOND)
                .saturating_add(micros as i64),
        )
    }

    /// Interprets a number of seconds, milliseconds, microseconds or nanoseconds since the epoch,
    /// choosing the unit by magnitude (the way JSON loggers write `ts`).
    pub fn from_epoch_guess(value: f64) -> Option<Timestamp> {
        if !value.is_finite() || value < 0.0 {
            return None;
        }
        // 1e11 s is the year 5138; anything larger is a finer unit.
        let micros = if value < 1e11 {
            value * 1e6
        } else if value < 1e14 {
            value * 1e3
        } else if value < 1e17 {
            value
        } else {
            value / 1e3
        };
        if micros > 9.0e18 {
            return None;
        }
        Some(Timestamp(micros.round() as i64))
    }

    pub fn unix_seconds(self) -> i64 {
        self.0.div_euclid(MICROS_PER_SECOND)
    }

    pub fn subsec_micros(self) -> u32 {
        self.0.rem_euclid(MICROS_PER_SECOND) as u32
    }

    /// The civil fields of this instant in UTC.
    pub fn to_civil_utc(self) -> CivilTime {
        let secs = self.unix_seconds();
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        CivilTime {
            year: Some(year.clamp(i32::MIN as i64, i32::MAX as i64) as i32),
            month: month as u8,
            day: day as u8,
            hour: (rem / 3600) as u8,
            minute: (rem % 3600 / 60) as u8,
            second: (rem % 60) as u8,
            nanos: self.subsec_micros() * 1000,
            offset: Some(0),
        }
    }

    /// RFC 3339 in UTC with `Z`; the fraction is printed only when there is one.
    pub fn to_rfc3339(self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = self.to_civil_utc();
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            c.year.unwrap_or(0),
            c.month,
            c.day,
            c.hour,
            c.minute,
            c.second
        )?;
        let micros = self.subsec_micros();
        if !micros.is_multiple_of(1000) {
            write!(f, ".{micros:06}")?;
        } else if micros != 0 {
            write!(f, ".{:03}", micros / 1000)?;
        }
        f.write_str("Z")
    }
}

/// The earlier of two optional instants (either may be missing).
pub fn earliest(a: Option<Timestamp>, b: Option<Timestamp>) -> Option<Timestamp> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        _ => a.or(b),
    }
}

/// The later of two optional instants (either may be missing).
pub fn latest(a: Option<Timestamp>, b: Option<Timestamp>) -> Option<Timestamp> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        _ => a.or(b),
    }
}

/// A timestamp as a log line writes it: wall-clock fields and, when the line says so, its offset.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct CivilTime {
    /// `None` when the layout has no year (RFC 3164 syslog, glog); see [`year`].
    pub year: Option<i32>,
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
    pub nanos: u32,
    /// Seconds east of UTC, when the line states an offset, `Z` or a zone abbreviation.
    pub offset: Option<i32>,
}

impl CivilTime {
    /// The same wall-clock second, ignoring the fraction; the key of the conversion cache.
    pub(crate) fn second_key(&self) -> SecondKey {
        (
            self.year,
            self.month,
            self.day,
            self.hour,
            self.minute,
            self.second,
            self.offset,
        )
    }

    /// Whether the fields name a real calendar date and time of day.
    pub fn is_valid(&self) -> bool {
        let leap_year_ok = match self.year {
            Some(y) => self.day <= days_in_month(y as i64, self.month),
            // Without a year, 29 February may still be real.
            None => self.day <= days_in_month(2000, self.month),
        };
        (1..=12).contains(&self.month)
            && self.day >= 1
            && leap_year_ok
            && self.hour <= 23
            && self.minute <= 59
            && self.second <= 60
            && self.nanos < 1_000_000_000
    }

    /// Seconds since the epoch of these wall-clock fields read as if they were UTC.
    /// `None` without a year.
    pub fn local_seconds(&self) -> Option<i64> {
        let year = self.year? as i64;
        let days = days_from_civil(year, self.month as u32, self.day as u32);
        // A leap second (:60) is folded onto :59; logs never need to tell them apart.
        let second = self.second.min(59) as i64;
        Some(days * 86_400 + self.hour as i64 * 3600 + self.minute as i64 * 60 + second)
    }
}

/// A wall-clock second with its stated offset: what the conversion cache compares.
pub(crate) type SecondKey = (Option<i32>, u8, u8, u8, u8, u8, Option<i32>);

/// How an event's time is known.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum LineTime {
    /// Wall-clock fields from the line; converted with the file's zone unless they carry an offset.
    Civil(CivilTime),
    /// Already an absolute instant (epoch numbers in JSON logs, a CLF time with its offset).
    Utc(Timestamp),
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (month as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`]: (year, month, day).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

pub fn is_leap_year(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

pub fn days_in_month(year: i64, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip_over_four_centuries() {
        for days in (-200_000..200_000).step_by(37) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    }

    #[test]
    fn display_is_rfc3339_utc() {
        assert_eq!(Timestamp(0).to_string(), "1970-01-01T00:00:00Z");
        assert_eq!(
            Timestamp(1_700_000_000_123_000).to_string(),
            "2023-11-14T22:13:20.123Z"
        );
        assert_eq!(
            Timestamp(1_700_000_000_123_456).to_string(),
            "2023-11-14T22:13:20.123456Z"
        );
        assert_eq!(Timestamp(-1).to_string(), "1969-12-31T23:59:59.999999Z");
    }

    #[test]
    fn epoch_units_are_guessed_by_magnitude() {
        let s = Timestamp::from_epoch_guess(1_700_000_000.5).unwrap();
        let ms = Timestamp::from_epoch_guess(1_700_000_000_500.0).unwrap();
        let us = Timestamp::from_epoch_guess(1_700_000_000_500_000.0).unwrap();
        let ns = Timestamp::from_epoch_guess(1_700_000_000_500_000_000.0).unwrap();
        assert_eq!(s, ms);
        assert_eq!(ms, us);
        assert_eq!(us, ns);
        assert_eq!(Timestamp::from_epoch_guess(f64::NAN), None);
        assert_eq!(Timestamp::from_epoch_guess(-5.0), None);
    }

    #[test]
    fn validity_checks_calendar() {
        let mut c = Timestamp(0).to_civil_utc();
        assert!(c.is_valid());
        c.month = 2;
        c.day = 29;
        c.year = Some(2023);
        assert!(!c.is_valid());
        c.year = Some(2024);
        assert!(c.is_valid());
        c.year = None;
        assert!(c.is_valid());
        c.hour = 24;
        assert!(!c.is_valid());
    }
}
