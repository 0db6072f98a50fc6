//! Client handshake on real bytes: the request we write, and every way a server's
//! response can be accepted or refused.

use wsgate_proto::handshake::{
    ClientConfig, ClientHandshake, HandshakeError, InvalidResponse, Response,
};
use wsgate_proto::{DeflateConfig, PerMessageDeflate};

const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
const HEAD_101: &str = "HTTP/1.1 101 Switching Protocols\r\n\
    Upgrade: websocket\r\n\
    Connection: Upgrade\r\n\
    Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n";

fn config(protocols: &[&str], deflate: Option<DeflateConfig>) -> ClientConfig {
    let mut c = ClientConfig::default();
    c.subprotocols = protocols.iter().map(|p| (*p).to_owned()).collect();
    c.deflate = deflate;
    c
}

fn handshake(protocols: &[&str], deflate: Option<DeflateConfig>) -> ClientHandshake {
    ClientHandshake::new(
        &config(protocols, deflate),
        "example.com",
        "/chat",
        KEY.into(),
    )
}

/// Parses a 101 with `extra` header lines appended, offering "chat" and default deflate.
fn respond(extra: &str) -> Result<Option<(Response, usize)>, HandshakeError> {
    let hs = handshake(&["chat"], Some(DeflateConfig::default()));
    hs.parse_response(format!("{HEAD_101}{extra}\r\n").as_bytes())
}

fn err(extra: &str) -> Option<InvalidResponse> {
    problem(respond(extra))
}

/// What is wrong with a 101 response, checking that the error kept its headers.
fn problem<T>(result: Result<T, HandshakeError>) -> Option<InvalidResponse> {
    let e = result.err()?;
    assert_eq!(e.status(), Some(101), "{e}");
    assert!(
        e.headers()
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case("upgrade"))
            || e.problem() == Some(&InvalidResponse::MissingUpgrade),
        "headers kept: {:?}",
        e.headers()
    );
    e.problem().cloned()
}

#[test]
fn request_bytes() {
    let mut c = config(&["chat", "superchat"], Some(DeflateConfig::default()));
    c.origin = Some("https://example.com".into());
    c.headers = vec![("Authorization".into(), "Bearer x".into())];
    let hs = ClientHandshake::new(&c, "example.com:8080", "/chat?a=1", KEY.into());
    let mut out = Vec::new();
    hs.write_request(&mut out);
    assert_eq!(
        String::from_utf8_lossy(&out),
        "GET /chat?a=1 HTTP/1.1\r\n\
         Host: example.com:8080\r\n\
         Upgrade: websocket\r\n\
         Connection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
         Sec-WebSocket-Version: 13\r\n\
         Origin: https://example.com\r\n\
         Sec-WebSocket-Protocol: chat, superchat\r\n\
         Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\
         Authorization: Bearer x\r\n\r\n"
    );
}

#[test]
fn minimal_request_and_injection_safety() {
    let mut c = config(&[], None);
    c.headers = vec![("X-A".into(), "1\r\nX-Injected: 1".into())];
    let hs = ClientHandshake::new(&c, "h\r\nX-Evil: 1", "", KEY.into());
    let mut out = Vec::new();
    hs.write_request(&mut out);
    let text = String::from_utf8_lossy(&out);
    assert!(
        text.starts_with("GET / HTTP/1.1\r\nHost: h  X-Evil: 1\r\n"),
        "{text}"
    );
    assert_eq!(text.matches("\r\n").count(), 8, "{text}");
    assert!(!text.contains("Sec-WebSocket-Protocol") && !text.contains("Extensions"));
}

fn policy(snct: bool, cnct: bool, s: u8, c: u8) -> DeflateConfig {
    let mut d = DeflateConfig::default();
    d.server_no_context_takeover(snct)
        .client_no_context_takeover(cnct)
        .server_max_window_bits(s)
        .client_max_window_bits(c);
    d
}

#[test]
fn offer_table() {
    let cases = [
        (
            policy(false, false, 15, 15),
            "permessage-deflate; client_max_window_bits",
        ),
        (
            policy(false, false, 15, 10),
            "permessage-deflate; client_max_window_bits=10",
        ),
        (
            policy(false, false, 15, 8),
            "permessage-deflate; client_max_window_bits=8",
        ),
        (
            policy(false, false, 8, 15),
            "permessage-deflate; server_max_window_bits=8; client_max_window_bits",
        ),
        (
            policy(true, true, 15, 15),
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
             client_max_window_bits",
        ),
    ];
    for (d, offer) in cases {
        let mut out = Vec::new();
        handshake(&[], Some(d)).write_request(&mut out);
        let line = format!("Sec-WebSocket-Extensions: {offer}\r\n");
        assert!(String::from_utf8_lossy(&out).contains(&line), "{offer}");
    }
}

