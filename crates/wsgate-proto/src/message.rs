//! Messages as the application sees them: whole text or binary payloads and control frames.

use bytes::Bytes;
use std::fmt;

use crate::types::CloseCode;

/// A WebSocket message. Data payloads are reference-counted [`Bytes`], split out of
/// the receive buffer without copying where possible.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    /// A text message; the payload is valid UTF-8.
    Text(Utf8Bytes),
    /// A binary message.
    Binary(Bytes),
    /// A ping (at most 125 bytes). Received pings are answered automatically.
    Ping(Bytes),
    /// A pong (at most 125 bytes).
    Pong(Bytes),
    /// A close frame; `None` when the frame carried no status code.
    Close(Option<CloseFrame>),
}

impl Message {
    /// A text message from anything that converts to [`Utf8Bytes`].
    pub fn text(s: impl Into<Utf8Bytes>) -> Self {
        Self::Text(s.into())
    }

    /// A binary message from anything that converts to [`Bytes`].
    pub fn binary(b: impl Into<Bytes>) -> Self {
        Self::Binary(b.into())
    }

    /// Whether this is a text or binary message.
    pub fn is_data(&self) -> bool {
        matches!(self, Self::Text(_) | Self::Binary(_))
    }

    /// The payload length in bytes (for a close frame: 2 + reason length, or 0).
    pub fn len(&self) -> usize {
        match self {
            Self::Text(t) => t.len(),
            Self::Binary(b) | Self::Ping(b) | Self::Pong(b) => b.len(),
            Self::Close(None) => 0,
            Self::Close(Some(c)) => 2 + c.reason.len(),
        }
    }

    /// Whether the payload is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl From<&str> for Message {
    fn from(s: &str) -> Self {
        Self::Text(s.into())
    }
}

impl From<String> for Message {
    fn from(s: String) -> Self {
        Self::Text(s.into())
    }
}

impl From<Vec<u8>> for Message {
    fn from(v: Vec<u8>) -> Self {
        Self::Binary(v.into())
    }
}

impl From<Bytes> for Message {
    fn from(b: Bytes) -> Self {
        Self::Binary(b)
    }
}

/// The kind of a data message, for streaming APIs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DataKind {
    /// UTF-8 text.
    Text,
    /// Arbitrary bytes.
    Binary,
}

/// The body of a close frame that carried a status code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CloseFrame {
    /// The status code.
    pub code: CloseCode,
    /// The reason, valid UTF-8, at most 123 bytes.
    pub reason: Utf8Bytes,
}

impl CloseFrame {
    /// A close frame with the given code and reason.
    pub fn new(code: CloseCode, reason: impl Into<Utf8Bytes>) -> Self {
        Self {
            code,
            reason: reason.into(),
        }
    }
}

impl fmt::Display for CloseFrame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.reason.is_empty() {
            write!(f, "{}", self.code)
        } else {
            write!(f, "{}: {}", self.code, self.reason.as_str())
        }
    }
}

/// [`Bytes`] that are known to hold valid UTF-8. Cheap to clone; `as_str` does not re-validate.
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Utf8Bytes(Bytes);

impl Utf8Bytes {
    /// An empty string.
    pub const fn new() -> Self {
        Self(Bytes::new())
    }

    /// A string from a `&'static str`, without copying.
    pub const fn from_static(s: &'static str) -> Self {
        Self(Bytes::from_static(s.as_bytes()))
    }

    /// Validates `b` as UTF-8.
    ///
    /// # Errors
    /// Returns the bytes back if they are not valid UTF-8.
    pub fn try_from_bytes(b: Bytes) -> Result<Self, Bytes> {
        if simdutf8::basic::from_utf8(&b).is_ok() {
            Ok(Self(b))
        } else {
            Err(b)
        }
    }

    /// Wraps bytes that the caller has already validated as UTF-8 (for example with the
    /// incremental validator). Not `unsafe` because a wrong call cannot cause memory
    /// unsafety: [`Utf8Bytes::as_str`] re-checks in debug builds and falls back to a
    /// lossy empty string on failure in release builds.
    pub(crate) fn from_validated(b: Bytes) -> Self {
        debug_assert!(std::str::from_utf8(&b).is_ok());
        Self(b)
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        // The invariant is upheld by every constructor; the check is cheap with simdutf8
        // and keeps this crate free of `unsafe`.
        simdutf8::basic::from_utf8(&self.0).unwrap_or_default()
    }

    /// The underlying bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the string is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Unwraps the bytes.
    pub fn into_bytes(self) -> Bytes {
        self.0
    }
}

impl fmt::Debug for Utf8Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Utf8Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::ops::Deref for Utf8Bytes {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl From<&str> for Utf8Bytes {
    fn from(s: &str) -> Self {
        Self(Bytes::copy_from_slice(s.as_bytes()))
    }
}

impl From<String> for Utf8Bytes {
    fn from(s: String) -> Self {
        Self(Bytes::from(s))
    }
}

impl From<&String> for Utf8Bytes {
    fn from(s: &String) -> Self {
        s.as_str().into()
    }
}

impl From<Utf8Bytes> for Bytes {
    fn from(u: Utf8Bytes) -> Bytes {
        u.0
    }
}
