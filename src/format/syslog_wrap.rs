//! The syslog header that web servers' and proxies' lines arrive behind when they are sent to
//! syslog rather than written to a file: RFC 3164 (`<PRI>Mmm dd HH:mm:ss host tag[pid]: `, PRI
//! and host optional), RFC 5424 (`<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD `), an ISO 8601
//! timestamp in place of RFC 3164's, or just the `tag[pid]: ` of a journal export. A helper for
//! the web formats, not a format.

use super::fields::{Cursor, find_byte, parse_u64};
use crate::time::CivilTime;
use crate::time::parse::{bsd, iso8601};

/// A syslog header in front of a message, as far as it is there.
#[derive(Debug, Default)]
pub(crate) struct Header<'a> {
    pub severity: Option<u8>,
    stamp: Stamp<'a>,
    pub host: Option<&'a [u8]>,
    /// The program name, without `[pid]`.
    pub tag: Option<&'a [u8]>,
}

/// The header's timestamp. HAProxy's request lines carry their own accept date, so the
/// header's RFC 3339 time, on every line and a tenth of the parsing, is read only if asked for.
#[derive(Debug, Default)]
enum Stamp<'a> {
    #[default]
    Absent,
    Parsed(CivilTime),
    /// Bytes already known to be a complete RFC 3339 timestamp.
    Rfc3339(&'a [u8]),
}

impl Header<'_> {
    pub fn time(&self) -> Option<CivilTime> {
        match self.stamp {
            Stamp::Absent => None,
            Stamp::Parsed(t) => Some(t),
            Stamp::Rfc3339(b) => iso8601(b).map(|(t, _)| t),
        }
    }
}

/// The length of the RFC 3339 timestamp syslog daemons write,
/// `yyyy-MM-ddTHH:mm:ss.fraction±hh:mm` (or `Z`), when `b` starts with one followed by a space:
/// exactly the lines [`iso8601`] reads with that length, checked without computing the time.
/// Other layouts give `None` and are parsed in full.
fn rfc3339_len(b: &[u8]) -> Option<usize> {
    let head: &[u8; 20] = b.get(..20)?.try_into().ok()?;
    let d = |i: usize| head[i].wrapping_sub(b'0') < 10;
    // `&`, not `&&`: every test is one compare, cheaper than a branch each.
    let shape = (head[4] == b'-')
        & (head[7] == b'-')
        & matches!(head[10], b'T' | b't')
        & (head[13] == b':')
        & (head[16] == b':')
        & d(0)
        & d(1)
        & d(2)
        & d(3)
        & d(5)
        & d(6)
        & d(8)
        & d(9)
        & d(11)
        & d(12)
        & d(14)
        & d(15)
        & d(17)
        & d(18);
    if !shape {
        return None;
    }
    let mut i = 19;
    if matches!(b[i], b'.' | b',') {
        let digits = b[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return None;
        }
        i += 1 + digits;
    }
    match b.get(i)? {
        b'Z' | b'z' => i += 1,
        b'+' | b'-' => {
            let off = b.get(i + 1..i + 6)?;
            let d = |k: usize| off[k].is_ascii_digit();
            let ok = off[2] == b':'
                && d(0) & d(1) & d(3) & d(4)
                && (off[0] - b'0') * 10 + (off[1] - b'0') <= 14
                && (off[3] - b'0') * 10 + (off[4] - b'0') <= 59;
            if !ok {
                return None;
            }
            i += 6;
        }
        _ => return None,
    }
    (b.get(i) == Some(&b' ')).then_some(i)
}

/// `name[pid]:` or `name:`, the RFC 3164 tag; the name without the rest.
fn syslog_tag(tok: &[u8]) -> Option<&[u8]> {
    let tok = tok.strip_suffix(b":")?;
    let name = match find_byte(b'[', tok) {
        Some(open) => {
            let pid = tok[open + 1..].strip_suffix(b"]")?;
            if pid.is_empty() || !pid.iter().all(u8::is_ascii_digit) {
                return None;
            }
            &tok[..open]
        }
        None => tok,
    };
    let ok = !name.is_empty() && name.len() <= 48 && name.iter().all(|&c| TAG_BYTE[c as usize]);
    ok.then_some(name)
}

