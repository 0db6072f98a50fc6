//! Frame headers (RFC 6455 §5.2): decoding with every per-frame check that does not
//! need connection state, and encoding with the minimal length form.

use bytes::BufMut;

use crate::error::ProtocolError;
use crate::types::{OpCode, Role};

/// Largest header: 2 bytes, 8 bytes of extended length, 4 bytes of mask key.
pub(crate) const MAX_HEADER_LEN: usize = 14;
/// Largest control frame payload (§5.5).
pub(crate) const MAX_CONTROL_PAYLOAD: usize = 125;

const FIN: u8 = 0x80;
const RSV1: u8 = 0x40;
const RSV23: u8 = 0x30;
const MASK: u8 = 0x80;

/// A decoded frame header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FrameHeader {
    /// Final fragment of a message.
    pub(crate) fin: bool,
    /// RSV1: "compressed" under permessage-deflate.
    pub(crate) rsv1: bool,
    /// The opcode.
    pub(crate) opcode: OpCode,
    /// The masking key, if the frame is masked.
    pub(crate) mask: Option<[u8; 4]>,
    /// The payload length (at most `max_frame_size`, so it fits a `usize`).
    pub(crate) len: usize,
}

/// What the decoder needs to know about the connection.
#[derive(Clone, Copy, Debug)]
pub(crate) struct DecodeRules {
    /// Our role: a server requires masked frames, a client unmasked ones.
    pub(crate) role: Role,
    /// permessage-deflate was negotiated (RSV1 is meaningful).
    pub(crate) deflate: bool,
    /// Largest accepted payload.
    pub(crate) max_frame_size: usize,
}

/// Decodes the header at the front of `buf`. Returns the header and its length, or
/// `None` when more bytes are needed. Violations are reported as soon as the bytes
/// that show them are present.
pub(crate) fn decode_header(
    buf: &[u8],
    rules: DecodeRules,
) -> Result<Option<(FrameHeader, usize)>, ProtocolError> {
    let [b0, b1, rest @ ..] = buf else {
        return Ok(None);
    };
    let (fin, rsv1, opcode) = check_first_byte(*b0, rules)?;
    let masked = b1 & MASK != 0;
    check_mask_bit(masked, rules.role)?;
    let len7 = b1 & 0x7f;
    if opcode.is_control() && len7 > MAX_CONTROL_PAYLOAD as u8 {
        return Err(ProtocolError::ControlFrameTooLong);
    }
    let Some((len, ext)) = decode_len(len7, rest)? else {
        return Ok(None);
    };
    if len > rules.max_frame_size as u64 {
        return Err(ProtocolError::FrameTooLarge);
    }
    let key_len = if masked { 4 } else { 0 };
    let Some(after_len) = rest.get(ext..ext + key_len) else {
        return Ok(None);
    };
    let mask = <[u8; 4]>::try_from(after_len).ok();
    let len = usize::try_from(len).map_err(|_| ProtocolError::FrameTooLarge)?;
    let header = FrameHeader {
        fin,
        rsv1,
        opcode,
        mask,
        len,
    };
    Ok(Some((header, 2 + ext + key_len)))
}

/// Appends a header with the minimal length encoding.
pub(crate) fn encode_header(
    dst: &mut impl BufMut,
    fin: bool,
    rsv1: bool,
    opcode: OpCode,
    len: usize,
    mask: Option<[u8; 4]>,
) {
    let mut head = [0u8; MAX_HEADER_LEN];
    let n = write_header(&mut head, fin, rsv1, opcode, len, mask);
    dst.put_slice(&head[..n]);
}

/// Writes a header into `head`, returning its length.
pub(crate) fn write_header(
    head: &mut [u8; MAX_HEADER_LEN],
    fin: bool,
    rsv1: bool,
    opcode: OpCode,
    len: usize,
    mask: Option<[u8; 4]>,
) -> usize {
    head[0] = opcode as u8 | if fin { FIN } else { 0 } | if rsv1 { RSV1 } else { 0 };
    let mask_bit = if mask.is_some() { MASK } else { 0 };
    let mut n = 2;
    if len < 126 {
        head[1] = mask_bit | len as u8;
    } else if let Ok(short) = u16::try_from(len) {
        head[1] = mask_bit | 126;
        head[2..4].copy_from_slice(&short.to_be_bytes());
        n = 4;
    } else {
        head[1] = mask_bit | 127;
        head[2..10].copy_from_slice(&(len as u64).to_be_bytes());
        n = 10;
    }
    if let Some(key) = mask {
        head[n..n + 4].copy_from_slice(&key);
        n += 4;
    }
    n
}

/// The length of the header that [`encode_header`] writes.
pub(crate) fn header_len(len: usize, masked: bool) -> usize {
    let base = match len {
        0..126 => 2,
        126..=0xffff => 4,
        _ => 10,
    };
    base + if masked { 4 } else { 0 }
}

fn check_first_byte(b0: u8, rules: DecodeRules) -> Result<(bool, bool, OpCode), ProtocolError> {
    let raw = b0 & 0x0f;
    let opcode = OpCode::from_u8(raw).ok_or(ProtocolError::ReservedOpcode(raw))?;
    let fin = b0 & FIN != 0;
    let rsv1 = b0 & RSV1 != 0;
    if b0 & RSV23 != 0 || (rsv1 && !rules.deflate) {
        return Err(ProtocolError::ReservedBits);
    }
    if rsv1 && (opcode.is_control() || opcode == OpCode::Continuation) {
        return Err(ProtocolError::CompressedFlagMisplaced);
    }
    if opcode.is_control() && !fin {
        return Err(ProtocolError::FragmentedControlFrame);
    }
    Ok((fin, rsv1, opcode))
}

