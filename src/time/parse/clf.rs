//! Common Log Format times (`dd/MMM/yyyy:HH:mm:ss[.SSS] ±zzzz`), the layout of every access
//! log line and of HAProxy's accept date: the highest-volume timestamps there are, so each
//! thread remembers the last minute it parsed, by its bytes.

use super::{byte_is, digits2, digits4, fraction, month_from_name, numeric_offset};
use crate::time::{CivilTime, MICROS_PER_SECOND, PRINTABLE_SECONDS, Timestamp};

/// `dd/MMM/yyyy:HH:mm`, the part of a CLF time that lines of one minute share.
const CLF_MINUTE: usize = 17;

type ClfMinute = (u8, u8, i32, u8, u8);

thread_local! {
    /// The last CLF minute parsed on this thread, by its bytes: access logs give every request
    /// a timestamp, and a busy one writes thousands in the same minute.
    static LAST_CLF_MINUTE: std::cell::Cell<Option<([u8; CLF_MINUTE], ClfMinute)>> =
        const { std::cell::Cell::new(None) };
}

fn clf_minute(b: &[u8; CLF_MINUTE]) -> Option<ClfMinute> {
    let day = digits2(b, 0)?;
    if b[2] != b'/' || b[6] != b'/' || b[11] != b':' || b[14] != b':' {
        return None;
    }
    let month = month_from_name(&b[3..6])?;
    let year = digits4(b, 7)?;
    Some((day, month, year, digits2(b, 12)?, digits2(b, 15)?))
}

/// A CLF minute and `±hhmm` offset by their bytes, and the UTC second that minute starts at.
type ClfInstantMinute = ([u8; CLF_MINUTE], [u8; 5], i64);

thread_local! {
    /// The last CLF minute and offset read as an instant on this thread.
    static LAST_CLF_INSTANT: std::cell::Cell<Option<ClfInstantMinute>> =
        const { std::cell::Cell::new(None) };
}

/// A CLF time that states its offset as `±hhmm`, as web servers write it, read straight to
/// the instant: the same instant and length as [`clf`] followed by the conversion to UTC, but
/// the minute and offset are converted once per minute, and the result is a plain number.
/// (Returning the civil fields was a struct written field by field and read back whole by the
/// caller, a store-forwarding stall on every access-log line.) `None` for any other time,
/// including invalid ones: read those with [`clf`].
#[inline]
pub fn clf_instant(b: &[u8]) -> Option<(Timestamp, usize)> {
    let head: &[u8; CLF_MINUTE] = b.get(..CLF_MINUTE)?.try_into().ok()?;
    if !byte_is(b, 17, b':') {
        return None;
    }
    let second = digits2(b, 18)?;
    let (nanos, used) = fraction(b, 20);
    let zone_at = 21 + used;
    if !byte_is(b, zone_at - 1, b' ') {
        return None;
    }
    let zone: &[u8; 5] = b.get(zone_at..zone_at + 5)?.try_into().ok()?;
    let minute_start = match LAST_CLF_INSTANT.get() {
        Some((h, z, start)) if h == *head && z == *zone => start,
        _ => {
            if !matches!(zone[0], b'+' | b'-') || !zone[1..].iter().all(u8::is_ascii_digit) {
                return None;
            }
            let mut minute = [0u8; CLF_MINUTE + 9];
            minute[..CLF_MINUTE].copy_from_slice(head);
            minute[CLF_MINUTE..CLF_MINUTE + 4].copy_from_slice(b":00 ");
            minute[CLF_MINUTE + 4..].copy_from_slice(zone);
            let (civil, _) = clf(&minute)?;
            if !civil.is_valid() {
                return None;
            }
            let start = civil.local_seconds()? - civil.offset? as i64;
            LAST_CLF_INSTANT.set(Some((*head, *zone, start)));
            start
        }
    };
    if second > 60 {
        return None;
    }
    let utc = minute_start + second.min(59) as i64;
    if !PRINTABLE_SECONDS.contains(&utc) {
        return None;
    }
    Some((
        Timestamp(utc * MICROS_PER_SECOND + (nanos / 1000) as i64),
        zone_at + 5,
    ))
}

