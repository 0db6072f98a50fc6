//! The subscribers: N connections that join the topic, then each reads pushes until
//! every message has arrived, its connection ends, or the run stops it. Every message
//! is checked (a [`Tally`]): only the first arrival of a published number is a
//! delivery; missing, duplicated and unexpected messages and connections that end
//! early are errors.
//!
//! ```text
//!   join_all: open (OPENING at a time, source 127.0.0.K+) ─► Server::join ─► Vec<Ws>
//!   receive:  recv ─► marker ─► Tally::check ─► latency / duplicate / unexpected
//!                └── socket.io ping "2" ─► "3"          until complete or stop
//! ```

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;
use wsgate::Message;

use super::super::conn::Target;
use super::super::report::Report;
use super::super::{Common, OPEN_TIMEOUT, OPENING, Progress};
use super::marker::{Tally, Verdict};
use super::server::{PONG, Ws};
use super::{Plan, stopped};

/// Opens `n` connections and joins each to the topic, [`OPENING`] at a time, from the
/// source addresses `common` asks for. Failures are counted as `join failed` errors
/// (the first is kept); fails only when none joins.
pub(crate) async fn join_all(
    target: &Arc<Target>,
    plan: &Arc<Plan>,
    n: usize,
    common: &Common,
    report: &mut Report,
) -> anyhow::Result<Vec<Ws>> {
    let opening = Arc::new(Semaphore::new(OPENING));
    let progress = Progress::new("subscribers");
    let mut tasks = JoinSet::new();
    for i in 0..n {
        let source = common.source(i)?;
        let (target, plan) = (Arc::clone(target), Arc::clone(plan));
        let (opening, progress) = (Arc::clone(&opening), Arc::clone(&progress));
        tasks.spawn(async move {
            let _permit = opening.acquire().await;
            let joined = tokio::time::timeout(OPEN_TIMEOUT, join(&target, &plan, source))
                .await
                .unwrap_or_else(|_| Err(anyhow::anyhow!("timed out joining")));
            progress.add(u64::from(joined.is_ok()), u64::from(joined.is_err()));
            joined
        });
    }
    let mut joined = Vec::with_capacity(n);
    while let Some(done) = tasks.join_next().await {
        match done {
            Ok(Ok(ws)) => joined.push(ws),
            Ok(Err(err)) => {
                report.error("join failed", 1);
                report.first_error.get_or_insert(format!("{err:#}"));
            }
            Err(_) => report.error("task failed", 1),
        }
    }
    progress.stop();
    if joined.is_empty() {
        let why = report.first_error.take().unwrap_or_default();
        bail!("no subscriber could join at {}: {why}", target.url);
    }
    Ok(joined)
}

/// What one subscriber received.
#[derive(Debug)]
pub(crate) struct Received {
    tally: Tally,
    /// Whether its connection ended before every message arrived.
    closed: bool,
    first_error: Option<String>,
}

impl Received {
    /// Time of its last delivery since the base instant.
    pub(crate) fn last(&self) -> Duration {
        self.tally.last
    }

    /// Adds its deliveries (to the count and the latencies) and its errors to `report`.
    pub(crate) fn add_to(&self, report: &mut Report) {
        for &us in &self.tally.latencies {
            report.latency.record(Duration::from_micros(u64::from(us)));
        }
        report.count += self.tally.latencies.len() as u64;
        report.error("missing", self.tally.missing());
        report.error("duplicate", self.tally.duplicates);
        report.error("unexpected", self.tally.unexpected);
        report.error("closed early", u64::from(self.closed));
        if let Some(first) = &self.first_error {
            report.first_error.get_or_insert_with(|| first.clone());
        }
    }

    fn closed(&mut self, why: String) {
        self.closed = true;
        self.first_error.get_or_insert(why);
    }

    fn unexpected(&mut self, what: &str) {
        self.tally.unexpected += 1;
        self.first_error
            .get_or_insert_with(|| format!("unexpected message: {what}"));
    }
}

/// Reads pushes until every message has arrived, the connection ends, or `stop` is
/// set. Returns what arrived and the connection (to be closed when the run is over, so
/// that the server has no early closes to handle during the window).
pub(crate) async fn receive(
    mut ws: Ws,
    plan: Arc<Plan>,
    base: Instant,
    progress: Arc<Progress>,
    mut stop: watch::Receiver<bool>,
) -> (Received, Ws) {
    let mut got = Received {
        tally: Tally::new(plan.messages),
        closed: false,
        first_error: None,
    };
    while !got.tally.complete() {
        let event = tokio::select! {
            event = ws.recv() => event,
            () = stopped(&mut stop) => break,
        };
        let text = match event {
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(Message::Binary(_))) => {
                got.unexpected("a binary message");
                continue;
            }
            Some(Ok(_)) => continue, // Ping, pong: answered by the driver.
            Some(Err(err)) => {
                got.closed(format!("subscriber connection failed: {err}"));
                break;
            }
            None => {
                got.closed("subscriber connection closed".to_owned());
                break;
            }
        };
        if plan.server.is_ping(text.as_str()) {
            if let Err(err) = ws.send(PONG).await {
                got.closed(format!("subscriber connection failed: {err}"));
                break;
            }
            continue;
        }
        match got.tally.check(text.as_bytes(), base.elapsed()) {
            Verdict::Delivered => progress.add(1, 0),
            Verdict::Duplicate => progress.add(0, 1),
            Verdict::Unexpected => {
                progress.add(0, 1);
                got.first_error
                    .get_or_insert_with(|| format!("unexpected message: {:.200}", text.as_str()));
            }
        }
    }
    (got, ws)
}

/// Opens one connection from `source` and joins the topic.
async fn join(target: &Target, plan: &Plan, source: Option<u8>) -> anyhow::Result<Ws> {
    let mut ws = target.open(source, OPEN_TIMEOUT).await?;
    plan.server
        .join(&mut ws, &plan.channel)
        .await
        .context("joining the topic")?;
    Ok(ws)
}
