//! CPU time and resident memory of a process, from Linux's /proc (elsewhere: unknown).

use std::time::Duration;

/// A process to sample: this one, or a server by PID.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Proc {
    /// The benchmark itself.
    Own,
    /// Another process (the server under test).
    Pid(u32),
}

impl Proc {
    fn dir(self) -> String {
        match self {
            Self::Own => "/proc/self".to_owned(),
            Self::Pid(pid) => format!("/proc/{pid}"),
        }
    }

    /// User plus system CPU time of all its threads so far.
    pub(crate) fn cpu(self) -> Option<Duration> {
        let stat = std::fs::read_to_string(format!("{}/stat", self.dir())).ok()?;
        // The command name (field 2) may hold spaces; the fields after it do not.
        let after = stat.get(stat.rfind(')')? + 2..)?;
        let mut fields = after.split_whitespace();
        // Fields 3.. follow; utime and stime are fields 14 and 15.
        let utime: u64 = fields.nth(11)?.parse().ok()?;
        let stime: u64 = fields.next()?.parse().ok()?;
        Some(Duration::from_millis((utime + stime) * 1000 / CLOCK_TICKS))
    }

    /// Resident set size in KiB (VmRSS).
    pub(crate) fn rss_kib(self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("{}/status", self.dir())).ok()?;
        let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }
}

/// CPU time spent by `proc` between two samples.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CpuMeter {
    proc: Proc,
    start: Option<Duration>,
}

impl CpuMeter {
    /// Starts measuring.
    pub(crate) fn start(proc: Proc) -> Self {
        Self {
            proc,
            start: proc.cpu(),
        }
    }

    /// CPU time since `start`, if both samples could be read.
    pub(crate) fn elapsed(&self) -> Option<Duration> {
        Some(self.proc.cpu()?.saturating_sub(self.start?))
    }
}

/// USER_HZ: 100 on every Linux architecture that tokio supports.
const CLOCK_TICKS: u64 = 100;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_own_usage_on_linux() {
        if cfg!(target_os = "linux") {
            assert!(Proc::Own.cpu().is_some());
            assert!(Proc::Own.rss_kib().is_some_and(|kib| kib > 0));
        }
    }
}
