//! A minimal chat server over raw TCP.
//!
//! ```text
//! cargo run -p wsgate-hub --example chat
//! websocat 'ws://127.0.0.1:9002/?name=ada'
//! ```
//!
//! Everyone starts in `lobby`. `/join <room>` moves you; anything else is said to
//! your room. Ctrl-C shuts down gracefully (everyone gets Close 1001).

use std::sync::Mutex;
use std::time::Duration;
use wsgate::proto::handshake::{Rejection, Request};
use wsgate_hub::{Disconnect, Handler, HubBuilder, Message, Session, auth};

/// Per-session data: a name and the current room.
struct Member {
    name: String,
    room: Mutex<String>,
}

impl Member {
    fn room(&self) -> String {
        self.room.lock().map(|r| r.clone()).unwrap_or_default()
    }
}

struct Chat;

impl Handler<Member> for Chat {
    fn on_upgrade(&self, req: &Request) -> Result<Member, Rejection> {
        let name = auth::query_param(req, "name").unwrap_or("");
        if name.is_empty() || name.len() > 32 {
            return Err(Rejection::new(
                401,
                "connect with ?name=<1 to 32 characters>",
            ));
        }
        Ok(Member {
            name: name.to_owned(),
            room: Mutex::new("lobby".to_owned()),
        })
    }

    fn on_connect(&self, s: &Session<Member>) {
        s.subscribe("lobby");
        say(s, "lobby", &format!("* {} joined", s.data().name));
    }

    fn on_message(&self, s: &Session<Member>, msg: Message) {
        let Message::Text(text) = msg else { return };
        let text = text.as_str();
        if let Some(room) = text.strip_prefix("/join ").map(str::trim) {
            let old = s.data().room();
            s.unsubscribe(&old);
            say(s, &old, &format!("* {} left for {room}", s.data().name));
            if let Ok(mut current) = s.data().room.lock() {
                room.clone_into(&mut current);
            }
            s.subscribe(room);
            say(s, room, &format!("* {} joined", s.data().name));
        } else {
            say(s, &s.data().room(), &format!("{}: {text}", s.data().name));
        }
    }

    fn on_disconnect(&self, s: &Session<Member>, d: Disconnect) {
        let line = format!("* {} left ({})", s.data().name, d.cause);
        say(s, &s.data().room(), &line);
    }
}

/// Publishes a line to a room (encoded once for all its members).
fn say(s: &Session<Member>, room: &str, line: &str) {
    s.hub().publish(room, line.to_owned());
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let hub = HubBuilder::new().allow_any_origin().build(Chat);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:9002").await?;
    println!("chat on ws://{}/?name=<you>", listener.local_addr()?);
    let server = tokio::spawn({
        let hub = hub.clone();
        async move { hub.serve(listener).await }
    });
    tokio::signal::ctrl_c().await?;
    let report = hub.shutdown(Duration::from_secs(5)).await;
    println!(
        "closed {} sessions ({} forced)",
        report.sessions, report.forced
    );
    let _ = server.await;
    Ok(())
}
