//! The `echo` scenario: every connection keeps `depth` messages in flight against an
//! echo server. Each payload starts with its sequence number and the rest is a fixed
//! pattern, so every echo is checked (order and content) before it is counted; latency
//! is from queuing a message to receiving its echo.
//!
//! ```text
//!   feed seq 0..depth ─► recv echo ─► check seq + bytes ─► record latency ─► feed next
//!                            ▲                                                 │
//!                            └──────── (recv writes what was fed) ◄────────────┘
//! ```
//!
//! Messages are counted when their echo arrives inside the window (after the warm-up,
//! before the end); after the end nothing new is sent, what is in flight is drained and
//! checked, and each connection closes with 1000. The latency of small messages is
//! sampled (every 8th), so that the clock is not read twice per message.

use std::collections::VecDeque;
use std::io::Write as _;
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use tokio::net::TcpStream;
use tokio::task::JoinSet;
use tokio::time::Instant;
use wsgate::{CloseCode, Message, Utf8Bytes, WebSocket};

use super::histogram::Histogram;
use super::report::Report;
use super::{Progress, Window};

/// What each connection sends and how it checks the echoes.
#[derive(Debug)]
pub(crate) struct Plan {
    /// Messages in flight per connection.
    pub(crate) depth: usize,
    /// Text messages (ASCII) instead of binary.
    pub(crate) text: bool,
    /// A whole message with room for the sequence number at the front: the rest is the
    /// same for every message. Copying all of it, rather than appending its tail to
    /// the number, keeps source and destination at the same offset in their pages:
    /// 16 bytes apart, glibc's `rep movsb` copy hit 4K aliasing and took a third of
    /// the bench's CPU at 4 KiB.
    template: Vec<u8>,
    size: usize,
}

impl Plan {
    /// Messages of `size` bytes (at least [`MIN_SIZE`]).
    pub(crate) fn new(size: usize, depth: usize, text: bool) -> Self {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let size = size.max(MIN_SIZE);
        let template: Vec<u8> = (0..size)
            .map(|i| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                match (i < HEADER, text) {
                    (true, _) => b'0',
                    (false, true) => b'a' + (x % 26) as u8,
                    (false, false) => x as u8,
                }
            })
            .collect();
        Self {
            depth: depth.max(1),
            text,
            template,
            size,
        }
    }

    /// Message number `seq`.
    pub(crate) fn message(&self, seq: u64) -> Message {
        let mut b = BytesMut::with_capacity(self.size);
        b.extend_from_slice(&self.template);
        if self.text {
            let _ = write!(&mut b[..HEADER], "{seq:016x}");
            // ASCII throughout; were it not, the echo check would report it.
            Utf8Bytes::try_from_bytes(b.freeze()).map_or_else(Message::Binary, Message::Text)
        } else {
            b[..8].copy_from_slice(&seq.to_be_bytes());
            b[8..HEADER].copy_from_slice(&(!seq).to_be_bytes());
            Message::Binary(b.freeze())
        }
    }

    /// Whether message `seq` has its latency measured: every 8th of small messages
    /// (reading the clock twice per message would be a good part of the client's cost),
    /// every one from 4 KiB.
    pub(crate) fn sampled(&self, seq: u64) -> bool {
        self.size >= 4096 || seq % 8 == 0
    }

    /// Checks an echo against the message expected next and those sent after it.
    pub(crate) fn check(&self, msg: &Message, expected: u64, sent: u64) -> Check {
        let (data, text) = match msg {
            Message::Binary(b) => (&b[..], false),
            Message::Text(t) => (t.as_bytes(), true),
            _ => return Check::Corrupt,
        };
        let Some(seq) = self.seq(data) else {
            return Check::Corrupt;
        };
        let intact = text == self.text
            && data.len() == self.size
            && data[HEADER..] == self.template[HEADER..];
        match seq {
            _ if !intact => Check::Corrupt,
            s if s == expected => Check::Ok,
            s if s > expected && s < sent => Check::Skipped(s - expected),
            _ => Check::Corrupt,
        }
    }

    fn seq(&self, data: &[u8]) -> Option<u64> {
        let head = data.get(..HEADER)?;
        if self.text {
            let hex = std::str::from_utf8(head).ok()?;
            u64::from_str_radix(hex, 16).ok()
        } else {
            let seq = u64::from_be_bytes(head[..8].try_into().ok()?);
            let check = u64::from_be_bytes(head[8..].try_into().ok()?);
            (check == !seq).then_some(seq)
        }
    }
}

/// How an echo compares with what was sent.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Check {
    /// The message expected next, intact.
    Ok,
    /// Intact, but this many messages before it never came back.
    Skipped(u64),
    /// Not a message this connection sent, or altered.
    Corrupt,
}