/// The bytes a program name may have: letters, digits and `-_./` (a table: the tag is checked
/// on every line).
static TAG_BYTE: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'/');
        c += 1;
    }
    t
};

/// Splits a line into its syslog header and the message after it.
pub(crate) fn split_header(line: &[u8]) -> (Header<'_>, &[u8]) {
    let mut h = Header::default();
    let mut rest = line;
    // `<PRI>`
    if let Some(inner) = rest.strip_prefix(b"<")
        && let Some(close) = memchr::memchr(b'>', &inner[..inner.len().min(4)])
        && let Some(pri) = parse_u64(&inner[..close]).filter(|p| *p < 192)
    {
        h.severity = Some((pri % 8) as u8);
        rest = &inner[close + 1..];
    }
    // RFC 5424: `1 TIMESTAMP HOST APP PROCID MSGID SD MSG`.
    if h.severity.is_some()
        && let Some(after) = rest.strip_prefix(b"1 ")
        && let Some((time, used)) = iso8601(after)
    {
        let mut c = Cursor::new(&after[used..]);
        if c.eat(b' ').is_some()
            && let (Some(host), Some(app), Some(_procid), Some(_msgid)) =
                (c.token(), c.token(), c.token(), c.token())
        {
            if c.eat(b'-').is_none() {
                while c.peek() == Some(b'[') {
                    // Structured data: `[id key="value" ...]`, values may hold `]` escaped.
                    let r = c.rest();
                    let mut i = 1;
                    while i < r.len() && r[i] != b']' {
                        i += if r[i] == b'\\' { 2 } else { 1 };
                    }
                    c.advance(i + 1);
                }
            }
            c.eat(b' ');
            h.stamp = Stamp::Parsed(time);
            h.host = (host != b"-").then_some(host);
            h.tag = (app != b"-").then_some(app);
            return (h, c.rest());
        }
    }
    // A timestamp: RFC 3164's, or ISO 8601 (`format iso`, rsyslog's RFC 3339 templates).
    let stamped = match rfc3339_len(rest) {
        Some(used) => Some((Stamp::Rfc3339(&rest[..used]), used)),
        None => bsd(rest)
            .or_else(|| iso8601(rest))
            .map(|(time, used)| (Stamp::Parsed(time), used)),
    };
    if let Some((stamp, used)) = stamped
        && rest.get(used) == Some(&b' ')
    {
        h.stamp = stamp;
        rest = &rest[used + 1..];
        while rest.first() == Some(&b' ') {
            rest = &rest[1..];
        }
    }
    // `host tag[pid]: ` or `tag[pid]: `.
    if let Some(found) = host_and_tag(rest) {
        h.host = found.host_len.map(|n| &rest[..n as usize]);
        let tag = found.tag_start as usize;
        h.tag = Some(&rest[tag..tag + found.tag_len as usize]);
        return (h, &rest[found.message_start as usize..]);
    }
    (h, rest)
}

/// Where `host tag[pid]: ` (or `tag[pid]: `) puts its parts, as offsets into the bytes after
/// the timestamp.
#[derive(Clone, Copy, Debug, PartialEq)]
struct HostTag {
    host_len: Option<u32>,
    tag_start: u32,
    tag_len: u32,
    message_start: u32,
}

/// The longest `host tag[pid]: ` remembered between lines.
const HOST_TAG_CACHED: usize = 48;

/// A remembered `host tag[pid]: `: its bytes, and what they were.
#[derive(Clone, Copy)]
struct HostTagBytes {
    bytes: [u8; HOST_TAG_CACHED],
    found: HostTag,
}

impl HostTagBytes {
    fn new(head: &[u8], found: HostTag) -> HostTagBytes {
        let mut bytes = [0u8; HOST_TAG_CACHED];
        bytes[..head.len()].copy_from_slice(head);
        HostTagBytes { bytes, found }
    }

