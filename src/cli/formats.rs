//! `pmtrace formats`: what each input was read as, and where every line went.

use super::args::InputArgs;
use super::{EXIT_NO_INPUT, EXIT_OK, EXIT_USAGE, discover_inputs, report_problems};
use crate::ingest::{self, InputSummary, UnparsedSamples};
use crate::report;
use clap::{Args, ValueEnum};
use std::io::{self, Write};

#[derive(Args, Debug, Clone)]
pub struct FormatsArgs {
    #[command(flatten)]
    pub input: InputArgs,

    /// Output format.
    #[arg(long, value_enum, default_value_t = FormatsOutput::Text)]
    pub format: FormatsOutput,

    /// Also show the first N lines of each file that its format did not read, with line numbers.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub show_unparsed: usize,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormatsOutput {
    Text,
    Json,
}

pub fn run(args: FormatsArgs) -> u8 {
    let limit = args.show_unparsed;
    let Some(files) = discover_inputs(&args.input) else {
        return EXIT_USAGE;
    };
    let results = ingest::ingest(&files, &args.input.ingest_options(), &|_| {
        UnparsedSamples::new(limit)
    });
    let opened = results.iter().filter(|r| r.opened).count();
    let errors: Vec<(String, String)> = results
        .iter()
        .filter_map(|r| r.error.clone().map(|e| (r.summary.path.clone(), e)))
        .collect();
    let unparsed: Vec<(String, UnparsedSamples)> = results
        .iter()
        .filter(|r| !r.sink.lines.is_empty())
        .map(|r| (r.summary.path.clone(), r.sink.clone()))
        .collect();
    let readable: Vec<InputSummary> = results
        .into_iter()
        .filter(|r| r.opened)
        .map(|r| r.summary)
        .collect();
    report_problems(&readable, &errors, args.input.quiet);
    // A closed stdout (`| head`) is not an error of ours: nothing more to say.
    let _ = write_output(args.format, &readable, &unparsed);
    if opened == 0 { EXIT_NO_INPUT } else { EXIT_OK }
}

fn write_output(
    format: FormatsOutput,
    inputs: &[InputSummary],
    unparsed: &[(String, UnparsedSamples)],
) -> io::Result<()> {
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    match format {
        FormatsOutput::Json => {
            report::inputs::write_json(&mut out, inputs)?;
            // The JSON contract stays as documented; the samples are diagnostics for stderr.
            report::inputs::write_unparsed(&mut io::stderr().lock(), unparsed)?;
        }
        FormatsOutput::Text => {
            report::inputs::write_text(&mut out, inputs)?;
            report::inputs::write_unparsed(&mut out, unparsed)?;
        }
    }
    out.flush()
}

/// The known formats, for `pmtrace formats --help`.
pub fn format_list() -> String {
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
