//! The timeline command as a script and a person see it: exit codes for bad packs and flags,
//! filters, safe output, and the `patterns` subcommands.

use std::fs;
use std::process::{Command, Output};

fn pmtrace(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pmtrace"))
        .args(args)
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

const PG: &str = "2024-11-14 14:02:11.123 UTC [4242] FATAL:  sorry, too many clients already\n\
                  2024-11-14 16:31:02.456 UTC [1] LOG:  database system is ready to accept connections\n";

fn logs() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("postgresql.log"), PG).unwrap();
    dir
}

#[test]
fn an_invalid_user_pack_is_usage_error_naming_file_and_pattern() {
    let dir = logs();
    let pack = dir.path().join("mine.toml");
    fs::write(
        &pack,
        "[[pattern]]\nid = \"mine.broken\"\ntitle = \"x\"\ncategory = \"database\"\nseverity = \"error\"\nsignal = \"error\"\nregex = 'unclosed ('\nsamples = ['2024-11-14 14:00:00 ERROR unclosed (']\n",
    )
    .unwrap();
    let out = pmtrace(&[
        "--patterns",
        pack.to_str().unwrap(),
        dir.path().join("postgresql.log").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("mine.toml: mine.broken: bad regex"), "{err}");
    let check = pmtrace(&["patterns", "check", pack.to_str().unwrap()]);
    assert_eq!(check.status.code(), Some(2));
}

#[test]
fn bad_flag_values_are_usage_errors() {
    let dir = logs();
    let path = dir.path().to_str().unwrap();
    for args in [
        vec!["--since", "not-a-time", path],
        vec!["--until", "2024-13-40T00:00:00Z", path],
        vec!["--min-severity", "fatal-ish", path],
        vec!["--category", "weather", path],
        vec!["--gap", "soon", path],
        vec!["--display-tz", "Mars/Base", path],
    ] {
        let out = pmtrace(&args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
}

#[test]
fn filters_narrow_the_timeline() {
    let dir = logs();
    let path = dir.path().to_str().unwrap();
    let all = text(&pmtrace(&["--format", "jsonl", path]).stdout);
    assert_eq!(all.lines().count(), 2, "{all}");
    let errors = text(&pmtrace(&["--format", "jsonl", "--min-severity", "error", path]).stdout);
    assert_eq!(errors.lines().count(), 1);
    assert!(errors.contains("postgres.too_many_clients"));
    // The last hour of the logs holds only the recovery.
    let recent = text(&pmtrace(&["--format", "jsonl", "--since", "1h", path]).stdout);
    assert_eq!(recent.lines().count(), 1);
    assert!(recent.contains("\"signal\":\"recovery\""));
    assert!(
        recent.contains("\"id\":\"e2\""),
        "ids stay as in the whole timeline: {recent}"
    );
    let until =
        text(&pmtrace(&["--format", "jsonl", "--until", "2024-11-14T15:00:00Z", path]).stdout);
    assert_eq!(until.lines().count(), 1);
    let db = text(&pmtrace(&["--format", "jsonl", "--category", "network", path]).stdout);
    assert_eq!(db.lines().count(), 0);
}

#[test]
fn log_text_cannot_reach_the_terminal_or_break_markdown() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("app.log"),
        "2024-11-14 14:02:11,000 ERROR evil \x1b[2J\x1b]0;pwned\x07 | <script>x</script> [a](http://e)\n",
    )
    .unwrap();
    let path = dir.path().to_str().unwrap();
    let out = pmtrace(&["--color", "always", path]);
    let shown = text(&out.stdout);
    assert!(
        !shown.contains("\x1b[2J") && !shown.contains("\x1b]0") && !shown.contains('\x07'),
        "{shown:?}"
    );
    assert!(shown.contains("\\x1b[2J"), "{shown}");
    let md = text(&pmtrace(&["--format", "markdown", path]).stdout);
    let row = md.lines().find(|l| l.contains("evil")).unwrap();
    assert_eq!(
        row.matches(" | ").count(),
        6,
        "the row keeps its 7 cells: {row}"
    );
    assert!(!md.contains("<script>") && !md.contains("](http"), "{md}");
}

#[test]
fn text_output_has_no_colour_when_piped_and_writes_to_a_file() {
    let dir = logs();
    let path = dir.path().join("postgresql.log");
    let out = pmtrace(&[path.to_str().unwrap()]);
    let shown = text(&out.stdout);
    assert!(!shown.contains('\x1b'), "{shown:?}");
    assert!(
        shown.contains("PostgreSQL refused connections: too many clients"),
        "{shown}"
    );
    let report = dir.path().join("report.md");
    let out = pmtrace(&[
        "--format",
        "markdown",
        "-o",
        report.to_str().unwrap(),
        path.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    let draft = fs::read_to_string(report).unwrap();
    assert!(draft.starts_with("# Postmortem draft"), "{draft}");
    for section in [
        "## Issue Summary",
        "## Timeline",
        "## Root Cause and Resolution",
        "## Corrective and Preventative Measures",
    ] {
        assert!(draft.contains(section), "{section} missing: {draft}");
    }
}

#[test]
fn patterns_list_check_and_test_explain_themselves() {
    let list = text(&pmtrace(&["patterns", "list"]).stdout);
    assert!(list.contains("postgres.too_many_clients"));
    let test = pmtrace(&[
        "patterns",
        "test",
        "2024-11-14 14:02:11.123 UTC [4242] FATAL:  sorry, too many clients already",
    ]);
    let shown = text(&test.stdout);
    assert!(shown.contains("line is a postgres event"), "{shown}");
    assert!(
        shown.contains("MATCH   postgres.too_many_clients"),
        "{shown}"
    );
    assert!(shown.contains("required text found"), "{shown}");
    let none = text(&pmtrace(&["patterns", "test", "all quiet"]).stdout);
    assert!(none.contains("no pattern matches"));
    let builtin = concat!(env!("CARGO_MANIFEST_DIR"), "/patterns/database.toml");
    let check = pmtrace(&["patterns", "check", builtin]);
    assert_eq!(check.status.code(), Some(0));
    assert!(text(&check.stdout).contains(": ok,"));
}
