//! Opening an input and deciding how to read it: its compression (by magic bytes), its format
//! (forced by `--log-format`, or detected on a sample of its first lines), its assumed zone and
//! modification time. Runs for every input before any is parsed, so that rotated families can
//! share one format.

use super::IngestOptions;
use crate::format::{self, Detection, Format, Parsed};
use crate::input::{Compression, InputFile, InputPath, RangeReader};
use crate::time::year::YearAnchor;
use crate::time::{LineTime, Timestamp, Zone, ZoneConverter};
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// Where the bytes of an opened input come from.
pub enum Bytes {
    /// A regular file: read by position, possibly by several threads at once. It is opened
    /// again to be read, so that thousands of inputs never hold thousands of descriptors.
    File { path: PathBuf, len: u64 },
    /// A pipe: read once. `sample` holds the decoded bytes detection consumed; they are
    /// replayed in front of `rest`.
    Stream {
        sample: Vec<u8>,
        rest: Box<dyn Read + Send>,
    },
}

/// An input ready to be read.
pub struct Opened {
    pub bytes: Bytes,
    pub compression: Compression,
    pub detection: Detection,
    pub zone: Zone,
    pub mtime: Timestamp,
    /// Whether years must be inferred: the format can lack them and the sample has such lines.
    pub needs_years: bool,
    /// The first time in the sample that states its year (or is an instant), for anchoring the
    /// years of other files that state none.
    pub dated_time: Option<Timestamp>,
    /// What this file's years are counted from, if it needs years.
    pub year_anchor: YearAnchor,
}

/// Whether any line of the sample has a time without a year under `detection`'s format.
fn sample_needs_years(detection: &Detection, sample: &[u8]) -> bool {
    let Some(format) = detection.format.filter(|f| f.yearless) else {
        return false;
    };
    whole_lines(sample).split(|c| *c == b'\n').any(|line| {
        matches!((format.parse)(line), Parsed::Event(e)
            if matches!(e.time, Some(LineTime::Civil(c)) if c.year.is_none()))
    })
}

/// The first event time in `sample` that states its year, in UTC.
fn sample_dated_time(detection: &Detection, sample: &[u8], zone: &Zone) -> Option<Timestamp> {
    let format = detection.format?;
    let mut converter = ZoneConverter::new(zone.clone());
    whole_lines(sample)
        .split(|c| *c == b'\n')
        .find_map(|line| match (format.parse)(line) {
            Parsed::Event(e) => match e.time? {
                LineTime::Utc(t) => Some(t),
                LineTime::Civil(c) if c.year.is_some() => converter.civil_to_utc(&c),
                LineTime::Civil(_) => None,
            },
            _ => None,
        })
}

/// The time the dated files of a run agree on: the median of their first dated times. `None`
/// when no file states a year.
pub fn dated_reference(opened: &[io::Result<Opened>]) -> Option<Timestamp> {
    let mut times: Vec<Timestamp> = opened
        .iter()
        .filter_map(|o| o.as_ref().ok())
        .filter(|o| !o.needs_years)
        .filter_map(|o| o.dated_time)
        .collect();
    times.sort();
    times.get(times.len() / 2).copied()
}

/// Anchors the yearless files' years on `reference`, when there is one.
pub fn anchor_years(opened: &mut [io::Result<Opened>]) {
    let Some(reference) = dated_reference(opened) else {
        return;
    };
    for o in opened.iter_mut().filter_map(|o| o.as_mut().ok()) {
        if o.needs_years {
            o.year_anchor = YearAnchor::Near(reference);
        }
    }
}

/// `sample` cut after its last newline, unless it has none (a one-line file).
pub fn whole_lines(sample: &[u8]) -> &[u8] {
    match memchr::memrchr(b'\n', sample) {
        Some(i) => &sample[..=i],
        None => sample,
    }
}

/// The decoded first bytes of a plain or compressed file, for detection.
fn file_sample(file: &File, len: u64, compression: Compression) -> io::Result<Vec<u8>> {
    let mut decoded = compression.decoder(RangeReader::new(file, 0..len))?;
    let mut head = Vec::new();
    // A damaged stream is still detected on whatever decoded before the damage.
    let _ = decoded
        .by_ref()
        .take(format::detect::SAMPLE_BYTES as u64)
        .read_to_end(&mut head);
    Ok(head)
}

fn choose_format(input: &InputFile, opts: &IngestOptions, sample: &[u8]) -> Detection {
    match opts.formats.format_for(&input.display) {
        Some(f) => Detection::forced(f),
        None => format::detect(whole_lines(sample)),
    }
}

fn modified(file: &File) -> Option<Timestamp> {
    let t = file.metadata().ok()?.modified().ok()?;
    let d = t.duration_since(std::time::UNIX_EPOCH).ok()?;
    Some(Timestamp::from_unix_seconds(d.as_secs() as i64, 0))
}

/// A stream that already broke: its error, once, then nothing.
struct Failed(Option<io::Error>);