    /// Whether `rest` starts with the remembered bytes: compared a word at a time, the last
    /// word overlapping the one before, so that it is a few compares and no call to memcmp.
    #[inline]
    fn starts(&self, rest: &[u8]) -> bool {
        let n = self.found.message_start as usize;
        let Some(head) = rest.get(..n) else {
            return false;
        };
        if n < 8 {
            return head == &self.bytes[..n];
        }
        let word = |s: &[u8], at: usize| u64::from_le_bytes(s[at..at + 8].try_into().expect("8"));
        let mut at = 0;
        while at + 8 < n {
            if word(head, at) != word(&self.bytes, at) {
                return false;
            }
            at += 8;
        }
        word(head, n - 8) == word(&self.bytes, n - 8)
    }
}

thread_local! {
    /// The bytes of the last `host tag[pid]: ` read on this thread, and what they were: a
    /// file from one daemon repeats them on every line, and checking a tag byte by byte was
    /// a sixth of the parsing of a HAProxy line.
    static LAST_HOST_TAG: std::cell::RefCell<Option<HostTagBytes>> =
        const { std::cell::RefCell::new(None) };
}

/// [`read_host_and_tag`], remembering the last answer by the bytes it depended on (the tokens
/// and the space after each), which decide it alone.
#[inline]
fn host_and_tag(rest: &[u8]) -> Option<HostTag> {
    let hit = LAST_HOST_TAG.with_borrow(|last| {
        last.as_ref()
            .filter(|last| last.starts(rest))
            .map(|last| last.found)
    });
    if hit.is_some() {
        return hit;
    }
    let found = read_host_and_tag(rest)?;
    let n = found.message_start as usize;
    // Only when a space ended the tag: at the end of the line, the next line's longer tag
    // could start with the same bytes.
    if n <= HOST_TAG_CACHED && rest[n - 1] == b' ' {
        LAST_HOST_TAG.set(Some(HostTagBytes::new(&rest[..n], found)));
    }
    Some(found)
}

