//! The `connect` scenario: `concurrency` workers, each opening a connection (TCP
//! connect, WebSocket handshake), closing it with 1000 and starting over. Counts the
//! handshakes that complete in the window; latency is connect + handshake.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::task::JoinSet;
use tokio::time::Instant;
use wsgate::CloseCode;

use super::conn::Target;
use super::histogram::Histogram;
use super::report::Report;
use super::{OPEN_TIMEOUT, Progress, Window};

/// Runs the workers until the window ends.
pub(crate) async fn run(
    target: Arc<Target>,
    concurrency: usize,
    window: Window,
    progress: Arc<Progress>,
    report: &mut Report,
) {
    let next_source = Arc::new(AtomicUsize::new(0));
    let mut tasks = JoinSet::new();
    for _ in 0..concurrency.max(1) {
        let (target, progress) = (Arc::clone(&target), Arc::clone(&progress));
        let next_source = Arc::clone(&next_source);
        tasks.spawn(async move { worker(&target, window, &progress, &next_source).await });
    }
    while let Some(done) = tasks.join_next().await {
        match done {
            Ok((count, latency, errors)) => {
                report.count += count;
                report.latency.merge(&latency);
                for (kind, n) in errors {
                    report.error(kind, n);
                }
            }
            Err(_) => report.error("task failed", 1),
        }
    }
}

type WorkerResult = (u64, Histogram, Vec<(&'static str, u64)>);

async fn worker(
    target: &Target,
    window: Window,
    progress: &Progress,
    next_source: &AtomicUsize,
) -> WorkerResult {
    let (mut count, mut latency, mut errors) = (0, Histogram::default(), Vec::new());
    while Instant::now() < window.end {
        // Round robin over 127.0.0.2..=17 keeps the 4-tuples of recent connections (in
        // TIME_WAIT on the server) from being reused soon.
        let source = 2 + (next_source.fetch_add(1, Ordering::Relaxed) % SOURCES) as u8;
        let start = Instant::now();
        let Ok(mut ws) = target.open(Some(source), OPEN_TIMEOUT).await else {
            errors.push(("connect failed", 1));
            progress.add(0, 1);
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let done = Instant::now();
        match tokio::time::timeout(OPEN_TIMEOUT, ws.close(CloseCode::NORMAL, "")).await {
            Ok(Ok(())) => {
                if window.contains(done) {
                    count += 1;
                    latency.record(done - start);
                    progress.add(1, 0);
                }
            }
            _ => {
                errors.push(("close failed", 1));
                progress.add(0, 1);
            }
        }
    }
    (count, latency, errors)
}

/// Source addresses used round robin.
const SOURCES: usize = 16;
