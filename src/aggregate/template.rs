//! Message templates: the variable parts of a message masked, so that repeats of one message
//! with different numbers, addresses or names group together (`connection to <IP> timed out
//! after <DUR>`). Used to cluster warnings and errors no pattern names, so a failure nobody
//! wrote a pattern for still shows up in the timeline.
//!
//! A message is split into words at whitespace; each word, stripped of surrounding
//! punctuation, is masked if it is a number, hex, IP address, UUID, quoted string, path or
//! duration, and `key=value` words keep their key. The template's hash is computed while
//! scanning, without building the template text, which is only built for a new cluster.

use std::hash::Hasher;

/// At most this many words of a message make its template (long messages differ in their
/// first words, and the cap bounds the work per line).
pub const MAX_WORDS: usize = 48;

/// What a word is masked as, if anything.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Mask {
    Keep,
    Num,
    Hex,
    Ip,
    Uuid,
    Str,
    Path,
    Dur,
}

impl Mask {
    fn text(self) -> &'static [u8] {
        match self {
            Mask::Keep => b"",
            Mask::Num => b"<NUM>",
            Mask::Hex => b"<HEX>",
            Mask::Ip => b"<IP>",
            Mask::Uuid => b"<UUID>",
            Mask::Str => b"<STR>",
            Mask::Path => b"<PATH>",
            Mask::Dur => b"<DUR>",
        }
    }
}

fn is_punct(c: u8) -> bool {
    matches!(
        c,
        b',' | b';'
            | b'('
            | b')'
            | b'['
            | b']'
            | b'{'
            | b'}'
            | b'<'
            | b'>'
            | b'.'
            | b':'
            | b'!'
            | b'?'
    )
}

fn is_uuid(w: &[u8]) -> bool {
    w.len() == 36
        && w.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

fn is_ipv4(w: &[u8]) -> bool {
    // Dotted quad, optionally with a port.
    let host = match memchr::memchr(b':', w) {
        Some(i) if w[i + 1..].iter().all(u8::is_ascii_digit) && i + 1 < w.len() => &w[..i],
        Some(_) => return false,
        None => w,
    };
    let mut parts = 0;
    for part in host.split(|c| *c == b'.') {
        if part.is_empty() || part.len() > 3 || !part.iter().all(u8::is_ascii_digit) {
            return false;
        }
        parts += 1;
    }
    parts == 4
}

/// IPv6 (`fe80::1%eth0`, `2001:db8:0:0:0:0:2:1`); a time such as `12:30:01` is not one.
fn is_ipv6(w: &[u8]) -> bool {
    let addr = w.split(|c| *c == b'%').next().unwrap_or(w);
    let colons = addr.iter().filter(|c| **c == b':').count();
    let compressed = memchr::memmem::find(addr, b"::").is_some();
    (compressed || colons >= 5)
        && addr
            .iter()
            .all(|c| c.is_ascii_hexdigit() || matches!(c, b':' | b'.'))
}

fn is_hex(w: &[u8]) -> bool {
    if let Some(rest) = w.strip_prefix(b"0x").or_else(|| w.strip_prefix(b"0X")) {
        return !rest.is_empty() && rest.iter().all(u8::is_ascii_hexdigit);
    }
    w.len() >= 8 && w.iter().all(u8::is_ascii_hexdigit) && w.iter().any(u8::is_ascii_digit)
}

/// Numbers in the forms logs write them: `42`, `-1`, `3.14`, `1,024`, `12:30:01`, `2024-11-14`,
/// `#123`, `v2`, `1e6`, `80%`.
fn is_number(w: &[u8]) -> bool {
    let w = w.strip_prefix(b"#").unwrap_or(w);
    let w = w.strip_suffix(b"%").unwrap_or(w);
    let w = w
        .strip_prefix(b"-")
        .or_else(|| w.strip_prefix(b"+"))
        .unwrap_or(w);
    let digits = w.iter().filter(|c| c.is_ascii_digit()).count();
    digits > 0
        && w.iter()
            .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b',' | b':' | b'-' | b'/' | b'_'))
}

/// `150ms`, `1.5s`, `30sec`, `2m`, `1h30m`, `250us`, `12µs`.
fn is_duration(w: &[u8]) -> bool {
    let digits = w
        .iter()
        .take_while(|c| c.is_ascii_digit() || **c == b'.')
        .count();
    if digits == 0 || digits == w.len() {
        return false;
    }
    let unit = &w[digits..];
    matches!(
        unit,
        b"ns"
            | b"us"
            | b"\xc2\xb5s"
            | b"ms"
            | b"s"
            | b"sec"
            | b"secs"
            | b"m"
            | b"min"
            | b"mins"
            | b"h"
            | b"hr"
            | b"hrs"
            | b"d"
    ) || (unit
        .iter()
        .all(|c| matches!(c, b'h' | b'm' | b's' | b'0'..=b'9' | b'.'))
        && unit.len() <= 8
        && unit.iter().any(|c| *c == b'm' || *c == b's'))
}

fn classify(word: &[u8]) -> Mask {
    if word.len() >= 2
        && matches!(
            (word[0], word[word.len() - 1]),
            (b'"', b'"') | (b'\'', b'\'') | (b'`', b'`')
        )
    {
        return Mask::Str;
    }
    if is_uuid(word) {
        Mask::Uuid
    } else if is_ipv4(word) || is_ipv6(word) {
        Mask::Ip
    } else if is_number(word) {
        Mask::Num
    } else if is_hex(word) {
        Mask::Hex
    } else if is_duration(word) {
        Mask::Dur
    } else if (word.len() > 1 && word[0] == b'/')
        || word.starts_with(b"./")
        || word.starts_with(b"~/")
        || (word.len() > 3 && word[1] == b':' && word[2] == b'\\')
    {
        Mask::Path
    } else {
        Mask::Keep
    }
}

