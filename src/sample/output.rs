//! One output log file: a time-ordered queue of what is still to be written, a 1 MiB buffer the
//! writers render straight into (flushed to the file or its gzip encoder when full), line
//! counting, and rotation into an older gzip member.
//!
//! Requests are generated in start order but each log writes its lines at its own time (at the
//! end of the request, 30 s later for a timeout), so each file keeps a min-heap keyed by that
//! time and writes everything that no later request can precede.

use super::traffic::Req;
use flate2::Compression;
use flate2::write::GzEncoder;
use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// Whether a line is the incident's cause or its fix, for truth.json.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mark {
    None,
    Cause,
    Mitigation,
}

/// A queued record: a request for the writer to render, or a scripted line's body (everything
/// after the timestamp the writer puts in front; may hold continuation lines).
pub enum Rec {
    Req(Req),
    Text { body: String, mark: Mark },
}

struct Pending {
    key: i64,
    seq: u64,
    rec: Rec,
}

impl PartialEq for Pending {
    fn eq(&self, other: &Self) -> bool {
        (self.key, self.seq) == (other.key, other.seq)
    }
}
impl Eq for Pending {}
impl PartialOrd for Pending {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Pending {
    // Reversed: BinaryHeap is a max-heap and we want the earliest first.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.key, other.seq).cmp(&(self.key, self.seq))
    }
}

/// A marked line as written: where it is and what it says.
#[derive(Clone, Debug)]
pub struct MarkedLine {
    pub time: i64,
    pub file: String,
    pub line: u64,
    pub text: String,
}

/// Keeps the earliest line of each mark.
#[derive(Default, Debug)]
pub struct Marks {
    pub cause: Option<MarkedLine>,
    pub mitigation: Option<MarkedLine>,
}

impl Marks {
    pub fn note(&mut self, mark: Mark, line: MarkedLine) {
        let slot = match mark {
            Mark::None => return,
            Mark::Cause => &mut self.cause,
            Mark::Mitigation => &mut self.mitigation,
        };
        if slot.as_ref().is_none_or(|s| line.time < s.time) {
            *slot = Some(line);
        }
    }
}

/// A physical file as written, for truth.json's `files`.
#[derive(Clone, Debug)]
pub struct Written {
    pub rel: String,
    pub gzip: bool,
    pub lines: u64,
}

/// The buffer size: lines are rendered into it and it is written out when full.
const BUFFER: usize = 1 << 20;

enum Sink {
    Plain(File),
    Gzip(Box<GzEncoder<BufWriter<File>>>),
}

impl Sink {
    fn open(path: &Path, gzip: bool, level: u32) -> io::Result<Sink> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let file = File::create(path)?;
        // GzEncoder writes mtime 0 and no file name: the bytes depend on the content only.
        Ok(if gzip {
            let w = BufWriter::with_capacity(BUFFER, file);
            Sink::Gzip(Box::new(GzEncoder::new(w, Compression::new(level))))
        } else {
            Sink::Plain(file)
        })
    }

    fn write_all(&mut self, b: &[u8]) -> io::Result<()> {
        match self {
            Sink::Plain(w) => w.write_all(b),
            Sink::Gzip(w) => w.write_all(b),
        }
    }

    fn finish(self) -> io::Result<()> {
        match self {
            Sink::Plain(mut w) => w.flush(),
            Sink::Gzip(w) => w.finish()?.flush(),
        }
    }
}

/// The heap and output of one log (and of its rotated older member, if any).
pub struct LogFile {
    pub rel: String,
    root: PathBuf,
    heap: BinaryHeap<Pending>,
    seq: u64,
    sink: Option<Sink>,
    /// Rendered bytes of the current member not yet handed to the sink.
    pub buf: Vec<u8>,
    /// Lines of the current member.
    lines: u64,
    /// Records before this time go to `<rel>.1.gz`; then the live file starts.
    rotate_at: Option<i64>,
    gzip: bool,
    level: u32,
    pub written: Vec<Written>,
}

impl LogFile {
    /// A log at `root/rel`; with `rotate_at`, its older part goes to `rel.1.gz`. `gzip`
    /// compresses the file itself (the whole log is one `.gz`).
    pub fn new(root: &Path, rel: &str, rotate_at: Option<i64>, gzip: bool, level: u32) -> LogFile {
        LogFile {
            rel: rel.to_string(),
            root: root.to_path_buf(),
            heap: BinaryHeap::new(),
            seq: 0,
            sink: None,
            buf: Vec::new(),
            lines: 0,
            rotate_at,
            gzip,
            level,
            written: Vec::new(),
        }
    }

    pub fn push(&mut self, key: i64, rec: Rec) {
        self.seq += 1;
        self.heap.push(Pending {
            key,
            seq: self.seq,
            rec,
        });
    }

    pub fn pending(&self) -> usize {
        self.heap.len()
    }

