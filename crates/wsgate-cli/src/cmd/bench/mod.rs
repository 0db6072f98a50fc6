//! `wsgate bench`: load scenarios against a WebSocket echo server, and a fan-out load
//! against a publish/subscribe server.
//!
//! ```text
//!   args ─► Target::resolve ─► open_all (256 handshakes at a time, 127.0.0.K+ sources)
//!        ─► echo::run | connects::run | idle::hold ─► Report ─► table or --json
//!   args ─► Server::endpoint ─► Target::resolve ─► fanout::run ─► Report ─► …
//!            (join_all: connect + join; publisher::run ─► server ─► N × receive)
//!                 │ Progress (atomics) ─► a line on stderr each second (terminals only)
//!                 │ CpuMeter (/proc: CPU time, schedstat wait, VmRSS) ─► Report
//! ```
//!
//! - `echo`: pipelined messages (`-c` connections × `-d` in flight, `-s` bytes); every
//!   echo is checked (sequence and bytes) before it counts; messages/s, MB/s, latency.
//! - `connect`: handshakes per second (connect, upgrade, close 1000, again).
//! - `idle`: open and hold N connections; with `--server-pid`, the server's RSS per idle
//!   connection.
//! - `fanout`: N subscribers on one topic of `wsgate serve`, a Node `ws` relay or
//!   socket.io, one publisher at a fixed rate; every delivery is checked; deliveries/s,
//!   publish-to-receive latency, and with `--server-pid` the server's RSS per subscribed
//!   session.
//!
//! With `--server-pid` the server's CPU time over the window comes from /proc, and so
//! does the bench's own: CPU per message on both sides, and the share of the window each
//! ran and waited for a CPU. Exit status 0 when nothing went wrong, 8 when the run
//! finished with errors (dropped, corrupted, lost, missing or duplicated messages,
//! failed connections, refused publishes): they are listed and never counted as
//! throughput.

mod conn;
mod connects;
mod echo;
mod fanout;
mod histogram;
mod idle;
mod progress;
mod report;
mod usage;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::Instant;
use wsgate::{Message, WebSocket};

use conn::Target;
use histogram::Histogram;
use progress::Progress;
use report::Report;
use usage::{CpuMeter, Proc, Usage};

/// Arguments of `wsgate bench`.
#[derive(Debug, clap::Args)]
#[command(after_help = EXIT_STATUS_HELP)]
pub(crate) struct Args {
    #[command(subcommand)]
    scenario: Scenario,
}

#[derive(Debug, clap::Subcommand)]
enum Scenario {
    /// Pipelined echo load: messages/s, MB/s and round-trip latency, every echo checked.
    Echo(EchoArgs),
    /// Handshakes per second: connect, upgrade, close with 1000, repeat.
    Connect(ConnectArgs),
    /// Open N connections and hold them idle (server RSS per connection with --server-pid).
    Idle(IdleArgs),
    /// N subscribers on one topic, one publisher at a fixed rate: deliveries/s and
    /// publish-to-receive latency, every delivery checked.
    ///
    /// Against `wsgate serve` (--target wsgate), a Node `ws` relay (ws) or socket.io v4
    /// (socketio, spoken as Engine.IO v4 over a plain WebSocket); the peers are in
    /// bench/fanout/. A URL without a path gets the target's usual one: /ws for wsgate,
    /// / for ws, /socket.io/ for socketio, which also gets the query
    /// EIO=4&transport=websocket unless the URL has an EIO= already.
    ///
    /// Every payload starts with the marker #SEQ:SENT_US#; each subscriber checks that
    /// every number arrives exactly once. Missing, duplicated and unexpected messages,
    /// connections that end early and refused publishes are errors, never deliveries.
    /// deliveries/s = deliveries / (last delivery - first publish); the setup (connect,
    /// join, --settle) is outside that window. With --server-pid: the server's CPU per
    /// delivery and, read after --settle, its RSS per subscribed session. The CPU rows
    /// give the share of the window each process ran and waited for a CPU (schedstat).
    /// The runtime has a worker per CPU this process may use (TOKIO_WORKER_THREADS
    /// overrides).
    ///
    /// Example, against `wsgate serve --publish-rate 1000000 --ticker-ms 0` (its default
    /// limit, 50 publishes/s per connection, would refuse most publishes):
    /// wsgate bench fanout ws://127.0.0.1:8080 --target wsgate -n 1000 -m 200 -r 500
    Fanout(fanout::Args),
}

