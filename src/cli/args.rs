//! Argument groups shared by the commands.

use crate::ingest::{FormatRule, FormatRules, HostRule, HostRules, IngestOptions};
use crate::input;
use crate::time::{ZoneRule, ZoneRules};
use clap::Args;
use std::path::PathBuf;

/// What to read and how: inputs, zones, formats, hosts, threads.
#[derive(Args, Debug, Clone)]
pub struct InputArgs {
    /// Log files, directories (read recursively), glob patterns, or - for standard input.
    #[arg(value_name = "PATH")]
    pub paths: Vec<String>,

    /// Zone for lines that do not state one: an IANA name (Europe/Berlin), an offset (+02:00)
    /// or an abbreviation (PDT). GLOB=ZONE applies it to matching files only. Repeatable; the
    /// last matching rule wins. Default: UTC.
    #[arg(long = "tz", value_name = "[GLOB=]ZONE", value_parser = ZoneRule::parse)]
    pub tz: Vec<ZoneRule>,

    /// Skip detection and read files as this format (GLOB=NAME for matching files only).
    /// Repeatable. `pmtrace formats --help` lists the names.
    #[arg(long = "log-format", value_name = "[GLOB=]NAME", value_parser = FormatRule::parse)]
    pub log_format: Vec<FormatRule>,

    /// The host a file's lines came from, for formats whose lines do not name one (access
    /// logs, most database logs): NAME for every file or GLOB=NAME for matching ones.
    /// Repeatable; the last matching rule wins.
    #[arg(long = "host", value_name = "[GLOB=]NAME", value_parser = HostRule::parse)]
    pub host: Vec<HostRule>,

    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', default_value_t = 0, value_name = "N")]
    pub threads: usize,

    /// Print no progress bar and no warnings; errors still go to stderr.
    #[arg(long, short = 'q')]
    pub quiet: bool,

    /// Size in bytes of the chunks files are cut into for parallel reading.
    #[arg(long, hide = true, default_value_t = input::DEFAULT_CHUNK)]
    pub chunk_size: u64,

    /// Seconds a FIFO given as an input may have no writer before it is given up.
    #[arg(long, hide = true, default_value_t = input::fifo::DEFAULT_WAIT.as_secs_f64())]
    pub fifo_wait: f64,
}

impl InputArgs {
    pub fn ingest_options(&self) -> IngestOptions {
        IngestOptions {
            threads: self.threads,
            chunk_size: self.chunk_size,
            fifo_wait: std::time::Duration::try_from_secs_f64(self.fifo_wait)
                .unwrap_or(input::fifo::DEFAULT_WAIT),
            zones: ZoneRules::new(self.tz.clone()),
            formats: FormatRules::new(self.log_format.clone()),
            hosts: HostRules::new(self.host.clone()),
            progress: !self.quiet,
            now: crate::ingest::now(),
        }
    }
}

/// Which pattern packs to use.
#[derive(Args, Debug, Clone, Default)]
pub struct PatternArgs {
    /// Add the pattern packs in this TOML file or folder of them (repeatable). They take
    /// priority over the built-in packs. Schema: docs/patterns.md.
    #[arg(long = "patterns", value_name = "PATH")]
    pub patterns: Vec<PathBuf>,

    /// Leave out the built-in pattern packs.
    #[arg(long)]
    pub no_default_patterns: bool,
}
