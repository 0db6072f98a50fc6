//! Server handshake on real request bytes: browser requests, every rejection with its
//! status and reason, header edge cases, and the exact response bytes.

use wsgate_proto::PerMessageDeflate;
use wsgate_proto::handshake::{Accept, Rejection, Request, ServerConfig};

const CHROMIUM: &[u8] = b"GET /chat HTTP/1.1\r\n\
Host: localhost:9001\r\n\
Connection: Upgrade\r\n\
Pragma: no-cache\r\n\
Cache-Control: no-cache\r\n\
User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/126.0.0.0\r\n\
Upgrade: websocket\r\n\
Origin: http://localhost:9001\r\n\
Sec-WebSocket-Version: 13\r\n\
Accept-Encoding: gzip, deflate, br, zstd\r\n\
Accept-Language: en-US,en;q=0.9\r\n\
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n";

const FIREFOX: &[u8] = b"GET /socket?room=1 HTTP/1.1\r\n\
Host: example.com\r\n\
User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n\
Accept: */*\r\n\
Sec-WebSocket-Version: 13\r\n\
Origin: https://example.com\r\n\
Sec-WebSocket-Protocol: chat, superchat\r\n\
Sec-WebSocket-Extensions: permessage-deflate\r\n\
Sec-WebSocket-Key: x3JJHMbDL1EzLkh9GBhXDw==\r\n\
Connection: keep-alive, Upgrade\r\n\
Upgrade: websocket\r\n\r\n";

fn parse(bytes: &[u8]) -> Request {
    match Request::parse(bytes, 8192) {
        Ok(Some((req, n))) => {
            assert_eq!(n, bytes.len());
            req
        }
        other => unreachable!("{other:?}"),
    }
}

fn accept(bytes: &[u8]) -> Result<Accept, Rejection> {
    ServerConfig::default().accept(&parse(bytes))
}

/// Rebuilds the Chromium request with header `name` replaced by `lines`
/// (each a complete `Name: value` line; empty removes it).
fn chromium_with(name: &str, lines: &[&str]) -> Vec<u8> {
    let text = String::from_utf8_lossy(CHROMIUM).into_owned();
    let mut out = String::new();
    for line in text.split_inclusive("\r\n") {
        if line
            .to_ascii_lowercase()
            .starts_with(&format!("{}:", name.to_ascii_lowercase()))
        {
            for l in lines {
                out.push_str(l);
                out.push_str("\r\n");
            }
        } else {
            out.push_str(line);
        }
    }
    out.into_bytes()
}

#[test]
fn chromium_request_gets_the_exact_101() {
    let Ok(accept) = accept(CHROMIUM) else {
        unreachable!("chromium request must be accepted")
    };
    assert_eq!(
        accept.deflate,
        Some(PerMessageDeflate {
            client_max_window_bits: 15,
            ..PerMessageDeflate::default()
        })
    );
    let mut out = Vec::new();
    accept.write_response(&[("Server", "wsgate")], &mut out);
    assert_eq!(
        String::from_utf8_lossy(&out),
        "HTTP/1.1 101 Switching Protocols\r\n\
         Upgrade: websocket\r\n\
         Connection: Upgrade\r\n\
         Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\
         Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=15\r\n\
         Server: wsgate\r\n\r\n"
    );
}

#[test]
fn firefox_request_selects_our_preferred_protocol() {
    let mut config = ServerConfig::default();
    config.subprotocols = vec!["superchat".into(), "chat".into()];
    let req = parse(FIREFOX);
    assert_eq!(req.subprotocols(), ["chat", "superchat"]);
    assert_eq!(req.origin(), Some("https://example.com"));
    assert_eq!(req.target(), "/socket?room=1");
    let Ok(accept) = config.accept(&req) else {
        unreachable!("firefox request must be accepted")
    };
    assert_eq!(accept.protocol.as_deref(), Some("superchat"));
    assert_eq!(accept.accept_key, "HSmrc0sMlYUkAGmm5OPpG2HaGWk=");
    assert_eq!(
        accept.response_headers(),
        [
            (
                "Sec-WebSocket-Accept",
                "HSmrc0sMlYUkAGmm5OPpG2HaGWk=".to_owned()
            ),
            ("Sec-WebSocket-Protocol", "superchat".to_owned()),
            ("Sec-WebSocket-Extensions", "permessage-deflate".to_owned()),
        ]
    );
}

#[test]
fn no_common_protocol_and_no_deflate_policy() {
    let mut config = ServerConfig::default();
    config.subprotocols = vec!["mqtt".into()];
    config.deflate = None;
    let Ok(accept) = config.accept(&parse(FIREFOX)) else {
        unreachable!("firefox request must be accepted")
    };
    assert_eq!((accept.protocol, accept.deflate), (None, None));
}