/// Settings every scenario has.
#[derive(Debug, clap::Args)]
pub(crate) struct Common {
    /// The server's ws:// URL.
    url: String,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    json: bool,
    /// The server's process id: report its CPU time (and for idle and fanout its RSS)
    /// from /proc.
    #[arg(long, value_name = "PID")]
    server_pid: Option<u32>,
    /// Offer permessage-deflate.
    #[arg(long)]
    compress: bool,
    /// Connections per source address 127.0.0.K, 127.0.0.K+1, … (IPv4 loopback targets;
    /// 0 lets the kernel choose the address).
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    per_source: usize,
    /// The first source address 127.0.0.K. Back-to-back runs should move it on: binding
    /// an address whose ports still hold the last run's TIME_WAIT sockets is slow.
    #[arg(long, value_name = "K", default_value_t = 2, value_parser = clap::value_parser!(u8).range(1..=254))]
    first_source: u8,
}

impl Common {
    /// The source host byte for connection `i` (`None`: the kernel chooses).
    ///
    /// # Errors
    /// When the addresses up to 127.0.0.254 do not suffice.
    fn source(&self, i: usize) -> anyhow::Result<Option<u8>> {
        match self.per_source {
            0 => Ok(None),
            per => conn::source_for(i, per, self.first_source).map(Some),
        }
    }
}

#[derive(Debug, clap::Args)]
#[command(after_help = EXIT_STATUS_HELP)]
struct EchoArgs {
    #[command(flatten)]
    common: Common,
    /// Connections.
    #[arg(short = 'c', long, default_value_t = 64)]
    connections: usize,
    /// Message size: bytes, or with a suffix k/KiB, m/MiB (at least 16).
    #[arg(short = 's', long, default_value = "32", value_parser = parse_size)]
    size: usize,
    /// Messages in flight per connection.
    #[arg(short = 'd', long, default_value_t = 16)]
    depth: usize,
    /// Seconds measured (after the warm-up).
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Seconds of load before measuring.
    #[arg(long, default_value_t = 1.0)]
    warmup: f64,
    /// Send text messages (ASCII) instead of binary.
    #[arg(short = 't', long)]
    text: bool,
}

#[derive(Debug, clap::Args)]
#[command(after_help = EXIT_STATUS_HELP)]
struct ConnectArgs {
    #[command(flatten)]
    common: Common,
    /// Handshakes in flight at once.
    #[arg(short = 'c', long, default_value_t = 16)]
    concurrency: usize,
    /// Seconds measured (after the warm-up).
    #[arg(long, default_value_t = 5.0)]
    duration: f64,
    /// Seconds of load before measuring.
    #[arg(long, default_value_t = 1.0)]
    warmup: f64,
}

#[derive(Debug, clap::Args)]
#[command(after_help = EXIT_STATUS_HELP)]
struct IdleArgs {
    #[command(flatten)]
    common: Common,
    /// Connections to open and hold (one process may hold at most about 19.9k here).
    #[arg(short = 'n', long, default_value_t = 1000)]
    connections: usize,
    /// Seconds to wait after the last connection before reading the server's RSS.
    #[arg(long, default_value_t = 2.0)]
    settle: f64,
    /// Seconds to hold the connections after that, before closing them.
    #[arg(long, default_value_t = 0.0)]
    hold: f64,
}

const EXIT_STATUS_HELP: &str = "\
Exit status:
  0  the run finished without errors
  1  the run could not start (bad arguments, no connection could be opened)
  8  the run finished with errors (listed in the report; never counted as throughput)";

/// Runs the chosen scenario and prints its report.
pub(crate) async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let (report, json) = match args.scenario {
        Scenario::Echo(a) => (run_echo(&a).await?, a.common.json),
        Scenario::Connect(a) => (run_connect(&a).await?, a.common.json),
        Scenario::Idle(a) => (run_idle(&a).await?, a.common.json),
        Scenario::Fanout(a) => (fanout::run(&a).await?, a.common.json),
    };
    if json {
        println!("{}", report.json());
    } else {
        print!("{}", report.table());
    }
    Ok(if report.error_count() > 0 {
        ExitCode::from(EXIT_ERRORS)
    } else {
        ExitCode::SUCCESS
    })
}

