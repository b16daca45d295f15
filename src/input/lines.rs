//! Splitting a byte stream into lines with bounded memory.
//!
//! Lines end at `\n`; a `\r` before it is dropped, and a last line without `\n` still counts.
//! A line longer than [`MAX_LINE`] is handed on truncated to that length and the rest of it is
//! skipped and counted, so a 30 MB line (or a file of NULs with no newline at all) costs one
//! buffer, not its size.

use std::io::{self, Read};

/// The most bytes of one line that are kept; the rest is counted in [`LineStats::skipped_bytes`].
pub const MAX_LINE: usize = 1 << 20;
/// The read buffer: room for the longest line kept and the read after it.
pub const BUFFER: usize = 4 << 20;
/// The most bytes one read asks for. Lines are split and parsed right after the read that
/// brought them, so a read no larger than the core's L2 cache is parsed from that cache, not
/// from memory; at 256 KiB a read's system call is still a small part of its cost.
pub const READ: usize = 256 << 10;

/// What the splitter had to drop.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct LineStats {
    pub truncated_lines: u64,
    pub skipped_bytes: u64,
}

/// Calls `on_line(line, truncated)` for every line of `reader`, in order, reusing `buf`.
///
/// Stops at the first read error and returns it after the lines read before it (a truncated
/// gzip file still yields what could be decoded).
pub fn for_each_line<R: Read>(
    mut reader: R,
    buf: &mut Vec<u8>,
    mut on_line: impl FnMut(&[u8], bool),
) -> (LineStats, io::Result<()>) {
    let mut stats = LineStats::default();
    if buf.len() < BUFFER {
        // Zeroed pages from the allocator, not a loop writing 4 MiB of zeros.
        *buf = vec![0; BUFFER];
    }
    let (mut start, mut end) = (0usize, 0usize);
    // True while skipping the rest of a line that was already handed on truncated.
    let mut skipping = false;
    let mut result = Ok(());
    loop {
        while let Some(nl) = memchr::memchr(b'\n', &buf[start..end]) {
            if skipping {
                stats.skipped_bytes += nl as u64;
                skipping = false;
            } else if nl > MAX_LINE {
                on_line(&buf[start..start + MAX_LINE], true);
                stats.truncated_lines += 1;
                stats.skipped_bytes += (nl - MAX_LINE) as u64;
            } else {
                on_line(strip_cr(&buf[start..start + nl]), false);
            }
            start += nl + 1;
        }
        let eof = match &result {
            Err(_) => true,
            Ok(()) => false,
        };
        if eof {
            break;
        }
        if skipping {
            stats.skipped_bytes += (end - start) as u64;
            start = 0;
            end = 0;
        } else if end - start >= MAX_LINE {
            on_line(&buf[start..start + MAX_LINE], true);
            stats.truncated_lines += 1;
            stats.skipped_bytes += (end - start - MAX_LINE) as u64;
            skipping = true;
            start = 0;
            end = 0;
        } else if start > 0 {
            buf.copy_within(start..end, 0);
            end -= start;
            start = 0;
        }
        let read_end = (end + READ).min(buf.len());
        match reader.read(&mut buf[end..read_end]) {
            Ok(0) => break,
            Ok(n) => end += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => result = Err(e),
        }
    }
    if start < end {
        if skipping {
            stats.skipped_bytes += (end - start) as u64;
        } else {
            on_line(strip_cr(&buf[start..end]), false);
        }
    }
    (stats, result)
}

#[inline]
fn strip_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(input: &[u8]) -> (Vec<(Vec<u8>, bool)>, LineStats) {
        let mut lines = Vec::new();
        let mut buf = Vec::new();
        let (stats, res) = for_each_line(input, &mut buf, |l, t| lines.push((l.to_vec(), t)));
        res.unwrap();
        (lines, stats)
    }

    #[test]
    fn splits_lines_crlf_and_missing_final_newline() {
        let (lines, _) = collect(b"a\r\nb\n\nc");
        let text: Vec<&[u8]> = lines.iter().map(|(l, _)| &l[..]).collect();
        assert_eq!(text, vec![&b"a"[..], b"b", b"", b"c"]);
        assert!(collect(b"").0.is_empty());
        assert_eq!(collect(b"\n").0.len(), 1);
    }

    #[test]
    fn truncates_long_lines_with_bounded_memory() {
        let mut input = vec![b'x'; MAX_LINE * 3 + 17];
        input.extend_from_slice(b"\nshort\n");
        input.extend(vec![0u8; BUFFER + 5]);
        let (lines, stats) = collect(&input);
        assert_eq!(lines.len(), 3);
        assert_eq!((lines[0].0.len(), lines[0].1), (MAX_LINE, true));
        assert_eq!(lines[1], (b"short".to_vec(), false));
        assert_eq!((lines[2].0.len(), lines[2].1), (MAX_LINE, true));
        assert_eq!(stats.truncated_lines, 2);
        assert_eq!(
            stats.skipped_bytes,
            (MAX_LINE * 2 + 17 + BUFFER + 5 - MAX_LINE) as u64
        );
    }

    /// A reader that hands out one byte at a time and then fails, like a truncated stream.
    struct Dribble<'a>(&'a [u8]);
    impl Read for Dribble<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            match self.0.split_first() {
                Some((b, rest)) => {
                    out[0] = *b;
                    self.0 = rest;
                    Ok(1)
                }
                None => Err(io::Error::new(io::ErrorKind::UnexpectedEof, "truncated")),
            }
        }
    }

    #[test]
    fn keeps_what_was_read_before_an_error() {
        let mut lines = Vec::new();
        let mut buf = Vec::new();
        let (_, res) = for_each_line(Dribble(b"one\ntwo\nthr"), &mut buf, |l, _| {
            lines.push(l.to_vec())
        });
        assert!(res.is_err());
        assert_eq!(
            lines,
            vec![b"one".to_vec(), b"two".to_vec(), b"thr".to_vec()]
        );
    }
}