#[test]
fn accepts_a_valid_101_and_keeps_trailing_frames() {
    let mut buf = format!(
        "{HEAD_101}sec-websocket-protocol: chat\r\n\
         Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; \
         client_max_window_bits=12\r\n\r\n"
    )
    .into_bytes();
    let head_len = buf.len();
    buf.extend_from_slice(&[0x81, 0x02, b'h', b'i']);
    let hs = handshake(&["chat"], Some(DeflateConfig::default()));
    let Ok(Some((resp, n))) = hs.parse_response(&buf) else {
        unreachable!("valid 101")
    };
    assert_eq!(n, head_len);
    assert_eq!(resp.protocol.as_deref(), Some("chat"));
    assert_eq!(
        resp.deflate,
        Some(PerMessageDeflate {
            server_no_context_takeover: true,
            client_max_window_bits: 12,
            ..PerMessageDeflate::default()
        })
    );
    assert_eq!(resp.headers.len(), 5);
    for i in 0..head_len {
        assert_eq!(hs.parse_response(&buf[..i]), Ok(None), "prefix {i}");
    }
}

#[test]
fn case_and_whitespace_in_the_response() {
    let buf = "HTTP/1.1 101 OK\r\nupgrade: WebSocket\r\nconnection: keep-alive\r\n\
               CONNECTION:\tUPGRADE\r\nsec-websocket-accept:  s3pPLMBiTxaQ9kYGzzhZRbK+xOo= \r\n\r\n";
    let got = handshake(&[], None).parse_response(buf.as_bytes());
    assert!(matches!(
        got,
        Ok(Some((
            Response {
                protocol: None,
                deflate: None,
                ..
            },
            _
        )))
    ));
}

#[test]
fn non_101_status_keeps_headers_and_body() {
    let buf = b"HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\nforbidden\nNEXT";
    let got = handshake(&[], None).parse_response(buf);
    let Err(HandshakeError::Status {
        status,
        reason,
        headers,
        body,
    }) = got
    else {
        unreachable!("status error expected: {got:?}")
    };
    assert_eq!(
        (status, reason.as_str(), body.as_slice()),
        (403, "Forbidden", &b"forbidden\n"[..])
    );
    assert_eq!(
        headers[0],
        ("Content-Type".to_owned(), b"text/plain".to_vec())
    );
    let e = HandshakeError::Status {
        status,
        reason,
        headers,
        body,
    };
    assert_eq!(
        e.to_string(),
        "server rejected the handshake: 403 Forbidden"
    );
}

#[test]
fn malformed_responses() {
    let hs = handshake(&[], None);
    let mut big = HEAD_101.to_owned();
    big.push_str(&format!("X-Pad: {}\r\n\r\n", "a".repeat(20_000)));
    let mut many = HEAD_101.to_owned();
    for i in 0..64 {
        many.push_str(&format!("X-{i}: 1\r\n"));
    }
    many.push_str("\r\n");
    let cases = [
        ("garbage\r\n\r\n", "invalid http version"),
        (
            "HTTP/1.0 101 Switching Protocols\r\n\r\n",
            "101 response is not http/1.1",
        ),
        (big.as_str(), "response head larger than 16384 bytes"),
        (many.as_str(), "more than 64 response headers"),
    ];
    for (buf, why) in cases {
        let got = hs.parse_response(buf.as_bytes());
        assert_eq!(
            got,
            Err(HandshakeError::MalformedResponse(why.into())),
            "{why}"
        );
    }
}

#[test]
fn upgrade_connection_and_accept_errors() {
    let hs = handshake(&[], None);
    let accept = "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n";
    let cases = [
        (format!("Connection: Upgrade\r\n{accept}"), InvalidResponse::MissingUpgrade),
        (format!("Upgrade: h2c\r\nConnection: Upgrade\r\n{accept}"), InvalidResponse::MissingUpgrade),
        (
            format!("Upgrade: websocket\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n{accept}"),
            InvalidResponse::MissingUpgrade,
        ),
        (format!("Upgrade: websocket\r\n{accept}"), InvalidResponse::MissingConnection),
        (format!("Upgrade: websocket\r\nConnection: close\r\n{accept}"), InvalidResponse::MissingConnection),
        ("Upgrade: websocket\r\nConnection: Upgrade\r\n".to_owned(), InvalidResponse::BadAccept),
        (
            "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: x3JJHMbDL1EzLkh9GBhXDw==\r\n".to_owned(),
            InvalidResponse::BadAccept,
        ),
        (format!("Upgrade: websocket\r\nConnection: Upgrade\r\n{accept}{accept}"), InvalidResponse::BadAccept),
    ];
    for (headers, want) in cases {
        let buf = format!("HTTP/1.1 101 Switching Protocols\r\n{headers}\r\n");
        assert_eq!(
            problem(hs.parse_response(buf.as_bytes())),
            Some(want),
            "{headers}"
        );
    }
}

