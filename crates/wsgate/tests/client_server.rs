//! Our client against our server over loopback TCP: echo, deflate, subprotocol, origin
//! policy, rejected handshakes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;
use tokio::net::TcpListener;
use wsgate::{
    Acceptor, CloseCode, ConnectError, Connector, DeflateConfig, Message, ProxyMode, WebSocket,
};

/// Serves `n` connections with an echo loop; returns the `ws://` base URL.
async fn echo_server(acceptor: Acceptor) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut ws) = acceptor.accept(tcp).await else {
                    return;
                };
                echo(&mut ws).await;
            });
        }
    });
    format!("ws://{addr}")
}

async fn echo<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(ws: &mut WebSocket<S>) {
    while let Some(Ok(msg)) = ws.recv().await {
        if msg.is_data() && ws.send(msg).await.is_err() {
            break;
        }
    }
}

fn direct() -> Connector {
    let mut c = Connector::new();
    c.proxy(ProxyMode::None)
        .connect_timeout(Duration::from_secs(5));
    c
}

#[tokio::test]
async fn echo_over_tcp_then_clean_close() {
    let url = echo_server(Acceptor::new()).await;
    let (mut ws, _) = direct().connect(&format!("{url}/echo?x=1")).await.unwrap();
    for i in 0..50 {
        ws.send(format!("msg {i}")).await.unwrap();
        assert_eq!(
            ws.recv().await.unwrap().unwrap(),
            Message::text(format!("msg {i}"))
        );
    }
    ws.send(vec![7u8; 300_000]).await.unwrap();
    assert_eq!(
        ws.recv().await.unwrap().unwrap(),
        Message::binary(vec![7u8; 300_000])
    );
    tokio::time::timeout(Duration::from_secs(5), ws.close(CloseCode::NORMAL, "done"))
        .await
        .unwrap()
        .unwrap();
    assert!(ws.recv().await.is_none());
}

#[tokio::test]
async fn deflate_and_subprotocol_are_negotiated() {
    let mut acceptor = Acceptor::new();
    acceptor
        .subprotocols(["chat.v2", "chat.v1"])
        .deflate(Some(DeflateConfig::default()));
    let url = echo_server(acceptor).await;
    let mut c = direct();
    c.subprotocols(["chat.v1", "chat.v2"])
        .deflate(Some(DeflateConfig::default()));
    let (mut ws, resp) = c.connect(&url).await.unwrap();
    assert_eq!(ws.protocol(), Some("chat.v2"));
    assert!(resp.deflate.is_some(), "{resp:?}");
    let text = "compress me ".repeat(1000);
    for _ in 0..3 {
        ws.send(text.as_str()).await.unwrap();
        assert_eq!(
            ws.recv().await.unwrap().unwrap(),
            Message::text(text.as_str())
        );
    }
    ws.close(CloseCode::NORMAL, "").await.unwrap();
}

#[tokio::test]
async fn rejected_handshake_keeps_status_and_body() {
    let mut acceptor = Acceptor::new();
    acceptor.allow_origins(["https://good.example"]);
    let url = echo_server(acceptor).await;
    let mut c = direct();
    c.origin(Some("https://evil.example".into()));
    let err = c.connect(&url).await.unwrap_err();
    assert_eq!(err.status(), Some(403), "{err}");
    match err {
        ConnectError::Handshake(wsgate::proto::handshake::HandshakeError::Status {
            body, ..
        }) => {
            assert!(
                String::from_utf8_lossy(&body).contains("origin"),
                "{body:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    let mut c = direct();
    c.origin(Some("https://good.example".into()));
    assert!(c.connect(&url).await.is_ok());
}

#[tokio::test]
async fn accept_with_routes_on_the_target() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = Acceptor::new();
            let res = acceptor
                .accept_with(tcp, |req| {
                    if req.target() == "/ok" {
                        Ok(())
                    } else {
                        Err(wsgate::proto::handshake::Rejection::new(
                            404,
                            "no such endpoint",
                        ))
                    }
                })
                .await;
            if let Ok(mut ws) = res {
                echo(&mut ws).await;
            }
        }
    });
    assert_eq!(
        direct()
            .connect(&format!("ws://{addr}/nope"))
            .await
            .unwrap_err()
            .status(),
        Some(404)
    );
    assert!(direct().connect(&format!("ws://{addr}/ok")).await.is_ok());
}

#[tokio::test]
async fn plain_http_request_gets_an_error_response() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let url = echo_server(Acceptor::new()).await;
    let addr = url.trim_start_matches("ws://");
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    tcp.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut resp = String::new();
    tokio::time::timeout(Duration::from_secs(5), tcp.read_to_string(&mut resp))
        .await
        .unwrap()
        .unwrap();
    assert!(resp.starts_with("HTTP/1.1 4"), "{resp}");
}

#[tokio::test]
async fn connect_errors_are_distinct() {
    // Nothing listens on this port once the listener is dropped.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let err = direct()
        .connect(&format!("ws://{addr}/"))
        .await
        .unwrap_err();
    assert!(matches!(err, ConnectError::Connect(_)), "{err:?}");
    let err = direct().connect("ftp://127.0.0.1/").await.unwrap_err();
    assert!(matches!(err, ConnectError::InvalidUrl(_)), "{err:?}");
    // A server that never answers: timeout.
    let silent = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = silent.local_addr().unwrap();
    let mut c = direct();
    c.connect_timeout(Duration::from_millis(200));
    let err = c.connect(&format!("ws://{addr}/")).await.unwrap_err();
    assert!(matches!(err, ConnectError::Timeout), "{err:?}");
    drop(silent);
}
