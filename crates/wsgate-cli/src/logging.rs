//! Log output: `tracing` to stderr, filtered by `RUST_LOG` or the `-v` count.

use std::io::IsTerminal as _;
use tracing_subscriber::EnvFilter;

/// Installs the global subscriber. Without `RUST_LOG`, servers log at info and the
/// client at warn; each `-v` adds a level.
pub(crate) fn init(verbose: u8, quiet_by_default: bool) {
    let base = if quiet_by_default { 0 } else { 1 };
    let level = match base + verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .init();
}
