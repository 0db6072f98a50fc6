//! The `idle` scenario: open N connections (spread over source addresses 127.0.0.2, …),
//! one checked echo on each so that both sides have done real work, then hold them.
//! With `--server-pid` the server's VmRSS is read before the first connection and
//! `settle` seconds after the last: (after − before) / N is its memory per idle
//! connection.

use std::time::Duration;

use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::task::JoinSet;
use wsgate::{CloseCode, WebSocket};

use super::report::{Report, Rss};
use super::usage::Proc;

/// Holds `conns` for `settle + hold`, measuring the server's RSS after `settle`;
/// then closes them all with 1000. Prints `idle: N open` on stderr once they are.
pub(crate) async fn hold(
    conns: Vec<WebSocket<TcpStream>>,
    settle: Duration,
    hold: Duration,
    server: Option<Proc>,
    rss_before: Option<u64>,
    report: &mut Report,
) {
    let (close_tx, close_rx) = watch::channel(false);
    let mut tasks = JoinSet::new();
    for ws in conns {
        tasks.spawn(idle(ws, close_rx.clone()));
    }
    eprintln!("idle: {} open", tasks.len());
    tokio::time::sleep(settle).await;
    let rss_after = server.and_then(Proc::rss_kib);
    if let (Some(before_kib), Some(after_kib)) = (rss_before, rss_after) {
        report.server_rss = Some(Rss {
            before_kib,
            after_kib,
            connections: tasks.len() as u64,
            what: "connection",
        });
    }
    tokio::time::sleep(hold).await;
    let _ = close_tx.send(true);
    while let Some(done) = tasks.join_next().await {
        match done {
            Ok(Ok(())) => {}
            Ok(Err(kind)) => report.error(kind, 1),
            Err(_) => report.error("task failed", 1),
        }
    }
}

/// Waits (answering pings) until told to close, then closes with 1000.
async fn idle(
    mut ws: WebSocket<TcpStream>,
    mut close: watch::Receiver<bool>,
) -> Result<(), &'static str> {
    loop {
        tokio::select! {
            changed = close.changed() => {
                let _ = changed;
                break;
            }
            event = ws.recv() => match event {
                Some(Ok(msg)) if msg.is_data() => return Err("unexpected message"),
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return Err("dropped while idle"),
            },
        }
    }
    match tokio::time::timeout(CLOSE_WAIT, ws.close(CloseCode::NORMAL, "")).await {
        Ok(Ok(())) => Ok(()),
        _ => Err("close failed"),
    }
}

const CLOSE_WAIT: Duration = Duration::from_secs(30);
