//! The whole analysis of a set of inputs: ingest them into timeline partials, merge the
//! partials in input order, build the timeline and find the incidents. The CLI, the tests and
//! the benches all run it through here.

use crate::aggregate::{TimelineConfig, TimelineEntry, TimelinePartial, build_timeline};
use crate::incident::{self, Incidents, window::WindowConfig};
use crate::ingest::{self, EventSink, IngestOptions, InputSummary};
use crate::input::InputFile;
use std::sync::Arc;

/// What reading a set of inputs found.
#[derive(Debug)]
pub struct Analysis {
    /// The inputs that could be opened, in input order.
    pub inputs: Vec<InputSummary>,
    /// (input, message) for inputs that could not be read or broke part way.
    pub errors: Vec<(String, String)>,
    /// The merged partial, for callers that want more than the timeline.
    pub partial: TimelinePartial,
    pub timeline: Vec<TimelineEntry>,
    pub incidents: Incidents,
}

impl Analysis {
    /// How many inputs could be read at all.
    pub fn opened(&self) -> usize {
        self.inputs.len()
    }
}

/// Reads `files`, builds their timeline and finds their incidents.
pub fn analyse(
    files: &[InputFile],
    opts: &IngestOptions,
    config: Arc<TimelineConfig>,
    windows: &WindowConfig,
) -> Analysis {
    let results = ingest::ingest(files, opts, &|_| TimelinePartial::new(Arc::clone(&config)));
    let paths: Vec<String> = results.iter().map(|r| r.summary.path.clone()).collect();
    let mut partial = TimelinePartial::new(Arc::clone(&config));
    let mut inputs = Vec::with_capacity(results.len());
    let mut errors = Vec::new();
    for r in results {
        // Lines are already numbered within their file: no offset across files.
        partial.merge(r.sink, 0);
        if let Some(e) = r.error {
            errors.push((r.summary.path.clone(), e));
        }
        if r.opened {
            inputs.push(r.summary);
        }
    }
    let timeline = build_timeline(&partial, &paths);
    let incidents = incident::detect(&partial, &timeline, windows);
    Analysis {
        inputs,
        errors,
        partial,
        timeline,
        incidents,
    }
}
