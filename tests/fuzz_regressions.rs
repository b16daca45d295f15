//! Every input a fuzz target ever failed on, kept in `tests/fuzz-regressions/TARGET/`, run
//! again through the target's own code (`tests/fuzz_harness/mod.rs`). See `fuzz/README.md`.

mod fuzz_harness;

use std::fs;
use std::path::Path;

fn replay(target: &str, run: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz-regressions")
        .join(target);
    let mut entries: Vec<_> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    entries.sort();
    for path in entries {
        let data = fs::read(&path).unwrap();
        // A panic names the input that brought it back.
        eprintln!("replaying {}", path.display());
        run(&data);
    }
}

#[test]
fn ingest_lines_regressions() {
    replay("ingest_lines", fuzz_harness::ingest_lines);
}

#[test]
fn timestamps_regressions() {
    replay("timestamps", fuzz_harness::timestamps);
}

#[test]
fn pattern_pack_regressions() {
    replay("pattern_pack", fuzz_harness::pattern_pack);
}
