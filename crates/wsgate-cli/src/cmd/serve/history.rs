//! The last messages of one channel: a ring buffer bounded in entries and in bytes.

use std::collections::VecDeque;
use std::sync::Arc;

/// One remembered message: its offset and its `data`, serialized.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Entry {
    pub(crate) offset: u64,
    pub(crate) data: Arc<str>,
}

/// The last messages of a channel, oldest first. Holds at most `max_entries` entries
/// and `max_bytes` bytes of data (the newest entry is always kept, even when it alone
/// is larger).
#[derive(Debug)]
pub(crate) struct History {
    entries: VecDeque<Entry>,
    bytes: usize,
    max_entries: usize,
    max_bytes: usize,
}

impl History {
    pub(crate) fn new(max_entries: usize, max_bytes: usize) -> Self {
        Self {
            entries: VecDeque::new(),
            bytes: 0,
            max_entries,
            max_bytes,
        }
    }

    /// Remembers a message, forgetting the oldest ones to stay within the bounds.
    pub(crate) fn push(&mut self, offset: u64, data: Arc<str>) {
        if self.max_entries == 0 {
            return;
        }
        self.bytes += data.len();
        self.entries.push_back(Entry { offset, data });
        while self.entries.len() > self.max_entries
            || (self.bytes > self.max_bytes && self.entries.len() > 1)
        {
            if let Some(old) = self.entries.pop_front() {
                self.bytes -= old.data.len();
            }
        }
    }

    /// The last `n` messages (fewer if fewer are remembered), oldest first.
    pub(crate) fn last(&self, n: usize) -> impl Iterator<Item = &Entry> {
        self.entries
            .iter()
            .skip(self.entries.len().saturating_sub(n))
    }

    /// Messages remembered.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offsets(h: &History, n: usize) -> Vec<u64> {
        h.last(n).map(|e| e.offset).collect()
    }

    #[test]
    fn keeps_the_last_entries() {
        let mut h = History::new(3, 1 << 20);
        for i in 1..=5 {
            h.push(i, format!("{i}").into());
        }
        assert_eq!(offsets(&h, 10), [3, 4, 5]);
        assert_eq!(offsets(&h, 2), [4, 5]);
        assert_eq!(offsets(&h, 0), [0u64; 0]);
    }

    #[test]
    fn keeps_within_the_byte_bound_but_always_the_newest() {
        let mut h = History::new(100, 10);
        h.push(1, "aaaa".into());
        h.push(2, "bbbb".into());
        h.push(3, "cccc".into());
        assert_eq!(offsets(&h, 10), [2, 3]);
        h.push(4, "x".repeat(50).into());
        assert_eq!(offsets(&h, 10), [4]);
        assert_eq!(h.bytes, 50);
        h.push(5, "y".into());
        assert_eq!(offsets(&h, 10), [5]);
    }

    #[test]
    fn zero_entries_remembers_nothing() {
        let mut h = History::new(0, 100);
        h.push(1, "a".into());
        assert_eq!(h.len(), 0);
    }
}
