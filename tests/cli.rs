//! The binary as a script sees it: exit codes, messages naming files, the JSON contract of
//! `pmtrace formats`, standard input.

use std::fs;
use std::io::Write;
use std::process::{Command, Output, Stdio};

fn pmtrace(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pmtrace"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(input) = stdin {
        child.stdin.take().unwrap().write_all(input).unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

const ACCESS: &str = "203.0.113.7 - - [14/Nov/2024:14:02:11 +0000] \"GET /api/cart/42 HTTP/1.1\" 502 157 \"-\" \"curl/8.5.0\"\n";

#[test]
fn formats_json_has_exactly_the_documented_keys() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("access.log");
    fs::write(&path, ACCESS.repeat(3)).unwrap();
    let out = pmtrace(
        &["formats", "--format", "json", path.to_str().unwrap()],
        None,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let input = &doc["inputs"][0];
    let mut keys: Vec<&str> = input
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        vec![
            "assumed_tz",
            "blank_lines",
            "compression",
            "confidence",
            "continuation_lines",
            "events",
            "first_ts",
            "format",
            "last_ts",
            "lines",
            "path",
            "skipped",
            "skipped_bytes",
            "source",
            "unparsed_lines"
        ]
    );
    assert_eq!(input["path"], path.to_str().unwrap());
    assert_eq!(input["format"], "combined");
    assert_eq!(input["source"], "web");
    assert_eq!(input["lines"], 3);
    assert_eq!(input["first_ts"], "2024-11-14T14:02:11Z");
    assert_eq!(input["assumed_tz"], serde_json::Value::Null);
}

#[test]
fn missing_files_are_named_and_the_rest_still_runs() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("access.log");
    fs::write(&good, ACCESS).unwrap();
    let out = pmtrace(
        &["formats", "/no/such/file.log", good.to_str().unwrap()],
        None,
    );
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("/no/such/file.log: no such file or directory"),
        "{stderr}"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("access.log"));
}

#[test]
fn exit_one_when_nothing_could_be_read() {
    let out = pmtrace(&["formats", "/no/such/file.log"], None);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn exit_two_for_bad_usage() {
    assert_eq!(
        pmtrace(&["formats", "--tz", "Mars/Base", "x"], None)
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        pmtrace(&["formats", "--log-format", "nope", "x"], None)
            .status
            .code(),
        Some(2)
    );
    assert_eq!(pmtrace(&["--no-such-flag"], None).status.code(), Some(2));
    assert_eq!(pmtrace(&["formats"], None).status.code(), Some(2));
    assert_eq!(pmtrace(&["--help"], None).status.code(), Some(0));
}

#[test]
fn reads_standard_input_even_compressed() {
    let out = pmtrace(
        &["formats", "--format", "json", "-"],
        Some(ACCESS.repeat(5).as_bytes()),
    );
    assert_eq!(out.status.code(), Some(0));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["inputs"][0]["path"], "-");
    assert_eq!(doc["inputs"][0]["events"], 5);

    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(ACCESS.repeat(4).as_bytes()).unwrap();
    let out = pmtrace(
        &["formats", "--format", "json", "-"],
        Some(&gz.finish().unwrap()),
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["inputs"][0]["compression"], "gzip");
    assert_eq!(doc["inputs"][0]["events"], 4);
}

#[test]
fn closed_stdout_ends_quietly() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..200 {
        fs::write(dir.path().join(format!("f{i}.log")), ACCESS).unwrap();
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_pmtrace"))
        .args(["formats", dir.path().to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Close the read end at once, like `| head -0`.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
}

#[test]
fn show_unparsed_names_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("access.log");
    fs::write(
        &path,
        format!("{ACCESS}{ACCESS}this is not a request\n{ACCESS}"),
    )
    .unwrap();
    let out = pmtrace(
        &["formats", "--show-unparsed", "5", path.to_str().unwrap()],
        None,
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!("{}:3: this is not a request", path.display())),
        "{stdout}"
    );
}

