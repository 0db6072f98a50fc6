//! Cancellation safety: every future is dropped at random points while the transport
//! randomly returns `Pending` and moves a few bytes at a time; no message may be lost,
//! duplicated or reordered (after tokio-websockets' `tests/cancellation_safety.rs`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::future::{Future, poll_fn};
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;
use support::SlowIo;
use tokio::io::duplex;
use wsgate::{Config, Message, Role, WebSocket};

/// Polls `fut` at most `polls` times, then drops it.
async fn poll_some<F: Future>(fut: F, polls: u64) -> Option<F::Output> {
    let mut fut = pin!(fut);
    let mut left = polls;
    poll_fn(|cx| match fut.as_mut().poll(cx) {
        Poll::Ready(v) => Poll::Ready(Some(v)),
        Poll::Pending if left == 0 => Poll::Ready(None),
        Poll::Pending => {
            left -= 1;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    })
    .await
}

fn payload(i: u64) -> Message {
    let len = (i * 7919 % 1500) as usize;
    if i % 2 == 0 {
        Message::text("x".repeat(len) + &i.to_string())
    } else {
        Message::binary(vec![i as u8; len])
    }
}

const N: u64 = 150;

#[tokio::test]
async fn unsplit_send_and_recv_survive_random_cancellation() {
    let (a, b) = duplex(256);
    let mut server = WebSocket::from_raw(SlowIo::new(a, 7), Role::Server, &Config::default(), None);
    let mut client =
        WebSocket::from_raw(SlowIo::new(b, 11), Role::Client, &Config::default(), None);

    let echo = tokio::spawn(async move {
        let mut rng = 12345u64;
        let mut echoed = 0;
        while echoed < N {
            rng = rng.wrapping_mul(6364136223846793005).wrapping_add(1);
            let Some(got) = poll_some(server.recv(), rng >> 60).await else {
                continue;
            };
            let msg = got.expect("stream ended").expect("recv");
            loop {
                rng = rng.wrapping_mul(6364136223846793005).wrapping_add(1);
                if let Some(res) = poll_some(server.send(msg.clone()), rng >> 61).await {
                    res.expect("send");
                    break;
                }
            }
            echoed += 1;
        }
        // Keep driving until the client closes.
        while let Some(Ok(_)) = server.recv().await {}
    });

    let mut rng = 99u64;
    let (mut sent, mut received) = (0, 0);
    while received < N {
        rng = rng.wrapping_mul(6364136223846793005).wrapping_add(1);
        if sent < N && rng % 2 == 0 {
            if let Some(res) = poll_some(client.send(payload(sent)), rng >> 61).await {
                res.expect("send");
                sent += 1;
            }
            continue;
        }
        if sent == received {
            continue;
        }
        if let Some(got) = poll_some(client.recv(), rng >> 59).await {
            assert_eq!(got.expect("ended").expect("recv"), payload(received));
            received += 1;
        }
    }
    tokio::time::timeout(
        Duration::from_secs(10),
        client.close(wsgate::CloseCode::NORMAL, ""),
    )
    .await
    .expect("close timed out")
    .expect("close");
    tokio::time::timeout(Duration::from_secs(10), echo)
        .await
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn split_halves_survive_random_cancellation() {
    let (a, b) = duplex(256);
    let server = WebSocket::from_raw(SlowIo::new(a, 3), Role::Server, &Config::default(), None);
    let mut client = WebSocket::from_raw(SlowIo::new(b, 5), Role::Client, &Config::default(), None);
    let (mut read, mut write) = server.split();

    let echo = tokio::spawn(async move {
        let mut rng = 777u64;
        let mut echoed = 0;
        while echoed < N {
            rng = rng.wrapping_mul(6364136223846793005).wrapping_add(1);
            let Some(got) = poll_some(read.recv(), rng >> 61).await else {
                continue;
            };
            let msg = got.expect("ended").expect("recv");
            loop {
                rng = rng.wrapping_mul(6364136223846793005).wrapping_add(1);
                if let Some(res) = poll_some(write.send(msg.clone()), rng >> 62).await {
                    res.expect("send");
                    break;
                }
            }
            echoed += 1;
        }
        (read, write)
    });

    for i in 0..N {
        client.send(payload(i)).await.unwrap();
    }
    for i in 0..N {
        let got = tokio::time::timeout(Duration::from_secs(10), client.recv())
            .await
            .unwrap();
        assert_eq!(got.unwrap().unwrap(), payload(i));
    }
    let _halves = echo.await.unwrap();
}
