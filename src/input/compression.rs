//! Compression, recognised by magic bytes rather than by name, and the streaming decoders.

use std::io::{self, BufRead, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// How a file's bytes are stored.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
    Bzip2,
}

impl Compression {
    /// Recognises gzip (`1f 8b`), zstd (`28 b5 2f fd`) and bzip2 (`BZh1`–`BZh9`).
    pub fn sniff(head: &[u8]) -> Compression {
        match head {
            [0x1f, 0x8b, ..] => Compression::Gzip,
            [0x28, 0xb5, 0x2f, 0xfd, ..] => Compression::Zstd,
            [b'B', b'Z', b'h', b'1'..=b'9', ..] => Compression::Bzip2,
            _ => Compression::None,
        }
    }

    /// The compression of an open file, from its first bytes (read by position, so the file's
    /// cursor does not move).
    pub fn of_file(file: &std::fs::File) -> io::Result<Compression> {
        use std::os::unix::fs::FileExt;
        let mut magic = [0u8; 4];
        let n = file.read_at(&mut magic, 0)?;
        Ok(Compression::sniff(&magic[..n]))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
            Compression::Bzip2 => "bzip2",
        }
    }

    /// Wraps `raw` in the streaming decoder for this compression. Concatenated members (as
    /// `cat a.gz b.gz` or parallel gzip writers make) are all read.
    pub fn decoder<'r, R: Read + Send + 'r>(self, raw: R) -> io::Result<Box<dyn Read + Send + 'r>> {
        self.decoder_tracking(raw, Arc::default())
    }

    /// As [`Compression::decoder`], keeping in `position` how far into the raw bytes decoding
    /// got: when the stream turns out damaged, the bytes after the last that decoded into
    /// output can be reported as skipped.
    pub fn decoder_tracking<'r, R: Read + Send + 'r>(
        self,
        raw: R,
        position: Arc<Position>,
    ) -> io::Result<Box<dyn Read + Send + 'r>> {
        let buffered = Consumed {
            inner: io::BufReader::with_capacity(256 * 1024, raw),
            position: Arc::clone(&position),
        };
        let decoder: Box<dyn Read + Send + 'r> = match self {
            Compression::None => Box::new(buffered),
            Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(buffered)),
            Compression::Zstd => Box::new(zstd::stream::read::Decoder::with_buffer(buffered)?),
            Compression::Bzip2 => Box::new(bzip2::bufread::MultiBzDecoder::new(buffered)),
        };
        Ok(Box::new(Tracked {
            inner: decoder,
            position,
        }))
    }
}

/// How far a decoder got into its raw bytes.
#[derive(Debug, Default)]
pub struct Position {
    consumed: AtomicU64,
    decoded_through: AtomicU64,
}

impl Position {
    /// Raw bytes consumed when the decoder last produced output: everything after this was
    /// read for nothing when the stream then breaks.
    pub fn decoded_through(&self) -> u64 {
        self.decoded_through.load(Ordering::Relaxed)
    }
}

/// A decoder that records, each time it produces output, how many raw bytes that took.
struct Tracked<'r> {
    inner: Box<dyn Read + Send + 'r>,
    position: Arc<Position>,
}

impl Read for Tracked<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n > 0 {
            let consumed = self.position.consumed.load(Ordering::Relaxed);
            self.position
                .decoded_through
                .store(consumed, Ordering::Relaxed);
        }
        Ok(n)
    }
}

/// A buffered reader that counts the bytes its user consumes (not those it buffers ahead).
struct Consumed<R> {
    inner: R,
    position: Arc<Position>,
}

impl<R: BufRead> Read for Consumed<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.consume_count(n);
        Ok(n)
    }
}

impl<R: BufRead> Consumed<R> {
    fn consume_count(&self, n: usize) {
        self.position
            .consumed
            .fetch_add(n as u64, Ordering::Relaxed);
    }
}

impl<R: BufRead> BufRead for Consumed<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        self.consume_count(amt);
        self.inner.consume(amt);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn round_trip(c: Compression, compressed: Vec<u8>) {
        assert_eq!(Compression::sniff(&compressed), c);
        let mut out = String::new();
        c.decoder(&compressed[..])
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, "line one\nline two\n");
    }

    #[test]
    fn sniffs_and_decodes_each_compression() {
        let text = b"line one\nline two\n";
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(text).unwrap();
        round_trip(Compression::Gzip, gz.finish().unwrap());
        round_trip(Compression::Zstd, zstd::encode_all(&text[..], 1).unwrap());
        let mut bz = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
        bz.write_all(text).unwrap();
        round_trip(Compression::Bzip2, bz.finish().unwrap());
        assert_eq!(Compression::sniff(b"plain"), Compression::None);
        assert_eq!(Compression::sniff(b""), Compression::None);
    }

    #[test]
    fn counts_where_a_damaged_stream_stopped() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"line one\nline two\n").unwrap();
        let mut bytes = gz.finish().unwrap();
        let member = bytes.len() as u64;
        // Garbage after a whole member, as a disk that filled up or a bad copy leaves.
        bytes.extend_from_slice(&[0x55; 1000]);
        let position = Arc::new(Position::default());
        let mut out = Vec::new();
        let result = Compression::Gzip
            .decoder_tracking(&bytes[..], Arc::clone(&position))
            .unwrap()
            .read_to_end(&mut out);
        assert!(result.is_err());
        assert_eq!(out, b"line one\nline two\n");
        // The member's trailer (8 bytes) may be read after its last output.
        let used = position.decoded_through();
        assert!((member - 8..=member).contains(&used), "{used} of {member}");
    }
}
