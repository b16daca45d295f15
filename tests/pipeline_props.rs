//! Property: any bytes at all, fed through the whole pipeline (detection, parsing, the
//! timeline, incidents, and every report renderer), never panic and leave every line and
//! skipped byte accounted for. Inputs mix arbitrary bytes with real lines of every format so
//! the deeper stages run too, and are sometimes gzip-compressed and cut short.

use pmtrace::aggregate::TimelineConfig;
use pmtrace::analysis::analyse;
use pmtrace::format;
use pmtrace::ingest::IngestOptions;
use pmtrace::input::discover;
use pmtrace::report::timeline::{self as render, Report, Stats, TextStyle};
use pmtrace::time::Zone;
use proptest::prelude::*;
use std::io::Write;
use std::sync::{Arc, OnceLock};

fn config() -> Arc<TimelineConfig> {
    static CONFIG: OnceLock<Arc<TimelineConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let mut c = TimelineConfig::new(pmtrace::pattern::load(&[], false).unwrap());
            // Low, so the overflow of templates is exercised as well.
            c.max_templates = 4;
            Arc::new(c)
        })
        .clone()
}

/// Every format's sample lines: real lines for arbitrary bytes to be mixed with.
fn real_lines() -> Vec<&'static str> {
    format::ALL
        .iter()
        .flat_map(|f| f.samples.iter().map(|s| s.line))
        .collect()
}

/// A piece of input: arbitrary bytes, or a real line (possibly cut short).
#[derive(Clone, Debug)]
enum Piece {
    Bytes(Vec<u8>),
    Line(usize, usize),
}

fn piece() -> impl Strategy<Value = Piece> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..200).prop_map(Piece::Bytes),
        (any::<usize>(), any::<usize>()).prop_map(|(i, cut)| Piece::Line(i, cut)),
    ]
}

fn assemble(pieces: &[Piece]) -> Vec<u8> {
    let lines = real_lines();
    let mut out = Vec::new();
    for p in pieces {
        match p {
            Piece::Bytes(b) => out.extend_from_slice(b),
            Piece::Line(i, cut) => {
                let line = lines[i % lines.len()].as_bytes();
                // Mostly whole lines; sometimes cut anywhere.
                let end = if cut % 4 == 0 {
                    cut % (line.len() + 1)
                } else {
                    line.len()
                };
                out.extend_from_slice(&line[..end]);
                out.push(b'\n');
            }
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    #[test]
    fn any_bytes_through_the_whole_pipeline_are_accounted(
        pieces in prop::collection::vec(piece(), 0..60),
        compress in 0u8..4,
        chunk in 64u64..4096,
    ) {
        let mut bytes = assemble(&pieces);
        let dir = tempfile::tempdir().unwrap();
        let name = if compress == 0 { "in.log.gz" } else { "in.log" };
        if compress == 0 {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            gz.write_all(&bytes).unwrap();
            bytes = gz.finish().unwrap();
            // Cut short, as a copy off a dying disk would be.
            let keep = bytes.len() - chunk as usize % (bytes.len() / 2 + 1);
            bytes.truncate(keep);
        }
        let path = dir.path().join(name);
        std::fs::write(&path, &bytes).unwrap();
        let (files, errors) = discover(&[path.to_string_lossy().into_owned()]);
        prop_assert!(errors.is_empty());
        let opts = IngestOptions { chunk_size: chunk, threads: 2, ..IngestOptions::default() };
        let analysis = analyse(&files, &opts, config(), &Default::default());
        prop_assert_eq!(analysis.inputs.len(), 1);
        let s = &analysis.inputs[0];
        prop_assert_eq!(
            s.lines,
            s.events + s.continuation_lines + s.unparsed_lines + s.blank_lines
        );
        prop_assert_eq!(s.skipped_bytes, s.skipped.iter().map(|k| k.bytes).sum::<u64>());
        if compress != 0 {
            let newlines = bytes.iter().filter(|b| **b == b'\n').count() as u64;
            let last = u64::from(!bytes.is_empty() && bytes.last() != Some(&b'\n'));
            prop_assert_eq!(s.lines, newlines + last);
        }

        let stats = Stats { bytes: 0, lines: s.lines, events: s.events, elapsed_seconds: 0.0, throughput_mb_s: 0.0 };
        let report = Report::new(analysis.inputs, analysis.incidents, analysis.timeline, stats);
        let mut json = Vec::new();
        render::write_json(&mut json, &report).unwrap();
        prop_assert!(serde_json::from_slice::<serde_json::Value>(&json).is_ok());
        let mut text = Vec::new();
        render::write_text(&mut text, &report, &TextStyle { zone: Zone::utc(), color: false }).unwrap();
        prop_assert!(!text.contains(&0x1b));
        let mut md = Vec::new();
        pmtrace::report::postmortem::write_postmortem(&mut md, &report, &Zone::utc()).unwrap();
        prop_assert!(!md.contains(&0x1b));
        let mut jsonl = Vec::new();
        render::write_jsonl(&mut jsonl, &report).unwrap();
    }
}
