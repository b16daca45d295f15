//! pmtrace: turns the raw logs of an outage into the facts of its postmortem.
//!
//! Data flows one way through stages, each a module with a small public surface:
//!
//! - [`input`]: discover inputs, open them, recognise compression, cut into chunks;
//! - [`format`]: detect each file's format and parse a line into an [`format::Event`];
//! - [`time`]: timestamps to UTC;
//! - [`ingest`]: the parallel driver that runs the stages above over every input and hands
//!   events to an [`ingest::EventSink`], accounting for every line;
//! - [`pattern`]: pattern packs (TOML data) and one-pass matching;
//! - [`aggregate`]: mergeable partials: the deduplicated timeline;
//! - [`analysis`]: the whole run, from inputs to timeline;
//! - [`report`]: rendering for people and programs;
//! - [`cli`]: the command line, a thin layer over the rest.
//!
//! See `docs/architecture.md` for the contracts between the stages.

pub mod aggregate;
pub mod analysis;
pub mod bench;
pub mod cli;
pub mod format;
pub mod incident;
pub mod ingest;
pub mod input;
pub mod pattern;
pub mod progress;
pub mod report;
pub mod sample;
pub mod time;