#[test]
fn protocol_errors() {
    let unexpected = |p: &str| Some(InvalidResponse::UnexpectedProtocol(p.into()));
    assert_eq!(err("Sec-WebSocket-Protocol: mqtt\r\n"), unexpected("mqtt"));
    assert_eq!(
        err("Sec-WebSocket-Protocol: chat, mqtt\r\n"),
        unexpected("chat, mqtt")
    );
    assert_eq!(
        err("Sec-WebSocket-Protocol: chat\r\nSec-WebSocket-Protocol: chat\r\n"),
        unexpected("chat, chat")
    );
    assert_eq!(err("Sec-WebSocket-Protocol: CHAT\r\n"), unexpected("CHAT"));
    let no_offer = handshake(&[], None);
    let buf = format!("{HEAD_101}Sec-WebSocket-Protocol: chat\r\n\r\n");
    assert_eq!(
        problem(no_offer.parse_response(buf.as_bytes())),
        unexpected("chat")
    );
    let shown = unexpected("mqtt").map(|e| e.to_string());
    assert_eq!(
        shown.as_deref(),
        Some("server selected subprotocol \"mqtt\" that was not offered")
    );
}

#[test]
fn extension_errors() {
    let cases = [
        (
            "x-webkit-deflate-frame",
            "extension \"x-webkit-deflate-frame\" was not offered",
        ),
        (
            "permessage-deflate, permessage-deflate",
            "permessage-deflate answered more than once",
        ),
        (
            "permessage-deflate; foo",
            "permessage-deflate: unknown parameter \"foo\"",
        ),
        (
            "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
            "permessage-deflate: duplicate parameter \"server_no_context_takeover\"",
        ),
        (
            "permessage-deflate; client_no_context_takeover=1",
            "permessage-deflate: parameter \"client_no_context_takeover\" takes no value",
        ),
        (
            "permessage-deflate; server_max_window_bits",
            "permessage-deflate: parameter \"server_max_window_bits\" needs a value",
        ),
        (
            "permessage-deflate; server_max_window_bits=16",
            "permessage-deflate: invalid server_max_window_bits value \"16\"",
        ),
        (
            "permessage-deflate; client_max_window_bits",
            "permessage-deflate: client_max_window_bits needs a value",
        ),
        (
            "permessage-deflate; a=\"",
            "malformed sec-websocket-extensions: unterminated quoted value at byte 22",
        ),
    ];
    for (ext, why) in cases {
        let got = err(&format!("Sec-WebSocket-Extensions: {ext}\r\n"));
        assert_eq!(
            got,
            Some(InvalidResponse::BadExtension(why.into())),
            "{ext}"
        );
    }
}

#[test]
fn extension_errors_that_depend_on_the_offer() {
    let mut d = DeflateConfig::default();
    d.server_max_window_bits(10);
    let hs = handshake(&[], Some(d));
    let buf = format!(
        "{HEAD_101}Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=11\r\n\r\n"
    );
    let why = "permessage-deflate: server_max_window_bits=11 exceeds the requested 10";
    assert_eq!(
        problem(hs.parse_response(buf.as_bytes())),
        Some(InvalidResponse::BadExtension(why.into()))
    );

    let no_offer = handshake(&[], None);
    let buf = format!("{HEAD_101}Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n");
    let why = "permessage-deflate was not offered";
    let got = no_offer.parse_response(buf.as_bytes());
    assert_eq!(
        problem(got.clone()),
        Some(InvalidResponse::BadExtension(why.into()))
    );
    let shown = got.err().map(|e| e.to_string()).unwrap_or_default();
    assert_eq!(
        shown,
        "server answered with an invalid extension: permessage-deflate was not offered"
    );
}

#[test]
fn response_table_for_our_default_offer() {
    let pmd = |snct, cnct, s, c| PerMessageDeflate {
        server_no_context_takeover: snct,
        client_no_context_takeover: cnct,
        server_max_window_bits: s,
        client_max_window_bits: c,
    };
    let cases = [
        ("permessage-deflate", pmd(false, false, 15, 15)),
        (
            "permessage-deflate; server_no_context_takeover",
            pmd(true, false, 15, 15),
        ),
        (
            "permessage-deflate; client_no_context_takeover",
            pmd(false, true, 15, 15),
        ),
        (
            "permessage-deflate; server_max_window_bits=8",
            pmd(false, false, 8, 15),
        ),
        (
            "permessage-deflate; client_max_window_bits=9",
            pmd(false, false, 15, 9),
        ),
        (
            "permessage-deflate;client_max_window_bits=\"15\"",
            pmd(false, false, 15, 15),
        ),
    ];
    for (ext, want) in cases {
        let got = respond(&format!("Sec-WebSocket-Extensions: {ext}\r\n"));
        assert!(
            matches!(got, Ok(Some((Response { deflate: Some(d), .. }, _))) if d == want),
            "{ext}"
        );
    }
}
