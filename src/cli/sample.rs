//! `pmtrace sample`: writes a generated outage bundle (logs plus truth.json) to a folder.

use super::{EXIT_OK, EXIT_USAGE};
use crate::sample::{Scenario, write_bundle};
use clap::Args;
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Args, Debug, Clone)]
pub struct SampleArgs {
    /// The scenario to write (`--list` shows them).
    #[arg(value_name = "SCENARIO", required_unless_present = "list")]
    pub scenario: Option<String>,

    /// The folder to write the bundle into: new or empty (created if needed).
    #[arg(long, value_name = "DIR", required_unless_present = "list")]
    pub out: Option<PathBuf>,

    /// Multiplies the request rate: 1 writes a few MB, 1000 several GB.
    #[arg(long, default_value_t = 1, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub scale: u64,

    /// Chooses formats, zones, rates and timings; the same seed gives the same bytes.
    #[arg(long, default_value_t = 1, value_name = "S")]
    pub seed: u64,

    /// List the scenarios and exit.
    #[arg(long)]
    pub list: bool,
}

pub fn run(args: SampleArgs) -> u8 {
    if args.list {
        let mut out = std::io::stdout().lock();
        for s in Scenario::ALL {
            // A closed stdout (`| head`) ends the list, quietly.
            if writeln!(out, "{:<22} {}", s.name(), s.description()).is_err() {
                break;
            }
        }
        return EXIT_OK;
    }
    let (Some(name), Some(out)) = (args.scenario, args.out) else {
        say!("pmtrace sample: give a scenario and --out DIR (see --list)");
        return EXIT_USAGE;
    };
    let Some(scenario) = Scenario::from_name(&name) else {
        let names: Vec<&str> = Scenario::ALL.iter().map(|s| s.name()).collect();
        say!(
            "pmtrace sample: unknown scenario '{name}'; one of: {}",
            names.join(", ")
        );
        return EXIT_USAGE;
    };
    // Another bundle's files (another seed can pick other formats) would not match this
    // truth.json: write into a new or empty folder only.
    if std::fs::read_dir(&out).is_ok_and(|mut d| d.next().is_some()) {
        say!(
            "pmtrace sample: {} is not empty; give a new or empty folder",
            out.display()
        );
        return EXIT_USAGE;
    }
    let started = Instant::now();
    match write_bundle(scenario, &out, args.scale, args.seed) {
        Ok(truth) => {
            let bytes: u64 = truth
                .files
                .iter()
                .filter_map(|f| std::fs::metadata(out.join(&f.path)).ok())
                .map(|m| m.len())
                .sum();
            let secs = started.elapsed().as_secs_f64();
            say!(
                "pmtrace sample: wrote {} files, {:.1} MB in {:.2} s ({:.0} MB/s) to {}",
                truth.files.len(),
                bytes as f64 / 1e6,
                secs,
                bytes as f64 / 1e6 / secs.max(1e-9),
                out.display()
            );
            EXIT_OK
        }
        Err(e) => {
            say!("pmtrace sample: {}: {e}", out.display());
            // Nothing to read is the closest of the documented statuses to a failed write.
            super::EXIT_NO_INPUT
        }
    }
}