/// `host tag[pid]: ` or `tag[pid]: ` at the start of `rest`.
fn read_host_and_tag(rest: &[u8]) -> Option<HostTag> {
    let mut c = Cursor::new(rest);
    let first = c.token()?;
    let small = |n: usize| u32::try_from(n).ok();
    if let Some(tag) = syslog_tag(first) {
        return Some(HostTag {
            host_len: None,
            tag_start: 0,
            tag_len: small(tag.len())?,
            message_start: small(c.pos())?,
        });
    }
    let tag_start = c.pos();
    let tag = syslog_tag(c.token()?)?;
    Some(HostTag {
        host_len: Some(small(first.len())?),
        tag_start: small(tag_start)?,
        tag_len: small(tag.len())?,
        message_start: small(c.pos())?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_forms() {
        let (h, m) = split_header(b"Feb  6 12:14:14 lb1 haproxy[14389]: msg");
        assert_eq!(
            (h.host, h.tag, m),
            (Some(&b"lb1"[..]), Some(&b"haproxy"[..]), &b"msg"[..])
        );
        assert_eq!(h.time().map(|t| (t.year, t.day)), Some((None, 6)));
        let (h, m) = split_header(b"<134>Feb  6 12:14:14 haproxy[1]: msg");
        assert_eq!((h.severity, h.host, m), (Some(6), None, &b"msg"[..]));
        let (h, m) = split_header(b"<134>1 2024-11-14T14:02:11Z lb1 haproxy 7 - - msg");
        assert_eq!(
            (h.host, h.tag, m),
            (Some(&b"lb1"[..]), Some(&b"haproxy"[..]), &b"msg"[..])
        );
        let (h, m) = split_header(br#"<134>1 2024-11-14T14:02:11Z - - - - [a b="\]"][c] msg"#);
        assert_eq!((h.host, h.tag, m), (None, None, &b"msg"[..]));
        let (h, m) = split_header(b"2024-11-14T14:02:11+01:00 lb1 nginx: msg");
        assert_eq!(
            (h.time().and_then(|t| t.offset), h.tag),
            (Some(3600), Some(&b"nginx"[..]))
        );
        assert_eq!(m, b"msg");
        let (h, m) = split_header(b"host nginx[2]: msg");
        assert_eq!(
            (h.time(), h.host, m),
            (None, Some(&b"host"[..]), &b"msg"[..])
        );
        let (h, m) = split_header(b"10.0.0.1:80 [x] y");
        assert_eq!((h.tag, m), (None, &b"10.0.0.1:80 [x] y"[..]));
    }

    /// The quick length agrees with the full parser wherever it answers, and answers for the
    /// layouts syslog daemons write.
    #[test]
    fn rfc3339_length_agrees_with_the_parser() {
        let good = [
            "2024-11-14T08:00:00.063867+00:00 lb1",
            "2024-11-14T08:00:00Z lb1",
            "2024-11-14t08:00:00,5-05:30 lb1",
            "2024-11-14T08:00:00+14:00 x",
        ];
        for line in good {
            let b = line.as_bytes();
            let used = rfc3339_len(b).unwrap_or_else(|| panic!("{line}"));
            assert_eq!(iso8601(b).map(|(_, u)| u), Some(used), "{line}");
        }
        let other = [
            "2024-11-14 08:00:00 UTC lb1",
            "2024-11-14T08:00:00 lb1",
            "2024-11-14T08:00:00+15:00 lb1",
            "2024-11-14T08:00:00+0100 lb1",
            "2024-11-14T08:00:00. lb1",
            "2024-11-14T08:00:00Zlb1",
            "2024-1x-14T08:00:00Z lb1",
            "2024-11-14T08:00:00+01:",
        ];
        for line in other {
            assert_eq!(rfc3339_len(line.as_bytes()), None, "{line}");
        }
        let base = b"2024-11-14T08:00:00.063867+00:00 lb1";
        for at in 0..base.len() {
            for byte in [b'0', b'9', b'a', b' ', b'+', b'.', b':', b'Z', 0xff] {
                let mut b = base.to_vec();
                b[at] = byte;
                if let Some(used) = rfc3339_len(&b) {
                    assert_eq!(iso8601(&b).map(|(_, u)| u), Some(used), "{b:?}");
                    assert_eq!(b[used], b' ');
                }
            }
        }
    }

    /// Remembering the last host and tag never changes an answer, whatever came before.
    #[test]
    fn remembered_host_and_tag_agree_with_reading_them() {
        let lines: [&[u8]; 13] = [
            b"Feb  6 12:14:14 lb1 haproxy[14389]: msg",
            b"Feb  6 12:14:14 lb1 haproxy[14388]: msg",
            b"Feb  6 12:14:14 lb2 haproxy[14389]: msg",
            b"Feb  6 12:14:14 nginx: msg",
            b"Feb  6 12:14:14 nginx:msg",
            b"Feb  6 12:14:14 lb1 haproxy[14389]:",
            b"Feb  6 12:14:14 lb1 haproxy[14389]:x y",
            b"Feb  6 12:14:14 lb1 haproxy[14389]: ",
            b"Feb  6 12:14:14 lb1 haproxy[143890]: msg",
            b"Feb  6 12:14:14 haproxy[14389]: msg",
            b"Feb  6 12:14:14 lb1 haproxy[14389]:  two spaces",
            b"Feb  6 12:14:14 a-very-long-host-name.example.internal haproxy[14389]: m",
            b"Feb  6 12:14:14 lb1 nginx: msg",
        ];
        fn fresh(line: &[u8]) -> (Option<&[u8]>, Option<&[u8]>, Vec<u8>) {
            LAST_HOST_TAG.set(None);
            let (h, m) = split_header(line);
            (h.host, h.tag, m.to_vec())
        }
        let want: Vec<_> = lines.iter().map(|l| fresh(l)).collect();
        for first in 0..lines.len() {
            for second in 0..lines.len() {
                fresh(lines[first]);
                let (h, m) = split_header(lines[second]);
                assert_eq!(
                    (h.host, h.tag, m.to_vec()),
                    want[second],
                    "{:?} after {:?}",
                    String::from_utf8_lossy(lines[second]),
                    String::from_utf8_lossy(lines[first])
                );
            }
        }
        assert_eq!(want[5].2, b"");
    }

    #[test]
    fn never_panics_on_prefixes() {
        let s = br#"<134>1 2024-11-14T14:02:11Z lb1 haproxy 7 - [a b="\]"] msg"#;
        for end in 0..=s.len() {
            let _ = split_header(&s[..end]);
        }
        let s = b"<13>Feb  6 12:14:14 lb1 haproxy[14389]: msg";
        for end in 0..=s.len() {
            let _ = split_header(&s[..end]);
        }
    }
}
