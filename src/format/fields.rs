//! A byte cursor for hand-written line parsers: space-separated tokens, quoted and bracketed
//! fields, numbers. Nothing here allocates; every step returns `None` instead of panicking when
//! the line ends early or the bytes are not what was expected.

/// How far the short-field searches look in 16-byte blocks before handing the rest to memchr,
/// whose vector setup costs more than a field is long but pays off on long messages.
const SHORT_SEARCH: usize = 128;

/// The position of the first `needle` in `hay`. Fields are short (a token, a user agent): a
/// 16-byte compare at a time over the first bytes finds most of them before memchr's setup
/// would be done.
#[inline]
pub fn find_byte(needle: u8, hay: &[u8]) -> Option<usize> {
    find_either(needle, needle, hay)
}

/// The position of the first `a` or `b` in `hay` (a closing quote or an escape), as
/// [`find_byte`] searches.
#[inline]
pub fn find_either(a: u8, b: u8, hay: &[u8]) -> Option<usize> {
    let mut i = 0;
    while i + 16 <= hay.len() {
        if i >= SHORT_SEARCH {
            return if a == b {
                memchr::memchr(a, &hay[i..])
            } else {
                memchr::memchr2(a, b, &hay[i..])
            }
            .map(|p| p + i);
        }
        let block: &[u8; 16] = hay[i..i + 16].try_into().expect("sixteen bytes");
        let found = eq_either_bits(block, a, b);
        if found != 0 {
            return Some(i + found.trailing_zeros() as usize);
        }
        i += 16;
    }
    if hay.len() >= 16 {
        // The last bytes, in a block that overlaps the one before: bits for bytes already
        // searched are dropped.
        let last = hay.len() - 16;
        let block: &[u8; 16] = hay[last..].try_into().expect("sixteen bytes");
        let found = eq_either_bits(block, a, b) >> (i - last);
        return (found != 0).then(|| i + found.trailing_zeros() as usize);
    }
    hay[i..]
        .iter()
        .position(|&c| c == a || c == b)
        .map(|p| p + i)
}

/// Bit `k` set where `block[k]` is `a` or `b`.
#[cfg(target_arch = "x86_64")]
#[inline]
fn eq_either_bits(block: &[u8; 16], a: u8, b: u8) -> u32 {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
    };
    // SAFETY: SSE2 is part of the x86-64 baseline; the load reads exactly the 16 bytes of
    // `block`, and an unaligned load needs nothing more.
    unsafe {
        let v = _mm_loadu_si128(block.as_ptr().cast::<__m128i>());
        let eq = _mm_or_si128(
            _mm_cmpeq_epi8(v, _mm_set1_epi8(a as i8)),
            _mm_cmpeq_epi8(v, _mm_set1_epi8(b as i8)),
        );
        _mm_movemask_epi8(eq) as u32
    }
}

/// Bit `k` set where `block[k]` is `a` or `b`.
#[cfg(not(target_arch = "x86_64"))]
#[inline]
fn eq_either_bits(block: &[u8; 16], a: u8, b: u8) -> u32 {
    block
        .iter()
        .enumerate()
        .filter(|(_, c)| **c == a || **c == b)
        .fold(0, |bits, (k, _)| bits | 1 << k)
}

/// The position of the last `needle` in `hay`: a plain loop for the short fields it is used
/// on (an address, a tag), where memrchr's setup costs more than the search.
#[inline]
pub fn rfind_byte(needle: u8, hay: &[u8]) -> Option<usize> {
    if hay.len() > 64 {
        return memchr::memrchr(needle, hay);
    }
    hay.iter().rposition(|&b| b == needle)
}

/// Bit `i` set where `block[i]` is a space: four 16-byte compares and mask extractions,
/// instead of a branch per byte.
#[inline]
fn space_bits(block: &[u8; 64]) -> u64 {
    block
        .chunks_exact(16)
        .enumerate()
        .fold(0, |bits, (i, lane)| {
            let lane: &[u8; 16] = lane.try_into().expect("sixteen bytes");
            bits | u64::from(eq_either_bits(lane, b' ', b' ')) << (16 * i)
        })
}

