//! Byte formatting for the log writers: numbers and timestamps pushed straight into a line
//! buffer, without `format!`, because the request writers run once per line at disk speed.

/// Microseconds per second, minute, hour and day.
pub const SEC: i64 = 1_000_000;
pub const MIN: i64 = 60 * SEC;
pub const HOUR: i64 = 60 * MIN;

const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

/// A wall-clock time, broken down.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Civil {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    pub micros: u32,
}

/// The wall-clock time of `us` (µs since the epoch) at `offset_s` seconds east of UTC.
pub fn civil(us: i64, offset_s: i32) -> Civil {
    let local = us + offset_s as i64 * SEC;
    let secs = local.div_euclid(SEC);
    let micros = local.rem_euclid(SEC) as u32;
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400) as u32;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    Civil {
        year,
        month,
        day,
        hour: sod / 3600,
        minute: sod / 60 % 60,
        second: sod % 60,
        micros,
    }
}

/// µs since the epoch of a UTC wall-clock time.
pub fn epoch_us(year: i64, month: u32, day: u32, hour: u32, minute: u32, second: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = month as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    ((days * 86_400) + hour as i64 * 3600 + minute as i64 * 60 + second as i64) * SEC
}

/// "00" to "99": two digits per division, the usual itoa trick.
const PAIRS: &[u8; 200] = b"\
0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// The digits of `n` right-aligned in `tmp` (zero-filled to at least `width`); their start.
fn digits(tmp: &mut [u8; 20], mut n: u64, width: usize) -> usize {
    let mut i = tmp.len();
    while n >= 100 {
        let d = (n % 100) as usize * 2;
        n /= 100;
        i -= 2;
        tmp[i..i + 2].copy_from_slice(&PAIRS[d..d + 2]);
    }
    if n >= 10 {
        let d = n as usize * 2;
        i -= 2;
        tmp[i..i + 2].copy_from_slice(&PAIRS[d..d + 2]);
    } else {
        i -= 1;
        tmp[i] = b'0' + n as u8;
    }
    i.min(tmp.len() - width.min(20))
}

pub fn push_u64(buf: &mut Vec<u8>, n: u64) {
    let mut tmp = [b'0'; 20];
    let i = digits(&mut tmp, n, 1);
    buf.extend_from_slice(&tmp[i..]);
}

/// `n` zero-padded to `width` digits (more digits if it needs them).
pub fn push_pad(buf: &mut Vec<u8>, n: u64, width: usize) {
    let mut tmp = [b'0'; 20];
    let i = digits(&mut tmp, n, width);
    buf.extend_from_slice(&tmp[i..]);
}

/// Milliseconds as seconds with three decimals: 1234 → `1.234`.
pub fn push_secs_ms(buf: &mut Vec<u8>, ms: u64) {
    push_u64(buf, ms / 1000);
    buf.push(b'.');
    push_pad(buf, ms % 1000, 3);
}

/// Milliseconds with three decimals of a µs value: 5123456 → `5123.456`.
pub fn push_ms_us(buf: &mut Vec<u8>, us: u64) {
    push_u64(buf, us / 1000);
    buf.push(b'.');
    push_pad(buf, us % 1000, 3);
}

/// `+01:00` (or `+0100` without the colon) for an offset in seconds; `Z` when `z` and zero.
pub fn push_offset(buf: &mut Vec<u8>, offset_s: i32, colon: bool) {
    buf.push(if offset_s < 0 { b'-' } else { b'+' });
    let a = offset_s.unsigned_abs();
    push_pad(buf, (a / 3600) as u64, 2);
    if colon {
        buf.push(b':');
    }
    push_pad(buf, (a / 60 % 60) as u64, 2);
}

/// `2024-11-14` then `sep` then `14:02:11`.
pub fn push_date_time(buf: &mut Vec<u8>, c: &Civil, date_sep: u8, sep: u8) {
    push_pad(buf, c.year as u64, 4);
    buf.push(date_sep);
    push_pad(buf, c.month as u64, 2);
    buf.push(date_sep);
    push_pad(buf, c.day as u64, 2);
    buf.push(sep);
    push_pad(buf, c.hour as u64, 2);
    buf.push(b':');
    push_pad(buf, c.minute as u64, 2);
    buf.push(b':');
    push_pad(buf, c.second as u64, 2);
}

/// ISO 8601 / RFC 3339 with `digits` fraction digits (0, 3 or 6) and the offset (`Z` when
/// `zulu` and the offset is zero).
pub fn push_iso(buf: &mut Vec<u8>, us: i64, offset_s: i32, digits: u32, zulu: bool) {
    let c = civil(us, offset_s);
    push_date_time(buf, &c, b'-', b'T');
    push_fraction(buf, c.micros, digits);
    if zulu && offset_s == 0 {
        buf.push(b'Z');
    } else {
        push_offset(buf, offset_s, true);
    }
}

/// `.123` or `.123456` (nothing for 0 digits).
pub fn push_fraction(buf: &mut Vec<u8>, micros: u32, digits: u32) {
    match digits {
        3 => {
            buf.push(b'.');
            push_pad(buf, (micros / 1000) as u64, 3);
        }
        6 => {
            buf.push(b'.');
            push_pad(buf, micros as u64, 6);
        }
        _ => {}
    }
}