impl Read for Failed {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        self.0.take().map_or(Ok(0), Err)
    }
}

/// Opens `input`, recognises its compression and chooses its format.
pub fn open(input: &InputFile, opts: &IngestOptions) -> io::Result<Opened> {
    let zone = opts.zones.zone_for(Path::new(&input.display));
    let stream = |raw: Box<dyn Read + Send>| -> io::Result<Opened> {
        let mut raw = io::BufReader::with_capacity(1 << 20, raw);
        let compression = Compression::sniff(io::BufRead::fill_buf(&mut raw)?);
        let mut rest = compression.decoder(raw)?;
        let mut sample = Vec::new();
        if let Err(e) = rest
            .by_ref()
            .take(format::detect::SAMPLE_BYTES as u64)
            .read_to_end(&mut sample)
        {
            // Damage within the sample: what decoded before it is still read, and the
            // error comes when the reading gets there.
            rest = Box::new(Failed(Some(e)));
        }
        let detection = choose_format(input, opts, &sample);
        Ok(Opened {
            needs_years: sample_needs_years(&detection, &sample),
            dated_time: sample_dated_time(&detection, &sample, &zone),
            detection,
            bytes: Bytes::Stream { sample, rest },
            compression,
            zone: zone.clone(),
            mtime: opts.now,
            year_anchor: YearAnchor::Modified(opts.now),
        })
    };
    match &input.path {
        InputPath::File(path) => {
            let file = File::open(path)?;
            let len = file.metadata()?.len();
            let compression = Compression::of_file(&file)?;
            let sample = file_sample(&file, len, compression)?;
            let detection = choose_format(input, opts, &sample);
            let mtime = modified(&file).unwrap_or(opts.now);
            Ok(Opened {
                needs_years: sample_needs_years(&detection, &sample),
                dated_time: sample_dated_time(&detection, &sample, &zone),
                detection,
                mtime,
                year_anchor: YearAnchor::Modified(mtime),
                bytes: Bytes::File {
                    path: path.clone(),
                    len,
                },
                compression,
                zone,
            })
        }
        InputPath::Stdin => {
            crate::input::fifo::grow_pipe(std::os::fd::AsRawFd::as_raw_fd(&io::stdin()));
            stream(Box::new(io::stdin()))
        }
        InputPath::Stream(path) => {
            let (taken, file) = crate::input::fifo::open(path, opts.fifo_wait)?;
            crate::input::fifo::grow_pipe(std::os::fd::AsRawFd::as_raw_fd(&file));
            stream(Box::new(io::Cursor::new(taken).chain(file)))
        }
    }
}

impl Opened {
    /// The share of this input's sample (all of its bytes, not only the lines detection
    /// scored) that `format` recognises as events or continuations,
    /// wherever they stand (a rotation may begin with continuations of the previous one); 0
    /// unless at least one line is an event.
    fn recognised_by(&self, format: &Format) -> f64 {
        let sample = match &self.bytes {
            Bytes::File { path, len } => File::open(path)
                .and_then(|file| file_sample(&file, *len, self.compression))
                .unwrap_or_default(),
            Bytes::Stream { sample, .. } => sample.clone(),
        };
        let lines: Vec<&[u8]> = whole_lines(&sample)
            .split(|c| *c == b'\n')
            .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
            .collect();
        let mut events = 0;
        let mut recognised = 0;
        for line in &lines {
            match (format.parse)(line) {
                Parsed::Event(_) => {
                    events += 1;
                    recognised += 1;
                }
                Parsed::Continuation => recognised += 1,
                Parsed::NotMine => {}
            }
        }
        // Continuations alone prove nothing: some formats let any text continue an event.
        if events == 0 {
            return 0.0;
        }
        recognised as f64 / lines.len().max(1) as f64
    }
}

/// Members of a rotated family that detection could not read on their own (a rotation that
/// starts inside a long stack trace, say) take the format the rest of the family was read as,
/// if that format recognises most of their lines.
pub fn share_family_formats(inputs: &[InputFile], opened: &mut [io::Result<Opened>]) {
    for i in 0..inputs.len() {
        let needs = matches!(&opened[i], Ok(o) if o.detection.format.is_none());
        if !needs {
            continue;
        }
        let family = &inputs[i].family;
        let best = inputs
            .iter()
            .zip(opened.iter())
            .filter(|(input, _)| input.family == *family)
            .filter_map(|(_, o)| o.as_ref().ok())
            .filter_map(|o| o.detection.format.map(|f| (f, o.detection.confidence)))
            .max_by(|a, b| a.1.total_cmp(&b.1));
        if let (Some((format, _)), Ok(o)) = (best, &mut opened[i]) {
            // Only if the family's format does read it: `x.0` and `x.1` may be unrelated files.
            let confidence = o.recognised_by(format);
            if confidence < format::detect::MIN_CONFIDENCE {
                continue;
            }
            o.needs_years = format.yearless;
            o.detection = Detection {
                format: Some(format),
                confidence,
                forced: false,
            };
        }
    }
}
