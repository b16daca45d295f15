//! One compressed stream spread over the cores: the decoded bytes are cut into blocks, each
//! starting at a line that starts an event (as plain files' chunks are), and the blocks are
//! parsed on the pool while the stream goes on being decoded on this thread. Their partials
//! merge in order, so the result is the one reading the stream whole would give.
//!
//! Memory stays bounded: at most a few blocks are in flight (past that, this thread parses the
//! block itself). A stretch with no line end in a whole block, or with no line that starts an
//! event as far as plain files' chunks look for one, is handed with the rest of the stream to
//! one sequential reader, which cuts long lines as it always does: every line is read as
//! reading the stream whole would read it.

use super::EventSink;
use super::partial::{ChunkPartial, ChunkSetup, parse_chunk};
use super::read::{starts_event, with_buffer};
use crate::format::Format;
use crate::input::chunk::{ANCHOR_WINDOW, EventStart};
use crate::input::lines::READ;
use std::collections::BTreeMap;
use std::io::{self, Read};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

/// The most decoded bytes a block holds: little enough that the thread parsing it finds it in
/// the cache the decoding thread wrote it to (blocks of 8 MiB, plain files' chunk size, made
/// one 300 MB `.gz` 10% slower than blocks of 1 MiB).
const MAX_BLOCK: usize = 1 << 20;

/// Where a block of decoded bytes may end.
#[derive(Debug, PartialEq)]
enum Cut {
    /// Before this line, which starts an event: the next block begins with it, so no event's
    /// continuation lines begin a block and every one of them reaches the sink.
    At(usize),
    /// No line in reach starts an event; the block's last line ends here.
    LastLineEnd(usize),
    /// The block holds no line end at all.
    NoLineEnd,
}

/// Where the block `bytes` may end: before the last whole line within [`ANCHOR_WINDOW`] of its
/// last line end that starts an event (not its first line, which would leave it empty).
fn cut(bytes: &[u8], starts_event: Option<EventStart<'_>>) -> Cut {
    let Some(last) = memchr::memrchr(b'\n', bytes) else {
        return Cut::NoLineEnd;
    };
    let last_end = last + 1;
    let Some(starts_event) = starts_event else {
        // Lines of no format are all unparsed: any line end will do.
        return Cut::At(last_end);
    };
    let floor = last_end.saturating_sub(ANCHOR_WINDOW);
    let mut end = last; // the `\n` ending the line looked at
    while end > floor {
        let start = memchr::memrchr(b'\n', &bytes[..end]).map_or(0, |i| i + 1);
        if start == 0 {
            break;
        }
        let line = &bytes[start..end];
        if starts_event(line.strip_suffix(b"\r").unwrap_or(line)) {
            return Cut::At(start);
        }
        end = start - 1;
    }
    Cut::LastLineEnd(last_end)
}

