//! Incremental UTF-8 validation across chunk and frame boundaries (RFC 6455 §8.1).
//!
//! Fail-fast: an invalid sequence is reported as soon as its bytes are fed, not when
//! the message ends. Up to 3 bytes of a code point cut by a chunk boundary are carried
//! to the next call; the bulk of every chunk goes through `simdutf8`'s `compat` API,
//! whose `error_len() == None` tells a truncated-but-valid prefix from an invalid one.

use simdutf8::compat::from_utf8;

/// The input is not valid UTF-8.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct InvalidUtf8;

impl std::fmt::Display for InvalidUtf8 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("invalid utf-8")
    }
}

impl std::error::Error for InvalidUtf8 {}

/// Validates a UTF-8 byte stream fed in arbitrary pieces, failing as soon as an invalid
/// sequence is fed (used for text messages, and useful to check text sent with
/// [`crate::Connection::send_chunk`] ahead of time).
///
/// ```
/// let mut v = wsgate_proto::Utf8Validator::new();
/// assert!(v.feed(b"caf\xc3").is_ok()); // a code point cut in two is fine...
/// assert!(v.feed(b"\xa9").is_ok());
/// assert!(v.finish().is_ok()); // ...as long as the stream does not end inside one
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Utf8Validator {
    /// Bytes of an incomplete code point at the end of the last chunk.
    partial: [u8; 4],
    partial_len: u8,
}

impl Utf8Validator {
    /// A validator at the start of a stream.
    pub const fn new() -> Self {
        Self {
            partial: [0; 4],
            partial_len: 0,
        }
    }

    /// Validates the next piece of the stream.
    ///
    /// # Errors
    /// [`InvalidUtf8`] once the bytes fed so far cannot start a valid UTF-8 string.
    pub fn feed(&mut self, input: &[u8]) -> Result<(), InvalidUtf8> {
        let rest = if self.partial_len > 0 {
            self.complete_partial(input)?
        } else {
            input
        };
        match from_utf8(rest) {
            Ok(_) => Ok(()),
            Err(e) if e.error_len().is_some() => Err(InvalidUtf8),
            Err(e) => self.keep_tail(rest.get(e.valid_up_to()..).unwrap_or_default()),
        }
    }

    /// Validates the end of the stream: a code point left incomplete is an error.
    /// The validator is reset for a new stream either way.
    ///
    /// # Errors
    /// [`InvalidUtf8`] when the stream ends inside a code point.
    pub fn finish(&mut self) -> Result<(), InvalidUtf8> {
        let complete = self.partial_len == 0;
        *self = Self::new();
        if complete { Ok(()) } else { Err(InvalidUtf8) }
    }

    /// Completes the carried code point from the front of `input`; returns what follows it.
    fn complete_partial<'a>(&mut self, input: &'a [u8]) -> Result<&'a [u8], InvalidUtf8> {
        let have = usize::from(self.partial_len);
        let need = sequence_len(self.partial[0]).saturating_sub(have);
        let take = need.min(input.len());
        let buf_end = have + take;
        self.partial[have..buf_end].copy_from_slice(&input[..take]);
        match from_utf8(&self.partial[..buf_end]) {
            Ok(_) => {
                self.partial_len = 0;
                Ok(&input[take..])
            }
            Err(e) if e.error_len().is_some() => Err(InvalidUtf8),
            Err(_) if take < need => {
                // Still a valid prefix, and `input` is exhausted.
                self.partial_len = buf_end as u8;
                Ok(&[])
            }
            Err(_) => Err(InvalidUtf8),
        }
    }

    fn keep_tail(&mut self, tail: &[u8]) -> Result<(), InvalidUtf8> {
        if tail.len() > 3 {
            return Err(InvalidUtf8);
        }
        self.partial[..tail.len()].copy_from_slice(tail);
        self.partial_len = tail.len() as u8;
        Ok(())
    }
}

/// The length of the sequence a lead byte starts (1 for bytes that cannot lead, which
/// the validator then rejects).
fn sequence_len(lead: u8) -> usize {
    match lead {
        0xc2..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf4 => 4,
        _ => 1,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    fn valid_in_pieces(bytes: &[u8], piece: usize) -> bool {
        let mut v = Utf8Validator::new();
        bytes.chunks(piece.max(1)).all(|c| v.feed(c).is_ok()) && v.finish().is_ok()
    }

    #[test]
    fn agrees_with_std_for_every_split_of_tricky_inputs() {
        let cases: &[&[u8]] = &[
            "κόσμε".as_bytes(),
            "a€b𝄞c".as_bytes(),
            b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited",
            b"\xf4\x90\x80\x80",
            b"\xf0\x9f\x98",
            b"\xc0\xaf",
            b"\xe0\x80\xaf",
            b"\xed\x9f\xbf\xee\x80\x80",
            b"\xef\xbf\xbf\xf4\x8f\xbf\xbf",
            b"\x80",
            b"",
        ];
        for bytes in cases {
            let expect = std::str::from_utf8(bytes).is_ok();
            for piece in 1..=bytes.len().max(1) {
                assert_eq!(
                    valid_in_pieces(bytes, piece),
                    expect,
                    "{bytes:x?} / {piece}"
                );
            }
        }
    }

    #[test]
    fn fails_fast_on_an_invalid_prefix_before_the_code_point_completes() {
        let mut v = Utf8Validator::new();
        assert!(v.feed(b"ok \xf4").is_ok());
        assert_eq!(v.feed(b"\x90"), Err(InvalidUtf8));
        let mut v = Utf8Validator::new();
        assert_eq!(v.feed(b"\xce\xba\xed\xa0"), Err(InvalidUtf8));
    }

    #[test]
    fn incomplete_code_point_at_the_end_fails_finish() {
        let mut v = Utf8Validator::new();
        assert!(v.feed(b"\xe2\x82").is_ok());
        assert_eq!(v.partial_len, 2);
        assert_eq!(v.finish(), Err(InvalidUtf8));
    }

    #[test]
    fn carried_prefix_then_invalid_continuation_fails() {
        let mut v = Utf8Validator::new();
        assert!(v.feed(b"\xe2").is_ok());
        assert!(v.feed(b"\x82").is_ok());
        assert_eq!(v.feed(b"A"), Err(InvalidUtf8));
    }
}