async fn run_echo(a: &EchoArgs) -> anyhow::Result<Report> {
    if a.size < echo::MIN_SIZE {
        bail!("--size must be at least {} bytes", echo::MIN_SIZE);
    }
    let target = Target::resolve(&a.common.url, a.common.compress).await?;
    let mut report = new_report("echo", "messages", &a.common, &target);
    report.params.extend([
        ("connections", a.connections.to_string()),
        ("depth", a.depth.to_string()),
        ("size", a.size.to_string()),
        ("kind", if a.text { "text" } else { "binary" }.to_owned()),
    ]);
    let progress = Progress::new("messages");
    let (conns, _) = open_all(&target, a.connections, &a.common, &progress, &mut report).await?;
    let plan = Arc::new(echo::Plan::new(a.size, a.depth, a.text));
    let window = Window::after(secs(a.warmup)?, secs(a.duration)?);
    let meters = Meters::at(window, a.common.server_pid, &progress);
    echo::run(conns, plan, window, Arc::clone(&progress), &mut report).await;
    meters.finish(&mut report).await;
    Ok(report)
}

async fn run_connect(a: &ConnectArgs) -> anyhow::Result<Report> {
    let target = Arc::new(Target::resolve(&a.common.url, a.common.compress).await?);
    let mut report = new_report("connect", "connections", &a.common, &target);
    report
        .params
        .push(("concurrency", a.concurrency.to_string()));
    let progress = Progress::new("handshakes");
    let window = Window::after(secs(a.warmup)?, secs(a.duration)?);
    let meters = Meters::at(window, a.common.server_pid, &progress);
    connects::run(target, a.concurrency, window, progress, &mut report).await;
    meters.finish(&mut report).await;
    if report.count == 0 {
        bail!("no handshake completed: {}", report.table());
    }
    Ok(report)
}

async fn run_idle(a: &IdleArgs) -> anyhow::Result<Report> {
    let target = Target::resolve(&a.common.url, a.common.compress).await?;
    let mut report = new_report("idle", "connections", &a.common, &target);
    report
        .params
        .push(("connections", a.connections.to_string()));
    let server = a.common.server_pid.map(Proc::Pid);
    let rss_before = server.and_then(Proc::rss_kib);
    let progress = Progress::new("connections");
    let client = CpuMeter::start(Proc::Own);
    let server_cpu = server.map(CpuMeter::start);
    let start = Instant::now();
    let (conns, latency) =
        open_all(&target, a.connections, &a.common, &progress, &mut report).await?;
    report.latency = latency;
    report.seconds = start.elapsed().as_secs_f64();
    report.count = conns.len() as u64;
    report.client = client.usage();
    report.server = server_cpu.map(|m| m.usage()).unwrap_or_default();
    progress.stop();
    let (settle, hold) = (secs(a.settle)?, secs(a.hold)?);
    idle::hold(conns, settle, hold, server, rss_before, &mut report).await;
    Ok(report)
}

fn new_report(
    scenario: &'static str,
    unit: &'static str,
    common: &Common,
    target: &Target,
) -> Report {
    let mut params = Vec::new();
    if common.compress {
        params.push(("compress", "offered".to_owned()));
    }
    Report {
        scenario,
        unit,
        target: target.url.clone(),
        params,
        ..Report::default()
    }
}

/// Opens `n` connections, [`OPENING`] at a time, each checked with one echo; returns
/// them and how long each took. Failures are counted as errors; fails only when none
/// opens.
async fn open_all(
    target: &Target,
    n: usize,
    common: &Common,
    progress: &Arc<Progress>,
    report: &mut Report,
) -> anyhow::Result<(Vec<WebSocket<TcpStream>>, Histogram)> {
    if n == 0 {
        bail!("at least one connection is needed");
    }
    let target = Arc::new(target.clone());
    let opening = Arc::new(Semaphore::new(OPENING));
    let mut tasks = JoinSet::new();
    for i in 0..n {
        let source = common.source(i)?;
        let (target, opening, progress) = (target.clone(), opening.clone(), progress.clone());
        tasks.spawn(async move {
            let _permit = opening.acquire().await;
            let start = Instant::now();
            let opened = open_checked(&target, source).await;
            match &opened {
                Ok(_) => progress.add(1, 0),
                Err(_) => progress.add(0, 1),
            }
            opened.map(|ws| (ws, start.elapsed()))
        });
    }
    let mut conns = Vec::with_capacity(n);
    let mut first_error = None;
    let mut latency = Histogram::default();
    while let Some(done) = tasks.join_next().await {
        match done {
            Ok(Ok((ws, took))) => {
                latency.record(took);
                conns.push(ws);
            }
            Ok(Err(err)) => {
                report.error("connect failed", 1);
                first_error.get_or_insert(err);
            }
            Err(_) => report.error("task failed", 1),
        }
    }
    if let Some(err) = first_error {
        if conns.is_empty() {
            return Err(err.context(format!("cannot connect to {}", target.url)));
        }
        eprintln!(
            "wsgate: {} connections failed; the first: {err:#}",
            n - conns.len()
        );
    }
    Ok((conns, latency))
}

