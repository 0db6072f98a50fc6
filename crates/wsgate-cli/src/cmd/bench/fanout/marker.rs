//! The payload every publish carries and how a subscriber checks what arrives.
//!
//! A payload starts with the marker `#SEQ:SENT_US#` (the message's number and its
//! publish time in microseconds since the run's base instant), padded with `x` to
//! `--size` bytes. Each server wraps it in its own framing (a JSON push, a socket.io
//! event, nothing), so a subscriber only scans for the marker; a [`Tally`] then checks
//! that every number arrives exactly once.

use std::time::Duration;

/// The payload of message `seq`, published `sent_us` after the base instant.
pub(crate) fn payload(seq: usize, sent_us: u64, size: usize) -> String {
    let mut p = format!("#{seq}:{sent_us}#");
    let pad = size.saturating_sub(p.len());
    p.extend(std::iter::repeat_n('x', pad));
    p
}

/// `(seq, sent_us)` from the first well-formed `#SEQ:SENT_US#` in a message.
pub(crate) fn marker(bytes: &[u8]) -> Option<(u64, u64)> {
    let mut rest = bytes;
    while let Some(start) = rest.iter().position(|&b| b == b'#') {
        rest = &rest[start + 1..];
        if let Some(found) = parse(rest) {
            return Some(found);
        }
    }
    None
}

/// What one subscriber received: the verdict on each message.
#[derive(Debug)]
pub(crate) struct Tally {
    seen: Vec<bool>,
    /// Publish-to-receive latencies of verified deliveries, in microseconds.
    pub(crate) latencies: Vec<u32>,
    /// Numbers that arrived a second time.
    pub(crate) duplicates: u64,
    /// Messages without a marker, or with a number never published.
    pub(crate) unexpected: u64,
    /// Time of the last verified delivery, since the base instant.
    pub(crate) last: Duration,
}

/// How [`Tally::check`] judged a message.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// The first arrival of a published number: a delivery.
    Delivered,
    /// A number that had already arrived.
    Duplicate,
    /// No marker, or a number outside the run.
    Unexpected,
}

impl Tally {
    /// A tally for `messages` messages, numbered from 0.
    pub(crate) fn new(messages: usize) -> Self {
        Self {
            seen: vec![false; messages],
            latencies: Vec::with_capacity(messages),
            duplicates: 0,
            unexpected: 0,
            last: Duration::ZERO,
        }
    }

    /// Checks a message received `now` after the base instant, and counts it.
    pub(crate) fn check(&mut self, bytes: &[u8], now: Duration) -> Verdict {
        let Some((seq, sent_us)) = marker(bytes) else {
            self.unexpected += 1;
            return Verdict::Unexpected;
        };
        let slot = usize::try_from(seq).ok().and_then(|i| self.seen.get_mut(i));
        match slot {
            None => {
                self.unexpected += 1;
                Verdict::Unexpected
            }
            Some(true) => {
                self.duplicates += 1;
                Verdict::Duplicate
            }
            Some(seen) => {
                *seen = true;
                let now_us = u64::try_from(now.as_micros()).unwrap_or(u64::MAX);
                let latency = now_us.saturating_sub(sent_us);
                self.latencies
                    .push(u32::try_from(latency).unwrap_or(u32::MAX));
                self.last = now;
                Verdict::Delivered
            }
        }
    }

    /// Whether every message has arrived.
    pub(crate) fn complete(&self) -> bool {
        self.latencies.len() == self.seen.len()
    }

    /// Messages that have not arrived.
    pub(crate) fn missing(&self) -> u64 {
        (self.seen.len() - self.latencies.len()) as u64
    }
}

/// `SEQ:SENT_US#` at the start of `rest`.
fn parse(rest: &[u8]) -> Option<(u64, u64)> {
    let colon = rest.iter().position(|&b| b == b':')?;
    let end = colon + 1 + rest[colon + 1..].iter().position(|&b| b == b'#')?;
    Some((number(&rest[..colon])?, number(&rest[colon + 1..end])?))
}

/// A non-empty run of ASCII digits.
fn number(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_marker_is_found_in_every_framing() {
        let payload = payload(7, 123_456, 64);
        assert_eq!(payload.len(), 64);
        let framings = [
            payload.clone(),
            format!(r#"{{"channel":"chat:x","offset":8,"data":"{payload}"}}"#),
            format!(r#"{{"channel":"chat:a#b","offset":8,"data":"{payload}"}}"#),
            format!(r#"42["msg","{payload}"]"#),
        ];
        for text in framings {
            assert_eq!(marker(text.as_bytes()), Some((7, 123_456)), "{text}");
        }
    }

    #[test]
    fn malformed_markers_are_not_found() {
        for text in [
            &b"42[\"msg\",\"#7:x#\"]"[..],
            b"{\"ok\":true}",
            b"#:5#",
            b"#5:#",
            b"#5:6",
            b"#-5:6#",
            b"#99999999999999999999999:1#",
        ] {
            assert_eq!(marker(text), None, "{}", String::from_utf8_lossy(text));
        }
    }

    #[test]
    fn a_tally_counts_each_number_once() {
        let mut t = Tally::new(3);
        let at = Duration::from_micros(1_500);
        let one = payload(1, 1_000, 32);
        assert_eq!(t.check(one.as_bytes(), at), Verdict::Delivered);
        assert_eq!(t.check(one.as_bytes(), at), Verdict::Duplicate);
        assert_eq!(
            t.check(payload(3, 0, 32).as_bytes(), at),
            Verdict::Unexpected
        );
        assert_eq!(t.check(b"hello", at), Verdict::Unexpected);
        assert_eq!((t.latencies.as_slice(), t.last), (&[500][..], at));
        assert_eq!((t.duplicates, t.unexpected, t.missing()), (1, 2, 2));
        assert!(!t.complete());
        for seq in [0, 2] {
            t.check(payload(seq, 0, 32).as_bytes(), at);
        }
        assert!(t.complete());
        assert_eq!(t.missing(), 0);
    }
}
