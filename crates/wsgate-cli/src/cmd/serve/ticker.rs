//! The server-side ticker: a message on `push:ticker` every period, for the Live push
//! page (and anyone who wants a heartbeat they can see).

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::json;
use tokio::time::MissedTickBehavior;
use wsgate_hub::Hub;

use super::app::Client;
use super::channels::Channels;

/// The ticker's channel.
pub(crate) const CHANNEL: &str = "push:ticker";

/// Publishes `{"n":N,"time":"HH:MM:SS","unix_ms":…}` to [`CHANNEL`] every `period`
/// until the task is aborted.
pub(crate) async fn run(hub: Hub<Client>, channels: Arc<Channels>, period: Duration) {
    let mut interval = tokio::time::interval(period);
    interval.set_missed_tick_behavior(MissedTickBehavior::Delay);
    for n in 1u64.. {
        interval.tick().await;
        let unix_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        let data = json!({ "n": n, "time": clock(unix_ms / 1000), "unix_ms": unix_ms });
        if let Err(e) = channels.publish(&hub, CHANNEL, &data) {
            tracing::warn!("ticker: {}", e.message);
        }
    }
}

/// `HH:MM:SS` (UTC) of a Unix time in seconds.
fn clock(secs: u64) -> String {
    let day = secs % 86_400;
    format!("{:02}:{:02}:{:02}", day / 3600, day % 3600 / 60, day % 60)
}

#[cfg(test)]
mod tests {
    #[test]
    fn clock_is_utc_time_of_day() {
        assert_eq!(super::clock(0), "00:00:00");
        assert_eq!(super::clock(1_763_715_845), "09:04:05");
    }
}
