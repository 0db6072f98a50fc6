//! The result of a run: an aligned table for people, one JSON object for scripts.

use std::collections::BTreeMap;
use std::time::Duration;

use super::histogram::Histogram;
use super::usage::Usage;

/// What a scenario measured.
#[derive(Debug, Default)]
pub(crate) struct Report {
    /// `echo`, `connect`, `idle` or `fanout`.
    pub(crate) scenario: &'static str,
    /// The URL.
    pub(crate) target: String,
    /// The settings, in display order.
    pub(crate) params: Vec<(&'static str, String)>,
    /// What `count` counts: "messages", "connections" or "deliveries".
    pub(crate) unit: &'static str,
    /// Length of the measured window.
    pub(crate) seconds: f64,
    /// Operations completed and verified in the window.
    pub(crate) count: u64,
    /// How many `count` should have been, when the run knows (`fanout`).
    pub(crate) expected: Option<u64>,
    /// Payload bytes echoed in the window (one direction).
    pub(crate) bytes: u64,
    /// Round trip (echo), handshake (connect, idle) or publish-to-receive (fanout)
    /// latencies.
    pub(crate) latency: Histogram,
    /// How long named phases of the run took, in order (`fanout`: the setup before the
    /// window, the publishing inside it).
    pub(crate) phases: Vec<(&'static str, Duration)>,
    /// Failures by kind; none of them is in `count`.
    pub(crate) errors: BTreeMap<&'static str, u64>,
    /// What the first failure was, when a scenario keeps it.
    pub(crate) first_error: Option<String>,
    /// This process's CPU time (and wait for a CPU) during the window.
    pub(crate) client: Usage,
    /// The same for the server (`--server-pid`).
    pub(crate) server: Usage,
    /// The server's VmRSS before the connections and with them open (`idle`, `fanout`).
    pub(crate) server_rss: Option<Rss>,
}

/// The server's resident memory without and with the run's connections.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rss {
    /// VmRSS before the first connection, in KiB.
    pub(crate) before_kib: u64,
    /// VmRSS with them all open (after a settle), in KiB.
    pub(crate) after_kib: u64,
    /// The connections open at the second reading.
    pub(crate) connections: u64,
    /// What one of them is, for the table: "connection", "subscribed session".
    pub(crate) what: &'static str,
}

impl Rss {
    /// (after − before) / connections, in bytes.
    pub(crate) fn bytes_per_connection(&self) -> Option<i64> {
        let n = i64::try_from(self.connections).ok().filter(|&n| n > 0)?;
        Some((self.after_kib as i64 - self.before_kib as i64) * 1024 / n)
    }
}

impl Report {
    /// Adds `n` errors of `kind`.
    pub(crate) fn error(&mut self, kind: &'static str, n: u64) {
        if n > 0 {
            *self.errors.entry(kind).or_default() += n;
        }
    }

    /// All errors.
    pub(crate) fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }

    fn rate(&self) -> f64 {
        if self.seconds > 0.0 {
            self.count as f64 / self.seconds
        } else {
            0.0
        }
    }

    fn mb_per_s(&self) -> f64 {
        if self.seconds > 0.0 {
            self.bytes as f64 / self.seconds / 1e6
        } else {
            0.0
        }
    }

    fn per_op_us(&self, cpu: Option<Duration>) -> Option<f64> {
        let cpu = cpu?;
        (self.count > 0).then(|| cpu.as_secs_f64() * 1e6 / self.count as f64)
    }

    /// `d` as a share of the window (1.0 = all of it).
    fn share(&self, d: Option<Duration>) -> Option<f64> {
        let d = d?;
        (self.seconds > 0.0).then(|| d.as_secs_f64() / self.seconds)
    }

    fn rss_per_conn(&self) -> Option<i64> {
        self.server_rss?.bytes_per_connection()
    }