fn check_mask_bit(masked: bool, role: Role) -> Result<(), ProtocolError> {
    match (role, masked) {
        (Role::Server, false) => Err(ProtocolError::UnmaskedFrame),
        (Role::Client, true) => Err(ProtocolError::MaskedFrame),
        _ => Ok(()),
    }
}

/// The total wire length (header, mask key and payload) of the frame at the start of
/// `buf`, once its header is complete; `None` while it is not, or when the length is
/// invalid or does not fit in `usize`. Drivers use it to size reads and to see whether a
/// whole frame is already buffered; nothing is validated beyond the length.
pub fn frame_len(buf: &[u8]) -> Option<usize> {
    let b1 = *buf.get(1)?;
    let (payload, extra) = decode_len(b1 & 0x7f, buf.get(2..)?).ok()??;
    let mask = if b1 & 0x80 != 0 { 4 } else { 0 };
    usize::try_from(payload).ok()?.checked_add(2 + extra + mask)
}

/// Decodes the payload length; returns it and how many extended-length bytes it used.
fn decode_len(len7: u8, rest: &[u8]) -> Result<Option<(u64, usize)>, ProtocolError> {
    Ok(match len7 {
        126 => rest
            .first_chunk::<2>()
            .map(|b| (u64::from(u16::from_be_bytes(*b)), 2)),
        127 => match rest.first_chunk::<8>() {
            Some(b) if b[0] & 0x80 != 0 => return Err(ProtocolError::InvalidLength),
            Some(b) => Some((u64::from_be_bytes(*b), 8)),
            None => None,
        },
        n => Some((u64::from(n), 0)),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    const SERVER: DecodeRules = DecodeRules {
        role: Role::Server,
        deflate: false,
        max_frame_size: 1 << 20,
    };
    const CLIENT: DecodeRules = DecodeRules {
        role: Role::Client,
        ..SERVER
    };

    fn head(buf: &[u8], rules: DecodeRules) -> Result<Option<(FrameHeader, usize)>, ProtocolError> {
        decode_header(buf, rules)
    }

    #[test]
    fn frame_len_reads_all_three_length_forms() {
        assert_eq!(frame_len(&[0x81]), None);
        assert_eq!(frame_len(&[0x81, 0x05]), Some(7));
        assert_eq!(frame_len(&[0x81, 0x85]), Some(11));
        assert_eq!(frame_len(&[0x82, 126, 0x01]), None);
        assert_eq!(frame_len(&[0x82, 126, 0x01, 0x00]), Some(4 + 256));
        let long = [0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0];
        assert_eq!(frame_len(&long), Some(10 + 65536));
        assert_eq!(frame_len(&[0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 0]), None);
    }

    #[test]
    fn encodes_all_three_length_forms_minimally() {
        for (len, n) in [(0, 2), (125, 2), (126, 4), (65_535, 4), (65_536, 10)] {
            let mut out = Vec::new();
            encode_header(&mut out, true, false, OpCode::Binary, len, None);
            assert_eq!(out.len(), n, "{len}");
            assert_eq!(header_len(len, false), n);
            let (h, used) = head(&out, CLIENT).unwrap().unwrap();
            assert_eq!((h.len, used), (len, n));
        }
    }

    #[test]
    fn needs_more_bytes_until_the_whole_header_is_there() {
        let mut out = Vec::new();
        encode_header(
            &mut out,
            true,
            false,
            OpCode::Text,
            70_000,
            Some([1, 2, 3, 4]),
        );
        for cut in 0..out.len() {
            assert_eq!(head(&out[..cut], SERVER), Ok(None), "{cut}");
        }
        let (h, used) = head(&out, SERVER).unwrap().unwrap();
        assert_eq!((h.mask, used), (Some([1, 2, 3, 4]), 14));
    }

    #[test]
    fn rejects_per_frame_violations() {
        let cases: &[(&[u8], DecodeRules, ProtocolError)] = &[
            (&[0x83, 0x80], SERVER, ProtocolError::ReservedOpcode(3)),
            (&[0x8b, 0x80], SERVER, ProtocolError::ReservedOpcode(0xb)),
            (&[0xc1, 0x80], SERVER, ProtocolError::ReservedBits),
            (&[0xa1, 0x80], SERVER, ProtocolError::ReservedBits),
            (&[0x09, 0x80], SERVER, ProtocolError::FragmentedControlFrame),
            (&[0x89, 0xfe], SERVER, ProtocolError::ControlFrameTooLong),
            (&[0x81, 0x00], SERVER, ProtocolError::UnmaskedFrame),
            (&[0x81, 0x80], CLIENT, ProtocolError::MaskedFrame),
            (
                &[0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 0],
                CLIENT,
                ProtocolError::InvalidLength,
            ),
            (
                &[0x82, 0x7f, 0, 0, 0, 0, 0, 0x20, 0, 0],
                CLIENT,
                ProtocolError::FrameTooLarge,
            ),
        ];
        for (bytes, rules, err) in cases {
            assert_eq!(head(bytes, *rules), Err(err.clone()), "{bytes:x?}");
        }
    }

    #[test]
    fn rsv1_is_compression_only_on_first_data_frames() {
        let rules = DecodeRules {
            deflate: true,
            ..CLIENT
        };
        assert!(head(&[0xc1, 0x00], rules).unwrap().unwrap().0.rsv1);
        assert_eq!(
            head(&[0xc0, 0x00], rules),
            Err(ProtocolError::CompressedFlagMisplaced)
        );
        assert_eq!(
            head(&[0xc9, 0x00], rules),
            Err(ProtocolError::CompressedFlagMisplaced)
        );
    }
}
