//! Time for the state machine, read only when a timer needs it.
//!
//! The connection owns no clock: every input that may start or move a timer takes a
//! [`Clock`] from the caller. Tests pass a fixed [`Instant`]; drivers pass a function
//! such as `Instant::now`, which the connection calls only when keepalive is on and
//! bytes arrived, or when the close handshake starts. A connection without keepalive
//! that is not closing never reads the clock: at a million small messages a second,
//! one `clock_gettime` per call was 7 % of a server's CPU.

use std::time::Instant;

/// A source of the current time, asked at most once per call into the connection.
///
/// Implemented for [`Instant`] (a fixed time, as tests use) and for any
/// `FnMut() -> Instant` (a real clock, as drivers use).
pub trait Clock {
    /// The current time.
    fn now(&mut self) -> Instant;
}

impl Clock for Instant {
    fn now(&mut self) -> Instant {
        *self
    }
}

impl<F: FnMut() -> Instant> Clock for F {
    fn now(&mut self) -> Instant {
        self()
    }
}

/// One call's view of the caller's clock: read on first use, then the same instant.
pub(crate) struct Now<'a> {
    clock: &'a mut dyn Clock,
    read: Option<Instant>,
}

impl<'a> Now<'a> {
    pub(crate) fn new(clock: &'a mut dyn Clock) -> Self {
        Self { clock, read: None }
    }

    /// The current time, read from the clock on the first call.
    pub(crate) fn get(&mut self) -> Instant {
        match self.read {
            Some(t) => t,
            None => *self.read.insert(self.clock.now()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_is_read_once_and_only_when_asked() {
        let mut reads = 0;
        let mut clock = || {
            reads += 1;
            Instant::now()
        };
        let first = {
            let mut now = Now::new(&mut clock);
            let first = now.get();
            assert_eq!(now.get(), first);
            first
        };
        // Never asked: never read.
        let _unasked = Now::new(&mut clock);
        assert!(first <= Instant::now());
        assert_eq!(reads, 1);
    }

    #[test]
    fn a_fixed_instant_is_its_own_clock() {
        let mut t = Instant::now();
        let fixed = t;
        assert_eq!(Now::new(&mut t).get(), fixed);
    }
}
