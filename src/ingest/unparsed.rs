//! A sink that keeps the first few lines a format did not read, with their line numbers, so
//! `pmtrace formats --show-unparsed N` can show what was not recognised, and where.

use super::{EventSink, FileContext};
use crate::format::Event;
use crate::time::Timestamp;

/// How much of each unparsed line is kept for display.
const KEEP_BYTES: usize = 400;

/// The first `limit` unparsed lines of a file: (0-based line index, start of the line).
#[derive(Clone, Debug, Default)]
pub struct UnparsedSamples {
    pub limit: usize,
    pub lines: Vec<(u64, Vec<u8>)>,
}

impl UnparsedSamples {
    pub fn new(limit: usize) -> UnparsedSamples {
        UnparsedSamples {
            limit,
            lines: Vec::new(),
        }
    }
}

impl EventSink for UnparsedSamples {
    fn on_event(&mut self, _: &FileContext, _: u64, _: Option<Timestamp>, _: &Event<'_>, _: &[u8]) {
    }

    fn on_unparsed(&mut self, _: &FileContext, line: u64, text: &[u8]) {
        if self.lines.len() < self.limit {
            self.lines
                .push((line, text[..text.len().min(KEEP_BYTES)].to_vec()));
        }
    }

    fn merge(&mut self, later: Self, later_offset: u64) {
        let room = self.limit.saturating_sub(self.lines.len());
        self.lines.extend(
            later
                .lines
                .into_iter()
                .take(room)
                .map(|(l, t)| (l + later_offset, t)),
        );
    }
}
