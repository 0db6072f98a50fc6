//! The progress line: counters the connections bump (relaxed atomics), the phase of
//! the measured window, and once a second on a terminal a line on stderr with the
//! count, the rate and the errors so far.

use std::io::IsTerminal as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::time::Duration;

use tokio::time::Instant;

use super::report::thousands;

/// Counters shared by the connections, shown once a second on a terminal.
#[derive(Debug)]
pub(crate) struct Progress {
    done: AtomicU64,
    errors: AtomicU64,
    /// [`WARMUP`], [`MEASURING`] or [`ENDED`], set by the meters at the window's edges
    /// (cheaper for every message to read than the clock).
    phase: AtomicU8,
    stop: tokio::sync::Notify,
}

impl Progress {
    /// Starts the progress line (when stderr is a terminal).
    pub(crate) fn new(unit: &'static str) -> Arc<Self> {
        let progress = Arc::new(Self {
            done: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            phase: AtomicU8::new(WARMUP),
            stop: tokio::sync::Notify::new(),
        });
        if std::io::stderr().is_terminal() {
            tokio::spawn(Arc::clone(&progress).show(unit));
        }
        progress
    }

    /// Counts `done` operations and `errors`.
    pub(crate) fn add(&self, done: u64, errors: u64) {
        if done > 0 {
            self.done.fetch_add(done, Ordering::Relaxed);
        }
        if errors > 0 {
            self.errors.fetch_add(errors, Ordering::Relaxed);
        }
    }

    /// Whether the window is open (what happens now is counted).
    pub(crate) fn measuring(&self) -> bool {
        self.phase.load(Ordering::Relaxed) == MEASURING
    }

    /// Whether the window has closed (stop sending).
    pub(crate) fn ended(&self) -> bool {
        self.phase.load(Ordering::Relaxed) == ENDED
    }

    /// Measuring starts: the counts restart from zero.
    pub(crate) fn start(&self) {
        self.done.store(0, Ordering::Relaxed);
        self.phase.store(MEASURING, Ordering::Relaxed);
    }

    /// Measuring ends; the progress line stops.
    pub(crate) fn stop(&self) {
        self.phase.store(ENDED, Ordering::Relaxed);
        self.stop.notify_one();
    }

    async fn show(self: Arc<Self>, unit: &'static str) {
        let begin = Instant::now();
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.tick().await; // The first tick is immediate: nothing to show yet.
        let mut last = (0, Instant::now());
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                () = self.stop.notified() => break,
            }
            let (done, now) = (self.done.load(Ordering::Relaxed), Instant::now());
            let rate = done.saturating_sub(last.0) as f64 / (now - last.1).as_secs_f64();
            last = (done, now);
            let errors = self.errors.load(Ordering::Relaxed);
            eprint!(
                "\r{:>6.1} s  {} {unit}  {}/s  {} errors   ",
                begin.elapsed().as_secs_f64(),
                thousands(done),
                thousands(rate as u64),
                errors
            );
        }
        eprintln!();
    }
}

const WARMUP: u8 = 0;
const MEASURING: u8 = 1;
const ENDED: u8 = 2;
