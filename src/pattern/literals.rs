//! Required literals: for a regex, a small set of byte strings at least one of which occurs
//! (ignoring ASCII case) in every text the regex matches. A line that contains none of them
//! cannot match, so the matcher runs one literal scan over a line and then only the
//! regexes whose literals it found.
//!
//! Found from the regex's syntax tree: a concatenation needs each of its parts, so its best part
//! will do; an alternation needs one of its branches, so it needs the union of theirs;
//! repetitions that may match nothing, classes and assertions need nothing. Case-insensitive
//! letters (`[Tt]`) count as literal letters, since literals are matched ignoring case anyway.

use regex_syntax::hir::{Class, Hir, HirKind};

/// Literals shorter than this filter too little to be worth it: the regex always runs.
pub const MIN_LITERAL: usize = 3;
/// At most this many alternatives are kept for one regex.
const MAX_ALTERNATIVES: usize = 16;

/// The required literals of `hir`, lower-cased, if it has any worth using.
pub fn required_literals(hir: &Hir) -> Option<Vec<Vec<u8>>> {
    let set = required(hir)?;
    (set.iter().all(|l| l.len() >= MIN_LITERAL)).then_some(set)
}

/// A single byte a node matches, ignoring ASCII case, if it matches exactly one.
fn single_byte(hir: &Hir) -> Option<u8> {
    match hir.kind() {
        HirKind::Literal(lit) if lit.0.len() == 1 => Some(lit.0[0].to_ascii_lowercase()),
        HirKind::Class(Class::Unicode(c)) => {
            let chars: Vec<char> = c.iter().flat_map(|r| r.start()..=r.end()).take(4).collect();
            case_pair(&chars)
        }
        HirKind::Class(Class::Bytes(c)) => {
            let bytes: Vec<u8> = c.iter().flat_map(|r| r.start()..=r.end()).take(4).collect();
            let chars: Vec<char> = bytes.iter().map(|b| *b as char).collect();
            case_pair(&chars)
        }
        _ => None,
    }
}

/// `[a]` or `[Aa]` as one lower-case ASCII byte. Unicode's extra case variants of ASCII
/// letters (the Kelvin sign for `k`, the long `ſ` for `s`), which `(?i)` adds, are ignored: no
/// log writes them where the ASCII letter is meant.
fn case_pair(chars: &[char]) -> Option<u8> {
    let ascii: Vec<char> = chars.iter().copied().filter(char::is_ascii).collect();
    if ascii.is_empty() || chars.len() - ascii.len() > 1 {
        return None;
    }
    match ascii.as_slice() {
        [c] if c.is_ascii() => Some(c.to_ascii_lowercase() as u8),
        [a, b] if a.is_ascii() && a.eq_ignore_ascii_case(b) => Some(a.to_ascii_lowercase() as u8),
        _ => None,
    }
}

/// The quality of a set of alternatives: the length of its shortest literal.
fn strength(set: &[Vec<u8>]) -> usize {
    set.iter().map(Vec::len).min().unwrap_or(0)
}

fn required(hir: &Hir) -> Option<Vec<Vec<u8>>> {
    match hir.kind() {
        HirKind::Literal(lit) => Some(vec![lit.0.to_ascii_lowercase()]),
        HirKind::Capture(c) => required(&c.sub),
        HirKind::Repetition(r) if r.min >= 1 => required(&r.sub),
        HirKind::Concat(parts) => {
            let mut best: Option<Vec<Vec<u8>>> = None;
            let mut consider = |candidate: Option<Vec<Vec<u8>>>| {
                if let Some(c) = candidate
                    && best.as_ref().is_none_or(|b| strength(&c) > strength(b))
                {
                    best = Some(c);
                }
            };
            let mut run: Vec<u8> = Vec::new();
            for part in parts {
                if let Some(b) = single_byte(part) {
                    run.push(b);
                    continue;
                }
                if let HirKind::Literal(lit) = part.kind() {
                    run.extend(lit.0.iter().map(u8::to_ascii_lowercase));
                    continue;
                }
                if !run.is_empty() {
                    consider(Some(vec![std::mem::take(&mut run)]));
                }
                consider(required(part));
            }
            if !run.is_empty() {
                consider(Some(vec![run]));
            }
            best
        }
        HirKind::Alternation(branches) => {
            let mut all = Vec::new();
            for b in branches {
                all.extend(required(b)?);
                if all.len() > MAX_ALTERNATIVES {
                    return None;
                }
            }
            all.sort();
            all.dedup();
            Some(all)
        }
        HirKind::Class(_) => single_byte(hir).map(|b| vec![vec![b]]),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lits(re: &str) -> Option<Vec<String>> {
        let hir = regex_syntax::parse(re).unwrap();
        required_literals(&hir).map(|v| {
            v.into_iter()
                .map(|l| String::from_utf8(l).unwrap())
                .collect()
        })
    }

    #[test]
    fn finds_the_best_required_literal() {
        assert_eq!(
            lits("too many clients"),
            Some(vec!["too many clients".into()])
        );
        assert_eq!(
            lits(r"(?i)Out of memory: Killed process (?P<pid>\d+)"),
            Some(vec!["out of memory: killed process ".into()])
        );
        assert_eq!(
            lits(r"upstream (timed out|prematurely closed)"),
            Some(vec!["upstream ".into()])
        );
        assert_eq!(
            lits(r"\d+ (timed out|prematurely closed)"),
            Some(vec!["prematurely closed".into(), "timed out".into()])
        );
        assert_eq!(
            lits(r"Server (?P<server>\S+) is DOWN"),
            Some(vec![" is down".into()])
        );
    }

    #[test]
    fn gives_up_when_nothing_is_required() {
        assert_eq!(lits(r"\d+\.\d+"), None);
        assert_eq!(lits(r"(foo)?bar?"), None);
        assert_eq!(lits(r"ab|cd"), None);
        assert_eq!(lits(r"x+y"), None);
    }
}
