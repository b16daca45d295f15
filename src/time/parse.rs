//! Hand-written parsers for the timestamp layouts logs use, on bytes.
//!
//! Each takes the bytes where a timestamp starts and returns the parsed [`CivilTime`] and how many
//! bytes it used, or `None` when the bytes are not that layout. They never allocate and never
//! panic on short or odd input; calendar validity is checked when the time is converted.

use super::{CivilTime, abbreviation_offset};

mod clf;
pub use clf::{clf, clf_instant};

#[inline]
fn digit(b: &[u8], i: usize) -> Option<u32> {
    match b.get(i) {
        Some(c @ b'0'..=b'9') => Some((c - b'0') as u32),
        _ => None,
    }
}

/// `N` decimal digits at `i`, read with one bounds check and one validity test for them all:
/// timestamps are on every line, so this is among the hottest code there is.
#[inline]
fn digits<const N: usize>(b: &[u8], i: usize) -> Option<u32> {
    let s: &[u8; N] = b.get(i..i + N)?.try_into().ok()?;
    let mut n = 0u32;
    let mut bad = false;
    for &c in s {
        let d = c.wrapping_sub(b'0');
        bad |= d > 9;
        n = n * 10 + d as u32;
    }
    (!bad).then_some(n)
}

#[inline]
fn digits2(b: &[u8], i: usize) -> Option<u8> {
    digits::<2>(b, i).map(|n| n as u8)
}

#[inline]
fn digits4(b: &[u8], i: usize) -> Option<i32> {
    digits::<4>(b, i).map(|n| n as i32)
}

#[inline]
fn byte_is(b: &[u8], i: usize, want: u8) -> bool {
    b.get(i) == Some(&want)
}

/// Three letters as one number, any case (`Jan`, `JAN` and `jan` are the same): a month or
/// weekday name is then one integer comparison rather than three.
#[inline]
fn name_key(b: &[u8]) -> Option<u32> {
    let s: &[u8; 3] = b.get(..3)?.try_into().ok()?;
    // Setting 0x20 lowercases letters, and only letters end up as `a`–`z` (it takes `@[\\]^_`
    // to other punctuation), so a match with a lowercase name means the bytes were letters.
    Some(u32::from_be_bytes([
        0,
        s[0] | 0x20,
        s[1] | 0x20,
        s[2] | 0x20,
    ]))
}

const fn key(name: &[u8; 3]) -> u32 {
    u32::from_be_bytes([0, name[0], name[1], name[2]])
}

const MONTH_KEYS: [u32; 12] = [
    key(b"jan"),
    key(b"feb"),
    key(b"mar"),
    key(b"apr"),
    key(b"may"),
    key(b"jun"),
    key(b"jul"),
    key(b"aug"),
    key(b"sep"),
    key(b"oct"),
    key(b"nov"),
    key(b"dec"),
];

/// A month name's first three letters, any case: `Jan` → 1.
#[inline]
pub fn month_from_name(b: &[u8]) -> Option<u8> {
    let k = name_key(b)?;
    MONTH_KEYS.iter().position(|m| *m == k).map(|i| i as u8 + 1)
}

fn is_weekday_name(b: &[u8]) -> bool {
    const WEEKDAYS: [u32; 7] = [
        key(b"mon"),
        key(b"tue"),
        key(b"wed"),
        key(b"thu"),
        key(b"fri"),
        key(b"sat"),
        key(b"sun"),
    ];
    name_key(b).is_some_and(|k| WEEKDAYS.contains(&k))
}

/// `HH:MM:SS` at `i`.
#[inline]
fn hms(b: &[u8], i: usize) -> Option<(u8, u8, u8)> {
    let s: &[u8; 8] = b.get(i..i + 8)?.try_into().ok()?;
    if s[2] != b':' || s[5] != b':' {
        return None;
    }
    Some((digits2(s, 0)?, digits2(s, 3)?, digits2(s, 6)?))
}

/// 10⁹⁻ⁿ: what a fraction of `n` digits is multiplied by to give nanoseconds.
const NANO_SCALE: [u32; 10] = [
    1_000_000_000,
    100_000_000,
    10_000_000,
    1_000_000,
    100_000,
    10_000,
    1_000,
    100,
    10,
    1,
];

