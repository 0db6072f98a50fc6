//! Timers: keepalive pings, the pong deadline and the close timeout. The connection only
//! says when the next one is due ([`Connection::poll_timeout`]); the driver owns the clock.

use std::time::{Duration, Instant};

use super::{Connection, State};
use crate::error::ProtocolError;
use crate::types::OpCode;

/// Timer state. Everything is anchored at the first `Instant` the connection sees.
#[derive(Debug, Default)]
pub(super) struct Timers {
    /// When bytes last arrived (or the first `Instant` seen).
    last_rx: Option<Instant>,
    /// A keepalive ping is outstanding: fail if nothing arrives by then.
    pong_deadline: Option<Instant>,
    /// The close handshake (or the final flush) must be over by then.
    close_deadline: Option<Instant>,
}

impl Timers {
    /// Records an input call; `received` says whether new bytes arrived.
    pub(super) fn on_input(&mut self, now: Instant, received: bool) {
        if received || self.last_rx.is_none() {
            self.last_rx = Some(now);
            self.pong_deadline = None;
        }
    }

    /// Starts the close timeout unless it already runs.
    pub(super) fn arm_close(&mut self, now: Instant, timeout: Duration) {
        if self.close_deadline.is_none() {
            // A timeout too large to represent means "never".
            self.close_deadline = now.checked_add(timeout);
        }
    }

    fn keepalive_deadline(&self, interval: Option<Duration>) -> Option<Instant> {
        let interval = interval?;
        self.pong_deadline
            .or_else(|| self.last_rx.and_then(|t| t.checked_add(interval)))
    }
}

impl Connection {
    /// See [`Connection::handle_timeout`].
    pub(super) fn on_timeout(&mut self, now: Instant) -> Result<(), ProtocolError> {
        self.timers.on_input(now, false);
        if self.timers.close_deadline.is_some_and(|d| now >= d) {
            self.close_timed_out();
            return Ok(());
        }
        if self.state != State::Open {
            return Ok(());
        }
        let Some(interval) = self.config.ping_interval else {
            return Ok(());
        };
        if self.timers.pong_deadline.is_some_and(|d| now >= d) {
            self.fail(&ProtocolError::Timeout, now);
            return Err(ProtocolError::Timeout);
        }
        let idle_since = self.timers.last_rx.unwrap_or(now);
        let due = idle_since.checked_add(interval).is_some_and(|t| now >= t);
        if self.timers.pong_deadline.is_none() && due {
            self.queue_control(OpCode::Ping, &[]);
            self.timers.pong_deadline = now.checked_add(self.config.pong_timeout);
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
        match (self.timers.close_deadline, keepalive) {
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
        self.timers.close_deadline = None;
    }
}
