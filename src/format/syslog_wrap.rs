//! The syslog header that web servers' and proxies' lines arrive behind when they are sent to
//! syslog rather than written to a file: RFC 3164 (`<PRI>Mmm dd HH:mm:ss host tag[pid]: `, PRI
//! and host optional), RFC 5424 (`<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD `), an ISO 8601
//! timestamp in place of RFC 3164's, or just the `tag[pid]: ` of a journal export. A helper for
//! the web formats, not a format.

use super::fields::{Cursor, parse_u64};
use crate::time::CivilTime;
use crate::time::parse::{bsd, iso8601};

/// A syslog header in front of a message, as far as it is there.
#[derive(Debug, Default)]
pub(crate) struct Header<'a> {
    pub severity: Option<u8>,
    pub time: Option<CivilTime>,
    pub host: Option<&'a [u8]>,
    /// The program name, without `[pid]`.
    pub tag: Option<&'a [u8]>,
}

/// `name[pid]:` or `name:`, the RFC 3164 tag; the name without the rest.
fn syslog_tag(tok: &[u8]) -> Option<&[u8]> {
    let tok = tok.strip_suffix(b":")?;
    let name = match memchr::memchr(b'[', tok) {
        Some(open) => {
            let pid = tok[open + 1..].strip_suffix(b"]")?;
            if pid.is_empty() || !pid.iter().all(u8::is_ascii_digit) {
                return None;
            }
            &tok[..open]
        }
        None => tok,
    };
    let ok = !name.is_empty()
        && name.len() <= 48
        && name
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b'/'));
    ok.then_some(name)
}

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
            h.time = Some(time);
            h.host = (host != b"-").then_some(host);
            h.tag = (app != b"-").then_some(app);
            return (h, c.rest());
        }
    }
    // A timestamp: RFC 3164's, or ISO 8601 (`format iso`, rsyslog's RFC 3339 templates).
    let stamped = bsd(rest).or_else(|| iso8601(rest));
    if let Some((time, used)) = stamped
        && rest.get(used) == Some(&b' ')
    {
        h.time = Some(time);
        rest = &rest[used + 1..];
        while rest.first() == Some(&b' ') {
            rest = &rest[1..];
        }
    }
    // `host tag[pid]: ` or `tag[pid]: `.
    let mut c = Cursor::new(rest);
    if let Some(first) = c.token() {
        if let Some(tag) = syslog_tag(first) {
            h.tag = Some(tag);
            return (h, c.rest());
        }
        if let Some(second) = c.token()
            && let Some(tag) = syslog_tag(second)
        {
            h.host = Some(first);
            h.tag = Some(tag);
            return (h, c.rest());
        }
    }
    (h, rest)
}

/// `sample` with the bytes at some positions replaced: input for the web formats' property tests
/// that no line, however mangled, makes a parser panic.
#[cfg(test)]
pub(crate) fn mangle(sample: &str, edits: &[(usize, u8)]) -> Vec<u8> {
    let mut bytes = sample.as_bytes().to_vec();
    for &(pos, byte) in edits {
        if !bytes.is_empty() {
            let at = pos % bytes.len();
            bytes[at] = byte;
        }
    }
    bytes
}

/// Bytes that matter to the web formats' layouts, for mangling samples.
#[cfg(test)]
pub(crate) const STRUCTURAL: &[u8] = b" :/[](){}<>\"\\-+#*.,09aZT\t";

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
        assert_eq!(h.time.map(|t| (t.year, t.day)), Some((None, 6)));
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
            (h.time.and_then(|t| t.offset), h.tag),
            (Some(3600), Some(&b"nginx"[..]))
        );
        assert_eq!(m, b"msg");
        let (h, m) = split_header(b"host nginx[2]: msg");
        assert_eq!((h.time, h.host, m), (None, Some(&b"host"[..]), &b"msg"[..]));
        let (h, m) = split_header(b"10.0.0.1:80 [x] y");
        assert_eq!((h.tag, m), (None, &b"10.0.0.1:80 [x] y"[..]));
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
