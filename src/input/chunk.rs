//! Newline-aligned chunks of a plain file, read with positioned reads (`pread`) so that any
//! number of threads can read one file at once without sharing a cursor.
//!
//! Chunk boundaries are planned before any parsing: near every multiple of the chunk size the
//! planner reads a small window and moves the boundary to the start of the next line, or, for
//! formats whose events span several lines, to the next line that starts an event, so that a
//! stack trace is never split from its header. Every chunk then starts where a sequential reader
//! would have started an event, which is what makes the results independent of chunk size.

use std::fs::File;
use std::io::{self, Read};
use std::ops::Range;
use std::os::unix::fs::FileExt;

/// The default chunk size: large enough to amortise scheduling, small enough to balance.
pub const DEFAULT_CHUNK: u64 = 8 << 20;
/// How far past a candidate boundary the planner looks for an event start before settling for
/// a plain line start (and how far back a compressed stream's block looks for one).
pub const ANCHOR_WINDOW: usize = 256 * 1024;

/// Tells whether a line starts an event (as opposed to continuing one).
pub type EventStart<'a> = &'a dyn Fn(&[u8]) -> bool;

/// Reads `range` of `file` with `pread`, as a `Read`.
pub struct RangeReader<'f> {
    file: &'f File,
    pos: u64,
    end: u64,
}