    /// The next record if its time is before `until`.
    pub fn pop_before(&mut self, until: i64) -> Option<(i64, Rec)> {
        if self.heap.peek().is_some_and(|p| p.key < until) {
            self.heap.pop().map(|p| (p.key, p.rec))
        } else {
            None
        }
    }

    /// Makes current the member a line at time `key` goes to (switching at the rotation
    /// time) and returns where that line's bytes will start in [`LogFile::buf`].
    pub fn begin(&mut self, key: i64) -> io::Result<usize> {
        if let Some(at) = self.rotate_at
            && key >= at
        {
            self.rotate_at = None;
            self.close_member()?;
            self.open_member(false)?;
        }
        if self.sink.is_none() {
            self.open_member(self.rotate_at.is_some())?;
        }
        Ok(self.buf.len())
    }

    /// Accounts for the lines rendered since `start`; returns the 1-based number of the first.
    pub fn commit(&mut self, start: usize) -> u64 {
        let first = self.lines + 1;
        self.lines += memchr::memchr_iter(b'\n', &self.buf[start..]).count() as u64;
        first
    }

    /// Hands the buffer to the file once it holds a megabyte.
    pub fn flush_if_full(&mut self) -> io::Result<()> {
        if self.buf.len() >= BUFFER {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        if let Some(s) = self.sink.as_mut() {
            s.write_all(&self.buf)?;
        }
        self.buf.clear();
        Ok(())
    }

    /// Writes `bytes` (whole lines) as of time `key`; returns the number of the first line.
    pub fn write(&mut self, key: i64, bytes: &[u8]) -> io::Result<u64> {
        let start = self.begin(key)?;
        self.buf.extend_from_slice(bytes);
        let first = self.commit(start);
        self.flush_if_full()?;
        Ok(first)
    }

    fn open_member(&mut self, older: bool) -> io::Result<()> {
        let (rel, gzip) = if older {
            (format!("{}.1.gz", self.rel), true)
        } else if self.gzip {
            (format!("{}.gz", self.rel), true)
        } else {
            (self.rel.clone(), false)
        };
        self.sink = Some(Sink::open(&self.root.join(&rel), gzip, self.level)?);
        if self.buf.capacity() < BUFFER {
            self.buf.reserve(BUFFER + 64 * 1024);
        }
        self.written.push(Written {
            rel,
            gzip,
            lines: 0,
        });
        self.lines = 0;
        Ok(())
    }

    fn close_member(&mut self) -> io::Result<()> {
        self.flush()?;
        if let Some(s) = self.sink.take() {
            s.finish()?;
        }
        if let Some(w) = self.written.last_mut() {
            w.lines = self.lines;
        }
        Ok(())
    }

    /// Closes the file; a log that got no line still exists, empty.
    pub fn finish(&mut self) -> io::Result<()> {
        if self.sink.is_none() && self.written.is_empty() {
            self.rotate_at = None;
            self.open_member(false)?;
        }
        if self.rotate_at.take().is_some() {
            // Rotation time never came: the live file exists but is empty, as after logrotate.
            self.close_member()?;
            self.open_member(false)?;
        }
        self.close_member()
    }

    /// The display path of the member being written, for marks.
    pub fn current_rel(&self) -> &str {
        self.written.last().map_or(&self.rel, |w| &w.rel)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heap_gives_earliest_first_then_insertion_order() {
        let dir = tempfile::tempdir().unwrap();
        let mut f = LogFile::new(dir.path(), "x.log", None, false, 6);
        for (k, s) in [(5, "c"), (1, "a"), (5, "d"), (3, "b")] {
            f.push(
                k,
                Rec::Text {
                    body: s.into(),
                    mark: Mark::None,
                },
            );
        }
        let mut got = String::new();
        while let Some((_, Rec::Text { body, .. })) = f.pop_before(5) {
            got.push_str(&body);
        }
        assert_eq!(got, "ab");
        assert_eq!(f.pending(), 2);
    }

    #[test]
    fn rotation_splits_into_gzip_and_live_file_and_counts_lines() {
        let dir = tempfile::tempdir().unwrap();
        let mut f = LogFile::new(dir.path(), "app/app.log", Some(10), false, 6);
        assert_eq!(f.write(1, b"old 1\nold 2\n").unwrap(), 1);
        assert_eq!(f.write(10, b"new 1\n").unwrap(), 1);
        assert_eq!(f.write(11, b"new 2\n").unwrap(), 2);
        f.finish().unwrap();
        assert_eq!(f.written.len(), 2);
        assert_eq!(
            (f.written[0].rel.as_str(), f.written[0].lines),
            ("app/app.log.1.gz", 2)
        );
        assert_eq!(
            (f.written[1].rel.as_str(), f.written[1].lines),
            ("app/app.log", 2)
        );
        let gz = std::fs::read(dir.path().join("app/app.log.1.gz")).unwrap();
        let mut text = String::new();
        use std::io::Read;
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, "old 1\nold 2\n");
        assert_eq!(
            std::fs::read_to_string(dir.path().join("app/app.log")).unwrap(),
            "new 1\nnew 2\n"
        );
    }
}
