//! Template clustering against the Loghub 2k corrected ground truth
//! (`../shared/reallogs/loghub-2k-corrected/`): grouping accuracy, the share of messages whose
//! group under pmtrace's templates is exactly their group in the ground truth (Zhu et al.,
//! "Tools and Benchmarks for Automated Log Parsing", ICSE 2019). Skips, saying so, when the
//! folder is absent.

use pmtrace::aggregate::similar::group_similar;
use pmtrace::aggregate::template::{template, template_hash};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Grouping accuracy of our templates over `(content, truth id)` pairs.
fn grouping_accuracy(rows: &[(String, String)]) -> f64 {
    // Templates by masking, then similar templates merged, as the timeline does.
    let masked: Vec<u64> = rows
        .iter()
        .map(|(c, _)| template_hash(c.as_bytes()))
        .collect();
    let mut distinct: HashMap<u64, (String, u64)> = HashMap::new();
    for ((c, _), h) in rows.iter().zip(&masked) {
        distinct
            .entry(*h)
            .or_insert_with(|| (template(c.as_bytes()), 0))
            .1 += 1;
    }
    let mut keys: Vec<u64> = distinct.keys().copied().collect();
    keys.sort_unstable();
    let list: Vec<(&str, u64)> = keys
        .iter()
        .map(|k| (distinct[k].0.as_str(), distinct[k].1))
        .collect();
    let (assignment, _) = group_similar(&list);
    let group_of: HashMap<u64, usize> = keys.iter().zip(assignment).map(|(k, g)| (*k, g)).collect();
    let ours: Vec<usize> = masked.iter().map(|h| group_of[h]).collect();
    let mut by_ours: HashMap<usize, Vec<usize>> = HashMap::new();
    let mut by_truth: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, (_, truth)) in rows.iter().enumerate() {
        by_ours.entry(ours[i]).or_default().push(i);
        by_truth.entry(truth.as_str()).or_default().push(i);
    }
    let correct: usize = by_truth
        .values()
        .filter(|group| by_ours[&ours[group[0]]] == **group)
        .map(Vec::len)
        .sum();
    correct as f64 / rows.len().max(1) as f64
}

fn load(dir: &Path, name: &str) -> Vec<(String, String)> {
    let path = dir
        .join(name)
        .join(format!("{name}_2k.log_structured_corrected.csv"));
    let mut reader =
        csv::Reader::from_path(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let headers = reader.headers().unwrap().clone();
    let content = headers.iter().position(|h| h == "Content").unwrap();
    let event = headers.iter().position(|h| h == "EventId").unwrap();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[content].to_string(), r[event].to_string())
        })
        .collect()
}

#[test]
fn grouping_accuracy_on_loghub_2k() {
    let dir =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/reallogs/loghub-2k-corrected");
    if !dir.is_dir() {
        eprintln!(
            "SKIPPED: {} not found; template accuracy needs ../shared beside the project",
            dir.display()
        );
        return;
    }
    let names = [
        "Android",
        "Apache",
        "BGL",
        "HDFS",
        "HPC",
        "Hadoop",
        "HealthApp",
        "Linux",
        "Mac",
        "OpenSSH",
        "OpenStack",
        "Proxifier",
        "Spark",
        "Thunderbird",
        "Windows",
        "Zookeeper",
    ];
    let mut total = 0.0;
    for name in names {
        let ga = grouping_accuracy(&load(&dir, name));
        eprintln!("{name:<12} grouping accuracy {ga:.3}");
        total += ga;
    }
    let mean = total / names.len() as f64;
    eprintln!("{:<12} grouping accuracy {mean:.3}", "mean");
    assert!(
        mean >= MIN_MEAN_ACCURACY,
        "mean grouping accuracy {mean:.3} fell below {MIN_MEAN_ACCURACY}"
    );
}

/// The mean measured when the clustering was last changed, less a margin: a change that makes
/// grouping worse fails here.
/// Measured 0.833 (masking, then similar templates merged at 0.7).
const MIN_MEAN_ACCURACY: f64 = 0.80;
