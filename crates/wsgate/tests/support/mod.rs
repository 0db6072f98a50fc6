//! Shared helpers: raw frame builders, a write-counting transport, a slow transport.
#![allow(dead_code, unreachable_pub, missing_docs)]

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, ReadBuf};

pub const MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// A client→server frame (masked).
pub fn masked(first: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = header(first, payload.len(), true);
    out.extend_from_slice(&MASK);
    out.extend(payload.iter().enumerate().map(|(i, b)| b ^ MASK[i % 4]));
    out
}

/// A server→client frame (unmasked).
pub fn unmasked(first: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = header(first, payload.len(), false);
    out.extend_from_slice(payload);
    out
}

fn header(first: u8, len: usize, mask: bool) -> Vec<u8> {
    let m = if mask { 0x80 } else { 0 };
    let mut out = vec![first];
    if len < 126 {
        out.push(m | len as u8);
    } else if len <= 0xffff {
        out.push(m | 126);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(m | 127);
        out.extend_from_slice(&(len as u64).to_be_bytes());
    }
    out
}

pub fn close_payload(code: u16, reason: &str) -> Vec<u8> {
    let mut p = code.to_be_bytes().to_vec();
    p.extend_from_slice(reason.as_bytes());
    p
}

/// Reads exactly `n` bytes, failing the test after 5 seconds.
pub async fn read_exact<R: AsyncRead + Unpin>(r: &mut R, n: usize) -> Vec<u8> {
    let mut buf = vec![0; n];
    tokio::time::timeout(Duration::from_secs(5), r.read_exact(&mut buf))
        .await
        .expect("timed out reading")
        .expect("read");
    buf
}

/// Reads until EOF (5 second limit) and returns what came.
pub async fn read_to_end<R: AsyncRead + Unpin>(r: &mut R) -> Vec<u8> {
    let mut buf = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), r.read_to_end(&mut buf))
        .await
        .expect("timed out waiting for eof")
        .expect("read");
    buf
}

/// Counts `poll_write`/`poll_write_vectored` calls that wrote something.
#[derive(Debug)]
pub struct CountingIo<S> {
    pub inner: S,
    pub writes: Arc<AtomicUsize>,
}

impl<S> CountingIo<S> {
    pub fn new(inner: S) -> (Self, Arc<AtomicUsize>) {
        let writes = Arc::new(AtomicUsize::new(0));
        (
            Self {
                inner,
                writes: writes.clone(),
            },
            writes,
        )
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for CountingIo<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for CountingIo<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let r = Pin::new(&mut this.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = r {
            if n > 0 {
                this.writes.fetch_add(1, Ordering::Relaxed);
            }
        }
        r
    }
    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let r = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        if let Poll::Ready(Ok(n)) = r {
            if n > 0 {
                this.writes.fetch_add(1, Ordering::Relaxed);
            }
        }
        r
    }
    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// A transport that randomly returns `Pending` (waking itself) and moves at most a few
/// bytes per call: every await point of the code under test gets exercised.
#[derive(Debug)]
pub struct SlowIo<S> {
    pub inner: S,
    rng: u64,
}

impl<S> SlowIo<S> {
    pub fn new(inner: S, seed: u64) -> Self {
        Self {
            inner,
            rng: seed | 1,
        }
    }

    fn next(&mut self) -> u64 {
        // xorshift64
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        self.rng
    }

    /// `None`: return Pending; `Some(n)`: allow at most n bytes.
    fn decide(&mut self, cx: &mut Context<'_>) -> Option<usize> {
        let r = self.next();
        if r % 3 == 0 {
            cx.waker().wake_by_ref();
            None
        } else {
            Some(1 + (r >> 8) as usize % 7)
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for SlowIo<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let Some(max) = this.decide(cx) else {
            return Poll::Pending;
        };
        let max = max.min(buf.remaining());
        let mut small = vec![0u8; max];
        let mut sb = ReadBuf::new(&mut small);
        match Pin::new(&mut this.inner).poll_read(cx, &mut sb) {
            Poll::Ready(Ok(())) => {
                buf.put_slice(sb.filled());
                Poll::Ready(Ok(()))
            }
            other => other,
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for SlowIo<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let Some(max) = this.decide(cx) else {
            return Poll::Pending;
        };
        let n = max.min(buf.len());
        Pin::new(&mut this.inner).poll_write(cx, &buf[..n])
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.decide(cx).is_none() {
            return Poll::Pending;
        }
        Pin::new(&mut this.inner).poll_flush(cx)
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}
