//! permessage-deflate negotiation tables (RFC 7692 §7.1): for each client offer and
//! server policy, the answer header and the agreed parameters; and a round trip in
//! which our client must accept what our server answers, with equal parameters.

use wsgate_proto::handshake::{ClientConfig, ClientHandshake, Request, ServerConfig};
use wsgate_proto::{DeflateConfig, PerMessageDeflate};

/// The server's answer to `offers` (one header line each) under `policy`.
fn negotiate(
    policy: DeflateConfig,
    offers: &[&str],
) -> (Option<String>, Option<PerMessageDeflate>) {
    let mut head = "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                    Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        .to_owned();
    for offer in offers {
        head.push_str(&format!("Sec-WebSocket-Extensions: {offer}\r\n"));
    }
    head.push_str("\r\n");
    let Ok(Some((req, _))) = Request::parse(head.as_bytes(), 8192) else {
        unreachable!("request must parse")
    };
    let mut config = ServerConfig::default();
    config.deflate = Some(policy);
    match config.accept(&req) {
        Ok(a) => (a.extensions_header(), a.deflate),
        Err(r) => unreachable!("{r}"),
    }
}

fn pmd(snct: bool, cnct: bool, s: u8, c: u8) -> Option<PerMessageDeflate> {
    Some(PerMessageDeflate {
        server_no_context_takeover: snct,
        client_no_context_takeover: cnct,
        server_max_window_bits: s,
        client_max_window_bits: c,
    })
}

fn policy(snct: bool, cnct: bool, s: u8, c: u8) -> DeflateConfig {
    let mut d = DeflateConfig::default();
    d.server_no_context_takeover(snct)
        .client_no_context_takeover(cnct)
        .server_max_window_bits(s)
        .client_max_window_bits(c);
    d
}

const PMD: &str = "permessage-deflate";

#[test]
fn window_bits_table() {
    let default = DeflateConfig::default();
    let cases: [(DeflateConfig, &str, &str, Option<PerMessageDeflate>); 10] = [
        (default, PMD, PMD, pmd(false, false, 15, 15)),
        (
            default,
            "permessage-deflate; client_max_window_bits",
            "permessage-deflate; client_max_window_bits=15",
            pmd(false, false, 15, 15),
        ),
        (
            default,
            "permessage-deflate; client_max_window_bits=10",
            "permessage-deflate; client_max_window_bits=10",
            pmd(false, false, 15, 10),
        ),
        (
            default,
            "permessage-deflate; client_max_window_bits=8",
            "permessage-deflate; client_max_window_bits=8",
            pmd(false, false, 15, 8),
        ),
        (
            default,
            "permessage-deflate; server_max_window_bits=15",
            "permessage-deflate; server_max_window_bits=15",
            pmd(false, false, 15, 15),
        ),
        (
            default,
            "permessage-deflate; server_max_window_bits=9",
            "permessage-deflate; server_max_window_bits=9",
            pmd(false, false, 9, 15),
        ),
        (
            policy(false, false, 11, 12),
            "permessage-deflate; client_max_window_bits",
            "permessage-deflate; server_max_window_bits=11; client_max_window_bits=12",
            pmd(false, false, 11, 12),
        ),
        (
            policy(false, false, 11, 12),
            "permessage-deflate; server_max_window_bits=10; client_max_window_bits=14",
            "permessage-deflate; server_max_window_bits=10; client_max_window_bits=12",
            pmd(false, false, 10, 12),
        ),
        (
            policy(false, false, 11, 12),
            PMD,
            "permessage-deflate; server_max_window_bits=11",
            pmd(false, false, 11, 15),
        ),
        (
            policy(false, false, 8, 8),
            "permessage-deflate; client_max_window_bits",
            "permessage-deflate; server_max_window_bits=8; client_max_window_bits=8",
            pmd(false, false, 8, 8),
        ),
    ];
    for (policy, offer, answer, agreed) in cases {
        assert_eq!(
            negotiate(policy, &[offer]),
            (Some(answer.to_owned()), agreed),
            "{offer}"
        );
    }
}