    /// The aligned, human-readable table.
    pub(crate) fn table(&self) -> String {
        let mut rows: Vec<(String, String)> = vec![
            (
                "scenario".into(),
                format!("{} {}", self.scenario, self.target),
            ),
            ("settings".into(), self.settings()),
            ("window".into(), format!("{:.2} s", self.seconds)),
            (self.unit.into(), self.count_line()),
            (
                format!("{}/s", self.unit),
                thousands(self.rate().round() as u64),
            ),
        ];
        if self.bytes > 0 {
            rows.push((
                "MB/s".into(),
                format!("{:.1} (payload, each way)", self.mb_per_s()),
            ));
        }
        let l = &self.latency;
        if l.len() > 0 {
            rows.push((
                "latency".into(),
                format!(
                    "p50 {}  p90 {}  p99 {}  max {}",
                    human(l.quantile(0.50)),
                    human(l.quantile(0.90)),
                    human(l.quantile(0.99)),
                    human(l.max()),
                ),
            ));
        }
        for (phase, took) in &self.phases {
            rows.push(((*phase).into(), format!("{:.2} s", took.as_secs_f64())));
        }
        rows.push(("errors".into(), self.errors_line()));
        if let Some(first) = &self.first_error {
            rows.push(("first error".into(), first.clone()));
        }
        for (who, usage) in [("client CPU", self.client), ("server CPU", self.server)] {
            if let Some(line) = self.usage_line(usage) {
                rows.push((who.into(), line));
            }
        }
        if let (Some(rss), Some(per)) = (self.server_rss, self.rss_per_conn()) {
            let line = format!(
                "{} KiB -> {} KiB ({per} bytes per {})",
                rss.before_kib, rss.after_kib, rss.what
            );
            rows.push(("server RSS".into(), line));
        }
        let width = rows
            .iter()
            .map(|(k, _)| k.chars().count())
            .max()
            .unwrap_or(0);
        rows.iter()
            .map(|(k, v)| format!("{k:<width$}  {v}\n"))
            .collect()
    }

    /// One JSON object (latencies in microseconds).
    pub(crate) fn json(&self) -> serde_json::Value {
        let us = |d: Duration| (d.as_nanos() as f64 / 1000.0 * 10.0).round() / 10.0;
        let l = &self.latency;
        let params: serde_json::Map<String, serde_json::Value> = self
            .params
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone().into()))
            .collect();
        let phases: serde_json::Map<String, serde_json::Value> = self
            .phases
            .iter()
            .map(|(k, d)| ((*k).to_owned(), d.as_secs_f64().into()))
            .collect();
        let secs = |d: Option<Duration>| d.map(|d| d.as_secs_f64());
        serde_json::json!({
            "scenario": self.scenario,
            "target": self.target,
            "params": params,
            "unit": self.unit,
            "seconds": self.seconds,
            "count": self.count,
            "expected": self.expected,
            "rate": self.rate(),
            "mb_per_s": self.mb_per_s(),
            "latency_us": {
                "samples": l.len(),
                "p50": us(l.quantile(0.50)),
                "p90": us(l.quantile(0.90)),
                "p99": us(l.quantile(0.99)),
                "max": us(l.max()),
            },
            "phases_s": phases,
            "errors": self.error_count(),
            "error_kinds": self.errors,
            "first_error": self.first_error,
            "client_cpu_s": secs(self.client.cpu),
            "client_cpu_us_per_op": self.per_op_us(self.client.cpu),
            "client_cpu_share": self.share(self.client.cpu),
            "client_wait_share": self.share(self.client.waited),
            "server_cpu_s": secs(self.server.cpu),
            "server_cpu_us_per_op": self.per_op_us(self.server.cpu),
            "server_cpu_share": self.share(self.server.cpu),
            "server_wait_share": self.share(self.server.waited),
            "server_rss_before_kib": self.server_rss.map(|r| r.before_kib),
            "server_rss_after_kib": self.server_rss.map(|r| r.after_kib),
            "server_rss_bytes_per_conn": self.rss_per_conn(),
        })
    }

    fn settings(&self) -> String {
        let parts: Vec<String> = self
            .params
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        parts.join(" ")
    }

    fn count_line(&self) -> String {
        match self.expected {
            Some(expected) => format!(
                "{} (of {} expected)",
                thousands(self.count),
                thousands(expected)
            ),
            None => thousands(self.count),
        }
    }

    /// "0.52 s (1.30 µs per delivery; on a CPU 24% and waiting for one 51% of the
    /// window)", when the CPU time is known.
    fn usage_line(&self, usage: Usage) -> Option<String> {
        let cpu = usage.cpu?;
        let per = self.per_op_us(Some(cpu))?;
        let mut line = format!(
            "{:.2} s ({per:.2} µs per {}",
            cpu.as_secs_f64(),
            singular(self.unit)
        );
        if let (Some(on), Some(waiting)) = (self.share(Some(cpu)), self.share(usage.waited)) {
            let (on, waiting) = (on * 100.0, waiting * 100.0);
            line += &format!("; on a CPU {on:.0}% and waiting for one {waiting:.0}% of the window");
        }
        line.push(')');
        Some(line)
    }

    fn errors_line(&self) -> String {
        if self.errors.is_empty() {
            return "0".into();
        }
        let kinds: Vec<String> = self
            .errors
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        format!("{} ({})", thousands(self.error_count()), kinds.join(", "))
    }
}