/// Common Log Format, inside the brackets: `dd/MMM/yyyy:HH:mm:ss[.SSS] ±zzzz` (zone optional).
#[inline]
pub fn clf(b: &[u8]) -> Option<(CivilTime, usize)> {
    let head: &[u8; CLF_MINUTE] = b.get(..CLF_MINUTE)?.try_into().ok()?;
    let (day, month, year, hour, minute) = match LAST_CLF_MINUTE.get() {
        Some((bytes, parsed)) if bytes == *head => parsed,
        _ => {
            let parsed = clf_minute(head)?;
            LAST_CLF_MINUTE.set(Some((*head, parsed)));
            parsed
        }
    };
    if !byte_is(b, 17, b':') {
        return None;
    }
    let second = digits2(b, 18)?;
    let mut i = 20;
    let (nanos, used) = fraction(b, i);
    i += used;
    let mut offset = None;
    if byte_is(b, i, b' ')
        && let Some((o, used)) = numeric_offset(b, i + 1)
    {
        offset = Some(o);
        i += 1 + used;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{Zone, ZoneConverter};

    /// Parses with `clf` and converts with an assumed zone of UTC.
    fn utc(s: &str) -> (String, usize) {
        let (c, used) = clf(s.as_bytes()).unwrap_or_else(|| panic!("no parse: {s}"));
        let ts = ZoneConverter::new(Zone::utc())
            .civil_to_utc(&c)
            .expect("valid");
        (ts.to_string(), used)
    }

    /// Lines of one minute reuse its parse; whatever came before, the answer is the same.
    #[test]
    fn clf_minutes_are_reused_only_for_the_same_bytes() {
        let lines: [&[u8]; 6] = [
            b"10/Oct/2000:13:55:36 -0700",
            b"10/Oct/2000:13:55:59.5 -0700",
            b"10/Oct/2000:13:56:00 -0700",
            b"10/Oct/2000:13:55:0x -0700",
            b"10/Oxt/2000:13:55:36 -0700",
            b"11/Oct/2000:13:55:36",
        ];
        let fresh = |b: &[u8]| {
            LAST_CLF_MINUTE.set(None);
            clf(b)
        };
        let want: Vec<_> = lines.iter().map(|l| fresh(l)).collect();
        for order in [[0, 1, 2, 3, 4, 5], [5, 4, 3, 2, 1, 0], [0, 3, 0, 4, 1, 5]] {
            for i in order {
                assert_eq!(clf(lines[i]), want[i], "{:?}", lines[i]);
            }
        }
        assert!(want[3].is_none() && want[4].is_none());
        assert_eq!(
            want[1].map(|(t, _)| (t.minute, t.second, t.nanos)),
            Some((55, 59, 500_000_000))
        );
    }

    /// What [`clf`] and the conversion to UTC make of `b`, when it states its offset.
    fn clf_then_utc(b: &[u8]) -> Option<(Timestamp, usize)> {
        let (civil, used) = clf(b)?;
        civil.offset?;
        let ts = ZoneConverter::new(Zone::utc()).civil_to_utc(&civil)?;
        Some((ts, used))
    }

    /// Wherever the instant is read at once it is what the civil reading converts to, in any
    /// order of lines (the minute is remembered), and every web server's form is read so.
    #[test]
    fn clf_instants_are_the_converted_civil_times() {
        let lines: [&[u8]; 14] = [
            b"10/Oct/2000:13:55:36 -0700",
            b"10/Oct/2000:13:55:59.5 -0700] x",
            b"10/Oct/2000:13:55:60 -0700",
            b"10/Oct/2000:13:55:61 -0700",
            b"10/Oct/2000:13:55:36 +0530",
            b"10/Oct/2000:13:56:00 -0700",
            b"10/Oct/2000:13:55:0x -0700",
            b"31/Feb/2000:13:55:36 -0700",
            b"29/Feb/2000:23:59:59.999999 +1400",
            b"11/Oct/2000:13:55:36",
            b"11/Oct/2000:13:55:36 +01:00",
            b"11/Oct/2000:13:55:36 +9900",
            b"01/Jan/0001:00:00:00 +0100",
            b"31/Dec/9999:23:59:59 -0100",
        ];
        let fresh = |b: &[u8]| {
            LAST_CLF_INSTANT.set(None);
            clf_instant(b)
        };
        let want: Vec<_> = lines.iter().map(|l| fresh(l)).collect();
        for (line, got) in lines.iter().zip(&want) {
            if got.is_some() {
                assert_eq!(
                    *got,
                    clf_then_utc(line),
                    "{:?}",
                    String::from_utf8_lossy(line)
                );
            }
        }
        // The usual forms are all read at once; the rest are left to clf.
        let read: Vec<bool> = want.iter().map(Option::is_some).collect();
        assert_eq!(
            read,
            [
                true, true, true, false, true, true, false, false, true, false, false, false,
                false, false
            ]
        );
        for order in [
            [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13],
            [13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
            [0, 4, 0, 7, 1, 11, 5, 0, 10, 2, 6, 0, 3, 8],
        ] {
            for i in order {
                assert_eq!(clf_instant(lines[i]), want[i], "{:?}", lines[i]);
            }
        }
    }

    #[test]
    fn clf_variants() {
        assert_eq!(
            utc("10/Oct/2000:13:55:36 -0700] \"GET"),
            ("2000-10-10T20:55:36Z".into(), 26)
        );
        assert_eq!(
            utc("25/Feb/2019:16:19:48.143] x"),
            ("2019-02-25T16:19:48.143Z".into(), 24)
        );
        assert!(clf(b"10/Foo/2000:13:55:36 -0700").is_none());
    }
}