/// Whether `a` and `b` are the same bytes, compared in words (the last overlapping the one
/// before) rather than with a call to memcmp: for the short strings compared on every line,
/// such as a request's backend against a bucket's few.
#[inline]
pub fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    if n < 8 {
        let half = |s: &[u8], at: usize| u32::from_le_bytes(s[at..at + 4].try_into().expect("4"));
        return if n < 4 {
            a == b
        } else {
            half(a, 0) == half(b, 0) && half(a, n - 4) == half(b, n - 4)
        };
    }
    let word = |s: &[u8], at: usize| u64::from_le_bytes(s[at..at + 8].try_into().expect("8"));
    let mut at = 0;
    while at + 8 < n {
        if word(a, at) != word(b, at) {
            return false;
        }
        at += 8;
    }
    word(a, n - 8) == word(b, n - 8)
}

/// The spaces among `bytes[start..]`, up to 64 of them: bit `i` for `bytes[start + i]`. A
/// window that runs past the end is read as the last 64 bytes of `bytes`, shifted, when there
/// are that many (no copy; a variable-length copy was a memcpy call per line); only a line
/// shorter than 64 bytes is copied into a block.
#[inline]
fn spaces_from(bytes: &[u8], start: usize) -> u64 {
    let n = bytes.len();
    if let Some(block) = bytes.get(start..start + 64) {
        return space_bits(block.try_into().expect("64 bytes"));
    }
    if start >= n {
        return 0;
    }
    if n >= 64 {
        let block: &[u8; 64] = bytes[n - 64..].try_into().expect("64 bytes");
        return space_bits(block) >> (64 - (n - start));
    }
    let mut block = [0u8; 64];
    block[..n - start].copy_from_slice(&bytes[start..]);
    space_bits(&block)
}

/// The ends of the first `N` space-separated tokens of `bytes`, when all of them lie within
/// its first 128 bytes and none is empty (no space first, no two spaces together before the
/// last end): token `k` is `bytes[ends[k - 1] + 1..ends[k]]`, the first `bytes[..ends[0]]`.
/// For the high-volume formats' fixed layouts, whose first dozen fields are then a mask and
/// a trailing-zero count each, not a scan; a line that does not fit is read the general way.
#[inline]
pub fn token_ends<const N: usize>(bytes: &[u8]) -> Option<[usize; N]> {
    let head = &bytes[..bytes.len().min(128)];
    let spaces = u128::from(spaces_from(head, 0)) | u128::from(spaces_from(head, 64)) << 64;
    let mut rest = spaces;
    let mut ends = [0usize; N];
    for end in &mut ends {
        if rest == 0 {
            return None;
        }
        *end = rest.trailing_zeros() as usize;
        rest &= rest - 1;
    }
    let last = *ends.last()?;
    // A bit set at `i` where spaces stand at `i` and `i + 1`: an empty token between them.
    let doubled = spaces & (spaces >> 1) & ((1u128 << last) - 1);
    (spaces & 1 == 0 && doubled == 0).then_some(ends)
}

/// Reads fields left to right from one line.
///
/// Space-separated tokens are most of what the hand-written parsers read, a dozen or more per
/// line, so the cursor keeps a bit mask of the spaces in a 64-byte window of the line: each
/// further token in the window is then a trailing-zero count, not a scan.
#[derive(Copy, Clone, Debug)]
pub struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
    /// Where the window of `spaces` starts, and how many bytes it covers (0: none yet).
    window: usize,
    window_len: usize,
    spaces: u64,
}

