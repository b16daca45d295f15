//! The command line: parses arguments with clap and calls the engine. Thin on purpose; the
//! work is in the library so tests and benches run the same code.

/// `eprintln!` that cannot panic: with stderr a closed pipe (`2>&1 | head`), a message that
/// cannot be written is dropped rather than crashing the run it was about.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

mod args;
mod bench;
mod formats;
mod patterns;
mod sample;
mod timeline;

use crate::ingest::{InputSummary, SkipReason};
use crate::input;
use crate::report::safe_text::escape_for_terminal;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use std::process::ExitCode;

/// Exit status when inputs were read (even if nothing in them was recognised).
pub const EXIT_OK: u8 = 0;
/// Exit status when no input could be read at all.
pub const EXIT_NO_INPUT: u8 = 1;
/// Exit status for bad usage: bad flags, bad values, an invalid pattern pack.
pub const EXIT_USAGE: u8 = 2;

#[derive(Parser, Debug)]
#[command(
    name = "pmtrace",
    version,
    about = "Turns the raw logs of an outage into the facts of its postmortem",
    long_about = "Turns the raw logs of an outage into the facts of its postmortem.\n\n\
        Give it whatever you collected: load-balancer, web-server, database, application and \
        system logs, plain or rotated and compressed (gzip, zstd, bzip2), in any mix of formats \
        and time zones. Each file's format is detected by itself; every timestamp becomes UTC. \
        The result is a deduplicated timeline: every failure, recovery and change signal the \
        pattern packs name, failing and slow requests aggregated, and the warnings and errors \
        no pattern names clustered by message template.",
    after_help = "Examples:\n  \
        pmtrace logs/                            the deduplicated timeline of everything in logs/\n  \
        pmtrace --format json -o report.json logs/   the same as JSON (docs/report-schema.md)\n  \
        pmtrace --since 2h --min-severity error logs/   errors in the last 2 hours of the logs\n  \
        pmtrace --tz '*nginx*=Europe/Berlin' logs/  nginx logs written in Berlin time\n  \
        pmtrace formats logs/                    what each file was read as, line accounting\n  \
        pmtrace patterns test 'FATAL:  sorry, too many clients already'\n  \
        journalctl -o short-iso | pmtrace -\n\n\
        Exit status: 0 when inputs were read, 1 when none could be read, 2 for bad usage or an \
        invalid pattern pack.",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    run: timeline::TimelineArgs,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Show the format, source kind and line accounting detected for each input.
    Formats(formats::FormatsArgs),
    /// List, check and try out pattern packs.
    #[command(subcommand)]
    Patterns(patterns::PatternsCommand),
    /// Write a generated outage bundle (multi-source logs plus truth.json) to a folder.
    Sample(sample::SampleArgs),
    /// Measure throughput stage by stage and format by format, on your logs or a generated
    /// bundle.
    Bench(bench::BenchArgs),
}

/// Runs the command line `args` (including the program name) and returns the exit status.
pub fn run<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let command =
        Cli::command().mut_subcommand("formats", |c| c.after_long_help(formats::format_list()));
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
    ExitCode::from(match cli.command {
        Some(Command::Formats(args)) => formats::run(args),
        Some(Command::Patterns(cmd)) => patterns::run(cmd),
        Some(Command::Sample(args)) => sample::run(args),
        Some(Command::Bench(args)) => bench::run(args),
        None => timeline::run(cli.run),
    })
}

/// The inputs `args` names, printing one line on stderr for each argument that names nothing
/// readable. `None` when no path was given at all.
fn discover_inputs(args: &args::InputArgs) -> Option<Vec<input::InputFile>> {
    if args.paths.is_empty() {
        say!(
            "pmtrace: no input given; name log files, directories or - for standard input (see --help)"
        );
        return None;
    }
    let (files, discover_errors) = input::discover(&args.paths);
    for e in &discover_errors {
        problem(&e.arg, &e.message);
    }
    if files.is_empty() && discover_errors.is_empty() {
        say!("pmtrace: no input files found");
    }
    Some(files)
}

/// One line on stderr for each input that could not be read or broke part way, and (unless
/// quiet) for each input that had bytes skipped for another reason.
fn report_problems(inputs: &[InputSummary], errors: &[(String, String)], quiet: bool) {
    for (path, e) in errors {
        problem(path, e);
    }
    for s in inputs.iter().filter(|_| !quiet) {
        // A damaged stream is already among the errors.
        for skip in s
            .skipped
            .iter()
            .filter(|k| k.reason != SkipReason::DamagedStream)
        {
            problem(&s.path, &skip.detail);
        }
    }
}

/// `pmtrace: PATH: MESSAGE` on stderr, with the path escaped: a file name can hold anything,
/// and nothing from the input may drive the terminal.
fn problem(path: &str, message: &str) {
    say!(
        "pmtrace: {}: {}",
        escape_for_terminal(path.as_bytes(), 400),
        escape_for_terminal(message.as_bytes(), 400)
    );
}
