//! The JSON report against its documented contract: `docs/report-schema.md`'s tables list
//! every key of every object with its type. This test reads those tables and checks a real
//! report (and `pmtrace formats --format json`, and `--format jsonl`) against them: every
//! documented key present with its type, no undocumented key.

use serde_json::Value;
use std::collections::BTreeMap;
use std::fs;
use std::process::Command;

/// `section heading -> (key -> type)` from the doc's tables.
fn documented() -> BTreeMap<String, BTreeMap<String, String>> {
    let doc = fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/report-schema.md"
    ))
    .unwrap();
    let mut sections = BTreeMap::new();
    let mut current = String::new();
    for line in doc.lines() {
        if line.starts_with("## ") || line.starts_with("### ") {
            current = line.trim_start_matches('#').trim().to_string();
        } else if let Some(row) = line.strip_prefix("| `") {
            let mut cells = row.split(" | ");
            let key = cells.next().unwrap().trim_end_matches('`').to_string();
            let ty = cells.next().unwrap().trim().to_string();
            sections
                .entry(current.clone())
                .or_insert_with(BTreeMap::new)
                .insert(key, ty);
        }
    }
    sections
}

fn type_ok(ty: &str, v: &Value) -> bool {
    match ty {
        "string" => v.is_string(),
        "string or null" => v.is_string() || v.is_null(),
        "number or null" => v.is_number() || v.is_null(),
        "object or null" => v.is_object() || v.is_null(),
        "integer" => v.is_u64() || v.is_i64(),
        "number" => v.is_number(),
        "array" => v.is_array(),
        "array of strings" => v.as_array().is_some_and(|a| a.iter().all(Value::is_string)),
        "object" => v.is_object(),
        other => panic!("the doc uses a type the test does not know: {other}"),
    }
}

fn check(section: &str, spec: &BTreeMap<String, String>, object: &Value) {
    let map = object
        .as_object()
        .unwrap_or_else(|| panic!("{section}: not an object: {object}"));
    let keys: Vec<&String> = map.keys().collect();
    let documented: Vec<&String> = spec.keys().collect();
    assert_eq!(
        keys, documented,
        "{section}: keys differ from docs/report-schema.md"
    );
    for (key, ty) in spec {
        assert!(
            type_ok(ty, &map[key]),
            "{section}.{key}: {} is not {ty}",
            map[key]
        );
    }
}

/// Two hours of traffic at one request a second, a third of it failing from 14:30 to 15:00,
/// with a database refusing connections from 14:29 and a HAProxy server going down at 14:30.
fn bundle() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut pg = String::from(
        "2024-11-14 14:28:00.000 UTC [1] LOG:  parameter \"max_connections\" changed to \"20\"\n",
    );
    for m in 29..60 {
        pg.push_str(&format!(
            "2024-11-14 14:{m:02}:11.123 UTC [4242] FATAL:  sorry, too many clients already\n"
        ));
    }
    fs::write(dir.path().join("postgresql.log"), pg).unwrap();
    fs::write(
        dir.path().join("haproxy.log"),
        "2024-11-14T14:30:05+00:00 lb1 haproxy[2201]: Server app/web2 is DOWN, reason: Layer4 connection problem, info: \"Connection refused\", check duration: 0ms. 1 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.\n",
    )
    .unwrap();
    let mut access = String::new();
    for i in 0..7200u32 {
        let (h, m, sec) = (14 + (i / 3600), i / 60 % 60, i % 60);
        let failing = (1800..3600).contains(&i) && i % 3 == 0;
        let status = if failing { 502 } else { 200 };
        access.push_str(&format!(
            "203.0.113.{} - - [14/Nov/2024:{h:02}:{m:02}:{sec:02} +0000] \"GET /api/cart/{i} HTTP/1.1\" {status} 157 \"-\" \"curl/8.5.0\" 0.0{} 0.0{}\n",
            i % 200,
            10 + i % 80,
            10 + i % 80
        ));
    }
    fs::write(dir.path().join("access.log"), access).unwrap();
    dir
}

