//! Log output: `tracing` to stderr, filtered by `RUST_LOG` or the `-v` count, as text
//! or, with `WSGATE_LOG_FORMAT=json`, one JSON object per line (timestamp, level,
//! fields, message).

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
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    if json_requested(std::env::var("WSGATE_LOG_FORMAT").ok().as_deref()) {
        builder.json().with_ansi(false).init();
    } else {
        builder.with_ansi(std::io::stderr().is_terminal()).init();
    }
}

/// Whether `WSGATE_LOG_FORMAT` asks for JSON lines.
fn json_requested(format: Option<&str>) -> bool {
    format.is_some_and(|f| f.trim().eq_ignore_ascii_case("json"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn json_only_when_asked() {
        assert!(super::json_requested(Some("json")));
        assert!(super::json_requested(Some(" JSON ")));
        assert!(!super::json_requested(Some("text")));
        assert!(!super::json_requested(None));
    }
}
