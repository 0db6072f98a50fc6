//! The library example shown in the README (kept identical by `tests/readme.rs`):
//! an echo server and a client that talks to it.
//!
//! ```text
//! cargo run -p wsgate-cli --example readme
//! ```
use tokio::net::TcpListener;
use wsgate::{Acceptor, CloseCode, Message};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Server: accept WebSocket connections on raw TCP and echo every data message.
    let listener = TcpListener::bind("127.0.0.1:9001").await?;
    let acceptor = Acceptor::new();
    tokio::spawn(async move {
        while let Ok((tcp, _peer)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut ws) = acceptor.accept(tcp).await else {
                    return;
                };
                while let Some(Ok(msg)) = ws.recv().await {
                    if msg.is_data() && ws.send(msg).await.is_err() {
                        break;
                    }
                }
            });
        }
    });

    // Client: send a message, print the reply, close the connection normally.
    let (mut ws, _response) = wsgate::connect("ws://127.0.0.1:9001/").await?;
    ws.send("hello").await?;
    if let Some(Ok(Message::Text(reply))) = ws.recv().await {
        println!("{}", reply.as_str());
    }
    ws.close(CloseCode::NORMAL, "bye").await?;
    Ok(())
}