#[test]
fn every_rejection_has_its_status_and_reason() {
    let cases: Vec<(Vec<u8>, u16, &str)> = vec![
        (
            replace_first(CHROMIUM, "GET", "POST"),
            405,
            "method not allowed",
        ),
        (
            replace_first(CHROMIUM, "HTTP/1.1", "HTTP/1.0"),
            400,
            "http/1.1 or later required",
        ),
        (chromium_with("host", &[]), 400, "missing host header"),
        (
            chromium_with("host", &["Host: a", "Host: b"]),
            400,
            "duplicate host header",
        ),
        (chromium_with("upgrade", &[]), 400, "missing upgrade header"),
        (
            chromium_with("upgrade", &["Upgrade: h2c"]),
            400,
            "upgrade header lacks websocket",
        ),
        (
            chromium_with("connection", &[]),
            400,
            "missing connection header",
        ),
        (
            chromium_with("connection", &["Connection: keep-alive"]),
            400,
            "connection header lacks upgrade",
        ),
        (
            chromium_with("sec-websocket-version", &[]),
            426,
            "missing sec-websocket-version",
        ),
        (
            chromium_with("sec-websocket-version", &["Sec-WebSocket-Version: 8"]),
            426,
            "unsupported websocket version",
        ),
        (
            chromium_with(
                "sec-websocket-version",
                &["Sec-WebSocket-Version: 13", "Sec-WebSocket-Version: 13"],
            ),
            426,
            "duplicate sec-websocket-version",
        ),
        (
            chromium_with("sec-websocket-key", &[]),
            400,
            "missing sec-websocket-key",
        ),
        (
            chromium_with(
                "sec-websocket-key",
                &[
                    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
                    "Sec-WebSocket-Key: x3JJHMbDL1EzLkh9GBhXDw==",
                ],
            ),
            400,
            "duplicate sec-websocket-key",
        ),
        (
            chromium_with("sec-websocket-key", &["Sec-WebSocket-Key: c2hvcnQ="]),
            400,
            "invalid sec-websocket-key",
        ),
        (
            chromium_with("origin", &["Sec-WebSocket-Protocol: a b"]),
            400,
            "invalid sec-websocket-protocol",
        ),
        (
            chromium_with(
                "sec-websocket-extensions",
                &["Sec-WebSocket-Extensions: permessage-deflate; x=\""],
            ),
            400,
            "malformed sec-websocket-extensions",
        ),
    ];
    for (bytes, status, reason) in cases {
        let got = accept(&bytes).map(|_| ()).map_err(|r| (r.status, r.reason));
        assert_eq!(
            got,
            Err((status, reason.to_owned())),
            "{}",
            String::from_utf8_lossy(&bytes)
        );
    }
}

#[test]
fn invalid_keys() {
    for key in [
        "dGhlIHNhbXBsZSBub25jZQ",       // no padding
        "dGhlIHNhbXBsZSBub25jZR==",     // non-canonical trailing bits
        "dGhlIHNhbXBsZSBub25jZQ==QQ==", // trailing data
        "dGhlIHNhbXBsZSBub25jZQ=!",
        "AAAAAAAAAAAAAAAAAAAAAAAA", // 18 bytes
        "",
    ] {
        let line = format!("Sec-WebSocket-Key: {key}");
        let got = accept(&chromium_with("sec-websocket-key", &[&line])).map_err(|r| r.reason);
        assert_eq!(
            got.map(|_| ()),
            Err("invalid sec-websocket-key".to_owned()),
            "{key}"
        );
    }
    let line = b"Sec-WebSocket-Key: \xff\xfe\r\n".to_vec();
    let mut bytes = chromium_with("sec-websocket-key", &[]);
    bytes.splice(bytes.len() - 2..bytes.len() - 2, line);
    assert_eq!(accept(&bytes).map_err(|r| r.status).map(|_| ()), Err(400));
}

#[test]
fn rejection_responses_are_complete_http() {
    let Err(rejection) = accept(&replace_first(CHROMIUM, "GET", "PUT")) else {
        unreachable!("PUT must be refused")
    };
    let mut out = Vec::new();
    rejection.write_response(&mut out);
    assert_eq!(
        String::from_utf8_lossy(&out),
        "HTTP/1.1 405 Method Not Allowed\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         Content-Length: 19\r\n\
         Connection: close\r\n\
         Allow: GET\r\n\r\n\
         method not allowed\n"
    );
    let Err(rejection) = accept(&chromium_with(
        "sec-websocket-version",
        &["Sec-WebSocket-Version: 7"],
    )) else {
        unreachable!("version 7 must be refused")
    };
    assert_eq!(
        rejection.headers,
        [("Sec-WebSocket-Version", "13".to_owned())]
    );
    assert_eq!(rejection.to_string(), "426: unsupported websocket version");
}

#[test]
fn oversized_and_overfull_heads_get_431() {
    let mut big = CHROMIUM[..CHROMIUM.len() - 2].to_vec();
    big.extend_from_slice(format!("X-Pad: {}\r\n\r\n", "a".repeat(9000)).as_bytes());
    let err = Request::parse(&big, 8192).map_err(|r| (r.status, r.reason));
    assert_eq!(err, Err((431, "request head too large".to_owned())));
    assert!(matches!(Request::parse(&big, 16384), Ok(Some(_))));

    let mut many = b"GET / HTTP/1.1\r\n".to_vec();
    for i in 0..65 {
        many.extend_from_slice(format!("X-{i}: 1\r\n").as_bytes());
    }
    many.extend_from_slice(b"\r\n");
    let err = Request::parse(&many, 8192).map_err(|r| (r.status, r.reason));
    assert_eq!(err, Err((431, "too many request headers".to_owned())));
}

