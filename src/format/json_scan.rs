//! Reading a few known keys out of a one-line JSON object without parsing it, for formats whose
//! lines are JSON objects written by one program in one key order (PostgreSQL's jsonlog,
//! MongoDB's structured log). Nothing allocates; strings come back still escaped.

use super::fields::find_either;

/// The raw value of the first `"key": …` in `line` whose key is not inside a string (an escaped
/// `\"key\"` in a message is skipped). `quoted_key` includes the quotes: `b"\"msg\""`.
///
/// Returns the bytes of the value: for a string, its contents without the quotes (escapes left
/// as written); for anything else, up to the next `,` or `}`.
pub fn value<'a>(line: &'a [u8], quoted_key: &[u8]) -> Option<&'a [u8]> {
    value_at(line, quoted_key).map(|(v, _)| v)
}

/// Like [`value`], also returning where the key starts.
pub fn value_at<'a>(line: &'a [u8], quoted_key: &[u8]) -> Option<(&'a [u8], usize)> {
    for at in memchr::memmem::find_iter(line, quoted_key) {
        if at > 0 && line[at - 1] == b'\\' {
            continue;
        }
        let mut i = at + quoted_key.len();
        i += spaces(&line[i..]);
        if line.get(i) != Some(&b':') {
            continue;
        }
        i += 1;
        i += spaces(&line[i..]);
        let rest = &line[i..];
        return match rest.first() {
            Some(b'"') => string_body(rest).map(|s| (s, at)),
            Some(_) => {
                let end = rest
                    .iter()
                    .position(|c| matches!(c, b',' | b'}' | b']'))
                    .unwrap_or(rest.len());
                Some((trim_end(&rest[..end]), at))
            }
            None => None,
        };
    }
    None
}

fn spaces(b: &[u8]) -> usize {
    b.iter().take_while(|c| matches!(c, b' ' | b'\t')).count()
}

fn trim_end(b: &[u8]) -> &[u8] {
    let end = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(0, |p| p + 1);
    &b[..end]
}

/// The contents of the JSON string `b` starts with, up to its closing quote; `None` when the line
/// ends first.
pub fn string_body(b: &[u8]) -> Option<&[u8]> {
    if b.first() != Some(&b'"') {
        return None;
    }
    let mut i = 1;
    loop {
        i += find_either(b'"', b'\\', b.get(i..)?)?;
        if b[i] == b'\\' {
            i += 2;
        } else {
            return Some(&b[1..i]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_values() {
        let line = br#"{"t":{"$date":"2024-11-14T14:02:11.123+00:00"},"s":"E",  "c":"NETWORK", "id":22944, "msg":"say \"s\":\"x\"","n" : null}"#;
        assert_eq!(
            value(line, br#""$date""#),
            Some(&b"2024-11-14T14:02:11.123+00:00"[..])
        );
        assert_eq!(value(line, br#""s""#), Some(&b"E"[..]));
        assert_eq!(value(line, br#""c""#), Some(&b"NETWORK"[..]));
        assert_eq!(value(line, br#""id""#), Some(&b"22944"[..]));
        assert_eq!(value(line, br#""msg""#), Some(&br#"say \"s\":\"x\""#[..]));
        assert_eq!(value(line, br#""n""#), Some(&b"null"[..]));
        assert_eq!(value(line, br#""nope""#), None);
    }

    #[test]
    fn survives_truncation() {
        let line = br#"{"msg":"abc\"#;
        for end in 0..=line.len() {
            let _ = value(&line[..end], br#""msg""#);
        }
        assert_eq!(value(br#"{"msg":"abc"#, br#""msg""#), None);
        assert_eq!(value(br#"{"msg":"#, br#""msg""#), None);
        assert_eq!(string_body(br#""a\\"b"#), Some(&br#"a\\"#[..]));
    }
}
