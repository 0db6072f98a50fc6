//! A token bucket per connection for client publishes: `rate` per second on average,
//! bursts of up to two seconds' worth.

use std::time::Instant;

/// The bucket's state; the rate is passed in so that one setting serves every bucket.
#[derive(Debug)]
pub(crate) struct Bucket {
    tokens: f64,
    last: Instant,
}

impl Bucket {
    /// A full bucket for `rate` per second.
    pub(crate) fn new(rate: u32, now: Instant) -> Self {
        Self {
            tokens: burst(rate),
            last: now,
        }
    }

    /// Takes one token if there is one.
    pub(crate) fn take(&mut self, rate: u32, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * f64::from(rate)).min(burst(rate));
        if self.tokens < 1.0 {
            return false;
        }
        self.tokens -= 1.0;
        true
    }
}

fn burst(rate: u32) -> f64 {
    f64::from(rate) * 2.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn allows_a_burst_then_the_rate() {
        let t0 = Instant::now();
        let mut b = Bucket::new(5, t0);
        assert_eq!((0..12).filter(|_| b.take(5, t0)).count(), 10);
        assert!(!b.take(5, t0 + Duration::from_millis(100)));
        assert!(b.take(5, t0 + Duration::from_millis(300)));
        // Idle time refills only up to the burst.
        let later = t0 + Duration::from_secs(60);
        assert_eq!((0..30).filter(|_| b.take(5, later)).count(), 10);
    }
}
