//! Settings of `wsgate serve`: flags, each with an environment variable, over an
//! optional TOML file (`--config`), over the defaults. Every limit is finite.
//!
//! ```toml
//! # wsgate.toml: every key is optional
//! listen = "127.0.0.1:8080"
//! api-key = "change-me"
//! allow-origins = ["https://app.example"]
//! history = 50            # messages remembered per channel
//! max-message = 65536     # largest message on /ws and body on /api (bytes)
//! ticker-ms = 1000        # push:ticker period; 0 turns it off
//! max-channels = 1024
//! max-subscriptions = 64  # per connection
//! publish-rate = 50       # client publishes per second per connection (bursts of 2 s)
//! ```

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, bail};
use serde::Deserialize;

/// Arguments of `wsgate serve`.
#[derive(Debug, Default, clap::Args)]
pub(crate) struct Args {
    /// Address to listen on (port 0 picks a free port; the real one is printed)
    /// [default: 127.0.0.1:8080]
    #[arg(long, value_name = "HOST:PORT", env = "WSGATE_LISTEN")]
    listen: Option<String>,
    /// Read settings from this TOML file (flags and environment variables win).
    #[arg(long, value_name = "FILE", env = "WSGATE_CONFIG")]
    config: Option<PathBuf>,
    /// Require `Authorization: Bearer KEY` on the HTTP API (/api/*).
    #[arg(
        long,
        value_name = "KEY",
        env = "WSGATE_API_KEY",
        hide_env_values = true
    )]
    api_key: Option<String>,
    /// Also accept WebSocket handshakes from this origin (`scheme://host[:port]`;
    /// repeat or separate with commas). Same-origin pages are always accepted.
    #[arg(
        long = "allow-origin",
        value_name = "ORIGIN",
        env = "WSGATE_ALLOW_ORIGINS",
        value_delimiter = ','
    )]
    allow_origins: Vec<String>,
    /// Messages remembered per channel for `history` on subscribe [default: 50, at most 1000].
    #[arg(long, value_name = "N", env = "WSGATE_HISTORY")]
    history: Option<usize>,
    /// Largest message on /ws (larger closes with 1009) and body on /api (413), in
    /// bytes [default: 65536].
    #[arg(long, value_name = "BYTES", env = "WSGATE_MAX_MESSAGE")]
    max_message: Option<usize>,
    /// Period of the server's push:ticker messages in milliseconds; 0 turns the ticker
    /// off [default: 1000].
    #[arg(long, value_name = "MS", env = "WSGATE_TICKER_MS")]
    ticker_ms: Option<u64>,
    /// Publishes per second one /ws connection may make, with bursts of twice that
    /// [default: 50].
    #[arg(long, value_name = "N", env = "WSGATE_PUBLISH_RATE")]
    publish_rate: Option<u32>,
}

/// The TOML file: the same settings, all optional, kebab-case keys.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct File {
    listen: Option<String>,
    api_key: Option<String>,
    allow_origins: Option<Vec<String>>,
    history: Option<usize>,
    max_message: Option<usize>,
    ticker_ms: Option<u64>,
    max_channels: Option<usize>,
    max_subscriptions: Option<usize>,
    publish_rate: Option<u32>,
}

/// The resolved settings.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Settings {
    pub(crate) listen: String,
    pub(crate) api_key: Option<String>,
    pub(crate) allow_origins: Vec<String>,
    pub(crate) history: usize,
    pub(crate) max_message: usize,
    pub(crate) ticker: Option<Duration>,
    pub(crate) max_channels: usize,
    pub(crate) max_subscriptions: usize,
    pub(crate) publish_rate: u32,
}

impl Settings {
    /// Reads the config file, if any, and merges it with the flags.
    ///
    /// # Errors
    /// An unreadable or invalid file, or a value out of range.
    pub(crate) fn resolve(args: Args) -> anyhow::Result<Self> {
        let file = match &args.config {
            Some(path) => read(path)?,
            None => File::default(),
        };
        Self::merge(args, file)
    }