impl<'a> Cursor<'a> {
    pub fn new(bytes: &'a [u8]) -> Cursor<'a> {
        Cursor {
            bytes,
            pos: 0,
            window: 0,
            window_len: 0,
            spaces: 0,
        }
    }

    /// The position of the first space at or after `from`, reusing the window while it lasts.
    #[inline]
    fn next_space(&mut self, from: usize) -> Option<usize> {
        let mut start = from;
        let off = from.wrapping_sub(self.window);
        if off < self.window_len {
            let rest = self.spaces >> off;
            if rest != 0 {
                return Some(from + rest.trailing_zeros() as usize);
            }
            start = self.window + self.window_len;
        }
        while start < self.bytes.len() {
            let len = (self.bytes.len() - start).min(64);
            self.window = start;
            self.window_len = len;
            self.spaces = spaces_from(self.bytes, start);
            if self.spaces != 0 {
                return Some(start + self.spaces.trailing_zeros() as usize);
            }
            start += len;
        }
        None
    }

    pub fn pos(&self) -> usize {
        self.pos
    }

    pub fn is_empty(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    /// The bytes not read yet.
    pub fn rest(&self) -> &'a [u8] {
        self.bytes.get(self.pos..).unwrap_or(&[])
    }

    pub fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    /// Goes back (or on) to `pos`, a position this cursor was at.
    pub fn seek(&mut self, pos: usize) {
        self.pos = pos.min(self.bytes.len());
    }

    /// Moves past `n` bytes (clamped to the end).
    pub fn advance(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.bytes.len());
    }

    /// Consumes `byte` if it is next.
    pub fn eat(&mut self, byte: u8) -> Option<()> {
        if self.peek() == Some(byte) {
            self.pos += 1;
            Some(())
        } else {
            None
        }
    }

    /// Consumes `prefix` if the rest starts with it.
    pub fn eat_str(&mut self, prefix: &[u8]) -> Option<()> {
        if self.rest().starts_with(prefix) {
            self.pos += prefix.len();
            Some(())
        } else {
            None
        }
    }

    pub fn skip_spaces(&mut self) {
        while matches!(self.peek(), Some(b' ') | Some(b'\t')) {
            self.pos += 1;
        }
    }

    /// The bytes up to the next space (or the end); at least one byte. Moves past one space.
    #[inline]
    pub fn token(&mut self) -> Option<&'a [u8]> {
        let start = self.pos;
        if start >= self.bytes.len() {
            return None;
        }
        let end = self.next_space(start).unwrap_or(self.bytes.len());
        if end == start {
            return None;
        }
        // Past the space too, when there is one.
        self.pos = (end + 1).min(self.bytes.len());
        Some(&self.bytes[start..end])
    }

    /// The bytes up to `delim` (not including it), which is consumed. `None` if it never comes.
    pub fn until(&mut self, delim: u8) -> Option<&'a [u8]> {
        let rest = self.rest();
        let len = find_byte(delim, rest)?;
        self.pos += len + 1;
        Some(&rest[..len])
    }

    /// A double-quoted field with backslash escapes, returned without the quotes (escapes left
    /// as written). Moves past one following space.
    pub fn quoted(&mut self) -> Option<&'a [u8]> {
        let rest = self.rest();
        if rest.first() != Some(&b'"') {
            return None;
        }
        let mut i = 1;
        loop {
            let off = find_either(b'"', b'\\', &rest[i..])?;
            i += off;
            if rest[i] == b'\\' {
                i += 2;
                if i > rest.len() {
                    return None;
                }
            } else {
                break;
            }
        }
        self.pos += i + 1;
        self.eat(b' ');
        Some(&rest[1..i])
    }

    /// Like [`Cursor::quoted`], but a field whose closing quote never comes (a line cut short)
    /// runs to the end of the line.
    pub fn quoted_to_end(&mut self) -> Option<&'a [u8]> {
        if let Some(q) = self.quoted() {
            return Some(q);
        }
        let rest = self.rest();
        if rest.first() != Some(&b'"') {
            return None;
        }
        self.pos = self.bytes.len();
        Some(&rest[1..])
    }

    /// A `[...]` field without the brackets. Moves past one following space.
    pub fn bracketed(&mut self) -> Option<&'a [u8]> {
        let rest = self.rest();
        if rest.first() != Some(&b'[') {
            return None;
        }
        let end = find_byte(b']', rest)?;
        self.pos += end + 1;
        self.eat(b' ');
        Some(&rest[1..end])
    }

    /// An unsigned integer token (`-` gives `Some(None)`, as access logs write a missing number).
    pub fn number_or_dash(&mut self) -> Option<Option<u64>> {
        let tok = self.token()?;
        if tok == b"-" {
            return Some(None);
        }
        parse_u64(tok).map(Some)
    }
}

