//! Compression, recognised by magic bytes rather than by name, and the streaming decoders.

use std::io::{self, Read};

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
        let buffered = io::BufReader::with_capacity(256 * 1024, raw);
        Ok(match self {
            Compression::None => Box::new(buffered),
            Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(buffered)),
            Compression::Zstd => Box::new(zstd::stream::read::Decoder::with_buffer(buffered)?),
            Compression::Bzip2 => Box::new(bzip2::bufread::MultiBzDecoder::new(buffered)),
        })
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
}
