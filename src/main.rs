//! The `pmtrace` binary: everything happens in the library's `cli::run`.

fn main() -> std::process::ExitCode {
    pmtrace::cli::run(std::env::args_os())
}