/// Runs the echo load on `conns` until the window ends; merges what they measured.
pub(crate) async fn run(
    conns: Vec<WebSocket<TcpStream>>,
    plan: Arc<Plan>,
    window: Window,
    progress: Arc<Progress>,
    report: &mut Report,
) {
    let mut tasks = JoinSet::new();
    for ws in conns {
        let (plan, progress) = (Arc::clone(&plan), Arc::clone(&progress));
        tasks.spawn(async move { drive(ws, &plan, window, &progress).await });
    }
    while let Some(done) = tasks.join_next().await {
        match done {
            Ok(one) => {
                report.count += one.count;
                report.bytes += one.bytes;
                report.latency.merge(&one.latency);
                for (kind, n) in one.errors {
                    report.error(kind, n);
                }
            }
            Err(_) => report.error("task failed", 1),
        }
    }
}

/// What one connection measured.
#[derive(Debug, Default)]
struct ConnResult {
    count: u64,
    bytes: u64,
    latency: Histogram,
    errors: Vec<(&'static str, u64)>,
}

/// One connection's loop: keep `depth` in flight until the end, drain, close.
async fn drive(
    mut ws: WebSocket<TcpStream>,
    plan: &Plan,
    window: Window,
    progress: &Progress,
) -> ConnResult {
    let mut r = ConnResult::default();
    // Send times of the messages in flight, for those whose latency is sampled.
    let mut in_flight: VecDeque<Option<Instant>> = VecDeque::with_capacity(plan.depth);
    let (mut next, mut expected) = (0u64, 0u64);
    // One timer for the whole run (a timeout per `recv` would cost a timer each).
    let drain = tokio::time::sleep_until(window.end + DRAIN);
    tokio::pin!(drain);
    let mut sending = true;
    while sending || !in_flight.is_empty() {
        while sending && in_flight.len() < plan.depth {
            if ws.feed(plan.message(next)).await.is_err() {
                r.errors.push(("closed early", 1));
                r.errors.push(("lost", in_flight.len() as u64));
                return r;
            }
            in_flight.push_back(plan.sampled(next).then(Instant::now));
            next += 1;
        }
        let msg = tokio::select! {
            biased;
            event = ws.recv() => match event {
                Some(Ok(msg)) if msg.is_data() => msg,
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => {
                    r.errors.push(("closed early", 1));
                    r.errors.push(("lost", in_flight.len() as u64));
                    return r;
                }
            },
            () = &mut drain => {
                r.errors.push(("lost", in_flight.len() as u64));
                break;
            }
        };
        let counted = progress.measuring();
        sending = !progress.ended();
        match plan.check(&msg, expected, next) {
            Check::Ok => {
                let sent_at = in_flight.pop_front().flatten();
                expected += 1;
                if counted {
                    r.count += 1;
                    r.bytes += msg.len() as u64;
                    if let Some(sent_at) = sent_at {
                        r.latency.record(sent_at.elapsed());
                    }
                    progress.add(1, 0);
                }
            }
            Check::Skipped(n) => {
                r.errors.push(("lost", n));
                progress.add(0, n);
                in_flight.drain(..=(n as usize).min(in_flight.len().saturating_sub(1)));
                expected += n + 1;
            }
            Check::Corrupt => {
                r.errors.push(("corrupted", 1));
                progress.add(0, 1);
                in_flight.pop_front();
                expected += 1;
            }
        }
    }
    match tokio::time::timeout(DRAIN, ws.close(CloseCode::NORMAL, "")).await {
        Ok(Ok(())) => {}
        _ => r.errors.push(("close failed", 1)),
    }
    r
}

/// Bytes before the pattern: the sequence number (binary: it and its complement, 8
/// bytes each, big-endian; text: 16 hex digits).
const HEADER: usize = 16;
/// The smallest message size: the header.
pub(crate) const MIN_SIZE: usize = HEADER;
/// How long in-flight echoes may take after the end, and the close handshake after that.
const DRAIN: Duration = Duration::from_secs(5);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_order_and_content() {
        for text in [false, true] {
            let plan = Plan::new(64, 4, text);
            let m = plan.message(7);
            assert_eq!(m.len(), 64);
            assert_eq!(plan.check(&m, 7, 10), Check::Ok);
            assert_eq!(plan.check(&m, 5, 10), Check::Skipped(2));
            assert_eq!(plan.check(&m, 8, 10), Check::Corrupt);
            assert_eq!(plan.check(&m, 2, 7), Check::Corrupt);
        }
    }

    #[test]
    fn any_altered_byte_is_corrupt() {
        let plan = Plan::new(40, 1, false);
        let Message::Binary(good) = plan.message(3) else {
            unreachable!()
        };
        for i in 0..good.len() {
            let mut bad = good.to_vec();
            bad[i] ^= 0x20;
            assert_eq!(
                plan.check(&Message::binary(bad), 3, 4),
                Check::Corrupt,
                "byte {i}"
            );
        }
        let short = Message::binary(good.slice(..39));
        assert_eq!(plan.check(&short, 3, 4), Check::Corrupt);
        assert_eq!(plan.check(&Message::text("x"), 3, 4), Check::Corrupt);
    }

    #[test]
    fn text_plan_sends_text() {
        let plan = Plan::new(32, 1, true);
        let m = plan.message(255);
        assert!(matches!(&m, Message::Text(t) if t.as_str().starts_with("00000000000000ff")));
    }
}
