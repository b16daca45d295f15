//! Helpers for the hostile-input suites (`tests/hostile.rs`, `tests/hostile_cli.rs`): a good
//! log to put beside bad inputs, runs of the binary, and checks on its JSON report.

#![allow(dead_code)]

use serde_json::Value;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// Lines of the good log; the first `GOOD_REFUSALS` are PostgreSQL refusing connections.
pub const GOOD_LINES: u64 = 60;
pub const GOOD_REFUSALS: u64 = 40;

/// A PostgreSQL log every test puts beside its bad inputs.
pub fn good_log(dir: &Path) -> PathBuf {
    let mut s = String::new();
    for i in 0..GOOD_REFUSALS {
        s.push_str(&format!(
            "2024-11-14 14:{:02}:11.123 UTC [4242] FATAL:  sorry, too many clients already\n",
            i
        ));
    }
    for i in GOOD_REFUSALS..GOOD_LINES {
        s.push_str(&format!(
            "2024-11-14 14:{:02}:12.000 UTC [17] LOG:  checkpoint starting: time\n",
            i
        ));
    }
    let path = dir.join("good.log");
    fs::write(&path, s).unwrap();
    path
}

pub fn run(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pmtrace"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut pipe = child.stdin.take().unwrap();
    if let Some(input) = stdin {
        // The child may stop reading early; that is its business.
        let _ = pipe.write_all(input);
    }
    drop(pipe);
    child.wait_with_output().unwrap()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The one pattern the good log's refusals need: loading it alone, instead of the built-in
/// packs, keeps each run of the debug binary quick.
pub fn refusal_pack() -> &'static str {
    static PACK: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    let dir = PACK.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        fs::write(
            dir.path().join("refusals.toml"),
            r#"[[pattern]]
id = "postgres.too_many_clients"
title = "PostgreSQL refused connections: too many clients"
category = "database"
severity = "critical"
signal = "error"
regex = 'FATAL:\s+sorry, too many clients already'
samples = ['2024-11-14 14:02:11.123 UTC [4242] FATAL:  sorry, too many clients already']
"#,
        )
        .unwrap();
        dir
    });
    dir.path()
        .join("refusals.toml")
        .to_str()
        .unwrap()
        .to_string()
        .leak()
}

/// `pmtrace --format json ARGS` with the refusal pack only: the exit status, the report and
/// stderr.
pub fn report(args: &[&str]) -> (i32, Value, String) {
    let mut all = vec![
        "--format",
        "json",
        "--no-default-patterns",
        "--patterns",
        refusal_pack(),
    ];
    all.extend_from_slice(args);
    let out = run(&all, None);
    let err = stderr(&out);
    assert!(!err.contains("panicked"), "{err}");
    let doc = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}); stderr: {err}"));
    (out.status.code().unwrap(), doc, err)
}

pub fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The `inputs` entry of `file`.
pub fn input<'r>(report: &'r Value, file: &Path) -> &'r Value {
    report["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["path"] == path(file))
        .unwrap_or_else(|| panic!("{} not in {:#}", file.display(), report["inputs"]))
}

pub fn n(v: &Value, key: &str) -> u64 {
    v[key]
        .as_u64()
        .unwrap_or_else(|| panic!("{key} missing in {v}"))
}

/// Every input's lines are accounted for, and its skipped bytes add up.
pub fn assert_accounted(report: &Value) {
    for i in report["inputs"].as_array().unwrap() {
        assert_eq!(
            n(i, "lines"),
            n(i, "events")
                + n(i, "continuation_lines")
                + n(i, "unparsed_lines")
                + n(i, "blank_lines"),
            "{i:#}"
        );
        let skipped: u64 = i["skipped"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| n(s, "bytes"))
            .sum();
        assert_eq!(n(i, "skipped_bytes"), skipped, "{i:#}");
    }
}

/// The good log gave all it has: every line, every event, its refusals in the timeline.
pub fn assert_good(report: &Value, good: &Path) {
    let g = input(report, good);
    assert_eq!(g["format"], "postgres", "{g:#}");
    assert_eq!(n(g, "lines"), GOOD_LINES);
    assert_eq!(n(g, "events"), GOOD_LINES);
    // Other inputs may refuse connections too: at least the good log's are all there.
    let refusals: u64 = report["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["pattern"] == "postgres.too_many_clients")
        .filter(|e| {
            e["files"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f == path(good))
        })
        .map(|e| n(e, "count"))
        .sum();
    assert!(refusals >= GOOD_REFUSALS, "{refusals}");
}

/// A stderr line names `file` and says `what`.
pub fn assert_named(err: &str, file: &Path, what: &str) {
    let prefix = format!("pmtrace: {}: ", file.display());
    assert!(
        err.lines()
            .any(|l| l.starts_with(&prefix) && l.contains(what)),
        "no line `{prefix}…{what}…` in:\n{err}"
    );
}

pub fn skipped_reasons(i: &Value) -> Vec<String> {
    i["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["reason"].as_str().unwrap().to_string())
        .collect()
}

/// Deterministic noise.
pub fn noise(len: usize, mut seed: u64) -> Vec<u8> {
    (0..len)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed as u8
        })
        .collect()
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(data).unwrap();
    gz.finish().unwrap()
}

pub fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success());
}
