//! Admission over real connections: authentication in `on_upgrade` (401/403 with a
//! reason), the same-origin policy and its allow-list (403).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Event, Server, start};
use wsgate::proto::handshake::HandshakeError;
use wsgate::{ConnectError, Connector};
use wsgate_hub::HubBuilder;

/// Connects with `setup` applied; `Ok(())` or the refusal's status and body.
async fn try_connect(
    srv: &Server,
    setup: impl FnOnce(&mut Connector),
) -> Result<(), (u16, String)> {
    let mut connector = Connector::new();
    setup(&mut connector);
    match connector.connect(&srv.url("x")).await {
        Ok(_) => Ok(()),
        Err(ConnectError::Handshake(HandshakeError::Status { status, body, .. })) => {
            Err((status, String::from_utf8_lossy(&body).into_owned()))
        }
        Err(e) => panic!("{e}"),
    }
}

#[tokio::test]
async fn missing_or_wrong_token_is_refused_with_a_reason() {
    let mut srv = start(&HubBuilder::new(), Some("s3cret")).await;
    let refused = try_connect(&srv, |_| {}).await;
    assert_eq!(refused, Err((401, "missing token\n".into())));
    let refused = try_connect(&srv, |c| {
        c.header("Authorization", "Bearer nope");
    })
    .await;
    assert_eq!(refused, Err((403, "bad token\n".into())));
    assert_eq!(srv.hub.metrics().rejected_auth, 2);
    assert_eq!(srv.hub.metrics().connections, 0);

    try_connect(&srv, |c| {
        c.header("Authorization", "Bearer s3cret");
    })
    .await
    .unwrap();
    srv.wait_for(|e| matches!(e, Event::Connect(_))).await;
    // The token may also come as an offered subprotocol (browsers cannot set headers).
    try_connect(&srv, |c| {
        c.subprotocols(["token.s3cret"]);
    })
    .await
    .unwrap(); // the server selects none of the offered protocols
    srv.wait_for(|e| matches!(e, Event::Connect(_))).await;
    assert_eq!(srv.hub.metrics().connections, 2);
}

#[tokio::test]
async fn foreign_origins_are_refused_by_default() {
    let srv = start(&HubBuilder::new(), None).await;
    let refused = try_connect(&srv, origin("https://evil.example")).await;
    assert_eq!(refused, Err((403, "origin not allowed\n".into())));
    assert_eq!(srv.hub.metrics().rejected_origin, 1);

    let same = format!("http://{}", srv.addr);
    try_connect(&srv, |c| {
        c.origin(Some(same));
    })
    .await
    .unwrap();
    // No Origin at all: a non-browser client.
    try_connect(&srv, |_| {}).await.unwrap();
}

#[tokio::test]
async fn allow_listed_origins_pass() {
    let srv = start(
        HubBuilder::new().allow_origins(["https://app.example"]),
        None,
    )
    .await;
    try_connect(&srv, origin("https://APP.example"))
        .await
        .unwrap();
    let refused = try_connect(&srv, origin("https://other.example")).await;
    assert_eq!(refused.unwrap_err().0, 403);

    let any = start(HubBuilder::new().allow_any_origin(), None).await;
    try_connect(&any, origin("https://other.example"))
        .await
        .unwrap();
}

/// Sends `Origin: o`.
fn origin(o: &str) -> impl FnOnce(&mut Connector) + '_ {
    move |c| {
        c.origin(Some(o.to_owned()));
    }
}
