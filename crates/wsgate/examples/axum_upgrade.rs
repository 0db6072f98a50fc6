//! WebSocket upgrades inside an axum 0.8 app, through hyper's upgrade machinery:
//! `cargo run -p wsgate --example axum_upgrade` then connect to ws://127.0.0.1:3000/ws.

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use axum::routing::get;
use std::sync::Arc;
use wsgate::Acceptor;

async fn ws_handler(State(acceptor): State<Arc<Acceptor>>, mut req: Request) -> Response {
    match wsgate::upgrade::upgrade(&mut req, &acceptor) {
        Ok((response, upgrade)) => {
            tokio::spawn(async move {
                let Ok(mut ws) = upgrade.await else { return };
                while let Some(Ok(msg)) = ws.recv().await {
                    if msg.is_data() && ws.send(msg).await.is_err() {
                        break;
                    }
                }
            });
            response.map(Body::new)
        }
        Err(rejection) => rejection.map(Body::new),
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut acceptor = Acceptor::new();
    acceptor.subprotocols(["echo"]);
    let app = Router::new()
        .route("/ws", get(ws_handler))
        .route("/", get(|| async { "connect a WebSocket to /ws\n" }))
        .with_state(Arc::new(acceptor));
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:3000".into());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    eprintln!("axum on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await
}