/// An unsigned decimal integer, all of `b`.
pub fn parse_u64(b: &[u8]) -> Option<u64> {
    if b.is_empty() || b.len() > 19 {
        return None;
    }
    let mut n = 0u64;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n * 10 + (c - b'0') as u64;
    }
    Some(n)
}

/// A three-digit HTTP status, all of `b`.
pub fn parse_status(b: &[u8]) -> Option<u16> {
    if b.len() != 3 {
        return None;
    }
    let n = parse_u64(b)? as u16;
    (100..=599).contains(&n).then_some(n)
}

/// A plain decimal number such as `0.123`, `12`, `-1` or `1e-3`, all of `b`.
pub fn parse_decimal(b: &[u8]) -> Option<f64> {
    if b.is_empty() || b.len() > 32 {
        return None;
    }
    // Fast path for the `digits[.digits]` that logs almost always write.
    let mut int = 0u64;
    let mut i = 0;
    while i < b.len() && b[i].is_ascii_digit() {
        int = int.wrapping_mul(10).wrapping_add((b[i] - b'0') as u64);
        i += 1;
    }
    if i > 0 && i <= 15 {
        if i == b.len() {
            return Some(int as f64);
        }
        if b[i] == b'.' && i + 1 < b.len() && b.len() - i - 1 <= 9 {
            let mut frac = 0u64;
            let mut scale = 1.0;
            for &c in &b[i + 1..] {
                if !c.is_ascii_digit() {
                    return std::str::from_utf8(b).ok()?.parse().ok();
                }
                frac = frac * 10 + (c - b'0') as u64;
                scale *= 10.0;
            }
            return Some(int as f64 + frac as f64 / scale);
        }
    }
    let v: f64 = std::str::from_utf8(b).ok()?.parse().ok()?;
    v.is_finite().then_some(v)
}