/// 1234567 → "1,234,567".
pub(crate) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// "deliveries" → "delivery", "messages" → "message".
fn singular(unit: &str) -> String {
    match unit.strip_suffix("ies") {
        Some(stem) => format!("{stem}y"),
        None => unit.trim_end_matches('s').to_owned(),
    }
}

/// A duration with a unit that keeps three significant digits.
pub(crate) fn human(d: Duration) -> String {
    let ns = d.as_nanos() as f64;
    if ns < 1e3 {
        format!("{ns:.0} ns")
    } else if ns < 1e6 {
        format!("{:.1} µs", ns / 1e3)
    } else if ns < 1e9 {
        format!("{:.2} ms", ns / 1e6)
    } else {
        format!("{:.2} s", ns / 1e9)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_numbers_and_durations() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(thousands(100), "100");
        assert_eq!(human(Duration::from_micros(1500)), "1.50 ms");
        assert_eq!(human(Duration::from_nanos(900)), "900 ns");
        assert_eq!(singular("deliveries"), "delivery");
        assert_eq!(singular("messages"), "message");
    }

    #[test]
    fn table_is_aligned_and_counts_errors() {
        let mut r = Report {
            scenario: "echo",
            unit: "messages",
            seconds: 2.0,
            count: 10,
            bytes: 320,
            ..Report::default()
        };
        r.error("corrupt", 2);
        r.error("lost", 0);
        let table = r.table();
        assert!(table.contains("messages/s  5\n"), "{table}");
        assert!(table.contains("errors      2 (corrupt 2)\n"), "{table}");
        assert_eq!(r.json()["errors"], 2);
    }

    #[test]
    fn fanout_rows_show_expected_shares_and_memory_per_session() {
        let mut r = Report {
            scenario: "fanout",
            unit: "deliveries",
            seconds: 2.0,
            count: 1000,
            expected: Some(1000),
            phases: vec![("setup", Duration::from_millis(1500))],
            client: Usage {
                cpu: Some(Duration::from_millis(500)),
                waited: Some(Duration::from_millis(1000)),
            },
            server_rss: Some(Rss {
                before_kib: 1000,
                after_kib: 1010,
                connections: 5,
                what: "subscribed session",
            }),
            ..Report::default()
        };
        r.latency.record(Duration::from_millis(3));
        let table = r.table();
        for row in [
            "deliveries    1,000 (of 1,000 expected)\n",
            "setup         1.50 s\n",
            "500.00 µs per delivery; on a CPU 25% and waiting for one 50% of the window)",
            "1000 KiB -> 1010 KiB (2048 bytes per subscribed session)",
        ] {
            assert!(table.contains(row), "{row:?} in\n{table}");
        }
        let json = r.json();
        assert_eq!(json["expected"], 1000);
        assert_eq!(json["phases_s"]["setup"], 1.5);
        assert_eq!(json["client_wait_share"], 0.5);
        assert_eq!(json["server_rss_bytes_per_conn"], 2048);
        assert!(json["server_cpu_share"].is_null());
    }
}
