//! Header-field helpers shared by both sides of the handshake: bounded head parsing
//! with `httparse`, case-insensitive lookups, RFC 7230 `#rule` comma lists, and
//! writing header lines that cannot be used for response splitting.

/// Headers as received: name (a valid token, so ASCII) and raw value bytes.
pub(crate) type HeaderVec = Vec<(String, Vec<u8>)>;

/// The most header lines accepted in one head; more is a 431 / malformed response.
pub(crate) const MAX_HEADERS: usize = 64;

/// Copies `httparse` headers into owned pairs. The total size is bounded by the
/// caller's head limit.
pub(crate) fn collect(headers: &[httparse::Header<'_>]) -> HeaderVec {
    headers
        .iter()
        .map(|h| (h.name.to_owned(), h.value.to_vec()))
        .collect()
}

/// All values of the header `name` (ASCII case-insensitive), in order.
pub(crate) fn values<'a, 'n>(
    headers: &'a [(String, Vec<u8>)],
    name: &'n str,
) -> impl Iterator<Item = &'a [u8]> + use<'a, 'n> {
    headers
        .iter()
        .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_slice())
}

/// The value of `name` if it occurs exactly once: `Ok(None)` if absent,
/// `Err(())` if repeated.
pub(crate) fn single<'a>(
    headers: &'a [(String, Vec<u8>)],
    name: &str,
) -> Result<Option<&'a [u8]>, ()> {
    let mut it = values(headers, name);
    let first = it.next();
    match it.next() {
        Some(_) => Err(()),
        None => Ok(first),
    }
}

/// The non-empty, OWS-trimmed elements of a comma list spread over all `name` lines.
pub(crate) fn list<'a, 'n>(
    headers: &'a [(String, Vec<u8>)],
    name: &'n str,
) -> impl Iterator<Item = &'a [u8]> + use<'a, 'n> {
    values(headers, name)
        .flat_map(|v| v.split(|&b| b == b','))
        .map(trim_ows)
        .filter(|e| !e.is_empty())
}

/// Whether the comma list in the `name` lines contains `token` (ASCII case-insensitive).
pub(crate) fn list_contains(headers: &[(String, Vec<u8>)], name: &str, token: &str) -> bool {
    list(headers, name).any(|e| e.eq_ignore_ascii_case(token.as_bytes()))
}

/// `value` without leading and trailing spaces and tabs (RFC 7230 OWS).
pub(crate) fn trim_ows(value: &[u8]) -> &[u8] {
    let start = value
        .iter()
        .position(|b| !is_ows(*b))
        .unwrap_or(value.len());
    let end = value
        .iter()
        .rposition(|b| !is_ows(*b))
        .map_or(start, |i| i + 1);
    value.get(start..end).unwrap_or_default()
}

/// Whether `b` is a space or horizontal tab.
pub(crate) fn is_ows(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// Whether `b` is an RFC 7230 `tchar`.
pub(crate) fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Whether `s` is a non-empty RFC 7230 `token`.
pub(crate) fn is_token(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(|&b| is_tchar(b))
}

/// Appends `name: value\r\n`, replacing CR, LF and NUL with spaces so that no caller-
/// supplied string can end the line early (response splitting).
pub(crate) fn write_line(out: &mut Vec<u8>, name: &str, value: &str) {
    write_safe(out, name.as_bytes());
    out.extend_from_slice(b": ");
    write_safe(out, value.as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// Appends `bytes` with CR, LF and NUL replaced by spaces.
pub(crate) fn write_safe(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend(bytes.iter().map(|&b| match b {
        b'\r' | b'\n' | 0 => b' ',
        other => other,
    }));
}

/// A short, bounded, printable rendering of peer-supplied bytes for error messages.
pub(crate) fn lossy(bytes: &[u8]) -> String {
    const MAX: usize = 128;
    let cut = bytes.get(..MAX).unwrap_or(bytes);
    let mut s = String::from_utf8_lossy(cut).into_owned();
    if bytes.len() > MAX {
        s.push('…');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hv(pairs: &[(&str, &[u8])]) -> HeaderVec {
        pairs
            .iter()
            .map(|(n, v)| ((*n).to_owned(), v.to_vec()))
            .collect()
    }

    #[test]
    fn trims_spaces_and_tabs() {
        assert_eq!(trim_ows(b" \t a b\t "), b"a b");
        assert_eq!(trim_ows(b" \t "), b"");
        assert_eq!(trim_ows(b""), b"");
    }

    #[test]
    fn lists_span_lines_and_skip_empty_elements() {
        let h = hv(&[
            ("connection", b"keep-alive, ,"),
            ("CONNECTION", b"\tUpgrade "),
        ]);
        let items: Vec<&[u8]> = list(&h, "Connection").collect();
        assert_eq!(items, [&b"keep-alive"[..], b"Upgrade"]);
        assert!(list_contains(&h, "connection", "upgrade"));
        assert!(!list_contains(&h, "connection", "close"));
    }

    #[test]
    fn single_detects_duplicates() {
        let h = hv(&[("a", b"1"), ("A", b"2"), ("b", b"3")]);
        assert_eq!(single(&h, "a"), Err(()));
        assert_eq!(single(&h, "b"), Ok(Some(&b"3"[..])));
        assert_eq!(single(&h, "c"), Ok(None));
    }

    #[test]
    fn write_line_neutralises_line_breaks() {
        let mut out = Vec::new();
        write_line(&mut out, "X-A", "1\r\nSet-Cookie: x");
        assert_eq!(out, b"X-A: 1  Set-Cookie: x\r\n");
    }

    #[test]
    fn tokens() {
        assert!(is_token(b"permessage-deflate"));
        assert!(!is_token(b""));
        assert!(!is_token(b"a b"));
        assert!(!is_token(b"a\"b"));
    }

    #[test]
    fn lossy_is_bounded() {
        assert_eq!(lossy(b"ab\xff"), "ab\u{fffd}");
        assert_eq!(lossy(&[b'x'; 300]).chars().count(), 129);
    }
}