fn pmtrace(args: &[&str]) -> Vec<u8> {
    let out = Command::new(env!("CARGO_BIN_EXE_pmtrace"))
        .args(args)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn json_report_matches_the_documented_contract() {
    let spec = documented();
    let dir = bundle();
    let report: Value = serde_json::from_slice(&pmtrace(&[
        "--format",
        "json",
        dir.path().to_str().unwrap(),
    ]))
    .unwrap();
    check("Top level", &spec["Top level"], &report);
    assert_eq!(report["schema_version"], 1);
    let inputs = report["inputs"].as_array().unwrap();
    assert_eq!(inputs.len(), 3);
    inputs
        .iter()
        .for_each(|i| check("inputs[]", &spec["inputs[]"], i));
    let timeline = report["timeline"].as_array().unwrap();
    assert!(timeline.len() >= 3, "{timeline:#?}");
    timeline
        .iter()
        .for_each(|e| check("timeline[]", &spec["timeline[]"], e));
    check("stats", &spec["stats"], &report["stats"]);
    for e in timeline {
        for key in ["first", "last"] {
            assert!(e[key].as_str().unwrap().ends_with('Z'), "{e}");
        }
    }
    // The bundle has one incident: every nested object as documented.
    let incidents = report["incidents"].as_array().unwrap();
    assert_eq!(incidents.len(), 1, "{incidents:#?}");
    let i = &incidents[0];
    check("incidents[]", &spec["incidents[]"], i);
    check("milestones", &spec["milestones"], &i["milestones"]);
    for m in [
        "first_symptom",
        "recovery",
        "first_alert",
        "preceding_change",
    ] {
        check("milestone", &spec["milestone"], &i["milestones"][m]);
    }
    check("impact", &spec["impact"], &i["impact"]);
    check("root_cause", &spec["root_cause"], &i["root_cause"]);
    check(
        "line",
        &spec["line"],
        &i["root_cause"]["earliest_causal_line"],
    );
    i["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .for_each(|c| check("candidates[]", &spec["candidates[]"], c));
    let series = report["series"].as_array().unwrap();
    assert!(series.len() > 100);
    series
        .iter()
        .for_each(|p| check("series[]", &spec["series[]"], p));
    let down = timeline
        .iter()
        .find(|e| e["pattern"] == "haproxy.server_down")
        .unwrap();
    assert_eq!(down["fields"]["backend"], serde_json::json!(["app"]));
    assert_eq!(down["fields"]["server"], serde_json::json!(["web2"]));
    assert_eq!(down["hosts"], serde_json::json!(["lb1"]));
}

#[test]
fn jsonl_is_one_documented_entry_per_line() {
    let spec = documented();
    let dir = bundle();
    let out = pmtrace(&["--format", "jsonl", dir.path().to_str().unwrap()]);
    let lines: Vec<&[u8]> = out
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    assert!(lines.len() >= 3);
    for line in lines {
        check(
            "timeline[]",
            &spec["timeline[]"],
            &serde_json::from_slice(line).unwrap(),
        );
    }
}

/// Inputs with bytes skipped for each reason: every `skipped[]` entry as documented.
#[test]
fn skipped_bytes_are_documented_objects() {
    use std::io::Write;
    let spec = documented();
    let dir = bundle();
    let mut long = vec![b'x'; (1 << 20) + 10];
    long.push(b'\n');
    fs::write(dir.path().join("long.log"), long).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&fs::read(dir.path().join("access.log")).unwrap())
        .unwrap();
    let gz = gz.finish().unwrap();
    fs::write(dir.path().join("cut.log.gz"), &gz[..gz.len() / 2]).unwrap();
    let doc: Value = serde_json::from_slice(&pmtrace(&[
        "formats",
        "--format",
        "json",
        dir.path().to_str().unwrap(),
    ]))
    .unwrap();
    let mut reasons = Vec::new();
    for i in doc["inputs"].as_array().unwrap() {
        check("inputs[]", &spec["inputs[]"], i);
        for s in i["skipped"].as_array().unwrap() {
            check("inputs[].skipped[]", &spec["inputs[].skipped[]"], s);
            reasons.push(s["reason"].as_str().unwrap().to_string());
        }
    }
    reasons.sort();
    assert_eq!(reasons, vec!["damaged_stream", "line_too_long"]);
}

#[test]
fn formats_json_uses_the_same_input_objects() {
    let spec = documented();
    let dir = bundle();
    let doc: Value = serde_json::from_slice(&pmtrace(&[
        "formats",
        "--format",
        "json",
        dir.path().to_str().unwrap(),
    ]))
    .unwrap();
    doc["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .for_each(|i| check("inputs[]", &spec["inputs[]"], i));
}
