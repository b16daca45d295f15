//! Helpers shared by the integration tests: a sink that records every event, and ingest runs
//! with chosen options.

#![allow(dead_code)]

use pmtrace::format::Event;
use pmtrace::ingest::{self, EventSink, FileContext, FileResult, IngestOptions};
use pmtrace::input::{InputFile, discover};
use pmtrace::time::Timestamp;
use std::path::Path;

/// One event as the tests compare them: file line, UTC time, level and message text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seen {
    pub line: u64,
    pub time: Option<Timestamp>,
    pub level: &'static str,
    pub message: String,
    /// The line's host, else the file's (`--host`).
    pub host: Option<String>,
}

/// Records every event with its file line number.
#[derive(Default, Debug)]
pub struct Recorder {
    pub events: Vec<Seen>,
    pub continuations: Vec<u64>,
}

impl EventSink for Recorder {
    fn on_event(
        &mut self,
        file: &FileContext,
        line: u64,
        time: Option<Timestamp>,
        e: &Event<'_>,
        _raw: &[u8],
    ) {
        self.events.push(Seen {
            line,
            time,
            level: e.level.as_str(),
            message: String::from_utf8_lossy(e.message).into_owned(),
            host: e
                .host
                .map(|h| String::from_utf8_lossy(h).into_owned())
                .or_else(|| file.host.clone()),
        });
    }

    fn on_continuation(&mut self, _: &FileContext, line: u64, _: &[u8]) {
        self.continuations.push(line);
    }

    fn merge(&mut self, later: Self, offset: u64) {
        self.events.extend(later.events.into_iter().map(|mut s| {
            s.line += offset;
            s
        }));
        self.continuations
            .extend(later.continuations.into_iter().map(|l| l + offset));
    }
}

pub fn inputs(paths: &[&Path]) -> Vec<InputFile> {
    let args: Vec<String> = paths
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let (files, errors) = discover(&args);
    assert!(errors.is_empty(), "{errors:?}");
    files
}

pub fn run(paths: &[&Path], opts: &IngestOptions) -> Vec<FileResult<Recorder>> {
    ingest::ingest(&inputs(paths), opts, &|_| Recorder::default())
}

pub fn assert_accounted(r: &FileResult<Recorder>) {
    let s = &r.summary;
    assert_eq!(
        s.lines,
        s.events + s.continuation_lines + s.unparsed_lines + s.blank_lines,
        "accounting of {}: {s:?}",
        s.path
    );
    assert_eq!(r.sink.events.len() as u64, s.events, "{}", s.path);
    // Lines continuing the previous rotation's last event are counted, but no event of this
    // file is there to receive them.
    assert!(
        r.sink.continuations.len() as u64 <= s.continuation_lines,
        "{}",
        s.path
    );
}

/// The whole analysis of everything under `dir`, with the built-in packs and default settings:
/// what `pmtrace --format json DIR` reports.
pub fn analyse_dir(dir: &Path) -> pmtrace::analysis::Analysis {
    let files = discover(&[dir.to_string_lossy().into_owned()]).0;
    let config = std::sync::Arc::new(pmtrace::aggregate::TimelineConfig::new(
        pmtrace::pattern::load(&[], false).unwrap(),
    ));
    pmtrace::analysis::analyse(
        &files,
        &IngestOptions::default(),
        config,
        &pmtrace::incident::window::WindowConfig::default(),
    )
}
