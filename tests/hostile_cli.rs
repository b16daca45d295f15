//! Hostile input (issue #6), the command line's side: exit statuses, hostile pattern packs,
//! log text and file names that try to drive the terminal or break the report, standard input
//! that ends early and standard output that closes early.

mod hostile_support;

use hostile_support::*;
use serde_json::Value;
use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

#[test]
fn exit_status_tells_read_nothing_read_and_bad_usage_apart() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let good = good_log(d);
    let missing = d.join("missing.log");
    let out = run(&["formats", path(&missing)], None);
    assert_eq!(out.status.code(), Some(1));
    assert_named(&stderr(&out), &missing, "no such file");
    let out = run(
        &["--no-default-patterns", path(&missing), path(&good)],
        None,
    );
    assert_eq!(out.status.code(), Some(0));
    assert_named(&stderr(&out), &missing, "no such file");

    let out = run(
        &[
            "--no-default-patterns",
            "--since",
            "not-a-time",
            path(&good),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("not-a-time"));

    // Pattern packs: broken, hostile or not a file at all are usage errors naming the pack.
    let broken = d.join("broken.toml");
    fs::write(&broken, "[[pattern]\nid = 1").unwrap();
    let deep = d.join("deep.toml");
    fs::write(
        &deep,
        format!("x = {}{}\n", "[".repeat(50_000), "]".repeat(50_000)),
    )
    .unwrap();
    let huge = d.join("huge.toml");
    fs::write(
        &huge,
        "[[pattern]]\nid = \"a.b\"\ntitle = \"t\"\ncategory = \"network\"\nseverity = \"error\"\nsignal = \"error\"\nregex = '(\\w{100}){100}'\nsamples = [\"a\"]\n",
    )
    .unwrap();
    let evil_name = d.join("evil\x1b[2J.toml");
    fs::write(&evil_name, "\x1b[31m = 1").unwrap();
    for (pack, what) in [
        (broken.as_path(), "TOML error at line 1"),
        (deep.as_path(), "TOML error"),
        (huge.as_path(), "size limit"),
        (Path::new("/dev/zero"), "not a regular file"),
        (evil_name.as_path(), "TOML error"),
    ] {
        let out = run(
            &[
                "--no-default-patterns",
                "--patterns",
                path(pack),
                path(&good),
            ],
            None,
        );
        assert_eq!(out.status.code(), Some(2), "{}", pack.display());
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(what), "{err}");
        assert!(!err.contains('\x1b'), "{err:?}");
    }
}

#[test]
fn log_text_cannot_drive_the_terminal_or_break_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let good = good_log(d);
    let evil = d.join("evil\x1b]0;owned\x07.log");
    fs::write(
        &evil,
        b"2024-11-14 14:00:00.000 UTC [1] ERROR:  \x1b[2J\x1b]8;;http://x.example/\x07click\x1b]8;;\x07 | <img src=x onerror=alert(1)> [link](http://evil.example) www.evil.example \xe2\x80\xae\r\n",
    )
    .unwrap();
    let bad = d.join("missing\x1b[31m.log");
    for format in ["text", "markdown", "json", "jsonl"] {
        let out = run(
            &[
                "--format",
                format,
                "--color",
                "never",
                "--no-default-patterns",
                "--patterns",
                refusal_pack(),
                path(&evil),
                path(&bad),
                path(&good),
            ],
            None,
        );
        assert_eq!(out.status.code(), Some(0));
        let all = [out.stdout.clone(), out.stderr.clone()].concat();
        assert!(
            !all.contains(&0x1b),
            "{format}: {}",
            String::from_utf8_lossy(&all)
        );
        assert!(!all.contains(&0x07), "{format}");
        if !format.starts_with("json") {
            // JSON is for programs: it escapes controls as JSON does and keeps other text.
            assert!(
                !String::from_utf8_lossy(&all).contains('\u{202e}'),
                "{format}"
            );
        }
        let text = String::from_utf8_lossy(&out.stdout);
        if format == "markdown" {
            assert!(!text.contains("<img"), "{text}");
            assert!(!text.contains("](http"), "{text}");
            assert!(!text.contains("http://evil"), "{text}");
            assert!(!text.contains("www.evil"), "{text}");
            // Every table row keeps its columns.
            let rows: Vec<&str> = text.lines().filter(|l| l.starts_with('|')).collect();
            assert!(rows.iter().any(|r| r.contains("click")), "{text}");
        }
        if format == "json" {
            let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_accounted(&doc);
            assert_good(&doc, &good);
        }
    }
}

