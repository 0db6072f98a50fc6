//! `wsgate listen` and `wsgate connect` against live servers: each other, `wsgate echo`,
//! a TLS endpoint with a private CA, a server that refuses the handshake, and a server
//! that vanishes without a close frame.

// Tests may panic on broken invariants: that is how they fail.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod util;

use std::sync::Arc;

use util::{Proc, http_answer, run, stderr, stdout, tokio_server};

#[test]
fn listen_prints_what_clients_send_and_sends_them_stdin_lines() {
    let mut server = Proc::start(&["listen", "127.0.0.1:0"], true);
    let url = format!("ws://{}/", server.addr);
    let mut client = Proc::start(&["connect", &url], false);
    client.write("from the client\n");
    assert_eq!(server.line(), "from the client");
    server.write("from the server\n");
    assert_eq!(client.line(), "from the server");
    client.write("héllo\n");
    assert_eq!(server.line(), "héllo");

    // EOF on the server's stdin closes the client with 1000: both exit 0.
    server.close_stdin();
    assert!(client.wait().success(), "{}", client.stderr());
    assert!(server.wait().success(), "{}", server.stderr());
}

#[test]
fn listen_keeps_lines_read_before_the_first_client() {
    let mut server = Proc::start(&["listen", "127.0.0.1:0", "-b", "--base64"], true);
    server.write("early\n");
    server.close_stdin();
    let url = format!("ws://{}/", server.addr);
    let mut client = Proc::start(&["connect", &url], false);
    // Binary "early", printed as hex by the client by default.
    assert_eq!(client.line(), "6561726c79");
    assert!(client.wait().success(), "{}", client.stderr());
    assert!(server.wait().success(), "{}", server.stderr());
}

