//! Finding which required literals occur in a line, ignoring ASCII case.
//!
//! Every line of every log is scanned, so this is the matcher's hot loop. An aho-corasick DFA
//! over the default packs' ~460 literals is a 5 MB table: one dependent load per byte that
//! mostly misses the cache, ~2.4 ns a byte. Here a literal is found by a fingerprint of four
//! of its bytes instead. Every second position of the line is hashed into a 16 KB bit table,
//! which stays in the L1 cache, with loads independent of each other that the CPU overlaps;
//! only the rare positions whose bit is set are checked against the literals that hash there.
//!
//! Probing every second position finds a literal of five or more bytes wherever it starts: an
//! occurrence at `s` holds a probed window at `s + k` or `s + k + 1` for any `k`, so each
//! literal is entered under two adjacent windows of its own, the pair other literals share
//! least. Shorter literals (user packs may have three- and four-byte ones) are left to a small
//! aho-corasick automaton of their own.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

/// Bits of the position hash: a table of 2^17 bits, 16 KB.
const TABLE_BITS: u32 = 17;
/// The verification buckets are the top bits of the same hash.
const BUCKET_BITS: u32 = 12;
/// Literals shorter than this go to the automaton: a probed window must lie inside them.
const MIN_FINGERPRINTED: usize = 5;

/// One literal entered under one of its windows.
#[derive(Clone, Debug)]
struct Entry {
    /// The window's four bytes, folded.
    window: u32,
    /// The up to eight bytes after the window, folded, and which of them the literal has:
    /// literals whose windows still collide (in the bucket, or in all four bytes where no
    /// window of theirs is their own) are mostly told apart here, without comparing them
    /// whole.
    next: u64,
    next_mask: u64,
    literal: u32,
    /// Where the window starts in the literal.
    offset: u8,
}

/// Up to eight bytes of `bytes` from `at` as a little-endian word, zeros past the end, folded;
/// and the mask of the bytes that were there.
fn word_after(bytes: &[u8], at: usize) -> (u64, u64) {
    let tail = bytes.get(at..).unwrap_or(&[]);
    let n = tail.len().min(8);
    let mut word = [0u8; 8];
    word[..n].copy_from_slice(&tail[..n]);
    let mask = if n == 8 {
        u64::MAX
    } else {
        (1u64 << (8 * n)) - 1
    };
    (fold8(u64::from_le_bytes(word)) & mask, mask)
}

/// A set of literals to look for, each reported by its index in the list it was built from.
#[derive(Clone, Debug)]
pub struct LiteralScan {
    /// Lower-cased, as given.
    literals: Vec<Vec<u8>>,
    table: Vec<u64>,
    /// Entries grouped by bucket: bucket `b` is `entries[starts[b]..starts[b + 1]]`.
    starts: Vec<u32>,
    entries: Vec<Entry>,
    /// The literals too short to fingerprint, and their indices in `literals`.
    short: Option<(AhoCorasick, Vec<u32>)>,
}

/// Four bytes with bit 5 set in each: upper-case ASCII letters become lower-case, the same
/// letters in either case fold alike, and bytes that are not letters may collide with another
/// byte, which verification sorts out.
#[inline]
fn fold(word: u32) -> u32 {
    word | 0x2020_2020
}

/// [`fold`] for eight bytes.
#[inline]
fn fold8(word: u64) -> u64 {
    word | 0x2020_2020_2020_2020
}

#[inline]
fn hash(folded: u32) -> u32 {
    folded.wrapping_mul(0x9E37_79B1) >> (32 - TABLE_BITS)
}

fn window(bytes: &[u8], at: usize) -> u32 {
    fold(u32::from_le_bytes(
        bytes[at..at + 4].try_into().expect("four bytes"),
    ))
}

/// How many fingerprinted literals have each four-byte window, anywhere in them.
fn window_counts(literals: &[Vec<u8>]) -> std::collections::HashMap<u32, u32> {
    let mut counts = std::collections::HashMap::new();
    for lit in literals.iter().filter(|l| l.len() >= MIN_FINGERPRINTED) {
        let mut seen: Vec<u32> = (0..=lit.len() - 4).map(|k| window(lit, k)).collect();
        seen.sort_unstable();
        seen.dedup();
        for w in seen {
            *counts.entry(w).or_insert(0) += 1;
        }
    }
    counts
}

