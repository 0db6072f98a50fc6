//! A log-bucket latency histogram: exact below 128 ns, then 64 buckets per power of two
//! (under 1.6 % relative error), fixed size, no allocation after creation, mergeable.

use std::time::Duration;

/// Latencies in nanoseconds.
#[derive(Clone)]
pub(crate) struct Histogram {
    counts: Box<[u64; BUCKETS]>,
    total: u64,
    max: u64,
}

impl std::fmt::Debug for Histogram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Histogram")
            .field("total", &self.total)
            .field("max", &self.max)
            .finish_non_exhaustive()
    }
}

impl Default for Histogram {
    fn default() -> Self {
        Self {
            counts: Box::new([0; BUCKETS]),
            total: 0,
            max: 0,
        }
    }
}

impl Histogram {
    /// Records one value.
    pub(crate) fn record(&mut self, d: Duration) {
        let ns = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        self.counts[bucket(ns)] += 1;
        self.total += 1;
        self.max = self.max.max(ns);
    }

    /// Adds another histogram's values.
    pub(crate) fn merge(&mut self, other: &Self) {
        for (a, b) in self.counts.iter_mut().zip(other.counts.iter()) {
            *a += b;
        }
        self.total += other.total;
        self.max = self.max.max(other.max);
    }

    /// How many values were recorded.
    pub(crate) fn len(&self) -> u64 {
        self.total
    }

    /// The largest value recorded (exact).
    pub(crate) fn max(&self) -> Duration {
        Duration::from_nanos(self.max)
    }

    /// The value below which a fraction `q` (0..=1) of the values lie (the middle of
    /// its bucket, at most the maximum); zero when empty.
    pub(crate) fn quantile(&self, q: f64) -> Duration {
        if self.total == 0 {
            return Duration::ZERO;
        }
        // Rank of the value wanted, 1-based: ceil(q * total), at least 1.
        let rank = ((q.clamp(0.0, 1.0) * self.total as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (i, &n) in self.counts.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return Duration::from_nanos(middle(i).min(self.max));
            }
        }
        self.max()
    }
}

/// The bucket of `v`.
fn bucket(v: u64) -> usize {
    if v < LINEAR {
        return v as usize;
    }
    let exp = 63 - u64::from(v.leading_zeros()); // >= 7
    let mantissa = (v >> (exp - SUB_BITS)) & (SUB - 1);
    (LINEAR + (exp - 7) * SUB + mantissa) as usize
}

/// The smallest value in bucket `i`, and its width.
fn bounds(i: usize) -> (u64, u64) {
    let i = i as u64;
    if i < LINEAR {
        return (i, 1);
    }
    let exp = 7 + (i - LINEAR) / SUB;
    let mantissa = (i - LINEAR) % SUB;
    let width = 1u64 << (exp - SUB_BITS);
    ((SUB + mantissa) * width, width)
}

fn middle(i: usize) -> u64 {
    let (low, width) = bounds(i);
    low + width / 2
}

const SUB_BITS: u64 = 6;
const SUB: u64 = 1 << SUB_BITS;
const LINEAR: u64 = 128;
const BUCKETS: usize = (LINEAR + (64 - 7) * SUB) as usize;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_cover_every_value_in_order() {
        for v in [0, 1, 127, 128, 129, 255, 256, 1000, 1 << 40, u64::MAX] {
            let b = bucket(v);
            let (low, width) = bounds(b);
            assert!(
                low <= v && v - low < width,
                "{v} in bucket {b} = {low}+{width}"
            );
        }
        assert_eq!(bucket(u64::MAX), BUCKETS - 1);
        assert!(bucket(1000) < bucket(1001) || bounds(bucket(1000)).1 > 1);
    }

    #[test]
    fn quantiles_are_within_two_percent() {
        let mut h = Histogram::default();
        for us in 1..=1000u64 {
            h.record(Duration::from_micros(us));
        }
        let close = |got: Duration, want_us: f64| {
            let got = got.as_nanos() as f64 / 1000.0;
            assert!((got - want_us).abs() / want_us < 0.02, "{got} vs {want_us}");
        };
        close(h.quantile(0.5), 500.0);
        close(h.quantile(0.99), 990.0);
        assert_eq!(h.max(), Duration::from_micros(1000));
        assert_eq!(h.quantile(1.0), Duration::from_micros(1000));
        let mut other = Histogram::default();
        other.record(Duration::from_secs(1));
        h.merge(&other);
        assert_eq!(h.len(), 1001);
        assert_eq!(h.max(), Duration::from_secs(1));
    }

    #[test]
    fn empty_is_zero() {
        assert_eq!(Histogram::default().quantile(0.5), Duration::ZERO);
    }
}