/// Reads `decoded` to its end (or its first error) in blocks of about `block_size` bytes,
/// parsing them in parallel; the same partial and result as `parse_chunk` over the whole
/// stream. For formats whose lines need years counted from the start, which a block cannot
/// know, the caller reads the stream whole instead.
pub fn parse_blocks<'c, S: EventSink>(
    mut decoded: impl Read,
    block_size: usize,
    format: Option<&'static Format>,
    setup: &(impl Fn(Option<i32>) -> ChunkSetup<'c> + Sync),
    make_sink: &(dyn Fn(&super::FileContext) -> S + Sync),
    context: &'c super::FileContext,
) -> (ChunkPartial<S>, io::Result<()>) {
    let block_size = block_size.clamp(1, MAX_BLOCK);
    let anchor = format.map(|f| move |line: &[u8]| starts_event(f, line));
    let anchor = anchor.as_ref().map(|f| f as EventStart<'_>);
    let parse = |bytes: &[u8], rest: Option<&mut dyn Read>| {
        with_buffer(|buf| match rest {
            Some(rest) => parse_chunk(bytes.chain(rest), buf, setup(None), make_sink(context)),
            None => parse_chunk(bytes, buf, setup(None), make_sink(context)),
        })
    };
    let limit = 2 * rayon::current_num_threads();
    let in_flight = AtomicUsize::new(0);
    let (sender, receiver) = mpsc::channel();
    let mut merged = Merged::default();
    rayon::in_place_scope(|scope| {
        let mut block = Vec::new();
        let mut want = block_size;
        let mut index = 0;
        loop {
            let ended = fill(&mut decoded, &mut block, want);
            let last = match ended {
                // The stream's end, or its break: the last block, read as a whole stream
                // reads its end (a last line without `\n`, the error after it).
                Some(Err(e)) => Some(parse(&block, Some(&mut Failing(Some(e))))),
                Some(Ok(())) => Some(parse(&block, None)),
                None => match cut(&block, anchor) {
                    // Read on for a line that starts an event, as far as plain files' chunks
                    // look for one.
                    Cut::LastLineEnd(_) if block.len() < block_size + ANCHOR_WINDOW => {
                        want = block.len() + READ;
                        continue;
                    }
                    // No line end in a whole block, or no event start in reach (a stack
                    // trace longer than the window): one reader takes the block and the rest,
                    // so that no line is read differently from reading the stream whole.
                    Cut::NoLineEnd | Cut::LastLineEnd(_) => Some(parse(&block, Some(&mut decoded))),
                    Cut::At(at) => {
                        let rest = block.split_off(at);
                        let full = std::mem::replace(&mut block, rest);
                        want = block_size;
                        if in_flight.load(Ordering::Acquire) >= limit {
                            merged.add(index, parse(&full, None));
                        } else {
                            in_flight.fetch_add(1, Ordering::AcqRel);
                            let (sender, in_flight, parse) = (sender.clone(), &in_flight, &parse);
                            scope.spawn(move |_| {
                                let result = parse(&full, None);
                                in_flight.fetch_sub(1, Ordering::AcqRel);
                                // The receiver outlives the scope.
                                let _ = sender.send((index, result));
                            });
                        }
                        index += 1;
                        None
                    }
                },
            };
            if let Some(last) = last {
                merged.add(index, last);
                break;
            }
            while let Ok((i, result)) = receiver.try_recv() {
                merged.add(i, result);
            }
        }
    });
    drop(sender);
    for (i, result) in receiver {
        merged.add(i, result);
    }
    merged.finish(|| ChunkPartial::new(make_sink(context)))
}

/// Reads `decoded` into `block` until it holds `block_size` bytes (`None`), or the stream
/// ends (`Some(Ok)`) or breaks (`Some(Err)`).
fn fill(decoded: &mut impl Read, block: &mut Vec<u8>, block_size: usize) -> Option<io::Result<()>> {
    while block.len() < block_size {
        let len = block.len();
        block.resize(len + READ.min(block_size - len).max(1), 0);
        match decoded.read(&mut block[len..]) {
            Ok(0) => {
                block.truncate(len);
                return Some(Ok(()));
            }
            Ok(n) => block.truncate(len + n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => block.truncate(len),
            Err(e) => {
                block.truncate(len);
                return Some(Err(e));
            }
        }
    }
    None
}

/// A reader that has nothing left but the error the stream broke with.
struct Failing(Option<io::Error>);

impl Read for Failing {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        match self.0.take() {
            Some(e) => Err(e),
            None => Ok(0),
        }
    }
}

/// Blocks' partials merged in block order as they arrive, whatever order they finish in.
struct Merged<S> {
    next: usize,
    done: Option<ChunkPartial<S>>,
    waiting: BTreeMap<usize, (ChunkPartial<S>, io::Result<()>)>,
    error: Option<io::Error>,
}

impl<S> Default for Merged<S> {
    fn default() -> Merged<S> {
        Merged {
            next: 0,
            done: None,
            waiting: BTreeMap::new(),
            error: None,
        }
    }
}

impl<S: EventSink> Merged<S> {
    fn add(&mut self, index: usize, result: (ChunkPartial<S>, io::Result<()>)) {
        self.waiting.insert(index, result);
        while let Some((partial, result)) = self.waiting.remove(&self.next) {
            self.done = Some(match self.done.take() {
                Some(done) => done.merge(partial),
                None => partial,
            });
            if let Err(e) = result {
                self.error.get_or_insert(e);
            }
            self.next += 1;
        }
    }

    fn finish(self, empty: impl FnOnce() -> ChunkPartial<S>) -> (ChunkPartial<S>, io::Result<()>) {
        debug_assert!(self.waiting.is_empty(), "every block was merged");
        let partial = self.done.unwrap_or_else(empty);
        (partial, self.error.map_or(Ok(()), Err))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_end_before_a_line_that_starts_an_event() {
        let starts = |line: &[u8]| line.starts_with(b"E");
        let starts: EventStart<'_> = &starts;
        let at = |b: &[u8]| cut(b, Some(starts));
        assert_eq!(at(b"E1\n  at a\nE2\n  at b\n  at c\ntail"), Cut::At(10));
        // No event starts after the first line: only the last line end is known.
        assert_eq!(at(b"E1\n  at a\n  at b\nta"), Cut::LastLineEnd(17));
        assert_eq!(cut(b"E1\n  at a\n  at b\nta", None), Cut::At(17));
        assert_eq!(at(b"no line end"), Cut::NoLineEnd);
        assert_eq!(at(b"E1\r\nE2\r\nx"), Cut::At(4));
    }
}
