//! The bodies of the fuzz targets (`fuzz/fuzz_targets/`), shared with the test suite so that
//! every input the fuzzers ever crashed on (`tests/fuzz-regressions/TARGET/`) is run again by
//! `cargo test` through exactly the same code.

#![allow(dead_code)]

use pmtrace::aggregate::{TimelineConfig, TimelinePartial, build_timeline, template::template};
use pmtrace::format::{self, Parsed};
use pmtrace::incident::window::WindowConfig;
use pmtrace::ingest::FileContext;
use pmtrace::ingest::partial::{ChunkSetup, parse_chunk};
use pmtrace::input::{Compression, for_each_line};
use pmtrace::pattern::{MatchScratch, PatternSet, check_text};
use pmtrace::time::{CivilTime, LineTime, Zone, ZoneConverter, ZoneRule, parse};
use std::io::Read;
use std::sync::{Arc, OnceLock};

fn timeline_config() -> Arc<TimelineConfig> {
    static CONFIG: OnceLock<Arc<TimelineConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let patterns =
                pmtrace::pattern::load(&[], false).unwrap_or_else(|_| PatternSet::new(Vec::new()));
            let mut c = TimelineConfig::new(patterns);
            // Small, so that the overflow path runs too.
            c.max_templates = 8;
            Arc::new(c)
        })
        .clone()
}

/// Format detection and line parsing over every format, as a file's bytes go through them:
/// compression sniffed and decoded (capped, so a bomb cannot stall), lines split, the format
/// detected, every line parsed by every format, and the whole input run through the timeline
/// sink and incident detection. Checks the line accounting.
pub fn ingest_lines(data: &[u8]) {
    let compression = Compression::sniff(data);
    let mut decoded = Vec::new();
    if let Ok(d) = compression.decoder(data) {
        let _ = d.take(1 << 20).read_to_end(&mut decoded);
    }
    let bytes: &[u8] = if compression == Compression::None {
        data
    } else {
        &decoded
    };

    let detection = format::detect(bytes);
    let mut converter = ZoneConverter::new(Zone::utc());
    converter.default_year = Some(2024);
    let mut buf = Vec::new();
    let _ = for_each_line(bytes, &mut buf, |line, _| {
        for f in format::ALL.iter().copied().chain([format::FALLBACK]) {
            if let Parsed::Event(e) = (f.parse)(line) {
                let _ = template(e.message);
                if let Some(LineTime::Civil(c)) = e.time {
                    let _ = converter.civil_to_utc(&c);
                }
            }
        }
    });

    let context = FileContext {
        index: 0,
        display: "fuzz".into(),
        format: detection.format,
        source: detection.format.map(|f| f.source),
        host: None,
    };
    let setup = ChunkSetup {
        format: detection.format,
        context: &context,
        converter: ZoneConverter::new(Zone::utc()),
        start_year: detection.format.filter(|f| f.yearless).map(|_| 2024),
    };
    let (partial, _) = parse_chunk(
        bytes,
        &mut buf,
        setup,
        TimelinePartial::new(timeline_config()),
    );
    let partial = partial.finish(false);
    assert_eq!(
        partial.lines,
        partial.events + partial.continuation_lines + partial.unparsed_lines + partial.blank_lines
    );
    let timeline = build_timeline(&partial.sink, &["fuzz".to_string()]);
    let _ = pmtrace::incident::detect(&partial.sink, &timeline, &WindowConfig::default());
}

type TimeParser = fn(&[u8]) -> Option<(CivilTime, usize)>;

const TIME_PARSERS: &[TimeParser] = &[
    parse::iso8601,
    parse::clf,
    parse::bsd,
    parse::ctime,
    parse::slash_date,
    parse::day_month_year,
    parse::leading_timestamp,
];

/// Timestamp parsing: the first line names a zone (as `--tz` would), the rest is parsed by
/// every layout parser and what parses is converted to UTC and printed.
pub fn timestamps(data: &[u8]) {
    let (zone_text, rest) = match data.iter().position(|b| *b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (&b""[..], data),
    };
    let zone_text = String::from_utf8_lossy(zone_text);
    let zone = Zone::parse(&zone_text).unwrap_or_else(|_| Zone::utc());
    let _ = ZoneRule::parse(&zone_text);
    let _ = zone.name();
    let mut converter = ZoneConverter::new(zone.clone());
    converter.default_year = Some(2024);
    for p in TIME_PARSERS {
        if let Some((civil, used)) = p(rest) {
            assert!(used <= rest.len());
            if let Some(t) = converter.civil_to_utc(&civil) {
                let _ = t.to_rfc3339();
                let _ = zone.format(t);
                let _ = t.to_civil_utc();
            }
        }
    }
    let _ = parse::month_from_name(rest);
    for i in 0..rest.len().min(8) {
        let _ = parse::numeric_offset(rest, i);
        let _ = parse::zone_abbreviation(rest, i);
    }
}

/// Pattern-pack loading: TOML text through the whole validation, and the packs that pass
/// matched against their own samples. A bad pack is an error naming it, never a panic.
pub fn pattern_pack(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match check_text("fuzz.toml", text) {
        Ok(patterns) => {
            let samples: Vec<String> = patterns.iter().flat_map(|p| p.samples.clone()).collect();
            let set = PatternSet::new(patterns);
            let mut scratch = MatchScratch::default();
            for s in &samples {
                if let Some(i) = set.find(s.as_bytes(), None, None, &mut scratch) {
                    let _ = set.captures(i, s.as_bytes());
                }
            }
        }
        Err(e) => {
            let message = e.to_string();
            assert!(message.starts_with("fuzz.toml"), "{message}");
        }
    }
}
