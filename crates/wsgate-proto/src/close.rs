//! Close frame bodies (RFC 6455 §5.5.1, §7.4): parsing what the peer sent and
//! encoding what we send.

use bytes::Bytes;

use crate::error::{ProtocolError, SendError};
use crate::frame::MAX_CONTROL_PAYLOAD;
use crate::message::{CloseFrame, Utf8Bytes};
use crate::types::CloseCode;

/// Largest close reason: a control payload minus the 2-byte code.
pub(crate) const MAX_REASON: usize = MAX_CONTROL_PAYLOAD - 2;

/// Parses a received close payload: empty, or a sendable code and a UTF-8 reason.
///
/// # Errors
/// [`ProtocolError::InvalidCloseLength`] for a 1-byte payload,
/// [`ProtocolError::InvalidCloseCode`] for a reserved or invalid code,
/// [`ProtocolError::InvalidUtf8`] for a reason that is not UTF-8.
pub(crate) fn parse_close(payload: &Bytes) -> Result<Option<CloseFrame>, ProtocolError> {
    let code = match payload.first_chunk::<2>() {
        None if payload.is_empty() => return Ok(None),
        None => return Err(ProtocolError::InvalidCloseLength),
        Some(b) => u16::from_be_bytes(*b),
    };
    let code = CloseCode::new(code);
    if !code.is_sendable() {
        return Err(ProtocolError::InvalidCloseCode(code.as_u16()));
    }
    let reason =
        Utf8Bytes::try_from_bytes(payload.slice(2..)).map_err(|_| ProtocolError::InvalidUtf8)?;
    Ok(Some(CloseFrame { code, reason }))
}

/// Encodes a close payload we are about to send (`None`: an empty close frame).
///
/// # Errors
/// [`SendError::InvalidCloseCode`] for a code that may not be sent,
/// [`SendError::ControlFrameTooLong`] for a reason over 123 bytes.
pub(crate) fn encode_close(
    close: Option<(CloseCode, &str)>,
) -> Result<([u8; MAX_CONTROL_PAYLOAD], usize), SendError> {
    let mut buf = [0u8; MAX_CONTROL_PAYLOAD];
    let Some((code, reason)) = close else {
        return Ok((buf, 0));
    };
    if !code.is_sendable() {
        return Err(SendError::InvalidCloseCode(code.as_u16()));
    }
    if reason.len() > MAX_REASON {
        return Err(SendError::ControlFrameTooLong);
    }
    buf[..2].copy_from_slice(&code.as_u16().to_be_bytes());
    buf[2..2 + reason.len()].copy_from_slice(reason.as_bytes());
    Ok((buf, 2 + reason.len()))
}

/// A reason that fits a close frame: cut at a character boundary at most 123 bytes in.
pub(crate) fn truncate_reason(reason: &str) -> &str {
    let mut end = reason.len().min(MAX_REASON);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    &reason[..end]
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn parses_empty_and_coded_payloads() {
        assert_eq!(parse_close(&Bytes::new()), Ok(None));
        let f = parse_close(&Bytes::from_static(b"\x03\xe8bye"))
            .unwrap()
            .unwrap();
        assert_eq!((f.code, f.reason.as_str()), (CloseCode::NORMAL, "bye"));
    }

    #[test]
    fn rejects_bad_payloads_with_the_right_error() {
        let cases: &[(&[u8], ProtocolError)] = &[
            (b"\x03", ProtocolError::InvalidCloseLength),
            (b"\x03\xed", ProtocolError::InvalidCloseCode(1005)),
            (b"\x00\x00", ProtocolError::InvalidCloseCode(0)),
            (b"\x13\x88", ProtocolError::InvalidCloseCode(5000)),
            (b"\x03\xe8\xce\xba\xe1\xbd", ProtocolError::InvalidUtf8),
        ];
        for (bytes, err) in cases {
            assert_eq!(
                parse_close(&Bytes::from_static(bytes)),
                Err(err.clone()),
                "{bytes:x?}"
            );
        }
    }

    #[test]
    fn encodes_and_checks_what_we_send() {
        let (buf, n) = encode_close(Some((CloseCode::GOING_AWAY, "bye"))).unwrap();
        assert_eq!(&buf[..n], b"\x03\xe9bye");
        assert_eq!(encode_close(None).unwrap().1, 0);
        assert_eq!(
            encode_close(Some((CloseCode::ABNORMAL, ""))),
            Err(SendError::InvalidCloseCode(1006))
        );
        let long = "x".repeat(124);
        assert_eq!(
            encode_close(Some((CloseCode::NORMAL, &long))),
            Err(SendError::ControlFrameTooLong)
        );
    }

    #[test]
    fn truncates_reasons_at_char_boundaries() {
        let s = "é".repeat(100);
        let t = truncate_reason(&s);
        assert_eq!(t.len(), 122);
        assert_eq!(truncate_reason("short"), "short");
    }
}
