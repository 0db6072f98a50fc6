//! The `fanout` scenario: N subscribers on one topic, one publisher at a fixed rate;
//! deliveries per second, publish-to-receive latency, CPU per delivery on both sides,
//! and with `--server-pid` the server's memory per subscribed session.
//!
//! ```text
//!   setup (outside the window)
//!     RSS before ─► subscriber::join_all (connect + Server::join, 256 at a time)
//!                ─► --settle ─► RSS after ─► publisher::open
//!   the window (first publish ─► last delivery)
//!     publisher::run ─(payload #SEQ:SENT_US#, at --rate)─► server ─► N × subscriber::receive
//!                                                                  (Tally: each number once)
//!   Report: deliveries/s, latency, errors, CPU and wait shares, RSS per session
//! ```
//!
//! Each subscriber waits at most `--drain` after the last publish was due; whatever
//! has not arrived then is `missing`. The CPU meters (`/proc`) cover the window: from
//! the first publish to the moment the last subscriber is done. Connections stay open
//! until the end, then are dropped (no close handshakes to wait for).

mod marker;
mod publisher;
mod server;
mod subscriber;

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::conn::Target;
use super::report::{Report, Rss};
use super::usage::{CpuMeter, Proc};
use super::{Common, EXIT_STATUS_HELP, Progress, new_report, parse_size, secs};
use server::{Server, Ws};

/// Arguments of `wsgate bench fanout`.
#[derive(Debug, clap::Args)]
#[command(after_help = EXIT_STATUS_HELP)]
pub(crate) struct Args {
    #[command(flatten)]
    pub(crate) common: Common,
    /// The kind of server: how subscribers join and what a publish looks like.
    #[arg(long, value_enum, default_value_t = Server::Wsgate)]
    target: Server,
    /// Subscribers on the topic (one process may hold at most about 19.9k connections).
    #[arg(short = 'n', long, default_value_t = 1000)]
    subscribers: usize,
    /// Messages published.
    #[arg(short = 'm', long, default_value_t = 200)]
    messages: usize,
    /// Messages published per second.
    #[arg(short = 'r', long, default_value_t = 500,
          value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    rate: u64,
    /// Payload size: bytes, or with a suffix k/KiB, m/MiB (the marker `#SEQ:TIME#`,
    /// padded with `x`).
    #[arg(short = 's', long, default_value = "64", value_parser = parse_size)]
    size: usize,
    /// Seconds a subscriber waits after the last publish was due before it gives up
    /// on what is still missing.
    #[arg(long, default_value_t = 10.0)]
    drain: f64,
    /// Seconds between the last subscriber joining and the first publish (the server's
    /// RSS is read at the end of it).
    #[arg(long, default_value_t = 0.5)]
    settle: f64,
    /// The wsgate channel to subscribe and publish to [default: chat:fanoutPID].
    #[arg(long)]
    channel: Option<String>,
}

/// What the subscribers and the publisher share.
#[derive(Debug)]
pub(crate) struct Plan {
    server: Server,
    channel: String,
    messages: usize,
    size: usize,
    /// Time between two publishes.
    period: Duration,
}

/// Runs the scenario.
///
/// # Errors
/// Bad arguments, no subscriber that could join, a publisher that cannot connect.
pub(crate) async fn run(a: &Args) -> anyhow::Result<Report> {
    if a.subscribers == 0 || a.messages == 0 {
        bail!("at least one subscriber and one message are needed");
    }
    let plan = Arc::new(Plan {
        server: a.target,
        channel: a
            .channel
            .clone()
            .unwrap_or_else(|| format!("chat:fanout{}", std::process::id())),
        messages: a.messages,
        size: a.size,
        period: Duration::from_nanos(1_000_000_000 / a.rate),
    });
    let (drain, settle) = (secs(a.drain)?, secs(a.settle)?);
    let url = a.target.endpoint(&a.common.url);
    let target = Arc::new(Target::resolve(&url, a.common.compress).await?);
    let mut report = new_report("fanout", "deliveries", &a.common, &target);
    report.params.extend(params(a, &plan));
    report.expected = Some((a.subscribers * a.messages) as u64);

    let setup = Instant::now();
    let server = a.common.server_pid.map(Proc::Pid);
    let rss_before = server.and_then(Proc::rss_kib);
    let subscribers =
        subscriber::join_all(&target, &plan, a.subscribers, &a.common, &mut report).await?;
    tokio::time::sleep(settle).await;
    if let (Some(before_kib), Some(after_kib)) = (rss_before, server.and_then(Proc::rss_kib)) {
        report.server_rss = Some(Rss {
            before_kib,
            after_kib,
            connections: subscribers.len() as u64,
            what: "subscribed session",
        });
    }
    let publisher = publisher::open(&target, plan.server)
        .await
        .with_context(|| format!("the publisher cannot connect to {}", target.url))?;
    report.phases.push(("setup", setup.elapsed()));
    fan_out(subscribers, publisher, &plan, drain, server, &mut report).await;
    Ok(report)
}