#[test]
fn malformed_heads_get_400() {
    for bytes in [
        &b"GET / HTTP/2.0\r\n\r\n"[..],
        b"GET / FOO\r\n\r\n",
        b"GET\t/ HTTP/1.1\r\n\r\n",
        b"GET / HTTP/1.1\r\nBad Name: 1\r\n\r\n",
        b"GET / HTTP/1.1\r\nX: a\rb\r\n\r\n",
    ] {
        let got = Request::parse(bytes, 8192)
            .map_err(|r| r.status)
            .map(|_| ());
        assert_eq!(got, Err(400), "{}", String::from_utf8_lossy(bytes));
    }
    let Err(r) = Request::parse(b"GET / HTTP/2.0\r\n\r\n", 8192) else {
        unreachable!("HTTP/2.0 must be refused")
    };
    assert!(
        r.reason.starts_with("malformed request head: "),
        "{}",
        r.reason
    );
}

#[test]
fn partial_heads_wait_for_more() {
    for i in 0..CHROMIUM.len() {
        assert_eq!(Request::parse(&CHROMIUM[..i], 8192), Ok(None), "prefix {i}");
    }
    let mut with_data = CHROMIUM.to_vec();
    with_data.extend_from_slice(&[0x81, 0x80, 1, 2, 3, 4]);
    assert!(matches!(Request::parse(&with_data, 8192), Ok(Some((_, n))) if n == CHROMIUM.len()));
}

#[test]
fn header_edge_cases_mixed_case_lists_tabs() {
    let bytes = b"GET / HTTP/1.1\r\n\
        hOsT: x\r\n\
        UPGRADE: h2c, WebSocket\r\n\
        connection: keep-alive\r\n\
        CONNECTION:\tfoo ,\tUpGrAdE\t\r\n\
        sec-websocket-key:\t dGhlIHNhbXBsZSBub25jZQ== \t\r\n\
        SEC-WEBSOCKET-VERSION:  13 \r\n\
        Sec-WebSocket-Protocol: a,\r\n\
        Sec-WebSocket-Protocol: ,b ,c\r\n\
        Sec-WebSocket-Extensions: x-foo; a=\"1\"\r\n\
        Sec-WebSocket-Extensions: permessage-deflate;\tserver_max_window_bits=\"12\" ; client_no_context_takeover\r\n\r\n";
    let mut config = ServerConfig::default();
    config.subprotocols = vec!["c".into(), "a".into()];
    let req = parse(bytes);
    assert_eq!(req.subprotocols(), ["a", "b", "c"]);
    let Ok(accept) = config.accept(&req) else {
        unreachable!("edge-case request must be accepted")
    };
    assert_eq!(accept.accept_key, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    assert_eq!(accept.protocol.as_deref(), Some("c"));
    assert_eq!(
        accept.extensions_header().as_deref(),
        Some("permessage-deflate; client_no_context_takeover; server_max_window_bits=12")
    );
}

#[test]
fn from_parts_shares_the_validation() {
    let req = Request::from_parts(
        "GET",
        "/",
        1,
        [
            ("host", &b"h"[..]),
            ("upgrade", b"websocket"),
            ("connection", b"upgrade"),
            ("sec-websocket-key", b"dGhlIHNhbXBsZSBub25jZQ=="),
            ("sec-websocket-version", b"13"),
        ],
    );
    let got = ServerConfig::default().accept(&req).map(|a| a.accept_key);
    assert_eq!(got, Ok("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=".to_owned()));
    let http10 = Request::from_parts("GET", "/", 0, req.headers().collect::<Vec<_>>());
    let got = ServerConfig::default()
        .accept(&http10)
        .map_err(|r| r.status);
    assert_eq!(got.map(|_| ()), Err(400));
}

#[test]
fn extra_headers_cannot_split_the_response() {
    let Ok(accept) = accept(CHROMIUM) else {
        unreachable!("chromium request must be accepted")
    };
    let mut out = Vec::new();
    accept.write_response(&[("X-A", "1\r\n\r\nHTTP/1.1 200 OK")], &mut out);
    assert_eq!(out.windows(4).filter(|w| w == b"\r\n\r\n").count(), 1);
}

/// `bytes` with the first `from` replaced by `to`.
fn replace_first(bytes: &[u8], from: &str, to: &str) -> Vec<u8> {
    let from = from.as_bytes();
    match bytes.windows(from.len()).position(|w| w == from) {
        Some(i) => [&bytes[..i], to.as_bytes(), &bytes[i + from.len()..]].concat(),
        None => bytes.to_vec(),
    }
}