#[test]
fn listen_one_exits_when_its_client_leaves_and_sees_the_close_code() {
    let mut server = Proc::start(&["listen", "127.0.0.1:0", "-1", "-v"], true);
    let url = format!("ws://{}/", server.addr);
    let out = run(
        &[
            "connect",
            &url,
            "--close-code",
            "4001",
            "--close-reason",
            "bye now",
        ],
        b"x\n",
    );
    // We started the close: the server's echo of 4001 is not an error.
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(server.line(), "x");
    assert!(server.wait().success());
    assert!(
        server
            .stderr()
            .contains(r#"client closed with 4001 "bye now""#),
        "{}",
        server.stderr()
    );
}

#[test]
fn connect_rejects_close_codes_that_may_not_be_sent() {
    let out = run(
        &["connect", "ws://127.0.0.1:1/", "--close-code", "1006"],
        b"",
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("1006 may not be sent"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn connect_jsonrpc_numbers_requests() {
    let server = Proc::start(&["echo", "--listen", "127.0.0.1:0"], true);
    let url = format!("ws://{}/", server.addr);
    let out = run(
        &["connect", &url, "--jsonrpc"],
        b"ping\nadd 1, 2\n\nbad {\nsub {\"a\":1}\n",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        concat!(
            r#"{"jsonrpc":"2.0","id":1,"method":"ping","params":[]}"#,
            "\n",
            r#"{"jsonrpc":"2.0","id":2,"method":"add","params":[1,2]}"#,
            "\n",
            r#"{"jsonrpc":"2.0","id":3,"method":"sub","params":{"a":1}}"#,
            "\n",
        )
    );
    assert!(stderr(&out).contains("line 4 not sent"), "{}", stderr(&out));
}

#[test]
fn connect_hex_is_explicit_and_exclusive_with_base64() {
    let server = Proc::start(&["echo", "--listen", "127.0.0.1:0"], true);
    let url = format!("ws://{}/", server.addr);
    let out = run(&["connect", &url, "-b", "--hex"], b"hi\n");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "6869\n");
    let out = run(&["connect", &url, "--hex", "--base64"], b"");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn connect_sends_pings_at_the_interval() {
    let mut server = Proc::start(&["listen", "127.0.0.1:0", "-1", "-vv"], true);
    let url = format!("ws://{}/", server.addr);
    let mut client = Proc::start(&["connect", &url, "--ping-interval", "0.1"], false);
    client.write("hello\n");
    assert_eq!(server.line(), "hello");
    server.wait_stderr("ping");
    client.close_stdin();
    assert!(client.wait().success(), "{}", client.stderr());
    assert!(server.wait().success());
}

#[cfg(unix)]
#[test]
fn ctrl_c_on_connect_closes_with_1000() {
    let mut server = Proc::start(&["listen", "127.0.0.1:0", "-1", "-v"], true);
    let url = format!("ws://{}/", server.addr);
    let mut client = Proc::start(&["connect", &url], false);
    client.write("connected\n");
    assert_eq!(server.line(), "connected");
    client.signal("-INT");
    assert!(client.wait().success(), "{}", client.stderr());
    assert!(server.wait().success());
    assert!(
        server.stderr().contains("client closed with 1000"),
        "{}",
        server.stderr()
    );
}

#[cfg(unix)]
#[test]
fn a_server_that_vanishes_is_an_abnormal_closure() {
    let server = Proc::start(&["listen", "127.0.0.1:0", "-v"], true);
    let url = format!("ws://{}/", server.addr);
    let mut client = Proc::start(&["connect", &url], false);
    client.write("hi\n");
    assert_eq!(server.line(), "hi");
    server.signal("-KILL");
    let status = client.wait();
    assert_eq!(status.code(), Some(6), "{}", client.stderr());
    assert!(client.stderr().contains("1006"), "{}", client.stderr());
}

#[test]
fn rejected_handshake_shows_the_status_line_and_body() {
    let addr = http_answer(
        "HTTP/1.1 403 Forbidden\r\nContent-Length: 21\r\nConnection: close\r\n\r\nno entry for you, bot",
    );
    let out = run(&["connect", &format!("ws://{addr}/")], b"");
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("HTTP 403 Forbidden"), "{err}");
    assert!(err.contains("no entry for you, bot"), "{err}");
}

#[test]
fn tls_endpoint_with_a_private_ca() {
    let (ca_pem, server_config) = private_ca_and_server();
    let tls = tokio_rustls::TlsAcceptor::from(Arc::new(server_config));
    let addr = tokio_server(move |listener| async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let tls = tls.clone();
            tokio::spawn(async move {
                let Ok(stream) = tls.accept(tcp).await else {
                    return;
                };
                let Ok(mut ws) = wsgate::Acceptor::new().accept(stream).await else {
                    return;
                };
                while let Some(Ok(m)) = ws.recv().await {
                    if m.is_data() && ws.send(m).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    let port = addr.rsplit_once(':').unwrap().1;
    let url = format!("wss://localhost:{port}/secure");
    let ca_file = std::env::temp_dir().join(format!("wsgate-test-ca-{}.pem", std::process::id()));
    std::fs::write(&ca_file, ca_pem).unwrap();
    let ca = ca_file.to_str().unwrap();

    let out = run(&["connect", &url, "--cacert", ca], b"secret\n");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "secret\n");

    // The system roots do not know our CA: a TLS failure, exit 3.
    let out = run(&["connect", &url], b"");
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("tls handshake failed"),
        "{}",
        stderr(&out)
    );

    let out = run(&["connect", &url, "-k"], b"again\n");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "again\n");
    let _ = std::fs::remove_file(&ca_file);
}

/// A CA (returned as PEM) and a rustls server config for `localhost` signed by it.
fn private_ca_and_server() -> (String, rustls::ServerConfig) {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let leaf_key = rcgen::KeyPair::generate().unwrap();
    let leaf_params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    let leaf = leaf_params.signed_by(&leaf_key, &issuer).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.der().clone()],
            rustls_pki_types::PrivateKeyDer::try_from(leaf_key.serialize_der()).unwrap(),
        )
        .unwrap();
    (ca.pem(), config)
}