/// Opens one connection and checks it with one echo round trip.
async fn open_checked(target: &Target, source: Option<u8>) -> anyhow::Result<WebSocket<TcpStream>> {
    let mut ws = target.open(source, OPEN_TIMEOUT).await?;
    ws.send(Message::text(HELLO)).await?;
    let reply = tokio::time::timeout(OPEN_TIMEOUT, ws.recv())
        .await
        .context("no echo in time")?;
    match reply {
        Some(Ok(Message::Text(t))) if t.as_str() == HELLO => Ok(ws),
        Some(Ok(other)) => bail!("the first echo was not the message sent: {other:?}"),
        Some(Err(err)) => Err(err).context("first echo"),
        None => bail!("closed before the first echo"),
    }
}

/// The measured part of a run: from the end of the warm-up to the end.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Window {
    /// Start of measuring.
    pub(crate) start: Instant,
    /// End of measuring (and of sending).
    pub(crate) end: Instant,
}

impl Window {
    fn after(warmup: Duration, duration: Duration) -> Self {
        let start = Instant::now() + warmup;
        Self {
            start,
            end: start + duration,
        }
    }

    /// Whether `t` is inside the window.
    pub(crate) fn contains(&self, t: Instant) -> bool {
        t >= self.start && t < self.end
    }
}

/// CPU meters started at the window's start; finished at its end.
struct Meters {
    task: tokio::task::JoinHandle<(Usage, Usage, f64)>,
}

impl Meters {
    /// Samples own and server CPU at `window.start` and `window.end` in a side task.
    fn at(window: Window, server_pid: Option<u32>, progress: &Arc<Progress>) -> Self {
        let progress = Arc::clone(progress);
        let task = tokio::spawn(async move {
            tokio::time::sleep_until(window.start).await;
            progress.start();
            let client = CpuMeter::start(Proc::Own);
            let server = server_pid.map(|pid| CpuMeter::start(Proc::Pid(pid)));
            let began = Instant::now();
            tokio::time::sleep_until(window.end).await;
            let seconds = began.elapsed().as_secs_f64();
            progress.stop();
            let server = server.map(|m| m.usage()).unwrap_or_default();
            (client.usage(), server, seconds)
        });
        Self { task }
    }

    async fn finish(self, report: &mut Report) {
        if let Ok((client, server, seconds)) = self.task.await {
            report.client = client;
            report.server = server;
            report.seconds = seconds;
        }
    }
}

/// A non-negative, finite number of seconds.
fn secs(s: f64) -> anyhow::Result<Duration> {
    Duration::try_from_secs_f64(s).with_context(|| format!("{s} is not a number of seconds"))
}

/// "4KiB" → 4096; plain numbers are bytes.
fn parse_size(s: &str) -> Result<usize, String> {
    let lower = s.trim().to_ascii_lowercase();
    let digits = lower.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let unit = match &lower[digits.len()..] {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        other => return Err(format!("unknown size unit {other:?} (use k or m)")),
    };
    let n: usize = digits
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a size"))?;
    n.checked_mul(unit)
        .ok_or_else(|| format!("{s} is too large"))
}

/// Connection handshakes in flight at once while opening.
const OPENING: usize = 256;
/// Connecting, the handshake and the first echo each get this long.
pub(crate) const OPEN_TIMEOUT: Duration = Duration::from_secs(10);
const EXIT_ERRORS: u8 = 8;
const HELLO: &str = "wsgate bench hello";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_take_binary_suffixes() {
        assert_eq!(parse_size("32"), Ok(32));
        assert_eq!(parse_size("4KiB"), Ok(4096));
        assert_eq!(parse_size("1m"), Ok(1 << 20));
        assert!(parse_size("1g").is_err());
        assert!(parse_size("x").is_err());
    }
}