/// The window: starts the subscribers' readers and the publisher, stops whoever still
/// waits `drain` after the last publish was due, and fills in the report.
async fn fan_out(
    subscribers: Vec<Ws>,
    publisher: Ws,
    plan: &Arc<Plan>,
    drain: Duration,
    server: Option<Proc>,
    report: &mut Report,
) {
    let base = Instant::now();
    let progress = Progress::new("deliveries");
    let (stop_tx, stop_rx) = watch::channel(false);
    let readers: Vec<_> = subscribers
        .into_iter()
        .map(|ws| {
            let (plan, progress) = (Arc::clone(plan), Arc::clone(&progress));
            tokio::spawn(subscriber::receive(
                ws,
                plan,
                base,
                progress,
                stop_rx.clone(),
            ))
        })
        .collect();
    let client_meter = CpuMeter::start(Proc::Own);
    let server_meter = server.map(CpuMeter::start);
    let started = base.elapsed();
    let publishing = tokio::spawn(publisher::run(publisher, Arc::clone(plan), base, stop_rx));
    let due = plan.period * u32::try_from(plan.messages).unwrap_or(u32::MAX);
    let timer = tokio::spawn(stop_after(due + drain, stop_tx.clone()));

    let (mut connections, mut last) = (Vec::with_capacity(readers.len()), Duration::ZERO);
    for reader in readers {
        match reader.await {
            Ok((received, ws)) => {
                received.add_to(report);
                last = last.max(received.last());
                connections.push(ws);
            }
            Err(_) => report.error("task failed", 1),
        }
    }
    report.client = client_meter.usage();
    report.server = server_meter.map(|m| m.usage()).unwrap_or_default();
    progress.stop();
    timer.abort();
    match finish(publishing, &stop_tx).await {
        Some(Ok((published, ws))) => {
            published.add_to(report);
            let took = published.done.saturating_sub(started);
            report.phases.push(("publishing", took));
            connections.push(ws);
        }
        Some(Err(_)) => report.error("task failed", 1),
        None => report.error("publisher stuck", 1),
    }
    report.seconds = last.saturating_sub(started).as_secs_f64();
    drop(connections);
}

/// The publisher's result: it may still be reading its last replies, so it gets a
/// moment to finish, then is stopped, then gets another; `None` if it still hangs.
async fn finish<T>(
    mut publishing: JoinHandle<T>,
    stop: &watch::Sender<bool>,
) -> Option<Result<T, tokio::task::JoinError>> {
    if let Ok(done) = tokio::time::timeout(REPLY_GRACE, &mut publishing).await {
        return Some(done);
    }
    let _ = stop.send(true);
    let done = tokio::time::timeout(REPLY_GRACE, &mut publishing)
        .await
        .ok();
    publishing.abort();
    done
}

/// The settings shown in the report.
fn params(a: &Args, plan: &Plan) -> Vec<(&'static str, String)> {
    let workers = tokio::runtime::Handle::current().metrics().num_workers();
    let mut params = vec![
        ("target", a.target.name().to_owned()),
        ("subscribers", a.subscribers.to_string()),
        ("messages", a.messages.to_string()),
        ("rate", a.rate.to_string()),
        ("size", a.size.to_string()),
        ("workers", workers.to_string()),
    ];
    if a.target == Server::Wsgate {
        params.push(("channel", plan.channel.clone()));
    }
    params
}

/// Until `stop` is set (or its sender is gone).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stopped| *stopped).await;
}

/// Sets `stop` after `delay`.
async fn stop_after(delay: Duration, stop: watch::Sender<bool>) {
    tokio::time::sleep(delay).await;
    let _ = stop.send(true);
}

/// How long the publisher may take to finish after the last subscriber is done.
const REPLY_GRACE: Duration = Duration::from_secs(1);
