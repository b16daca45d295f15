//! Making text from logs safe to print: control characters and escape sequences are shown
//! escaped (`\x1b`), invalid UTF-8 as `\xNN`, so nothing in a log can drive the terminal.

use std::fmt::Write;

/// `bytes` as printable text, at most `max_chars` characters (then `…`).
pub fn escape_for_terminal(bytes: &[u8], max_chars: usize) -> String {
    let mut out = String::with_capacity(bytes.len().min(max_chars) + 8);
    let mut shown = 0usize;
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            if shown >= max_chars {
                out.push('…');
                return out;
            }
            match c {
                '\t' => out.push_str("\\t"),
                c if c.is_control() => {
                    let _ = write!(out, "\\x{:02x}", c as u32);
                }
                // Bidirectional overrides can reorder what the reader sees.
                '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => {
                    let _ = write!(out, "\\u{{{:04x}}}", c as u32);
                }
                c => out.push(c),
            }
            shown += 1;
        }
        for b in chunk.invalid() {
            if shown >= max_chars {
                out.push('…');
                return out;
            }
            let _ = write!(out, "\\x{b:02x}");
            shown += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_controls_and_invalid_utf8() {
        assert_eq!(
            escape_for_terminal(b"ok \x1b[31mred\x07", 100),
            "ok \\x1b[31mred\\x07"
        );
        assert_eq!(escape_for_terminal(b"\xff\xfeabc", 100), "\\xff\\xfeabc");
        assert_eq!(escape_for_terminal("héllo wörld".as_bytes(), 5), "héllo…");
        assert_eq!(
            escape_for_terminal("a\u{202e}b".as_bytes(), 10),
            "a\\u{202e}b"
        );
    }
}
