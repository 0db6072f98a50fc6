//! The servers `bench fanout` loads (`--target`), and how each is spoken to: where it
//! listens, how a subscriber joins the topic, what a publish looks like, what the
//! publisher may get back.
//!
//! | `--target` | path when the URL has none | join | publish | pushed |
//! | --- | --- | --- | --- | --- |
//! | `wsgate` | `/ws` | `{"op":"subscribe","channel":C}` → `"ok":true` | `{"op":"publish","channel":C,"data":P}` → `"ok":true` | `{"channel":C,"offset":N,"data":P}` |
//! | `ws` | `/` | connecting is joining | `P` | `P` |
//! | `socketio` | `/socket.io/` | `421["join","bench"]` → `431[…]` | `42["pub",P]` | `42["msg",P]` |
//!
//! `ws` is a relay that sends each message to every other client
//! (`bench/fanout/ws-server.mjs`); `socketio` is socket.io v4
//! (`bench/fanout/socketio-server.mjs`), spoken as Engine.IO v4 over a plain WebSocket:
//! the query `EIO=4&transport=websocket` is added to the URL, the server opens with
//! `0{…}`, the client connects the default namespace with `40` and waits for `40{…}`,
//! and server pings `2` are answered `3`.

use anyhow::{Context as _, bail};
use serde_json::json;
use tokio::net::TcpStream;
use wsgate::{Message, WebSocket};

/// A benchmark connection.
pub(crate) type Ws = WebSocket<TcpStream>;

/// The kind of server under load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Server {
    /// `wsgate serve`: the JSON protocol of docs/protocol.md on a `chat:` channel.
    Wsgate,
    /// A relay that sends every message to every other client (Node `ws`).
    Ws,
    /// socket.io v4: a room joined with an acknowledged `join`, `pub` broadcast as `msg`.
    #[value(name = "socketio")]
    SocketIo,
}

/// What the publisher got back, judged.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Reply {
    /// A publish was accepted.
    Accepted,
    /// An Engine.IO ping, to be answered with `3`.
    Ping,
    /// A refused publish (wsgate's error reply).
    Refused,
    /// Anything else (the peers send the publisher nothing).
    Unexpected,
}

impl Server {
    /// The name `--target` takes.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Wsgate => "wsgate",
            Self::Ws => "ws",
            Self::SocketIo => "socketio",
        }
    }

    /// The URL to connect to: `url` with this server's usual path when it has none (or
    /// only `/`), and for socket.io the Engine.IO query unless it has one.
    pub(crate) fn endpoint(self, url: &str) -> String {
        let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
        let (authority, path) = rest.split_at(rest.find(['/', '?']).unwrap_or(rest.len()));
        let path = match path {
            "" | "/" => self.default_path().to_owned(),
            query if query.starts_with('?') => format!("{}{query}", self.default_path()),
            path => path.to_owned(),
        };
        let mut out = format!("{scheme}://{authority}{path}");
        if self == Self::SocketIo && !path.contains("EIO=") {
            out.push(if path.contains('?') { '&' } else { '?' });
            out.push_str(ENGINE_IO_QUERY);
        }
        out
    }

    /// Joins the topic on a fresh connection: after this, pushes arrive.
    ///
    /// # Errors
    /// A refused subscribe, or a connection that fails or says something unexpected.
    pub(crate) async fn join(self, ws: &mut Ws, channel: &str) -> anyhow::Result<()> {
        match self {
            Self::Ws => Ok(()),
            Self::Wsgate => {
                let request = json!({"id": 1, "op": "subscribe", "channel": channel});
                ws.send(request.to_string()).await?;
                let reply = text(ws).await?;
                if !accepted(&reply) {
                    bail!("subscribe refused: {reply:.200}");
                }
                Ok(())
            }
            Self::SocketIo => {
                socketio_open(ws).await?;
                ws.send(format!("421{}", json!(["join", SOCKETIO_ROOM])))
                    .await?;
                until(ws, |packet| packet.starts_with("431")).await
            }
        }
    }

    /// Readies a fresh connection for publishing.
    ///
    /// # Errors
    /// As [`join`](Self::join).
    pub(crate) async fn ready_publisher(self, ws: &mut Ws) -> anyhow::Result<()> {
        match self {
            Self::SocketIo => socketio_open(ws).await,
            Self::Wsgate | Self::Ws => Ok(()),
        }
    }

    /// The publish request carrying `payload`, number `seq`, in this server's framing.
    pub(crate) fn publish(self, channel: &str, seq: usize, payload: &str) -> String {
        match self {
            Self::Ws => payload.to_owned(),
            Self::Wsgate => {
                json!({"id": seq, "op": "publish", "channel": channel, "data": payload}).to_string()
            }
            Self::SocketIo => format!("42{}", json!(["pub", payload])),
        }
    }

    /// Judges a text message the publisher received.
    pub(crate) fn reply(self, text: &str) -> Reply {
        match self {
            Self::Wsgate if accepted(text) => Reply::Accepted,
            Self::Wsgate => Reply::Refused,
            Self::SocketIo if text == PING => Reply::Ping,
            Self::SocketIo | Self::Ws => Reply::Unexpected,
        }
    }

    /// Whether a subscriber's message without a marker is a ping to answer with `3`.
    pub(crate) fn is_ping(self, text: &str) -> bool {
        self == Self::SocketIo && text == PING
    }

    fn default_path(self) -> &'static str {
        match self {
            Self::Wsgate => "/ws",
            Self::Ws => "/",
            Self::SocketIo => "/socket.io/",
        }
    }
}

