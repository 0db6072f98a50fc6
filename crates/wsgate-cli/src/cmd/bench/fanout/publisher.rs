//! The publisher: one connection that publishes `--messages` payloads at `--rate`
//! (a tokio interval), each carrying its number and publish time, and checks what the
//! server sends back meanwhile: wsgate acknowledges every publish (a refusal is an
//! error), socket.io pings (answered), the `ws` relay sends the publisher nothing.
//!
//! ```text
//!   tick ─► payload(seq, now) ─► Server::publish framing ─► send
//!   recv ─► Server::reply: accepted | ping ─► "3" | refused / unexpected ─► error
//! ```
//!
//! It is done when every message is sent and (wsgate) every reply has come, or when
//! the run stops it.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;
use wsgate::Message;

use super::super::OPEN_TIMEOUT;
use super::super::conn::Target;
use super::super::report::Report;
use super::marker::payload;
use super::server::{PONG, Reply, Server, Ws};
use super::{Plan, stopped};

/// Opens the publisher's connection (the kernel chooses its source address).
///
/// # Errors
/// When it cannot connect or the server does not take it.
pub(crate) async fn open(target: &Target, server: Server) -> anyhow::Result<Ws> {
    let mut ws = target.open(None, OPEN_TIMEOUT).await?;
    server.ready_publisher(&mut ws).await?;
    Ok(ws)
}

/// What the publisher did.
#[derive(Debug, Default)]
pub(crate) struct Published {
    /// Messages sent.
    pub(crate) sent: usize,
    /// Time of the last publish since the base instant.
    pub(crate) done: Duration,
    errors: Vec<(&'static str, u64)>,
    first_error: Option<String>,
}

impl Published {
    /// Adds its errors to `report`.
    pub(crate) fn add_to(&self, report: &mut Report) {
        for &(kind, n) in &self.errors {
            report.error(kind, n);
        }
        if let Some(first) = &self.first_error {
            report.first_error.get_or_insert_with(|| first.clone());
        }
    }

    fn error(&mut self, kind: &'static str, what: String) {
        self.errors.push((kind, 1));
        self.first_error.get_or_insert(what);
    }
}

/// Publishes every message at the plan's rate, reading and checking the server's
/// replies meanwhile, until done or `stop` is set. Returns what it did and the
/// connection (closed when the run is over).
pub(crate) async fn run(
    mut ws: Ws,
    plan: Arc<Plan>,
    base: Instant,
    mut stop: watch::Receiver<bool>,
) -> (Published, Ws) {
    let mut out = Published::default();
    let mut replies = 0;
    let mut tick = tokio::time::interval(plan.period);
    // wsgate answers every publish; the peers answer none.
    let awaited = if plan.server == Server::Wsgate {
        plan.messages
    } else {
        0
    };
    while out.sent < plan.messages || replies < awaited {
        tokio::select! {
            _ = tick.tick(), if out.sent < plan.messages => {
                let seq = out.sent;
                let sent_us = u64::try_from(base.elapsed().as_micros()).unwrap_or(u64::MAX);
                let body = payload(seq, sent_us, plan.size);
                let text = plan.server.publish(&plan.channel, seq, &body);
                if let Err(err) = ws.send(text).await {
                    out.error("publisher closed", format!("publish failed: {err}"));
                    break;
                }
                out.sent += 1;
                out.done = base.elapsed();
            }
            event = ws.recv() => match event {
                Some(Ok(Message::Text(text))) => {
                    replies += 1;
                    if !check(&mut ws, plan.server, text.as_str(), &mut out).await {
                        break;
                    }
                }
                Some(Ok(msg)) if msg.is_data() => {
                    out.error("unexpected reply", "the publisher got a binary message".into());
                }
                Some(Ok(_)) => {}
                Some(Err(err)) => {
                    out.error("publisher closed", format!("publisher connection failed: {err}"));
                    break;
                }
                None => {
                    out.error("publisher closed", "publisher connection closed".into());
                    break;
                }
            },
            () = stopped(&mut stop) => break,
        }
    }
    (out, ws)
}

/// Judges one reply, answering pings; false when the connection failed.
async fn check(ws: &mut Ws, server: Server, text: &str, out: &mut Published) -> bool {
    match server.reply(text) {
        Reply::Accepted => {}
        Reply::Ping => {
            if let Err(err) = ws.send(PONG).await {
                out.error(
                    "publisher closed",
                    format!("publisher connection failed: {err}"),
                );
                return false;
            }
        }
        Reply::Refused => out.error("publish refused", format!("publish refused: {text:.200}")),
        Reply::Unexpected => {
            out.error(
                "unexpected reply",
                format!("the publisher got: {text:.200}"),
            );
        }
    }
    true
}