#[test]
fn standard_input_reads_and_survives_a_pipe_that_closes_early() {
    let dir = tempfile::tempdir().unwrap();
    let good = good_log(dir.path());
    let text = fs::read(&good).unwrap();
    let json = [
        "--format",
        "json",
        "--no-default-patterns",
        "--patterns",
        refusal_pack(),
    ];
    let out = run(&[&json[..], &["-"]].concat(), Some(&text));
    assert_eq!(out.status.code(), Some(0));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_good(&doc, Path::new("-"));

    // The writer dies mid-line: what came is read, the cut line counted.
    let out = run(
        &[&json[..], &["-"]].concat(),
        Some(&text[..text.len() - 30]),
    );
    assert_eq!(out.status.code(), Some(0));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_accounted(&doc);
    assert_eq!(n(&doc["inputs"][0], "lines"), GOOD_LINES);

    // A compressed pipe that ends early: kept, and the damage named.
    let gz = gzip(&text.repeat(50));
    let out = run(
        &[&json[..], &["-", path(&good)]].concat(),
        Some(&gz[..gz.len() / 2]),
    );
    assert_eq!(out.status.code(), Some(0));
    assert_named(&stderr(&out), Path::new("-"), "stopped reading");
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_accounted(&doc);
    assert_good(&doc, &good);
    assert_eq!(skipped_reasons(&doc["inputs"][0]), vec!["damaged_stream"]);
}

#[test]
fn a_closed_stdout_ends_quietly_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let good = good_log(dir.path());
    let many = dir.path().join("many.log");
    // Enough distinct entries that the report outgrows the pipe's buffer.
    let mut s = String::new();
    for i in 0..3000 {
        s.push_str(&format!(
            "2024-11-14 {:02}:{:02}:00.000 UTC [1] ERROR:  failure number {i} in {}\n",
            i / 60 % 24,
            i % 60,
            "q".repeat(i % 7 + 1)
        ));
    }
    fs::write(&many, s).unwrap();
    for format in ["text", "markdown", "json", "jsonl"] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_pmtrace"))
            .args(["--gap", "1s", "--no-default-patterns", "--format", format])
            .args([path(&many), path(&good)])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{format}");
        assert!(out.stderr.is_empty(), "{format}: {}", stderr(&out));
    }
}

/// With stdout and stderr both closed pipes (`2>&1 | head -0`), messages that cannot be
/// written are dropped: no command panics, and the exit status is what the run earned.
#[test]
fn closed_stdout_and_stderr_never_panic_any_command() {
    let dir = tempfile::tempdir().unwrap();
    let good = good_log(dir.path());
    let missing = dir.path().join("missing.log");
    let pack = concat!(env!("CARGO_MANIFEST_DIR"), "/patterns/database.toml");
    let cases: [(&[&str], i32); 5] = [
        (&["formats", path(&missing), path(&good)], 0),
        (&["--no-default-patterns", path(&missing), path(&good)], 0),
        (&["formats", path(&missing)], 1),
        (&["sample", "--list"], 0),
        (&["patterns", "check", pack, pack], 0),
    ];
    for (args, status) in cases {
        let mut child = Command::new(env!("CARGO_BIN_EXE_pmtrace"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        drop(child.stderr.take());
        assert_eq!(child.wait().unwrap().code(), Some(status), "{args:?}");
    }
}
