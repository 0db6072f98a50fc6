//! hyper upgrade, `wss://` with a self-signed CA, and an HTTP CONNECT proxy.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use bytes::Bytes;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use wsgate::{Acceptor, CloseCode, Connector, Message, ProxyMode, TlsRoots};

fn direct() -> Connector {
    let mut c = Connector::new();
    c.proxy(ProxyMode::None)
        .connect_timeout(Duration::from_secs(5));
    c
}

async fn hyper_server(acceptor: Acceptor) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let service = service_fn(move |mut req: http::Request<hyper::body::Incoming>| {
                let acceptor = acceptor.clone();
                async move {
                    if !wsgate::upgrade::is_upgrade_request(&req) {
                        let body = Full::new(Bytes::from_static(b"plain http\n"));
                        return Ok::<_, std::convert::Infallible>(http::Response::new(body));
                    }
                    Ok(match wsgate::upgrade::upgrade(&mut req, &acceptor) {
                        Ok((resp, fut)) => {
                            tokio::spawn(async move {
                                let mut ws = fut.await.unwrap();
                                while let Some(Ok(m)) = ws.recv().await {
                                    if m.is_data() && ws.send(m).await.is_err() {
                                        break;
                                    }
                                }
                            });
                            resp
                        }
                        Err(rejection) => rejection,
                    })
                }
            });
            tokio::spawn(async move {
                let conn = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tcp), service)
                    .with_upgrades();
                let _ = conn.await;
            });
        }
    });
    format!("ws://{addr}")
}

#[tokio::test]
async fn hyper_upgrade_echoes_and_rejects() {
    let mut acceptor = Acceptor::new();
    acceptor.subprotocols(["v1"]).allow_origins(["http://ok"]);
    let url = hyper_server(acceptor).await;
    let mut c = direct();
    c.subprotocols(["v1"]);
    let (mut ws, _) = c.connect(&format!("{url}/ws")).await.unwrap();
    assert_eq!(ws.protocol(), Some("v1"));
    ws.send("through hyper").await.unwrap();
    assert_eq!(
        ws.recv().await.unwrap().unwrap(),
        Message::text("through hyper")
    );
    ws.close(CloseCode::NORMAL, "").await.unwrap();

    c.origin(Some("http://bad".into()));
    let err = c.connect(&url).await.unwrap_err();
    assert_eq!(err.status(), Some(403), "{err}");
}

#[tokio::test]
async fn wss_with_a_custom_ca() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let leaf_key = rcgen::KeyPair::generate().unwrap();
    let leaf_params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    let leaf = leaf_params.signed_by(&leaf_key, &issuer).unwrap();

    let server_config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.der().clone()],
            rustls_pki_types::PrivateKeyDer::try_from(leaf_key.serialize_der()).unwrap(),
        )
        .unwrap();
    let tls = tokio_rustls::TlsAcceptor::from(Arc::new(server_config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let tls = tls.clone();
            tokio::spawn(async move {
                let Ok(stream) = tls.accept(tcp).await else {
                    return;
                };
                let Ok(mut ws) = Acceptor::new().accept(stream).await else {
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
    let url = format!("wss://localhost:{port}/secure");
    // Default roots do not know our CA.
    let err = direct().connect(&url).await.unwrap_err();
    assert!(matches!(err, wsgate::ConnectError::Tls(_)), "{err:?}");
    let mut c = direct();
    c.tls_roots(TlsRoots::CustomPem(ca.pem().into_bytes()));
    let (mut ws, _) = c.connect(&url).await.unwrap();
    ws.send("secret").await.unwrap();
    assert_eq!(ws.recv().await.unwrap().unwrap(), Message::text("secret"));
    ws.close(CloseCode::NORMAL, "").await.unwrap();
    let mut c = direct();
    c.tls_roots(TlsRoots::Insecure);
    assert!(c.connect(&url).await.is_ok());
}

/// A minimal CONNECT proxy that requires `Proxy-Authorization` and counts tunnels.
async fn proxy(expect_auth: &'static str) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let tunnels = Arc::new(AtomicUsize::new(0));
    let count = tunnels.clone();
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let count = count.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                while !head.ends_with(b"\r\n\r\n") {
                    let Ok(b) = client.read_u8().await else {
                        return;
                    };
                    head.push(b);
                }
                let head = String::from_utf8_lossy(&head).into_owned();
                if !head.contains(expect_auth) {
                    let _ = client
                        .write_all(b"HTTP/1.1 407 Proxy Authentication Required\r\n\r\n")
                        .await;
                    return;
                }
                let target = head
                    .split_whitespace()
                    .nth(1)
                    .unwrap_or_default()
                    .to_owned();
                let Ok(mut upstream) = TcpStream::connect(&target).await else {
                    return;
                };
                count.fetch_add(1, Ordering::Relaxed);
                let _ = client
                    .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    .await;
                let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
            });
        }
    });
    (format!("http://user:secret@{addr}"), tunnels)
}

#[tokio::test]
async fn http_connect_proxy_with_basic_auth() {
    let server = hyper_server(Acceptor::new()).await;
    // "user:secret" in base64.
    let (proxy_url, tunnels) = proxy("Proxy-Authorization: Basic dXNlcjpzZWNyZXQ=").await;
    let mut c = direct();
    c.proxy(ProxyMode::Url(proxy_url.clone()));
    let (mut ws, _) = c.connect(&server).await.unwrap();
    ws.send("via proxy").await.unwrap();
    assert_eq!(
        ws.recv().await.unwrap().unwrap(),
        Message::text("via proxy")
    );
    assert_eq!(tunnels.load(Ordering::Relaxed), 1);

    let wrong = proxy_url.replace("secret", "nope");
    c.proxy(ProxyMode::Url(wrong));
    let err = c.connect(&server).await.unwrap_err();
    assert!(
        matches!(err, wsgate::ConnectError::Proxy(ref s) if s.contains("407")),
        "{err:?}"
    );
}