#[test]
fn formats_help_lists_every_format() {
    let out = pmtrace(&["formats", "--help"], None);
    let stdout = String::from_utf8_lossy(&out.stdout);
    for f in pmtrace::format::ALL {
        assert!(
            stdout.contains(&format!("  {} (", f.name)),
            "{} missing from help",
            f.name
        );
    }
}

#[test]
fn many_files_need_few_descriptors() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..300 {
        fs::write(dir.path().join(format!("f{i}.log")), ACCESS).unwrap();
    }
    let script = format!(
        "ulimit -n 64 && exec '{}' formats --format json '{}'",
        env!("CARGO_BIN_EXE_pmtrace"),
        dir.path().display()
    );
    let out = Command::new("sh").arg("-c").arg(script).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let inputs = doc["inputs"].as_array().unwrap();
    assert_eq!(inputs.len(), 300);
    assert!(inputs.iter().all(|i| i["events"] == 1));
}

#[test]
fn sample_lists_scenarios_writes_a_bundle_and_refuses_bad_usage() {
    let out = pmtrace(&["sample", "--list"], None);
    assert_eq!(out.status.code(), Some(0));
    let list = String::from_utf8_lossy(&out.stdout);
    assert_eq!(list.lines().count(), 6, "{list}");
    assert!(list.contains("db-pool-exhausted") && list.contains("healthy"));

    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("bundle");
    let out = pmtrace(
        &[
            "sample",
            "healthy",
            "--out",
            bundle.to_str().unwrap(),
            "--seed",
            "3",
        ],
        None,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(bundle.join("truth.json").is_file());
    // The bundle reads back with nothing unparsed, and its answer key is not taken for a log.
    let out = pmtrace(
        &["formats", "--format", "json", bundle.to_str().unwrap()],
        None,
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let inputs = doc["inputs"].as_array().unwrap();
    assert!(inputs.len() >= 5);
    for i in inputs {
        assert_eq!(i["unparsed_lines"], 0, "{i}");
        assert!(!i["path"].as_str().unwrap().ends_with("truth.json"));
    }

    for args in [
        &["sample", "no-such-outage", "--out", "x"][..],
        &["sample", "healthy"],
        &["sample", "healthy", "--out", "x", "--scale", "0"],
        &["sample", "healthy", "--out", bundle.to_str().unwrap()],
    ] {
        assert_eq!(pmtrace(args, None).status.code(), Some(2), "{args:?}");
    }
}

#[test]
fn bench_times_every_stage_over_every_line() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("bundle");
    let out = pmtrace(
        &[
            "sample",
            "db-pool-exhausted",
            "--out",
            bundle.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0));
    fs::remove_file(bundle.join("truth.json")).unwrap();
    let out = pmtrace(
        &[
            "bench",
            "--runs",
            "1",
            "--format",
            "json",
            bundle.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bench: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let stages: Vec<&str> = bench["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["stage"].as_str().unwrap())
        .collect();
    assert_eq!(stages, ["read", "parse", "timeline", "report"]);
    // The bench reads every line the analysis accounts for.
    let formats = pmtrace(
        &["formats", "--format", "json", bundle.to_str().unwrap()],
        None,
    );
    let formats: serde_json::Value = serde_json::from_slice(&formats.stdout).unwrap();
    let lines: u64 = formats["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["lines"].as_u64().unwrap())
        .sum();
    assert_eq!(bench["lines"].as_u64(), Some(lines));
    let per_format: u64 = bench["formats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["lines"].as_u64().unwrap())
        .sum();
    assert_eq!(per_format, lines);
    for s in bench["stages"].as_array().unwrap() {
        assert!(s["mb_per_second"].as_f64().unwrap() > 0.0, "{s}");
    }
    // Pipes cannot be read twice: refused, not hung.
    let out = pmtrace(&["bench", "--runs", "1", "-"], Some(b"x\n"));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("files only"));
}
