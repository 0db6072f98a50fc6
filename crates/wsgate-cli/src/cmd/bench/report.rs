//! The result of a run: an aligned table for people, one JSON object for scripts.

use std::collections::BTreeMap;
use std::time::Duration;

use super::histogram::Histogram;

/// What a scenario measured.
#[derive(Debug, Default)]
pub(crate) struct Report {
    /// `echo`, `connect` or `idle`.
    pub(crate) scenario: &'static str,
    /// The URL.
    pub(crate) target: String,
    /// The settings, in display order.
    pub(crate) params: Vec<(&'static str, String)>,
    /// What `count` counts: "messages" or "connections".
    pub(crate) unit: &'static str,
    /// Length of the measured window.
    pub(crate) seconds: f64,
    /// Operations completed and verified in the window.
    pub(crate) count: u64,
    /// Payload bytes echoed in the window (one direction).
    pub(crate) bytes: u64,
    /// Round trip (echo) or handshake (connect, idle) latencies.
    pub(crate) latency: Histogram,
    /// Failures by kind; none of them is in `count`.
    pub(crate) errors: BTreeMap<&'static str, u64>,
    /// CPU time of this process during the window.
    pub(crate) client_cpu: Option<Duration>,
    /// CPU time of the server (`--server-pid`) during the window.
    pub(crate) server_cpu: Option<Duration>,
    /// Server VmRSS in KiB before the connections and with them open (`idle`).
    pub(crate) server_rss_kib: Option<(u64, u64)>,
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

    fn rss_per_conn(&self) -> Option<i64> {
        let (before, after) = self.server_rss_kib?;
        let n = i64::try_from(self.count).ok().filter(|&n| n > 0)?;
        Some((after as i64 - before as i64) * 1024 / n)
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
            (self.unit.into(), thousands(self.count)),
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
        rows.push(("errors".into(), self.errors_line()));
        for (who, cpu) in [
            ("client CPU", self.client_cpu),
            ("server CPU", self.server_cpu),
        ] {
            if let (Some(cpu), Some(per)) = (cpu, self.per_op_us(cpu)) {
                let unit = self.unit.trim_end_matches('s');
                let line = format!("{:.2} s ({per:.2} µs per {unit})", cpu.as_secs_f64());
                rows.push((who.into(), line));
            }
        }
        if let (Some((before, after)), Some(per)) = (self.server_rss_kib, self.rss_per_conn()) {
            let line = format!("{before} KiB -> {after} KiB ({per} bytes per connection)");
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
        serde_json::json!({
            "scenario": self.scenario,
            "target": self.target,
            "params": params,
            "unit": self.unit,
            "seconds": self.seconds,
            "count": self.count,
            "rate": self.rate(),
            "mb_per_s": self.mb_per_s(),
            "latency_us": {
                "samples": l.len(),
                "p50": us(l.quantile(0.50)),
                "p90": us(l.quantile(0.90)),
                "p99": us(l.quantile(0.99)),
                "max": us(l.max()),
            },
            "errors": self.error_count(),
            "error_kinds": self.errors,
            "client_cpu_s": self.client_cpu.map(|d| d.as_secs_f64()),
            "client_cpu_us_per_op": self.per_op_us(self.client_cpu),
            "server_cpu_s": self.server_cpu.map(|d| d.as_secs_f64()),
            "server_cpu_us_per_op": self.per_op_us(self.server_cpu),
            "server_rss_before_kib": self.server_rss_kib.map(|r| r.0),
            "server_rss_after_kib": self.server_rss_kib.map(|r| r.1),
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
}
