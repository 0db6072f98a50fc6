//! CPU time, time spent waiting for a CPU, and resident memory of a process, from
//! Linux's /proc (elsewhere: unknown).

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

    /// Time its live threads have spent runnable but waiting for a CPU (other processes
    /// had it): the second field of `/proc/PID/task/TID/schedstat`, summed. Threads that
    /// have exited are not counted.
    pub(crate) fn run_delay(self) -> Option<Duration> {
        let mut total = 0;
        for task in std::fs::read_dir(format!("{}/task", self.dir()))
            .ok()?
            .flatten()
        {
            let Ok(stat) = std::fs::read_to_string(task.path().join("schedstat")) else {
                continue; // The thread has just exited.
            };
            total += stat.split_whitespace().nth(1)?.parse::<u64>().ok()?;
        }
        Some(Duration::from_nanos(total))
    }

    /// Resident set size in KiB (VmRSS).
    pub(crate) fn rss_kib(self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("{}/status", self.dir())).ok()?;
        let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }
}

/// CPU time spent by `proc` between two samples, and time it waited for a CPU.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CpuMeter {
    proc: Proc,
    start: Option<Duration>,
    waited: Option<Duration>,
}

impl CpuMeter {
    /// Starts measuring.
    pub(crate) fn start(proc: Proc) -> Self {
        Self {
            proc,
            start: proc.cpu(),
            waited: proc.run_delay(),
        }
    }

    /// CPU time since `start`, if both samples could be read.
    pub(crate) fn elapsed(&self) -> Option<Duration> {
        Some(self.proc.cpu()?.saturating_sub(self.start?))
    }

    /// Time spent waiting for a CPU since `start` (see [`Proc::run_delay`]).
    pub(crate) fn waited(&self) -> Option<Duration> {
        Some(self.proc.run_delay()?.saturating_sub(self.waited?))
    }

    /// [`elapsed`](Self::elapsed) and [`waited`](Self::waited), read now.
    pub(crate) fn usage(&self) -> Usage {
        Usage {
            cpu: self.elapsed(),
            waited: self.waited(),
        }
    }
}

/// What a [`CpuMeter`] measured: CPU time, and time runnable but waiting for a CPU.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Usage {
    /// User plus system CPU time.
    pub(crate) cpu: Option<Duration>,
    /// Time its threads waited for a CPU that other processes had.
    pub(crate) waited: Option<Duration>,
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
            assert!(Proc::Own.run_delay().is_some());
        }
    }
}