/// The CLF date `14/Nov/2024:14:02:11`, with `.123` when `millis`.
pub fn push_clf(buf: &mut Vec<u8>, c: &Civil, millis: bool) {
    push_pad(buf, c.day as u64, 2);
    buf.push(b'/');
    buf.extend_from_slice(MONTHS[(c.month - 1) as usize]);
    buf.push(b'/');
    push_pad(buf, c.year as u64, 4);
    buf.push(b':');
    push_pad(buf, c.hour as u64, 2);
    buf.push(b':');
    push_pad(buf, c.minute as u64, 2);
    buf.push(b':');
    push_pad(buf, c.second as u64, 2);
    if millis {
        push_fraction(buf, c.micros, 3);
    }
}

pub fn push_ipv4(buf: &mut Vec<u8>, ip: u32) {
    for (i, shift) in [24, 16, 8, 0].into_iter().enumerate() {
        if i > 0 {
            buf.push(b'.');
        }
        push_u64(buf, ((ip >> shift) & 0xff) as u64);
    }
}

/// Lower-case hex of `v`, `width` digits.
pub fn push_hex(buf: &mut Vec<u8>, v: u64, width: usize) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for i in (0..width).rev() {
        buf.push(HEX[((v >> (i * 4)) & 0xf) as usize]);
    }
}

/// A JSON string's content with `"`, `\` and control characters escaped.
pub fn push_json_escaped(buf: &mut Vec<u8>, s: &str) {
    for &b in s.as_bytes() {
        match b {
            b'"' => buf.extend_from_slice(b"\\\""),
            b'\\' => buf.extend_from_slice(b"\\\\"),
            b'\n' => buf.extend_from_slice(b"\\n"),
            b'\t' => buf.extend_from_slice(b"\\t"),
            b'\r' => buf.extend_from_slice(b"\\r"),
            0..=0x1f => {
                buf.extend_from_slice(b"\\u00");
                push_hex(buf, b as u64, 2);
            }
            _ => buf.push(b),
        }
    }
}

/// RFC 3339 UTC with `Z` and no fraction unless there is one, for truth.json.
pub fn rfc3339(us: i64) -> String {
    let mut buf = Vec::with_capacity(27);
    let c = civil(us, 0);
    push_date_time(&mut buf, &c, b'-', b'T');
    if c.micros != 0 {
        if c.micros.is_multiple_of(1000) {
            push_fraction(&mut buf, c.micros, 3);
        } else {
            push_fraction(&mut buf, c.micros, 6);
        }
    }
    buf.push(b'Z');
    String::from_utf8(buf).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(f: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut b = Vec::new();
        f(&mut b);
        String::from_utf8(b).unwrap()
    }

    #[test]
    fn civil_round_trips() {
        let t = epoch_us(2024, 11, 14, 14, 2, 11) + 123_456;
        assert_eq!(t, 1_731_592_931_123_456);
        let c = civil(t, 3600);
        assert_eq!(
            (c.year, c.month, c.day, c.hour, c.minute, c.second),
            (2024, 11, 14, 15, 2, 11)
        );
        assert_eq!(civil(epoch_us(2000, 2, 29, 0, 0, 0), 0).day, 29);
        assert_eq!(civil(epoch_us(2024, 1, 1, 0, 0, 0) - 1, 0).year, 2023);
    }

    #[test]
    fn numbers_and_times() {
        assert_eq!(s(|b| push_u64(b, 0)), "0");
        assert_eq!(
            s(|b| push_u64(b, 18_446_744_073_709_551_615)),
            "18446744073709551615"
        );
        assert_eq!(s(|b| push_pad(b, 7, 3)), "007");
        assert_eq!(s(|b| push_pad(b, 12345, 3)), "12345");
        assert_eq!(s(|b| push_secs_ms(b, 60_001)), "60.001");
        assert_eq!(s(|b| push_ms_us(b, 5_123_456)), "5123.456");
        let t = 1_731_592_931_123_456;
        assert_eq!(
            s(|b| push_iso(b, t, 0, 6, true)),
            "2024-11-14T14:02:11.123456Z"
        );
        assert_eq!(
            s(|b| push_iso(b, t, -18_000, 3, true)),
            "2024-11-14T09:02:11.123-05:00"
        );
        assert_eq!(s(|b| push_offset(b, 19_800, false)), "+0530");
        assert_eq!(
            s(|b| push_clf(b, &civil(t, 0), true)),
            "14/Nov/2024:14:02:11.123"
        );
        assert_eq!(s(|b| push_ipv4(b, 0xC000_020A)), "192.0.2.10");
        assert_eq!(s(|b| push_hex(b, 0xab, 4)), "00ab");
        assert_eq!(s(|b| push_json_escaped(b, "a\"b\\\n\tc")), r#"a\"b\\\n\tc"#);
        assert_eq!(rfc3339(t - 123_456), "2024-11-14T14:02:11Z");
        assert_eq!(rfc3339(t - 456), "2024-11-14T14:02:11.123Z");
    }
}
