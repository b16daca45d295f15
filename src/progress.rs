//! The progress bar over total input bytes: on stderr, only on a terminal, only when the work
//! takes more than a moment, never with `--quiet`.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How long work runs before the bar appears, so quick runs print nothing extra.
const SHOW_AFTER: Duration = Duration::from_millis(400);

pub struct Progress {
    bar: Option<ProgressBar>,
    started: Instant,
    shown: AtomicBool,
}

impl Progress {
    /// A bar over `total_bytes`, drawn only if `wanted` and stderr is a terminal.
    pub fn new(total_bytes: u64, wanted: bool) -> Progress {
        let bar = (wanted && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::with_draw_target(Some(total_bytes), ProgressDrawTarget::hidden());
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
                )
                .expect("valid template"),
            );
            bar
        });
        Progress {
            bar,
            started: Instant::now(),
            shown: AtomicBool::new(false),
        }
    }

    /// A progress that never draws.
    pub fn hidden() -> Progress {
        Progress::new(0, false)
    }

    pub fn add(&self, bytes: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(bytes);
            if !self.shown.load(Ordering::Relaxed) && self.started.elapsed() >= SHOW_AFTER {
                self.shown.store(true, Ordering::Relaxed);
                bar.set_draw_target(ProgressDrawTarget::stderr_with_hz(8));
            }
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// A reader that reports the bytes it reads to a [`Progress`].
pub struct CountingReader<'p, R> {
    pub inner: R,
    pub progress: &'p Progress,
}

impl<R: std::io::Read> std::io::Read for CountingReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.add(n as u64);
        Ok(n)
    }
}
