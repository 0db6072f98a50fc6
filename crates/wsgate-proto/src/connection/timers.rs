//! Timers: keepalive pings, the pong deadline and the close timeout. The connection only
//! says when the next one is due ([`Connection::poll_timeout`]); the driver owns the clock.

use std::time::{Duration, Instant};

use super::{Connection, State};
use crate::clock::Now;
use crate::error::ProtocolError;
use crate::types::OpCode;

/// Timer state: 8 bytes inline, so that a connection without keepalive that is not
/// closing holds no deadlines at all. Everything is anchored at the first `Instant` the
/// connection sees.
#[derive(Debug, Default)]
pub(super) struct Timers {
    /// Allocated on first use: with keepalive, at the first input; otherwise when the
    /// close handshake starts.
    deadlines: Option<Box<Deadlines>>,
}

#[derive(Debug, Default)]
struct Deadlines {
    /// Keepalive only: when bytes last arrived (or the first `Instant` seen).
    last_rx: Option<Instant>,
    /// A keepalive ping is outstanding: fail if nothing arrives by then.
    pong_deadline: Option<Instant>,
    /// The close handshake (or the final flush) must be over by then.
    close_deadline: Option<Instant>,
}

impl Timers {
    /// Records an input call; `received` says whether new bytes arrived. Only
    /// keepalive (`interval`) needs to know, and only then is the clock read.
    pub(super) fn on_input(
        &mut self,
        now: &mut Now<'_>,
        received: bool,
        interval: Option<Duration>,
    ) {
        if interval.is_none() {
            return;
        }
        let d = self.deadlines.get_or_insert_with(Box::default);
        if received || d.last_rx.is_none() {
            d.last_rx = Some(now.get());
            d.pong_deadline = None;
        }
    }

    /// Starts the close timeout unless it already runs.
    pub(super) fn arm_close(&mut self, now: &mut Now<'_>, timeout: Duration) {
        let d = self.deadlines.get_or_insert_with(Box::default);
        if d.close_deadline.is_none() {
            // A timeout too large to represent means "never".
            d.close_deadline = now.get().checked_add(timeout);
        }
    }

    fn close_deadline(&self) -> Option<Instant> {
        self.deadlines.as_ref()?.close_deadline
    }

    fn pong_deadline(&self) -> Option<Instant> {
        self.deadlines.as_ref()?.pong_deadline
    }

    fn keepalive_deadline(&self, interval: Option<Duration>) -> Option<Instant> {
        let interval = interval?;
        let d = self.deadlines.as_ref()?;
        d.pong_deadline
            .or_else(|| d.last_rx.and_then(|t| t.checked_add(interval)))
    }
}

impl Connection {
    /// See [`Connection::handle_timeout`].
    pub(super) fn on_timeout(&mut self, clock: &mut Now<'_>) -> Result<(), ProtocolError> {
        let now = clock.get();
        self.timers
            .on_input(clock, false, self.config.ping_interval);
        if self.timers.close_deadline().is_some_and(|d| now >= d) {
            self.close_timed_out();
            return Ok(());
        }
        if self.state != State::Open {
            return Ok(());
        }
        let Some(interval) = self.config.ping_interval else {
            return Ok(());
        };
        if self.timers.pong_deadline().is_some_and(|d| now >= d) {
            self.fail(&ProtocolError::Timeout, clock);
            return Err(ProtocolError::Timeout);
        }
        let pong_timeout = self.config.pong_timeout;
        // `on_input` above allocated the deadlines: keepalive is on.
        let Some(d) = self.timers.deadlines.as_deref_mut() else {
            return Ok(());
        };
        let idle_since = d.last_rx.unwrap_or(now);
        let due = idle_since.checked_add(interval).is_some_and(|t| now >= t);
        if d.pong_deadline.is_none() && due {
            d.pong_deadline = now.checked_add(pong_timeout);
            self.queue_control(OpCode::Ping, &[]);
        }
        Ok(())
    }

    /// See [`Connection::poll_timeout`].
    pub(super) fn next_timeout(&self) -> Option<Instant> {
        if self.transport_done && self.out.len() == 0 {
            return None;
        }
        let keepalive = match self.state {
            State::Open => self.timers.keepalive_deadline(self.config.ping_interval),
            _ => None,
        };
        match (self.timers.close_deadline(), keepalive) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The close handshake (or the final flush) took too long: give up on the peer.
    fn close_timed_out(&mut self) {
        self.state = State::Closed;
        self.transport_done = true;
        self.sending = None;
        self.recv.clear();
        self.out.clear();
        if let Some(d) = self.timers.deadlines.as_deref_mut() {
            d.close_deadline = None;
        }
    }
}
