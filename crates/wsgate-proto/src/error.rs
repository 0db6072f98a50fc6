//! The two error layers: what the peer did wrong ([`ProtocolError`], each mapped to a
//! close code) and what the local caller did wrong ([`SendError`]).

use std::fmt;

use crate::types::CloseCode;

/// A violation of RFC 6455 or RFC 7692 by the peer. The connection answers each with a
/// close frame carrying [`ProtocolError::close_code`] and then closes.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProtocolError {
    /// A client sent an unmasked frame to a server (§5.1).
    UnmaskedFrame,
    /// A server sent a masked frame to a client (§5.1).
    MaskedFrame,
    /// RSV1/2/3 set without a negotiated extension that defines them (§5.2).
    ReservedBits,
    /// An opcode reserved for future use (§5.2).
    ReservedOpcode(u8),
    /// A control frame with FIN clear (§5.5).
    FragmentedControlFrame,
    /// A control frame payload over 125 bytes (§5.5).
    ControlFrameTooLong,
    /// The 64-bit length had its most significant bit set (§5.2).
    InvalidLength,
    /// A continuation frame with no message in progress (§5.4).
    UnexpectedContinuation,
    /// A new data frame while a fragmented message was in progress (§5.4).
    ExpectedContinuation,
    /// A text message (or close reason) that is not valid UTF-8 (§8.1).
    InvalidUtf8,
    /// A close frame with a one-byte payload (§5.5.1).
    InvalidCloseLength,
    /// A close frame with a reserved or invalid status code (§7.4).
    InvalidCloseCode(u16),
    /// A frame larger than the configured limit.
    FrameTooLarge,
    /// A message larger than the configured limit (checked while inflating, too).
    MessageTooLarge,
    /// A compressed payload that does not inflate (RFC 7692 §6.2).
    InvalidCompressedData,
    /// RSV1 set on a continuation or control frame (RFC 7692 §6).
    CompressedFlagMisplaced,
    /// Data arrived after the peer's close frame.
    DataAfterClose,
    /// The peer did not answer a ping within the deadline, or was idle too long.
    Timeout,
}

impl ProtocolError {
    /// The close code RFC 6455 asks us to send for this violation.
    pub fn close_code(&self) -> CloseCode {
        match self {
            Self::InvalidUtf8 => CloseCode::INVALID_PAYLOAD,
            Self::FrameTooLarge | Self::MessageTooLarge => CloseCode::MESSAGE_TOO_BIG,
            Self::Timeout => CloseCode::POLICY_VIOLATION,
            _ => CloseCode::PROTOCOL_ERROR,
        }
    }

    /// A short lowercase description, also used as the close reason.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::UnmaskedFrame => "unmasked frame from client",
            Self::MaskedFrame => "masked frame from server",
            Self::ReservedBits => "reserved bits set",
            Self::ReservedOpcode(_) => "reserved opcode",
            Self::FragmentedControlFrame => "fragmented control frame",
            Self::ControlFrameTooLong => "control frame too long",
            Self::InvalidLength => "invalid payload length",
            Self::UnexpectedContinuation => "unexpected continuation frame",
            Self::ExpectedContinuation => "expected continuation frame",
            Self::InvalidUtf8 => "invalid utf-8",
            Self::InvalidCloseLength => "invalid close frame length",
            Self::InvalidCloseCode(_) => "invalid close code",
            Self::FrameTooLarge => "frame too large",
            Self::MessageTooLarge => "message too large",
            Self::InvalidCompressedData => "invalid compressed data",
            Self::CompressedFlagMisplaced => "compressed flag on continuation or control frame",
            Self::DataAfterClose => "data after close",
            Self::Timeout => "keepalive timeout",
        }
    }
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ReservedOpcode(op) => write!(f, "reserved opcode {op:#x}"),
            Self::InvalidCloseCode(c) => write!(f, "invalid close code {c}"),
            _ => f.write_str(self.as_str()),
        }
    }
}

impl std::error::Error for ProtocolError {}

/// A local misuse when sending: the caller's fault, not the peer's.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SendError {
    /// A close frame was already sent; nothing may follow it (§5.5.1).
    Closed,
    /// A control frame payload over 125 bytes, or a close reason over 123 bytes.
    ControlFrameTooLong,
    /// A close code that may not be sent on the wire (1005, 1006, 1015, reserved ranges).
    InvalidCloseCode(u16),
    /// A new data message while a streamed message is still open.
    MessageInProgress,
    /// A continuation chunk with no streamed message open.
    NoMessageInProgress,
    /// Text chunks of a streamed message were not valid UTF-8.
    InvalidUtf8,
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Closed => f.write_str("connection is closing or closed"),
            Self::ControlFrameTooLong => f.write_str("control frame payload too long"),
            Self::InvalidCloseCode(c) => write!(f, "close code {c} may not be sent"),
            Self::MessageInProgress => f.write_str("a streamed message is still in progress"),
            Self::NoMessageInProgress => f.write_str("no streamed message in progress"),
            Self::InvalidUtf8 => f.write_str("text is not valid utf-8"),
        }
    }
}

impl std::error::Error for SendError {}