/// Where a literal's two adjacent windows start: any pair inside it finds it (an occurrence at
/// `s` holds a probed window at `s + k` or `s + k + 1`), so the pair the fewest other literals
/// share is taken. The dozen `upstream …` literals then sit under windows of their own words
/// (`timed out`, `prematurely`), not all under `upst` and `pstr`, where every `upstream` in a
/// line made the verification walk all of them.
fn least_shared_pair(lit: &[u8], shared: &std::collections::HashMap<u32, u32>) -> u8 {
    let count = |k: usize| shared.get(&window(lit, k)).copied().unwrap_or(0);
    (0..=(lit.len() - MIN_FINGERPRINTED).min(u8::MAX as usize - 1))
        .min_by_key(|&k| count(k) + count(k + 1))
        .unwrap_or(0) as u8
}

impl LiteralScan {
    /// Literals are matched ignoring ASCII case.
    pub fn new(literals: &[Vec<u8>]) -> LiteralScan {
        let literals: Vec<Vec<u8>> = literals.iter().map(|l| l.to_ascii_lowercase()).collect();
        let mut table = vec![0u64; 1 << (TABLE_BITS - 6)];
        let mut keyed: Vec<(u32, Entry)> = Vec::new();
        let mut short = Vec::new();
        let shared = window_counts(&literals);
        for (i, lit) in literals.iter().enumerate() {
            if lit.len() < MIN_FINGERPRINTED {
                short.push(i as u32);
                continue;
            }
            let first = least_shared_pair(lit, &shared);
            for offset in [first, first + 1] {
                let w = window(lit, offset as usize);
                let h = hash(w);
                table[(h >> 6) as usize] |= 1 << (h & 63);
                let (next, next_mask) = word_after(lit, offset as usize + 4);
                let entry = Entry {
                    window: w,
                    next,
                    next_mask,
                    literal: i as u32,
                    offset,
                };
                keyed.push((h >> (TABLE_BITS - BUCKET_BITS), entry));
            }
        }
        keyed.sort_by_key(|(bucket, _)| *bucket);
        let mut starts = vec![0u32; (1 << BUCKET_BITS) + 1];
        for (bucket, _) in &keyed {
            starts[*bucket as usize + 1] += 1;
        }
        for b in 1..starts.len() {
            starts[b] += starts[b - 1];
        }
        let entries = keyed.into_iter().map(|(_, e)| e).collect();
        let short = (!short.is_empty()).then(|| {
            let patterns: Vec<&[u8]> = short.iter().map(|&i| &literals[i as usize][..]).collect();
            let ac = AhoCorasickBuilder::new()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::Standard)
                .build(patterns)
                .expect("literals are plain bytes");
            (ac, short)
        });
        LiteralScan {
            literals,
            table,
            starts,
            entries,
            short,
        }
    }

    /// Calls `found` with the index of each literal occurring in `line`, once per occurrence.
    #[inline]
    pub fn for_each(&self, line: &[u8], mut found: impl FnMut(u32)) {
        let n = line.len();
        let mut q = 0;
        // Three windows (at q, q + 2 and q + 4) from each eight bytes read.
        while q + 8 <= n {
            let word = u64::from_le_bytes(line[q..q + 8].try_into().expect("eight bytes"));
            let word = fold8(word);
            for k in 0..3 {
                let w = (word >> (16 * k)) as u32;
                let h = hash(w);
                if self.may_hold(h) {
                    self.verify(line, q + 2 * k, w, h, &mut found);
                }
            }
            q += 6;
        }
        while q + 4 <= n {
            let w = window(line, q);
            let h = hash(w);
            if self.may_hold(h) {
                self.verify(line, q, w, h, &mut found);
            }
            q += 2;
        }
        if let Some((ac, ids)) = &self.short {
            for m in ac.find_overlapping_iter(line) {
                found(ids[m.pattern().as_usize()]);
            }
        }
    }

    /// Whether some literal was entered under a window of hash `h`.
    #[inline]
    fn may_hold(&self, h: u32) -> bool {
        self.table[(h >> 6) as usize] >> (h & 63) & 1 != 0
    }

    /// The literals entered under window `w` (hash `h`) that occur in `line` around `q`.
    #[inline(never)]
    fn verify(&self, line: &[u8], q: usize, w: u32, h: u32, found: &mut impl FnMut(u32)) {
        let bucket = (h >> (TABLE_BITS - BUCKET_BITS)) as usize;
        let range = self.starts[bucket] as usize..self.starts[bucket + 1] as usize;
        let after = match line.get(q + 4..q + 12) {
            Some(eight) => fold8(u64::from_le_bytes(eight.try_into().expect("eight bytes"))),
            None => word_after(line, q + 4).0,
        };
        for e in &self.entries[range] {
            if e.window != w || after & e.next_mask != e.next {
                continue;
            }
            let Some(start) = q.checked_sub(e.offset as usize) else {
                continue;
            };
            let lit = &self.literals[e.literal as usize];
            if line
                .get(start..start + lit.len())
                .is_some_and(|s| s.eq_ignore_ascii_case(lit))
            {
                found(e.literal);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Every (literal, start) occurrence, found the slow way.
    fn naive(literals: &[Vec<u8>], line: &[u8]) -> Vec<(u32, usize)> {
        let mut out = Vec::new();
        for (i, lit) in literals.iter().enumerate() {
            for s in 0..line.len() {
                if line
                    .get(s..s + lit.len())
                    .is_some_and(|w| w.eq_ignore_ascii_case(lit))
                {
                    out.push((i as u32, s));
                }
            }
        }
        out
    }

    fn found(scan: &LiteralScan, line: &[u8]) -> Vec<u32> {
        let mut got = Vec::new();
        scan.for_each(line, |i| got.push(i));
        got.sort_unstable();
        got
    }

    fn expected(literals: &[Vec<u8>], line: &[u8]) -> Vec<u32> {
        let mut want: Vec<u32> = naive(literals, line).into_iter().map(|(i, _)| i).collect();
        want.sort_unstable();
        want
    }

    #[test]
    fn finds_literals_at_every_offset_in_any_case() {
        let literals: Vec<Vec<u8>> = ["too many clients", "ERROR", "abc", "fatal:", "[emerg]"]
            .iter()
            .map(|s| s.as_bytes().to_vec())
            .collect();
        let scan = LiteralScan::new(&literals);
        for pad in 0..20 {
            let mut line = vec![b'x'; pad];
            line.extend_from_slice(b"FATAL:  sorry, TOO MANY clients already [EMERG] error");
            line.extend(std::iter::repeat_n(b'y', pad % 7));
            assert_eq!(found(&scan, &line), expected(&literals, &line), "pad {pad}");
        }
        assert_eq!(found(&scan, b"xxabcabc"), vec![2, 2]);
        assert!(found(&scan, b"").is_empty());
        assert!(found(&scan, b"erro").is_empty());
        // `_` folds like DEL and `@` like a backquote: the fingerprints collide, the check not.
        let odd = vec![b"a_b@c".to_vec()];
        let scan = LiteralScan::new(&odd);
        assert_eq!(found(&scan, b"-A_B@C-"), vec![0]);
        assert!(found(&scan, b"-a\x7fb`c-").is_empty());
    }

    #[test]
    fn literals_sharing_a_prefix_are_entered_under_their_own_words() {
        let literals: Vec<Vec<u8>> = [
            "upstream timed out",
            "upstream prematurely closed",
            "upstream sent too big header",
        ]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect();
        let scan = LiteralScan::new(&literals);
        let prefix = [window(b"upst", 0), window(b"pstr", 0), window(b"stre", 0)];
        assert!(scan.entries.iter().all(|e| !prefix.contains(&e.window)));
        for pad in 0..4 {
            let mut line = vec![b'-'; pad];
            line.extend_from_slice(
                b"UPSTREAM timed out while reading from upstream; upstream sent too big header",
            );
            assert_eq!(found(&scan, &line), expected(&literals, &line), "pad {pad}");
        }
    }

    proptest! {
        #[test]
        fn agrees_with_a_naive_search(
            literals in prop::collection::vec(prop::collection::vec(prop::sample::select(b"abAB_@ -x".to_vec()), 3..16), 1..12),
            line in prop::collection::vec(prop::sample::select(b"abAB_@ -x`\x7f".to_vec()), 0..80),
        ) {
            let scan = LiteralScan::new(&literals);
            let lowered: Vec<Vec<u8>> = literals.iter().map(|l| l.to_ascii_lowercase()).collect();
            prop_assert_eq!(found(&scan, &line), expected(&lowered, &line));
        }
    }
}