/// A fraction of a second after `.` or `,` at `i` (1–9 digits; more are read and ignored):
/// (nanoseconds, bytes used).
#[inline]
fn fraction(b: &[u8], i: usize) -> (u32, usize) {
    let Some((&(b'.' | b','), rest)) = b.get(i..).and_then(<[u8]>::split_first) else {
        return (0, 0);
    };
    let mut nanos = 0u32;
    let mut n = 0usize;
    for &c in rest {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            break;
        }
        if n < 9 {
            nanos = nanos * 10 + d as u32;
        }
        n += 1;
    }
    if n == 0 {
        return (0, 0);
    }
    (nanos * NANO_SCALE[n.min(9)], 1 + n)
}

/// A numeric offset at `i`: `Z`, `±HH:MM`, `±HHMM`, `±HH`. (seconds east, bytes used).
pub fn numeric_offset(b: &[u8], i: usize) -> Option<(i32, usize)> {
    let sign = match b.get(i)? {
        b'Z' | b'z' => return Some((0, 1)),
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let h = digits2(b, i + 1)? as i32;
    let (m, used) = if byte_is(b, i + 3, b':') {
        (digits2(b, i + 4)? as i32, 6)
    } else if let Some(m) = digits2(b, i + 3) {
        (m as i32, 5)
    } else {
        (0, 3)
    };
    if h > 14 || m > 59 {
        return None;
    }
    Some((sign * (h * 3600 + m * 60), used))
}

/// A zone abbreviation of 1–5 letters at `i` that ends at a word boundary. (seconds east, used).
pub fn zone_abbreviation(b: &[u8], i: usize) -> Option<(i32, usize)> {
    let rest = b.get(i..)?;
    let len = rest
        .iter()
        .take(6)
        .take_while(|c| c.is_ascii_alphabetic())
        .count();
    if len == 0 || len > 5 {
        return None;
    }
    let offset = abbreviation_offset(&rest[..len])?;
    Some((offset, len))
}

/// ISO 8601 / RFC 3339 and their log variants:
/// `yyyy-MM-dd[T ]HH:mm:ss[.,fraction][Z|±hh:mm|±hhmm|±hh| ZONE]`.
///
/// Covers RFC 5424/3339 syslog, log4j's `%d` and ISO8601 layouts, Python's `asctime`, PostgreSQL
/// `%m`/`%t` (with a zone abbreviation after a space), MySQL 8, JSON loggers.
pub fn iso8601(b: &[u8]) -> Option<(CivilTime, usize)> {
    let year = digits4(b, 0)?;
    if !byte_is(b, 4, b'-') || !byte_is(b, 7, b'-') {
        return None;
    }
    let month = digits2(b, 5)?;
    let day = digits2(b, 8)?;
    if !matches!(b.get(10), Some(b'T') | Some(b' ') | Some(b't')) {
        return None;
    }
    let (hour, minute, second) = hms(b, 11)?;
    let mut i = 19;
    let (nanos, used) = fraction(b, i);
    i += used;
    let mut offset = None;
    if let Some((o, used)) = numeric_offset(b, i) {
        offset = Some(o);
        i += used;
    } else if byte_is(b, i, b' ') {
        if let Some((o, used)) = zone_abbreviation(b, i + 1) {
            offset = Some(o);
            i += 1 + used;
        } else if matches!(b.get(i + 1), Some(b'+') | Some(b'-')) {
            // `2024-01-01 10:00:00 +0100` (pgbouncer, exim); only when the whole token is an offset.
            if let Some((o, used)) = numeric_offset(b, i + 1)
                && used >= 5
                && b.get(i + 1 + used).is_none_or(|c| !c.is_ascii_digit())
            {
                offset = Some(o);
                i += 1 + used;
            }
        }
    }
    Some((
        CivilTime {
            year: Some(year),
            month,
            day,
            hour,
            minute,
            second,
            nanos,
            offset,
        },
        i,
    ))
}

/// BSD syslog (RFC 3164): `MMM dd HH:mm:ss` with the day space-padded, an optional fraction, and
/// an optional year after the time or before it (`MMM dd yyyy HH:mm:ss`). No year → `year: None`.
pub fn bsd(b: &[u8]) -> Option<(CivilTime, usize)> {
    let month = month_from_name(b)?;
    if !byte_is(b, 3, b' ') {
        return None;
    }
    let mut i = 4;
    if byte_is(b, i, b' ') {
        i += 1;
    }
    let day = match (digit(b, i), digit(b, i + 1)) {
        (Some(a), Some(c)) => {
            i += 2;
            (a * 10 + c) as u8
        }
        (Some(a), None) => {
            i += 1;
            a as u8
        }
        _ => return None,
    };
    if !byte_is(b, i, b' ') {
        return None;
    }
    i += 1;
    let mut year = None;
    if let Some(y) = digits4(b, i)
        && byte_is(b, i + 4, b' ')
    {
        year = Some(y);
        i += 5;
    }
    let (hour, minute, second) = hms(b, i)?;
    i += 8;
    let (nanos, used) = fraction(b, i);
    i += used;
    if year.is_none()
        && byte_is(b, i, b' ')
        && let Some(y) = digits4(b, i + 1)
        && b.get(i + 5).is_none_or(|c| *c == b' ')
    {
        year = Some(y);
        i += 5;
    }
    Some((
        CivilTime {
            year,
            month,
            day,
            hour,
            minute,
            second,
            nanos,
            offset: None,
        },
        i,
    ))
}

/// ctime layout as Apache's error log writes it: `Www Mmm dd HH:mm:ss[.ffffff] yyyy`.
pub fn ctime(b: &[u8]) -> Option<(CivilTime, usize)> {
    if !is_weekday_name(b) || !byte_is(b, 3, b' ') {
        return None;
    }
    let (mut civil, used) = bsd(b.get(4..)?)?;
    let mut i = 4 + used;
    if civil.year.is_none() && byte_is(b, i, b' ') {
        if let Some(y) = digits4(b, i + 1).filter(|_| digit(b, i + 5).is_none()) {
            // `Sun Dec 04 04:47:44 2005]`: the year ends at any non-digit.
            civil.year = Some(y);
            i += 5;
        } else if let Some((o, zlen)) = zone_abbreviation(b, i + 1) {
            // ctime(3) with a zone before the year: `Wed Apr 14 08:11:01 CEST 2021`.
            if byte_is(b, i + 1 + zlen, b' ')
                && let Some(y) = digits4(b, i + 2 + zlen)
            {
                civil.year = Some(y);
                civil.offset = Some(o);
                i += 2 + zlen + 4;
            }
        }
    }
    civil.year?;
    Some((civil, i))
}

/// nginx's error log and other slash dates: `yyyy/MM/dd HH:mm:ss[.fraction]`.
pub fn slash_date(b: &[u8]) -> Option<(CivilTime, usize)> {
    let year = digits4(b, 0)?;
    if !byte_is(b, 4, b'/')
        || !byte_is(b, 7, b'/')
        || !matches!(b.get(10), Some(b' ') | Some(b'-') | Some(b'T'))
    {
        return None;
    }
    let month = digits2(b, 5)?;
    let day = digits2(b, 8)?;
    let (hour, minute, second) = hms(b, 11)?;
    let (nanos, used) = fraction(b, 19);
    Some((
        CivilTime {
            year: Some(year),
            month,
            day,
            hour,
            minute,
            second,
            nanos,
            offset: None,
        },
        19 + used,
    ))
}

/// `dd MMM yyyy HH:mm:ss[.SSS]`, as Redis writes it (`12 Nov 2024 14:02:01.123`).
pub fn day_month_year(b: &[u8]) -> Option<(CivilTime, usize)> {
    let (day, mut i) = match (digit(b, 0), digit(b, 1)) {
        (Some(a), Some(c)) => ((a * 10 + c) as u8, 2),
        (Some(a), None) => (a as u8, 1),
        _ => return None,
    };
    if !byte_is(b, i, b' ') {
        return None;
    }
    i += 1;
    let month = month_from_name(b.get(i..)?)?;
    i += 3;
    if !byte_is(b, i, b' ') {
        return None;
    }
    let year = digits4(b, i + 1)?;
    i += 5;
    if !byte_is(b, i, b' ') {
        return None;
    }
    let (hour, minute, second) = hms(b, i + 1)?;
    i += 9;
    let (nanos, used) = fraction(b, i);
    Some((
        CivilTime {
            year: Some(year),
            month,
            day,
            hour,
            minute,
            second,
            nanos,
            offset: None,
        },
        i + used,
    ))
}

/// Any of the layouts above that can start a line, tried cheapest-first by the first byte.
/// Used by the generic fallback format and by detection.
pub fn leading_timestamp(b: &[u8]) -> Option<(CivilTime, usize)> {
    match b.first()? {
        b'0'..=b'9' => iso8601(b)
            .or_else(|| slash_date(b))
            .or_else(|| clf(b))
            .or_else(|| day_month_year(b)),
        b'[' => {
            let inner = &b[1..];
            let (t, used) = iso8601(inner)
                .or_else(|| clf(inner))
                .or_else(|| ctime(inner))
                .or_else(|| slash_date(inner))?;
            Some((t, 1 + used + usize::from(byte_is(inner, used, b']'))))
        }
        b'A'..=b'Z' | b'a'..=b'z' => ctime(b).or_else(|| bsd(b)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{Zone, ZoneConverter};

    /// Parses with `f` and converts with an assumed zone of UTC and year 2024 for yearless input.
    fn utc(f: fn(&[u8]) -> Option<(CivilTime, usize)>, s: &str) -> (String, usize) {
        let (c, used) = f(s.as_bytes()).unwrap_or_else(|| panic!("no parse: {s}"));
        let mut conv = ZoneConverter::new(Zone::utc());
        conv.default_year = Some(2024);
        (conv.civil_to_utc(&c).expect("valid").to_string(), used)
    }

    #[test]
    fn iso8601_variants() {
        assert_eq!(
            utc(iso8601, "2024-03-01T10:00:00Z x"),
            ("2024-03-01T10:00:00Z".into(), 20)
        );
        assert_eq!(
            utc(iso8601, "2024-03-01T10:00:00.123456+02:00 x"),
            ("2024-03-01T08:00:00.123456Z".into(), 32)
        );
        assert_eq!(
            utc(iso8601, "2024-03-01 10:00:00,789 INFO"),
            ("2024-03-01T10:00:00.789Z".into(), 23)
        );
        assert_eq!(
            utc(iso8601, "2024-03-01 10:00:00.5 CET [12]"),
            ("2024-03-01T09:00:00.500Z".into(), 25)
        );
        assert_eq!(
            utc(iso8601, "2024-03-01 10:00:00 -0500 x"),
            ("2024-03-01T15:00:00Z".into(), 25)
        );
        assert_eq!(
            utc(iso8601, "2024-03-01T10:00:00-0800"),
            ("2024-03-01T18:00:00Z".into(), 24)
        );
        // A word that is not a zone is left alone.
        assert_eq!(
            utc(iso8601, "2024-03-01 10:00:00 LOG: x"),
            ("2024-03-01T10:00:00Z".into(), 19)
        );
        // A number after the time is not an offset.
        assert_eq!(
            utc(iso8601, "2024-03-01 10:00:00 -1 x"),
            ("2024-03-01T10:00:00Z".into(), 19)
        );
        assert!(iso8601(b"2024-03-01").is_none());
        assert!(iso8601(b"2024/03/01 10:00:00").is_none());
    }

    #[test]
    fn names_match_in_any_case_and_nothing_else_does() {
        let plain = |b: &[u8]| {
            let lower = b[..3].to_ascii_lowercase();
            let names = [
                "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
            ];
            names
                .iter()
                .position(|n| n.as_bytes() == lower)
                .map(|i| i as u8 + 1)
        };
        for name in [
            "Jan", "FEB", "mAr", "Apr", "may", "Jun", "Jul", "Aug", "Sep", "Oct",
        ] {
            for at in 0..3 {
                for byte in 0..=255u8 {
                    let mut b = name.as_bytes().to_vec();
                    b[at] = byte;
                    assert_eq!(month_from_name(&b), plain(&b), "{b:?}");
                }
            }
        }
        assert_eq!(month_from_name(b"Nov"), Some(11));
        assert_eq!(month_from_name(b"De"), None);
        assert!(is_weekday_name(b"THU") && is_weekday_name(b"sun"));
        assert!(!is_weekday_name(b"Sur") && !is_weekday_name(b"Mo"));
    }

    #[test]
    fn fractions_of_any_length() {
        assert_eq!(fraction(b".5", 0), (500_000_000, 2));
        assert_eq!(fraction(b",123456 x", 0), (123_456_000, 7));
        assert_eq!(fraction(b".123456789", 0), (123_456_789, 10));
        // Digits past nanoseconds are read and dropped.
        assert_eq!(fraction(b".1234567891234", 0), (123_456_789, 14));
        assert_eq!(fraction(b". ", 0), (0, 0));
        assert_eq!(fraction(b"x.1", 0), (0, 0));
        assert_eq!(fraction(b"12.1", 5), (0, 0));
        assert_eq!(digits::<4>(b"2024", 0), Some(2024));
        assert_eq!(digits::<4>(b"20/4", 0), None);
        assert_eq!(digits::<2>(b"1", 0), None);
    }

    #[test]
    fn bsd_variants() {
        assert_eq!(
            utc(bsd, "Jun  4 15:16:01 host"),
            ("2024-06-04T15:16:01Z".into(), 15)
        );
        assert_eq!(
            utc(bsd, "Jun 14 15:16:01 host"),
            ("2024-06-14T15:16:01Z".into(), 15)
        );
        assert_eq!(
            utc(bsd, "Mar 24 15:17:38.999 x"),
            ("2024-03-24T15:17:38.999Z".into(), 19)
        );
        assert_eq!(
            utc(bsd, "Oct 27 2015 09:24:46 host"),
            ("2015-10-27T09:24:46Z".into(), 20)
        );
        assert_eq!(
            utc(bsd, "OCT 11 22:14:15 x"),
            ("2024-10-11T22:14:15Z".into(), 15)
        );
        assert!(bsd(b"Foo 11 22:14:15").is_none());
        assert_eq!(bsd(b"Jun 14 15:16:01 host").unwrap().0.year, None);
    }

    #[test]
    fn ctime_variants() {
        assert_eq!(
            utc(ctime, "Sun Dec 04 04:47:44 2005] [notice]"),
            ("2005-12-04T04:47:44Z".into(), 24)
        );
        assert_eq!(
            utc(ctime, "Wed Oct 11 14:32:52.123456 2000] [core:error]"),
            ("2000-10-11T14:32:52.123456Z".into(), 31)
        );
        assert_eq!(
            utc(ctime, "Wed Apr 14 08:11:01 CEST 2021 x"),
            ("2021-04-14T06:11:01Z".into(), 29)
        );
        assert!(ctime(b"Wed Apr 14 08:11:01 x").is_none());
    }

    #[test]
    fn other_layouts() {
        assert_eq!(
            utc(slash_date, "2016/10/25 14:49:34 [error]"),
            ("2016-10-25T14:49:34Z".into(), 19)
        );
        assert_eq!(
            utc(day_month_year, "12 Nov 2024 14:02:01.123 * Ready"),
            ("2024-11-12T14:02:01.123Z".into(), 24)
        );
        assert_eq!(
            utc(leading_timestamp, "[2016-12-19 18:01:53,612] TRACE").1,
            25
        );
        assert_eq!(
            utc(leading_timestamp, "[Sun Dec 04 04:47:44 2005] [notice]").1,
            26
        );
    }

    #[test]
    fn never_panics_on_prefixes() {
        let samples = [
            "2024-03-01T10:00:00.123456+02:00",
            "10/Oct/2000:13:55:36 -0700",
            "Wed Apr 14 08:11:01 CEST 2021",
            "12 Nov 2024 14:02:01.123",
            "[2016/10/25 14:49:34]",
        ];
        for s in samples {
            for end in 0..=s.len() {
                let b = &s.as_bytes()[..end];
                let _ = leading_timestamp(b);
                let _ = iso8601(b);
                let _ = clf(b);
                let _ = bsd(b);
                let _ = ctime(b);
                let _ = slash_date(b);
                let _ = day_month_year(b);
            }
        }
    }
}