/// Splits an HTTP request line `METHOD PATH PROTOCOL` into method and path.
pub fn split_request_line(req: &[u8]) -> (Option<&[u8]>, Option<&[u8]>) {
    let method_end = find_byte(b' ', req).unwrap_or(req.len());
    let method = &req[..method_end];
    if method.is_empty() || !method.iter().all(u8::is_ascii_uppercase) {
        return (None, None);
    }
    let rest = req.get(method_end + 1..).unwrap_or(&[]);
    let path = &rest[..find_byte(b' ', rest).unwrap_or(rest.len())];
    (Some(method), (!path.is_empty()).then_some(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_reads_fields() {
        let mut c =
            Cursor::new(br#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET /a\"b HTTP/1.0" 200 -"#);
        assert_eq!(c.token(), Some(&b"1.2.3.4"[..]));
        assert_eq!(c.token(), Some(&b"-"[..]));
        assert_eq!(c.token(), Some(&b"-"[..]));
        assert_eq!(c.bracketed(), Some(&b"10/Oct/2000:13:55:36 -0700"[..]));
        assert_eq!(c.quoted(), Some(&br#"GET /a\"b HTTP/1.0"#[..]));
        assert_eq!(c.token().and_then(parse_status), Some(200));
        assert_eq!(c.number_or_dash(), Some(None));
        assert!(c.is_empty());
        assert_eq!(c.token(), None);
    }

    #[test]
    fn unterminated_last_field_runs_to_end() {
        let mut c = Cursor::new(br#""a" "Mozilla/5.0 (compatible"#);
        assert_eq!(c.quoted_to_end(), Some(&b"a"[..]));
        assert_eq!(c.quoted_to_end(), Some(&b"Mozilla/5.0 (compatible"[..]));
        assert!(c.is_empty());
        assert_eq!(Cursor::new(b"x").quoted_to_end(), None);
    }

    #[test]
    fn cursor_survives_truncation() {
        assert_eq!(Cursor::new(br#""abc"#).quoted(), None);
        assert_eq!(Cursor::new(br#""abc\"#).quoted(), None);
        assert_eq!(Cursor::new(b"[abc").bracketed(), None);
        assert_eq!(Cursor::new(b"").token(), None);
    }

    /// Tokens as a plain split on single spaces reads them, for lines of every length around
    /// the 64-byte windows and every placement of single and double spaces.
    #[test]
    fn tokens_agree_with_a_plain_split() {
        fn plain(line: &[u8]) -> Vec<&[u8]> {
            let mut out = Vec::new();
            let mut pos = 0;
            while pos < line.len() {
                let len = line[pos..]
                    .iter()
                    .position(|&b| b == b' ')
                    .unwrap_or(line.len() - pos);
                if len == 0 {
                    break;
                }
                out.push(&line[pos..pos + len]);
                pos = (pos + len + 1).min(line.len());
            }
            out
        }
        for len in 0..200usize {
            for step in [1usize, 2, 3, 7, 13, 63, 64, 65, 130] {
                let line: Vec<u8> = (0..len)
                    .map(|i| {
                        if i % step == step - 1 {
                            b' '
                        } else {
                            b'a' + (i % 26) as u8
                        }
                    })
                    .collect();
                let mut c = Cursor::new(&line);
                let mut got = Vec::new();
                while let Some(t) = c.token() {
                    got.push(t);
                }
                assert_eq!(got, plain(&line), "len {len} step {step}");
                // Reading other fields between tokens moves the cursor past the window.
                let mut c = Cursor::new(&line);
                c.token();
                c.advance(70);
                let rest = c.rest();
                assert_eq!(
                    c.token(),
                    plain(rest).first().copied(),
                    "len {len} step {step}"
                );
            }
        }
        let mut c = Cursor::new(b"a  b");
        assert_eq!((c.token(), c.token()), (Some(&b"a"[..]), None));
        c.skip_spaces();
        assert_eq!(c.token(), Some(&b"b"[..]));
    }

    #[test]
    fn same_bytes_compare_as_slices_do() {
        let names: Vec<Vec<u8>> = (0..=20)
            .flat_map(|len| {
                let base: Vec<u8> = (0..len).map(|i| b'a' + i as u8).collect();
                let mut variants = vec![base.clone()];
                for at in 0..len {
                    let mut v = base.clone();
                    v[at] = b'Z';
                    variants.push(v);
                }
                variants
            })
            .collect();
        for a in &names {
            for b in &names {
                assert_eq!(same_bytes(a, b), a == b, "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn rfind_byte_finds_the_last() {
        assert_eq!(rfind_byte(b':', b"10.0.0.1:80"), Some(8));
        assert_eq!(rfind_byte(b':', b"[::1]:443"), Some(5));
        assert_eq!(rfind_byte(b':', b"10.0.0.1"), None);
        let long = [b"a:".repeat(40), b"b".repeat(10)].concat();
        assert_eq!(rfind_byte(b':', &long), Some(79));
    }

    #[test]
    fn find_byte_agrees_with_a_plain_search() {
        // Past the blocks searched here, into memchr's part.
        let hay: Vec<u8> = (0..200u8).map(|i| b'a' + i % 26).collect();
        for len in 0..hay.len() {
            for at in 0..len {
                let mut h = hay[..len].to_vec();
                h[at] = b' ';
                if at + 3 < len {
                    h[at + 3] = b' ';
                }
                assert_eq!(find_byte(b' ', &h), Some(at), "len {len} at {at}");
            }
            assert_eq!(find_byte(b' ', &hay[..len]), None);
        }
        // Bytes just above and below the needle are not it (no borrow false positives first).
        assert_eq!(find_byte(b'!', b"\x20\x21"), Some(1));
        assert_eq!(find_byte(0, &[1, 0x80, 0xff, 0, 0, 1, 1, 1, 1]), Some(3));
        assert_eq!(find_byte(0x80, &[0x7f, 0x81, 0, 0x80]), Some(3));
    }

    #[test]
    fn space_windows_agree_with_a_plain_search() {
        let line: Vec<u8> = (0..140u32)
            .map(|i| {
                if i % 7 == 3 || i % 11 == 0 {
                    b' '
                } else {
                    b'x'
                }
            })
            .collect();
        for len in 0..line.len() {
            let bytes = &line[..len];
            for start in 0..=len + 1 {
                let want = (0..64)
                    .filter(|i| bytes.get(start + i) == Some(&b' '))
                    .fold(0u64, |m, i| m | 1 << i);
                assert_eq!(spaces_from(bytes, start), want, "len {len} start {start}");
            }
        }
    }

    #[test]
    fn token_ends_agree_with_the_cursor() {
        let lines: [&[u8]; 8] = [
            b"a bb ccc dddd e",
            b"a bb ccc",
            b"a bb  ccc dddd",
            b" a bb ccc dddd",
            b"a bb ccc  dddd",
            b"a bb ccc ",
            b"a\tb ccc dddd e",
            b"",
        ];
        for line in lines {
            let mut c = Cursor::new(line);
            let want: Option<Vec<usize>> = (0..3)
                .map(|_| {
                    let before = c.pos();
                    let tok = c.token()?;
                    let end = before + tok.len();
                    (line.get(end) == Some(&b' ')).then_some(end)
                })
                .collect();
            // A space before the first token is an empty token to the cursor.
            let want = want.filter(|_| line.first() != Some(&b' '));
            assert_eq!(
                token_ends::<3>(line).map(|e| e.to_vec()),
                want,
                "{:?}",
                String::from_utf8_lossy(line)
            );
        }
        // Past the first 64 bytes, and not past 128.
        let mut long = vec![b'x'; 200];
        for at in [10, 70, 127] {
            long[at] = b' ';
        }
        assert_eq!(token_ends::<3>(&long), Some([10, 70, 127]));
        long[127] = b'x';
        long[130] = b' ';
        assert_eq!(token_ends::<3>(&long), None);
    }

    #[test]
    fn find_either_agrees_with_a_plain_search() {
        let hay: Vec<u8> = (0..200u8).map(|i| b'a' + i % 26).collect();
        for len in 0..hay.len() {
            for at in 0..len {
                for (first, second) in [(b'"', b'\\'), (b'\\', b'"')] {
                    let mut h = hay[..len].to_vec();
                    h[at] = first;
                    if at + 5 < len {
                        h[at + 5] = second;
                    }
                    assert_eq!(find_either(b'"', b'\\', &h), Some(at), "len {len} at {at}");
                }
            }
            assert_eq!(find_either(b'"', b'\\', &hay[..len]), None);
        }
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_decimal(b"0.123"), Some(0.123));
        assert_eq!(parse_decimal(b"12"), Some(12.0));
        assert_eq!(parse_decimal(b"-1"), Some(-1.0));
        assert_eq!(parse_decimal(b"1e-3"), Some(0.001));
        assert_eq!(parse_decimal(b"abc"), None);
        assert_eq!(parse_decimal(b"inf"), None);
        assert_eq!(parse_u64(b"18446744073709551615999"), None);
        assert_eq!(parse_status(b"503"), Some(503));
        assert_eq!(parse_status(b"999"), None);
        assert_eq!(
            split_request_line(b"GET /x HTTP/1.1"),
            (Some(&b"GET"[..]), Some(&b"/x"[..]))
        );
        assert_eq!(split_request_line(b"\\x16\\x03"), (None, None));
        assert_eq!(split_request_line(b"GET"), (Some(&b"GET"[..]), None));
        assert_eq!(split_request_line(b"GET  /x"), (Some(&b"GET"[..]), None));
        assert_eq!(
            split_request_line(b"GET /x"),
            (Some(&b"GET"[..]), Some(&b"/x"[..]))
        );
    }
}
