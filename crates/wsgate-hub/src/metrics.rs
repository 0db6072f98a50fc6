//! Hub counters: relaxed atomics bumped on the hot paths, read as a [`MetricsSnapshot`]
//! (for a Prometheus endpoint, logs or tests).

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use crate::handler::Cause;
use crate::queue::Delivery;

/// The hub's live counters. Read them with [`Metrics::snapshot`].
#[derive(Debug, Default)]
pub struct Metrics {
    connections: AtomicU64,
    disconnections: AtomicU64,
    messages_in: AtomicU64,
    bytes_in: AtomicU64,
    messages_out: AtomicU64,
    bytes_out: AtomicU64,
    queue_drops: AtomicU64,
    slow_disconnects: AtomicU64,
    publishes: AtomicU64,
    rejected_origin: AtomicU64,
    rejected_auth: AtomicU64,
    rejected_handshake: AtomicU64,
    handshake_failures: AtomicU64,
    disconnects_by_cause: [AtomicU64; CAUSES],
}

/// A copy of the counters at one moment. All counters only grow.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct MetricsSnapshot {
    /// Sessions that connected (`on_connect` calls).
    pub connections: u64,
    /// Sessions that ended (`on_disconnect` calls).
    pub disconnections: u64,
    /// Data messages received.
    pub messages_in: u64,
    /// Payload bytes of data messages received.
    pub bytes_in: u64,
    /// Messages handed to connections for writing.
    pub messages_out: u64,
    /// Payload bytes of messages handed to connections.
    pub bytes_out: u64,
    /// Messages discarded by a slow-consumer policy (dropped, or queued when a
    /// session was disconnected for slowness).
    pub queue_drops: u64,
    /// Sessions closed because their queue overflowed ([`Cause::SlowConsumer`]).
    pub slow_disconnects: u64,
    /// Calls to publish and broadcast (each frames its message once).
    pub publishes: u64,
    /// Handshakes refused by the origin policy (403).
    pub rejected_origin: u64,
    /// Handshakes refused by [`Handler::on_upgrade`](crate::Handler::on_upgrade).
    pub rejected_auth: u64,
    /// Handshakes refused as invalid WebSocket requests (400, 426, 431, …) or because
    /// the hub is shutting down (503).
    pub rejected_handshake: u64,
    /// Handshakes that timed out or lost their connection.
    pub handshake_failures: u64,
    /// Ended sessions by cause, indexed like [`MetricsSnapshot::CAUSES`].
    pub disconnects_by_cause: [u64; CAUSES],
}

impl MetricsSnapshot {
    /// The causes in the order of [`disconnects_by_cause`](Self::disconnects_by_cause).
    pub const CAUSES: [Cause; CAUSES] = [
        Cause::Peer,
        Cause::Closed,
        Cause::SlowConsumer,
        Cause::Shutdown,
        Cause::IdleTimeout,
        Cause::Lifetime,
        Cause::Error,
        Cause::Lost,
    ];

    /// Sessions ended for `cause`.
    pub fn disconnects(&self, cause: Cause) -> u64 {
        self.disconnects_by_cause[cause_index(cause)]
    }

    /// Sessions connected now.
    pub fn active(&self) -> u64 {
        self.connections.saturating_sub(self.disconnections)
    }
}

/// Why a handshake was refused, for [`Metrics`].
#[derive(Clone, Copy, Debug)]
pub(crate) enum Refusal {
    Origin,
    Auth,
    Handshake,
    Failed,
}

impl Metrics {
    /// Reads every counter.
    pub fn snapshot(&self) -> MetricsSnapshot {
        MetricsSnapshot {
            connections: self.connections.load(Relaxed),
            disconnections: self.disconnections.load(Relaxed),
            messages_in: self.messages_in.load(Relaxed),
            bytes_in: self.bytes_in.load(Relaxed),
            messages_out: self.messages_out.load(Relaxed),
            bytes_out: self.bytes_out.load(Relaxed),
            queue_drops: self.queue_drops.load(Relaxed),
            slow_disconnects: self.slow_disconnects.load(Relaxed),
            publishes: self.publishes.load(Relaxed),
            rejected_origin: self.rejected_origin.load(Relaxed),
            rejected_auth: self.rejected_auth.load(Relaxed),
            rejected_handshake: self.rejected_handshake.load(Relaxed),
            handshake_failures: self.handshake_failures.load(Relaxed),
            disconnects_by_cause: self
                .disconnects_by_cause
                .each_ref()
                .map(|c| c.load(Relaxed)),
        }
    }

    pub(crate) fn record_push(&self, delivery: Delivery, discarded: usize) {
        if discarded > 0 {
            self.queue_drops.fetch_add(discarded as u64, Relaxed);
        }
        if delivery == Delivery::Disconnected {
            self.slow_disconnects.fetch_add(1, Relaxed);
        }
    }

    pub(crate) fn record_in(&self, len: usize) {
        self.messages_in.fetch_add(1, Relaxed);
        self.bytes_in.fetch_add(len as u64, Relaxed);
    }

    pub(crate) fn record_out(&self, len: usize) {
        self.messages_out.fetch_add(1, Relaxed);
        self.bytes_out.fetch_add(len as u64, Relaxed);
    }

    pub(crate) fn record_publish(&self) {
        self.publishes.fetch_add(1, Relaxed);
    }

    pub(crate) fn record_connect(&self) {
        self.connections.fetch_add(1, Relaxed);
    }

    pub(crate) fn record_disconnect(&self, cause: Cause) {
        self.disconnections.fetch_add(1, Relaxed);
        self.disconnects_by_cause[cause_index(cause)].fetch_add(1, Relaxed);
    }

    pub(crate) fn record_refusal(&self, why: Refusal) {
        let counter = match why {
            Refusal::Origin => &self.rejected_origin,
            Refusal::Auth => &self.rejected_auth,
            Refusal::Handshake => &self.rejected_handshake,
            Refusal::Failed => &self.handshake_failures,
        };
        counter.fetch_add(1, Relaxed);
    }
}

fn cause_index(cause: Cause) -> usize {
    MetricsSnapshot::CAUSES
        .iter()
        .position(|c| *c == cause)
        .unwrap_or(CAUSES - 1)
}

/// Number of [`Cause`] variants counted.
pub const CAUSES: usize = 8;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_by_cause_and_drops() {
        let m = Metrics::default();
        m.record_connect();
        m.record_disconnect(Cause::SlowConsumer);
        m.record_push(Delivery::Queued, 2);
        m.record_push(Delivery::Dropped, 1);
        m.record_push(Delivery::Disconnected, 5);
        let s = m.snapshot();
        assert_eq!(s.disconnects(Cause::SlowConsumer), 1);
        assert_eq!(s.disconnects(Cause::Peer), 0);
        assert_eq!(s.queue_drops, 8);
        assert_eq!(s.slow_disconnects, 1);
        assert_eq!(s.active(), 0);
    }
}
