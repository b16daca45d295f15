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

/// Log text made safe for a Markdown (CommonMark/GFM) table cell or paragraph: control
/// characters escaped as for a terminal, then every character Markdown or HTML would act on
/// backslash-escaped or entity-encoded, so a log line cannot break a table, inject HTML or
/// make a link.
pub fn escape_for_markdown(bytes: &[u8], max_chars: usize) -> String {
    let text = escape_for_terminal(bytes, max_chars);
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() + 16);
    for (i, &c) in chars.iter().enumerate() {
        // GitHub's Markdown makes links of bare `http://…`, `www.…` and `a@b.c` too: an
        // escaped `:`, `.` or `@` stops it.
        let autolink = match c {
            ':' => chars[i + 1..].starts_with(&['/', '/']),
            '@' => true,
            '.' => {
                i >= 3
                    && chars[i - 3..i].iter().all(|c| c.eq_ignore_ascii_case(&'w'))
                    && (i == 3 || !chars[i - 4].is_alphanumeric())
            }
            _ => false,
        };
        if autolink {
            out.push('\\');
            out.push(c);
            continue;
        }
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\\' | '`' | '*' | '_' | '{' | '}' | '[' | ']' | '(' | ')' | '#' | '+' | '!' | '|'
            | '~' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
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

    #[test]
    fn markdown_cannot_be_broken_or_injected() {
        let hostile =
            b"a|b <script>alert(1)</script> [x](http://evil) `code` *em* \x1b[2J\n| --- |";
        let safe = escape_for_markdown(hostile, 500);
        assert!(!safe.contains('\n'), "{safe}");
        assert!(!safe.contains("<script"), "{safe}");
        assert!(!safe.contains("](http"), "{safe}");
        assert!(safe.contains(r"a\|b"), "{safe}");
        assert!(!safe.chars().any(|c| c.is_control()), "{safe}");
        let links = escape_for_markdown(
            b"see http://evil.example and WWW.evil.example or a@b.example",
            500,
        );
        assert_eq!(
            links,
            r"see http\://evil.example and WWW\.evil.example or a\@b.example"
        );
        // Ordinary dots and colons stay as they are.
        assert_eq!(
            escape_for_markdown(b"14:02:11 v1.2 awww.x", 100),
            "14:02:11 v1.2 awww.x"
        );
    }
}
