//! `/metrics`: the hub's counters and the application's, in the Prometheus text
//! exposition format (version 0.0.4).

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use wsgate_hub::MetricsSnapshot;

use super::protocol::Code;

/// The application's own counters (the hub counts sessions, messages and bytes).
#[derive(Debug, Default)]
pub(crate) struct Stats {
    errors: [AtomicU64; Code::ALL.len()],
    api_publishes: AtomicU64,
    api_errors: AtomicU64,
    echo_sessions: AtomicU64,
}

impl Stats {
    /// A request on `/ws` failed with `code`.
    pub(crate) fn error(&self, code: Code) {
        self.errors[code.index()].fetch_add(1, Relaxed);
    }

    /// `POST /api/publish` published a message.
    pub(crate) fn api_publish(&self) {
        self.api_publishes.fetch_add(1, Relaxed);
    }

    /// An HTTP API request was answered with a 4xx status.
    pub(crate) fn api_error(&self) {
        self.api_errors.fetch_add(1, Relaxed);
    }

    /// A session on `/ws/echo` started.
    pub(crate) fn echo_session(&self) {
        self.echo_sessions.fetch_add(1, Relaxed);
    }
}

/// What `/metrics` shows besides the counters.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Gauges {
    pub(crate) sessions: usize,
    pub(crate) topics: usize,
}

/// The metrics page.
pub(crate) fn render(hub: &MetricsSnapshot, gauges: Gauges, stats: &Stats) -> String {
    let mut out = String::with_capacity(4096);
    let mut counter = |name: &str, help: &str, value: u64| {
        metric(&mut out, name, help, "counter", &[("", value)]);
    };
    counter(
        "wsgate_connections_total",
        "WebSocket sessions opened on /ws.",
        hub.connections,
    );
    counter(
        "wsgate_disconnections_total",
        "WebSocket sessions on /ws that ended.",
        hub.disconnections,
    );
    counter(
        "wsgate_messages_in_total",
        "Data messages received on /ws.",
        hub.messages_in,
    );
    counter(
        "wsgate_bytes_in_total",
        "Payload bytes of data messages received on /ws.",
        hub.bytes_in,
    );
    counter(
        "wsgate_messages_out_total",
        "Messages written to /ws sessions.",
        hub.messages_out,
    );
    counter(
        "wsgate_bytes_out_total",
        "Payload bytes of messages written to /ws sessions.",
        hub.bytes_out,
    );
    counter(
        "wsgate_queue_drops_total",
        "Messages discarded by the slow-consumer policy.",
        hub.queue_drops,
    );
    counter(
        "wsgate_slow_consumer_disconnects_total",
        "Sessions closed because their queue overflowed.",
        hub.slow_disconnects,
    );
    counter(
        "wsgate_publishes_total",
        "Publishes and broadcasts (each frames its message once).",
        hub.publishes,
    );
    counter(
        "wsgate_api_publishes_total",
        "Messages published through POST /api/publish.",
        stats.api_publishes.load(Relaxed),
    );
    counter(
        "wsgate_api_errors_total",
        "HTTP API requests answered with a 4xx status.",
        stats.api_errors.load(Relaxed),
    );
    counter(
        "wsgate_echo_sessions_total",
        "WebSocket sessions opened on /ws/echo.",
        stats.echo_sessions.load(Relaxed),
    );
    let rejections = [
        ("origin", hub.rejected_origin),
        ("auth", hub.rejected_auth),
        ("invalid", hub.rejected_handshake),
        ("failed", hub.handshake_failures),
    ];
    let rejections = rejections.map(|(reason, v)| (label("reason", reason), v));
    let rejections: Vec<_> = rejections.iter().map(|(l, v)| (l.as_str(), *v)).collect();
    metric(
        &mut out,
        "wsgate_handshake_rejections_total",
        "WebSocket handshakes on /ws refused, by reason.",
        "counter",
        &rejections,
    );
    let causes: Vec<_> = MetricsSnapshot::CAUSES
        .iter()
        .map(|c| (label("cause", c.as_str()), hub.disconnects(*c)))
        .collect();
    let causes: Vec<_> = causes.iter().map(|(l, v)| (l.as_str(), *v)).collect();
    metric(
        &mut out,
        "wsgate_disconnects_total",
        "Ended /ws sessions, by cause.",
        "counter",
        &causes,
    );
    let errors: Vec<_> = Code::ALL
        .iter()
        .map(|c| {
            (
                label("code", c.as_str()),
                stats.errors[c.index()].load(Relaxed),
            )
        })
        .collect();
    let errors: Vec<_> = errors.iter().map(|(l, v)| (l.as_str(), *v)).collect();
    metric(
        &mut out,
        "wsgate_request_errors_total",
        "Requests on /ws answered with an error, by code.",
        "counter",
        &errors,
    );
    metric(
        &mut out,
        "wsgate_sessions",
        "WebSocket sessions open on /ws.",
        "gauge",
        &[("", gauges.sessions as u64)],
    );
    metric(
        &mut out,
        "wsgate_channels",
        "Channels with at least one subscriber.",
        "gauge",
        &[("", gauges.topics as u64)],
    );
    out
}

/// One metric family: HELP, TYPE, then a sample per label set.
fn metric(out: &mut String, name: &str, help: &str, kind: &str, samples: &[(&str, u64)]) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
    for (labels, value) in samples {
        let _ = writeln!(out, "{name}{labels} {value}");
    }
}

/// `{key="value"}` (values here are fixed identifiers; nothing needs escaping).
fn label(key: &str, value: &str) -> String {
    format!("{{{key}=\"{value}\"}}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_with_labels() {
        let stats = Stats::default();
        stats.error(Code::BadJson);
        stats.error(Code::BadJson);
        let gauges = Gauges {
            sessions: 3,
            topics: 1,
        };
        let text = render(&MetricsSnapshot::default(), gauges, &stats);
        assert!(
            text.contains("# TYPE wsgate_connections_total counter\nwsgate_connections_total 0\n")
        );
        assert!(text.contains("wsgate_handshake_rejections_total{reason=\"origin\"} 0\n"));
        assert!(text.contains("wsgate_request_errors_total{code=\"bad_json\"} 2\n"));
        assert!(text.contains("wsgate_disconnects_total{cause=\"slow_consumer\"} 0\n"));
        assert!(text.contains("wsgate_sessions 3\n"));
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let (name, value) = line.rsplit_once(' ').unwrap_or_default();
            assert!(
                name.starts_with("wsgate_") && value.parse::<u64>().is_ok(),
                "{line}"
            );
        }
    }
}