#[test]
fn no_context_takeover_table() {
    let cases = [
        (
            policy(false, false, 15, 15),
            "permessage-deflate; server_no_context_takeover",
            "permessage-deflate; server_no_context_takeover",
            pmd(true, false, 15, 15),
        ),
        (
            policy(false, false, 15, 15),
            "permessage-deflate; client_no_context_takeover",
            "permessage-deflate; client_no_context_takeover",
            pmd(false, true, 15, 15),
        ),
        (
            policy(true, false, 15, 15),
            PMD,
            "permessage-deflate; server_no_context_takeover",
            pmd(true, false, 15, 15),
        ),
        (
            policy(false, true, 15, 15),
            PMD,
            "permessage-deflate; client_no_context_takeover",
            pmd(false, true, 15, 15),
        ),
        (
            policy(true, true, 15, 15),
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
            pmd(true, true, 15, 15),
        ),
    ];
    for (policy, offer, answer, agreed) in cases {
        assert_eq!(
            negotiate(policy, &[offer]),
            (Some(answer.to_owned()), agreed),
            "{offer}"
        );
    }
}

#[test]
fn invalid_offers_are_declined_and_the_next_one_taken() {
    let default = DeflateConfig::default();
    for bad in [
        "permessage-deflate; foo",
        "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
        "permessage-deflate; server_no_context_takeover=1",
        "permessage-deflate; client_no_context_takeover=\"x\"",
        "permessage-deflate; server_max_window_bits",
        "permessage-deflate; server_max_window_bits=7",
        "permessage-deflate; server_max_window_bits=16",
        "permessage-deflate; client_max_window_bits=0",
        "permessage-deflate; client_max_window_bits=08",
        "permessage-deflate; client_max_window_bits=9; client_max_window_bits",
    ] {
        assert_eq!(negotiate(default, &[bad]), (None, None), "{bad}");
        let fallback = format!("{bad}, x-unknown, {PMD}; client_no_context_takeover");
        let answer = "permessage-deflate; client_no_context_takeover".to_owned();
        assert_eq!(
            negotiate(default, &[&fallback]),
            (Some(answer), pmd(false, true, 15, 15)),
            "{bad}"
        );
    }
}

#[test]
fn first_acceptable_offer_wins_across_header_lines() {
    let offers = [
        "x-webkit-deflate-frame",
        "permessage-deflate; server_max_window_bits=10",
        "permessage-deflate",
    ];
    let answer = "permessage-deflate; server_max_window_bits=10".to_owned();
    assert_eq!(
        negotiate(DeflateConfig::default(), &offers),
        (Some(answer), pmd(false, false, 10, 15))
    );
    assert_eq!(
        negotiate(DeflateConfig::default(), &["x-webkit-deflate-frame"]),
        (None, None)
    );
}

/// Every combination of a client offer and a server policy: our client accepts our
/// server's answer and both ends record the same parameters.
#[test]
fn round_trip_agrees_for_all_policies() {
    let flags = [(false, false), (true, false), (false, true), (true, true)];
    let bits = [8, 9, 12, 15];
    for (c_snct, c_cnct) in flags {
        for (s_snct, s_cnct) in flags {
            for cs in bits {
                for cc in bits {
                    for ss in bits {
                        let client = policy(c_snct, c_cnct, cs, cc);
                        let server = policy(s_snct, s_cnct, ss, 13);
                        round_trip(client, server);
                    }
                }
            }
        }
    }
}

fn round_trip(client: DeflateConfig, server: DeflateConfig) {
    let mut cc = ClientConfig::default();
    cc.deflate = Some(client);
    let hs = ClientHandshake::new(&cc, "h", "/", "dGhlIHNhbXBsZSBub25jZQ==".into());
    let mut request = Vec::new();
    hs.write_request(&mut request);
    let Ok(Some((req, _))) = Request::parse(&request, 8192) else {
        unreachable!("our request must parse")
    };
    let mut sc = ServerConfig::default();
    sc.deflate = Some(server);
    let Ok(accept) = sc.accept(&req) else {
        unreachable!("our request must be accepted")
    };
    let mut response = Vec::new();
    accept.write_response(&[], &mut response);
    let got = hs
        .parse_response(&response)
        .map(|r| r.map(|(resp, _)| resp.deflate));
    assert_eq!(got, Ok(Some(accept.deflate)), "{client:?} {server:?}");
    // Every window size is agreed to (an 8-bit side sends uncompressed).
    assert!(accept.deflate.is_some(), "{client:?} {server:?}");
}