/// The answer to an Engine.IO ping.
pub(crate) const PONG: &str = "3";

/// Whether a wsgate reply says `"ok":true`.
fn accepted(reply: &str) -> bool {
    reply.contains("\"ok\":true")
}

/// Engine.IO open (`0{…}`), then connects the default namespace (`40` both ways).
async fn socketio_open(ws: &mut Ws) -> anyhow::Result<()> {
    let open = text(ws).await?;
    if !open.starts_with('0') {
        bail!("expected an Engine.IO open packet, got {open:.200}");
    }
    ws.send("40").await?;
    until(ws, |packet| packet.starts_with("40")).await
}

/// Reads Engine.IO packets, answering pings, until one that `done` accepts.
async fn until(ws: &mut Ws, done: impl Fn(&str) -> bool) -> anyhow::Result<()> {
    loop {
        let packet = text(ws).await?;
        if done(&packet) {
            return Ok(());
        }
        if packet != PING {
            bail!("unexpected packet {packet:.200}");
        }
        ws.send(PONG).await?;
    }
}

/// The next text message.
async fn text(ws: &mut Ws) -> anyhow::Result<String> {
    loop {
        match ws.recv().await.context("connection closed")?? {
            Message::Text(t) => return Ok(t.as_str().to_owned()),
            Message::Binary(_) => bail!("unexpected binary message"),
            _ => {}
        }
    }
}

const ENGINE_IO_QUERY: &str = "EIO=4&transport=websocket";
const PING: &str = "2";
/// The room `bench/fanout/socketio-server.mjs` broadcasts `pub` to.
const SOCKETIO_ROOM: &str = "bench";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_without_a_path_gets_the_servers_usual_one() {
        let base = "ws://127.0.0.1:9";
        assert_eq!(Server::Wsgate.endpoint(base), "ws://127.0.0.1:9/ws");
        assert_eq!(Server::Wsgate.endpoint("ws://h:9/x"), "ws://h:9/x");
        assert_eq!(Server::Ws.endpoint(base), "ws://127.0.0.1:9/");
        assert_eq!(Server::Ws.endpoint("ws://h:9/"), "ws://h:9/");
        let sio = "ws://127.0.0.1:9/socket.io/?EIO=4&transport=websocket";
        assert_eq!(Server::SocketIo.endpoint(base), sio);
        assert_eq!(Server::SocketIo.endpoint(&format!("{base}/")), sio);
        assert_eq!(Server::SocketIo.endpoint(sio), sio);
        assert_eq!(
            Server::SocketIo.endpoint("ws://h:9/io/?x=1"),
            "ws://h:9/io/?x=1&EIO=4&transport=websocket"
        );
        assert_eq!(
            Server::SocketIo.endpoint("ws://h:9?x=1"),
            "ws://h:9/socket.io/?x=1&EIO=4&transport=websocket"
        );
    }

    #[test]
    fn publish_frames_and_replies() {
        let p = "#1:2#xx";
        assert_eq!(Server::Ws.publish("c", 1, p), p);
        assert_eq!(
            Server::SocketIo.publish("c", 1, p),
            r##"42["pub","#1:2#xx"]"##
        );
        let wsgate = Server::Wsgate.publish("chat:a", 1, p);
        assert!(wsgate.contains(r#""op":"publish""#), "{wsgate}");
        assert_eq!(
            Server::Wsgate.reply(r#"{"id":1,"ok":true}"#),
            Reply::Accepted
        );
        assert_eq!(
            Server::Wsgate.reply(r#"{"id":1,"ok":false}"#),
            Reply::Refused
        );
        assert_eq!(Server::SocketIo.reply("2"), Reply::Ping);
        assert_eq!(Server::Ws.reply("2"), Reply::Unexpected);
        assert!(Server::SocketIo.is_ping("2") && !Server::Ws.is_ping("2"));
    }
}