    fn merge(args: Args, file: File) -> anyhow::Result<Self> {
        let mut allow_origins = file.allow_origins.unwrap_or_default();
        allow_origins.extend(args.allow_origins);
        let settings = Self {
            listen: args
                .listen
                .or(file.listen)
                .unwrap_or_else(|| DEFAULT_LISTEN.to_owned()),
            api_key: args.api_key.or(file.api_key).filter(|k| !k.is_empty()),
            allow_origins,
            history: args.history.or(file.history).unwrap_or(50),
            max_message: args.max_message.or(file.max_message).unwrap_or(64 << 10),
            ticker: match args.ticker_ms.or(file.ticker_ms).unwrap_or(1000) {
                0 => None,
                ms => Some(Duration::from_millis(ms)),
            },
            max_channels: file.max_channels.unwrap_or(1024),
            max_subscriptions: file.max_subscriptions.unwrap_or(64),
            publish_rate: args.publish_rate.or(file.publish_rate).unwrap_or(50),
        };
        settings.check()?;
        Ok(settings)
    }

    fn check(&self) -> anyhow::Result<()> {
        if self.history > MAX_HISTORY {
            bail!("history is at most {MAX_HISTORY}");
        }
        if !(1024..=MAX_MESSAGE).contains(&self.max_message) {
            bail!("max-message is between 1024 and {MAX_MESSAGE} bytes");
        }
        if self.ticker.is_some_and(|t| t < Duration::from_millis(10)) {
            bail!("ticker-ms is 0 (off) or at least 10");
        }
        if !(1..=1_000_000).contains(&self.max_channels)
            || !(1..=10_000).contains(&self.max_subscriptions)
        {
            bail!("max-channels is between 1 and 1000000, max-subscriptions between 1 and 10000");
        }
        if !(1..=1_000_000).contains(&self.publish_rate) {
            bail!("publish-rate is between 1 and 1000000");
        }
        Ok(())
    }
}

fn read(path: &Path) -> anyhow::Result<File> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("invalid config file {}", path.display()))
}

const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// The most messages remembered per channel.
const MAX_HISTORY: usize = 1000;
/// The largest message limit allowed.
const MAX_MESSAGE: usize = 16 << 20;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn defaults_without_flags_or_file() {
        let s = Settings::merge(Args::default(), File::default()).unwrap();
        assert_eq!(s.listen, "127.0.0.1:8080");
        assert_eq!((s.history, s.max_message), (50, 65536));
        assert_eq!(s.ticker, Some(Duration::from_secs(1)));
        assert_eq!(s.api_key, None);
    }

    #[test]
    fn flags_win_over_the_file() {
        let file: File = toml::from_str(
            "listen = \"127.0.0.1:9\"\napi-key = \"f\"\nallow-origins = [\"https://a.test\"]\nhistory = 5\nticker-ms = 0\nmax-channels = 7\n",
        )
        .unwrap();
        let args = Args {
            listen: Some("127.0.0.1:0".into()),
            allow_origins: vec!["https://b.test".into()],
            history: Some(9),
            ..Args::default()
        };
        let s = Settings::merge(args, file).unwrap();
        assert_eq!(s.listen, "127.0.0.1:0");
        assert_eq!(s.api_key.as_deref(), Some("f"));
        assert_eq!(s.allow_origins, ["https://a.test", "https://b.test"]);
        assert_eq!((s.history, s.ticker, s.max_channels), (9, None, 7));
    }

    #[test]
    fn bad_files_and_values_are_errors() {
        assert!(toml::from_str::<File>("listen = 1").is_err());
        assert!(toml::from_str::<File>("nope = true").is_err());
        let too_big = Args {
            history: Some(5000),
            ..Args::default()
        };
        assert!(Settings::merge(too_big, File::default()).is_err());
        let tiny = Args {
            max_message: Some(10),
            ..Args::default()
        };
        assert!(Settings::merge(tiny, File::default()).is_err());
        let fast = Args {
            ticker_ms: Some(1),
            ..Args::default()
        };
        assert!(Settings::merge(fast, File::default()).is_err());
        let missing = Args {
            config: Some("/nonexistent/wsgate.toml".into()),
            ..Args::default()
        };
        assert!(Settings::resolve(missing).is_err());
    }
}