/// Emits a word whose whole is not variable, masking the numbers inside it that stand between
/// punctuation: `[__consumer_offsets,28]` → `[__consumer_offsets,<NUM>]`, `kafka1:9092` →
/// `kafka1:<NUM>`; digits attached to letters (`kafka1`, `v2`, `e1`) are part of a name.
fn emit_with_inner_numbers(word: &[u8], emit: &mut impl FnMut(&[u8])) {
    let mut i = 0;
    let mut kept = 0;
    while i < word.len() {
        if word[i].is_ascii_digit() && (i == 0 || !word[i - 1].is_ascii_alphanumeric()) {
            let end = i + word[i..].iter().take_while(|c| c.is_ascii_digit()).count();
            if end == word.len() || !word[end].is_ascii_alphanumeric() {
                // A minus sign that is not a hyphen between words belongs to the number.
                let signed = i > 0
                    && word[i - 1] == b'-'
                    && (i == 1 || !word[i - 2].is_ascii_alphanumeric());
                let start = if signed { i - 1 } else { i };
                emit(&word[kept..start.max(kept)]);
                emit(Mask::Num.text());
                kept = end;
            }
            i = end;
        } else {
            i += 1;
        }
    }
    emit(&word[kept..]);
}

/// Calls `emit` with the pieces of `message`'s template, in order (words, masks, spaces).
fn for_each_piece(message: &[u8], mut emit: impl FnMut(&[u8])) {
    let words = message
        .split(|c| c.is_ascii_whitespace())
        .filter(|w| !w.is_empty());
    for (n, raw) in words.enumerate() {
        if n == MAX_WORDS {
            emit(b" <...>");
            break;
        }
        if n > 0 {
            emit(b" ");
        }
        // `key=value`: keep the key, mask the value.
        let (key, value) = match memchr::memchr(b'=', raw) {
            Some(eq) if eq > 0 && eq + 1 < raw.len() => (&raw[..=eq], &raw[eq + 1..]),
            _ => (&b""[..], raw),
        };
        emit(key);
        let start = value
            .iter()
            .position(|c| !is_punct(*c))
            .unwrap_or(value.len());
        let end = value
            .iter()
            .rposition(|c| !is_punct(*c))
            .map_or(start, |e| e + 1)
            .max(start);
        let core = &value[start..end];
        let mask = if core.is_empty() {
            Mask::Keep
        } else {
            classify(core)
        };
        if mask == Mask::Keep {
            emit_with_inner_numbers(value, &mut emit);
        } else {
            emit(&value[..start]);
            emit(mask.text());
            emit(&value[end..]);
        }
    }
}

/// The template's hash, computed without building it.
pub fn template_hash(message: &[u8]) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for_each_piece(message, |piece| h.write(piece));
    h.finish()
}

/// The template's text.
pub fn template(message: &[u8]) -> String {
    let mut out = Vec::with_capacity(message.len().min(512));
    for_each_piece(message, |piece| out.extend_from_slice(piece));
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_the_variable_parts() {
        assert_eq!(
            template(b"connection to 10.0.3.12:5432 timed out after 1500ms (attempt 3)"),
            "connection to <IP> timed out after <DUR> (attempt <NUM>)"
        );
        assert_eq!(
            template(
                b"request 3f2c0b8e-9a1d-4e7f-8a6b-3c2d1e0f9a8b failed: 'orders' at /var/lib/x.db"
            ),
            "request <UUID> failed: <STR> at <PATH>"
        );
        assert_eq!(
            template(b"pid=4242 addr=0x7ffe1a2b user=bob"),
            "pid=<NUM> addr=<HEX> user=bob"
        );
        assert_eq!(
            template(b"took 1.5s, ratio 80%, on 2024-11-14"),
            "took <DUR>, ratio <NUM>, on <NUM>"
        );
        assert_eq!(template(b"  spaced\tout  "), "spaced out");
        assert_eq!(template(b"fe80::1%eth0 unreachable"), "<IP> unreachable");
        assert_eq!(
            template(b"partition [__consumer_offsets,28] on kafka1:9092 ISR List(0, 2) v2"),
            "partition [__consumer_offsets,<NUM>] on kafka1:<NUM> ISR List(<NUM>, <NUM>) v2"
        );
        assert_eq!(
            template(b"blk_-695229 and blk_38865 x-1"),
            "blk_<NUM> and blk_<NUM> x-<NUM>"
        );
        assert_eq!(
            template(b"at 12:30:01 and 2001:db8:0:0:0:0:2:1"),
            "at <NUM> and <IP>"
        );
    }

    #[test]
    fn hash_agrees_with_text() {
        let a = b"user 17 logged in from 192.0.2.1";
        let b = b"user 4242 logged in from 198.51.100.77";
        assert_eq!(template_hash(a), template_hash(b));
        assert_ne!(
            template_hash(a),
            template_hash(b"user 17 logged out from 192.0.2.1")
        );
    }

    #[test]
    fn long_messages_are_capped() {
        let long = "w ".repeat(1000);
        assert!(template(long.as_bytes()).ends_with(" <...>"));
        assert!(template(long.as_bytes()).len() < 200);
    }
}