impl<'f> RangeReader<'f> {
    pub fn new(file: &'f File, range: Range<u64>) -> RangeReader<'f> {
        RangeReader {
            file,
            pos: range.start,
            end: range.end,
        }
    }
}

impl Read for RangeReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let want = (self.end.saturating_sub(self.pos)).min(buf.len() as u64) as usize;
        if want == 0 {
            return Ok(0);
        }
        let n = self.file.read_at(&mut buf[..want], self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

/// Fills `buf` from `offset` as far as the file allows; returns the bytes read.
fn read_full_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    let mut done = 0;
    while done < buf.len() {
        match file.read_at(&mut buf[done..], offset + done as u64) {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}

/// The offset of the first line that starts at or after `from` (`len` if none).
fn next_line_start(file: &File, from: u64, len: u64, window: &mut [u8]) -> io::Result<u64> {
    // The byte before `from` tells whether `from` itself starts a line.
    let mut pos = from - 1;
    while pos < len {
        let n = read_full_at(file, window, pos)?;
        if n == 0 {
            break;
        }
        if let Some(i) = memchr::memchr(b'\n', &window[..n]) {
            return Ok(pos + i as u64 + 1);
        }
        pos += n as u64;
    }
    Ok(len)
}

/// Splits `file` (of `len` bytes) into chunks of about `chunk` bytes that start at line starts.
///
/// When `is_event_start` is given, a boundary is moved on to the first line within a window
/// for which it returns true (a line that starts an event, not a continuation).
pub fn plan_chunks(
    file: &File,
    len: u64,
    chunk: u64,
    is_event_start: Option<EventStart<'_>>,
) -> io::Result<Vec<Range<u64>>> {
    let chunk = chunk.max(1);
    let mut bounds = vec![0u64];
    let mut window = vec![0u8; 64 * 1024];
    let mut anchor_buf = Vec::new();
    let mut candidate = chunk;
    while candidate < len {
        let last = *bounds.last().expect("starts with 0");
        let from = candidate.max(last + 1);
        let mut start = next_line_start(file, from, len, &mut window)?;
        if let (Some(is_start), true) = (is_event_start, start < len) {
            anchor_buf.resize(ANCHOR_WINDOW, 0);
            let n = read_full_at(file, &mut anchor_buf, start)?;
            let mut off = 0usize;
            let mut found = false;
            // Only whole lines inside the window are considered (and a last line without `\n`).
            while off < n {
                let nl = memchr::memchr(b'\n', &anchor_buf[off..n]);
                if nl.is_none() && n == ANCHOR_WINDOW {
                    break;
                }
                let end = nl.map_or(n, |i| off + i);
                let line = &anchor_buf[off..end];
                if is_start(line.strip_suffix(b"\r").unwrap_or(line)) {
                    start += off as u64;
                    found = true;
                    break;
                }
                off = end + 1;
            }
            if !found && n < ANCHOR_WINDOW {
                // No event starts between here and the end: the rest belongs to the last chunk.
                break;
            }
        }
        if start >= len {
            break;
        }
        if start > last {
            bounds.push(start);
        }
        candidate = start + chunk;
    }
    bounds.push(len);
    Ok(bounds
        .windows(2)
        .map(|w| w[0]..w[1])
        .filter(|r| !r.is_empty())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn file_with(content: &[u8]) -> (tempfile::NamedTempFile, File) {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(content).unwrap();
        let reopened = f.reopen().unwrap();
        (f, reopened)
    }

    fn read_range(file: &File, r: Range<u64>) -> Vec<u8> {
        let mut out = Vec::new();
        RangeReader::new(file, r).read_to_end(&mut out).unwrap();
        out
    }

    #[test]
    fn chunks_cover_the_file_at_line_starts() {
        let content = b"aaaa\nbb\ncccccc\nd\neeeeeeeeeeeee\nf";
        let (_t, file) = file_with(content);
        for size in 1..=content.len() as u64 + 1 {
            let chunks = plan_chunks(&file, content.len() as u64, size, None).unwrap();
            let mut joined = Vec::new();
            for (i, r) in chunks.iter().enumerate() {
                let bytes = read_range(&file, r.clone());
                if i > 0 {
                    assert_eq!(content[r.start as usize - 1], b'\n', "size {size}");
                }
                joined.extend(bytes);
            }
            assert_eq!(joined, content, "size {size}");
        }
    }

    #[test]
    fn boundaries_move_to_event_starts() {
        let content = b"E1\n at x\n at y\nE2\n at z\nE3\n";
        let (_t, file) = file_with(content);
        let is_start = |l: &[u8]| l.starts_with(b"E");
        let chunks = plan_chunks(&file, content.len() as u64, 4, Some(&is_start)).unwrap();
        for r in &chunks {
            assert_eq!(content[r.start as usize], b'E');
        }
        assert_eq!(chunks.len(), 3);
    }

    /// A file cut shorter between planning and reading (logrotate's copytruncate): the
    /// planned length is past its end, and reads there find nothing rather than fail.
    #[test]
    fn a_file_shorter_than_planned_reads_what_is_there() {
        let content = b"aaaa\nbb\ncccccc\nd\n";
        let (_t, file) = file_with(content);
        let claimed = 1000;
        let chunks = plan_chunks(&file, claimed, 4, None).unwrap();
        let joined: Vec<u8> = chunks
            .iter()
            .flat_map(|r| read_range(&file, r.clone()))
            .collect();
        assert_eq!(joined, content);
        assert!(read_range(&file, 500..1000).is_empty());
    }

    /// Reads smaller than asked for are taken up where they stopped.
    #[test]
    fn small_reads_continue_where_they_stopped() {
        let content: Vec<u8> = (0..=255u8).cycle().take(10_000).collect();
        let (_t, file) = file_with(&content);
        let mut reader = RangeReader::new(&file, 100..9_000);
        let mut out = Vec::new();
        let mut small = [0u8; 7];
        loop {
            let n = reader.read(&mut small).unwrap();
            if n == 0 {
                break;
            }
            out.extend_from_slice(&small[..n]);
        }
        assert_eq!(out, &content[100..9_000]);
    }

    #[test]
    fn empty_file_has_no_chunks_and_one_line_file_one() {
        let (_t, file) = file_with(b"");
        assert!(plan_chunks(&file, 0, 10, None).unwrap().is_empty());
        let (_t, file) = file_with(b"no newline at all");
        assert_eq!(plan_chunks(&file, 17, 4, None).unwrap(), vec![0..17]);
    }
}
