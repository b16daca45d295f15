//! The command line: parses arguments with clap and calls the engine. Thin on purpose; the
//! work is in the library so tests and benches run the same code.

use crate::ingest::{self, FormatRule, FormatRules, HostRule, HostRules, IngestOptions};
use crate::input::{self, InputFile};
use crate::report;
use crate::time::{ZoneRule, ZoneRules};
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use std::io::{self, Write};
use std::process::ExitCode;

/// Exit status when inputs were read (even if nothing in them was recognised).
pub const EXIT_OK: u8 = 0;
/// Exit status when no input could be read at all.
pub const EXIT_NO_INPUT: u8 = 1;
/// Exit status for bad usage (clap uses it too).
pub const EXIT_USAGE: u8 = 2;

#[derive(Parser, Debug)]
#[command(
    name = "pmtrace",
    version,
    about = "Turns the raw logs of an outage into the facts of its postmortem",
    long_about = "Turns the raw logs of an outage into the facts of its postmortem.\n\n\
        Give it whatever you collected: load-balancer, web-server, database, application and \
        system logs, plain or rotated and compressed (gzip, zstd, bzip2), in any mix of formats \
        and time zones. Each file's format is detected by itself; every timestamp becomes UTC.",
    after_help = "Examples:\n  \
        pmtrace formats logs/                    what each file was read as, line accounting\n  \
        pmtrace formats --format json logs/*.gz  the same as JSON\n  \
        pmtrace --tz '*nginx*=Europe/Berlin' logs/  nginx logs written in Berlin time\n  \
        journalctl -o short-iso | pmtrace formats -\n\n\
        Exit status: 0 when inputs were read, 1 when none could be read, 2 for bad usage.",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Show the format, source kind and line accounting detected for each input.
    Formats(RunArgs),
}

#[derive(Args, Debug, Clone)]
struct RunArgs {
    /// Log files, directories (read recursively), glob patterns, or - for standard input.
    #[arg(value_name = "PATH")]
    paths: Vec<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    format: OutputFormat,

    /// Zone for lines that do not state one: an IANA name (Europe/Berlin), an offset (+02:00)
    /// or an abbreviation (PDT). GLOB=ZONE applies it to matching files only. Repeatable; the
    /// last matching rule wins. Default: UTC.
    #[arg(long = "tz", value_name = "[GLOB=]ZONE", value_parser = ZoneRule::parse)]
    tz: Vec<ZoneRule>,

    /// Skip detection and read files as this format (GLOB=NAME for matching files only).
    /// Repeatable. `pmtrace formats --help` lists the names.
    #[arg(long = "log-format", value_name = "[GLOB=]NAME", value_parser = FormatRule::parse)]
    log_format: Vec<FormatRule>,

    /// The host a file's lines came from, for formats whose lines do not name one (access
    /// logs, most database logs): NAME for every file or GLOB=NAME for matching ones.
    /// Repeatable; the last matching rule wins.
    #[arg(long = "host", value_name = "[GLOB=]NAME", value_parser = HostRule::parse)]
    host: Vec<HostRule>,

    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', default_value_t = 0, value_name = "N")]
    threads: usize,

    /// Print no progress bar and no warnings; errors still go to stderr.
    #[arg(long, short = 'q')]
    quiet: bool,

    /// Also show the first N lines of each file that its format did not read, with line numbers.
    #[arg(long, value_name = "N", default_value_t = 0)]
    show_unparsed: usize,

    /// Size in bytes of the chunks files are cut into for parallel reading.
    #[arg(long, hide = true, default_value_t = input::DEFAULT_CHUNK)]
    chunk_size: u64,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum OutputFormat {
    Text,
    Json,
}

/// Runs the command line `args` (including the program name) and returns the exit status.
pub fn run<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let command = Cli::command().mut_subcommand("formats", |c| c.after_long_help(format_list()));
    let cli = match command
        .try_get_matches_from(args)
        .and_then(|m| Cli::from_arg_matches(&m))
    {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { EXIT_USAGE } else { EXIT_OK });
        }
    };
    let run = match cli.command {
        Some(Command::Formats(args)) => args,
        None => cli.run,
    };
    ExitCode::from(formats(run))
}

fn formats(args: RunArgs) -> u8 {
    if args.paths.is_empty() {
        eprintln!(
            "pmtrace: no input given; name log files, directories or - for standard input (see --help)"
        );
        return EXIT_USAGE;
    }
    let (files, discover_errors) = input::discover(&args.paths);
    for e in &discover_errors {
        eprintln!("pmtrace: {}: {}", e.arg, e.message);
    }
    let opts = IngestOptions {
        threads: args.threads,
        chunk_size: args.chunk_size,
        zones: ZoneRules::new(args.tz),
        formats: FormatRules::new(args.log_format),
        hosts: HostRules::new(args.host),
        progress: !args.quiet,
        now: ingest::now(),
    };
    let limit = args.show_unparsed;
    let results = ingest::ingest(&files, &opts, &|_| ingest::UnparsedSamples::new(limit));
    let mut opened = 0;
    for r in &results {
        if let Some(e) = &r.error {
            eprintln!("pmtrace: {}: {e}", r.summary.path);
        }
        if r.opened {
            opened += 1;
        }
        if !args.quiet && r.summary.truncated_lines > 0 {
            eprintln!(
                "pmtrace: {}: {} lines longer than {} bytes were truncated ({} bytes skipped)",
                r.summary.path,
                r.summary.truncated_lines,
                input::lines::MAX_LINE,
                r.summary.skipped_bytes
            );
        }
    }
    let unparsed: Vec<(String, ingest::UnparsedSamples)> = results
        .iter()
        .filter(|r| !r.sink.lines.is_empty())
        .map(|r| (r.summary.path.clone(), r.sink.clone()))
        .collect();
    let summaries: Vec<_> = results.into_iter().map(|r| r.summary).collect();
    let readable: Vec<_> = summaries
        .iter()
        .filter(|s| s.format != "unreadable")
        .cloned()
        .collect();
    if write_output(args.format, &readable, &unparsed).is_err() {
        // stdout closed early (`| head`): nothing more to say, and not an error of ours.
        return if opened > 0 { EXIT_OK } else { EXIT_NO_INPUT };
    }
    if opened == 0 {
        if files.is_empty() && discover_errors.is_empty() {
            eprintln!("pmtrace: no input files found");
        }
        return EXIT_NO_INPUT;
    }
    EXIT_OK
}

fn write_output(
    format: OutputFormat,
    inputs: &[ingest::InputSummary],
    unparsed: &[(String, ingest::UnparsedSamples)],
) -> io::Result<()> {
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    match format {
        OutputFormat::Json => {
            report::inputs::write_json(&mut out, inputs)?;
            // The JSON contract stays as documented; the samples are diagnostics for stderr.
            report::inputs::write_unparsed(&mut io::stderr().lock(), unparsed)?;
        }
        OutputFormat::Text => {
            report::inputs::write_text(&mut out, inputs)?;
            report::inputs::write_unparsed(&mut out, unparsed)?;
        }
    }
    out.flush()
}

/// The known formats, for `pmtrace formats --help`.
fn format_list() -> String {
    let mut s = String::from("Formats (for --log-format):\n");
    for f in crate::format::ALL.iter().chain([&crate::format::FALLBACK]) {
        s.push_str(&format!(
            "  {} ({})\n      {}\n",
            f.name,
            f.source.as_str(),
            f.description
        ));
    }
    s
}

/// The files `paths` name, for tools built on the library.
pub fn discover(paths: &[String]) -> Vec<InputFile> {
    input::discover(paths).0
}
