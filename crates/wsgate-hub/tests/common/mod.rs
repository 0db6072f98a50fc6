//! Test support: a scripted handler that reports its hooks on a channel, a hub on a
//! loopback listener, and clients (wsgate's, and a raw one with a small receive
//! buffer for slow-consumer tests).
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::mpsc;
use wsgate::proto::handshake::{Rejection, Request};
use wsgate::{Message, Role, WebSocket};
use wsgate_hub::{Disconnect, Handler, Hub, HubBuilder, Session, auth};

/// A hook call, as the tests see it.
#[derive(Debug)]
pub enum Event {
    Connect(String),
    Message(String, String),
    Pong(String),
    Error(String, String),
    Disconnect(String, Disconnect),
}

/// Session data: the `name` query parameter. Text messages are commands:
/// `sub:<topic>`, `unsub:<topic>`, `pub:<topic>:<text>`, `close`; anything else is
/// reported only.
pub struct Script {
    pub events: mpsc::UnboundedSender<Event>,
    pub require_token: Option<&'static str>,
}

impl Handler<String> for Script {
    fn on_upgrade(&self, req: &Request) -> Result<String, Rejection> {
        if let Some(expected) = self.require_token {
            match auth::token(req) {
                None => return Err(Rejection::new(401, "missing token")),
                Some(t) if t != expected => return Err(Rejection::new(403, "bad token")),
                Some(_) => {}
            }
        }
        Ok(auth::query_param(req, "name").unwrap_or("anon").to_owned())
    }

    fn on_connect(&self, s: &Session<String>) {
        let _ = self.events.send(Event::Connect(s.data().clone()));
    }

    fn on_message(&self, s: &Session<String>, msg: Message) {
        let Message::Text(text) = msg else { return };
        let text = text.as_str();
        if let Some(topic) = text.strip_prefix("sub:") {
            s.subscribe(topic);
        } else if let Some(topic) = text.strip_prefix("unsub:") {
            s.unsubscribe(topic);
        } else if let Some(rest) = text.strip_prefix("pub:") {
            if let Some((topic, body)) = rest.split_once(':') {
                s.hub().publish(topic, body.to_owned());
            }
        } else if text == "close" {
            s.close(wsgate::CloseCode::NORMAL, "bye");
        }
        let _ = self
            .events
            .send(Event::Message(s.data().clone(), text.to_owned()));
    }

    fn on_pong(&self, s: &Session<String>, _: bytes::Bytes) {
        let _ = self.events.send(Event::Pong(s.data().clone()));
    }

    fn on_error(&self, s: &Session<String>, e: &wsgate::Error) {
        let _ = self
            .events
            .send(Event::Error(s.data().clone(), e.to_string()));
    }

    fn on_disconnect(&self, s: &Session<String>, d: Disconnect) {
        let _ = self.events.send(Event::Disconnect(s.data().clone(), d));
    }
}

pub struct Server {
    pub hub: Hub<String>,
    pub addr: SocketAddr,
    pub events: mpsc::UnboundedReceiver<Event>,
}

/// A hub built by `builder`, serving on a loopback port.
pub async fn start(builder: &HubBuilder, require_token: Option<&'static str>) -> Server {
    let (tx, events) = mpsc::unbounded_channel();
    let hub = builder.build(Script {
        events: tx,
        require_token,
    });
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn({
        let hub = hub.clone();
        async move { hub.serve(listener).await }
    });
    Server { hub, addr, events }
}

impl Server {
    pub fn url(&self, name: &str) -> String {
        format!("ws://{}/?name={name}", self.addr)
    }

    /// The next event, or a panic after 5 seconds.
    pub async fn next(&mut self) -> Event {
        within(5, self.events.recv())
            .await
            .expect("events channel open")
    }

    /// Skips events until one matches.
    pub async fn wait_for(&mut self, mut f: impl FnMut(&Event) -> bool) -> Event {
        loop {
            let ev = self.next().await;
            if f(&ev) {
                return ev;
            }
        }
    }

    pub async fn disconnect_of(&mut self, name: &str) -> Disconnect {
        match self
            .wait_for(|e| matches!(e, Event::Disconnect(n, _) if n == name))
            .await
        {
            Event::Disconnect(_, d) => d,
            _ => unreachable!(),
        }
    }

    pub async fn connect(&mut self, name: &str) -> Client {
        let (ws, _) = wsgate::connect(&self.url(name)).await.unwrap();
        self.wait_for(|e| matches!(e, Event::Connect(n) if n == name))
            .await;
        ws
    }
}

pub type Client = WebSocket<wsgate::MaybeTlsStream>;

/// Fails the test if `fut` takes more than `secs` seconds.
pub async fn within<F: std::future::Future>(secs: u64, fut: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(secs), fut)
        .await
        .expect("timed out")
}

/// The next text message, skipping control frames.
pub async fn next_text(
    ws: &mut WebSocket<impl tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>,
) -> String {
    loop {
        match within(5, ws.recv()).await {
            Some(Ok(Message::Text(t))) => return t.as_str().to_owned(),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
            other => panic!("expected text, got {other:?}"),
        }
    }
}

/// A client on a socket with a small receive buffer, so that a client that stops
/// reading fills the path quickly. Completes the handshake by hand.
pub async fn raw_client(addr: SocketAddr, name: &str) -> WebSocket<TcpStream> {
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut tcp = socket.connect(addr).await.unwrap();
    let req = format!(
        "GET /?name={name} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
         Sec-WebSocket-Version: 13\r\n\r\n"
    );
    tcp.write_all(req.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8; 1];
        assert_eq!(tcp.read(&mut byte).await.unwrap(), 1, "eof in handshake");
        head.push(byte[0]);
    }
    assert!(
        head.starts_with(b"HTTP/1.1 101"),
        "{}",
        String::from_utf8_lossy(&head)
    );
    WebSocket::from_raw(tcp, Role::Client, &wsgate::Config::default(), None)
}

/// Finding a session by its data.
pub trait ByName {
    fn session_ids_for_test(&self, name: &str) -> wsgate_hub::SessionId;
}

impl ByName for Hub<String> {
    fn session_ids_for_test(&self, name: &str) -> wsgate_hub::SessionId {
        let mut found = None;
        self.for_each_session(|s| {
            if s.data() == name {
                found = Some(s.id());
            }
        });
        found.expect("no such session")
    }
}
