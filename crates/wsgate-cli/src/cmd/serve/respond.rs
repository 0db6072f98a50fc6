//! Response helpers: embedded pages, plain text and JSON.

use bytes::Bytes;
use http::{Response, StatusCode, header};
use http_body_util::Full;
use serde_json::Value;

use crate::web;

/// An embedded page or script.
pub(crate) fn page(asset: &web::Asset) -> Response<Full<Bytes>> {
    let mut res = Response::new(Full::new(Bytes::from_static(asset.body.as_bytes())));
    let headers = res.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static(asset.content_type),
    );
    headers.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-cache"),
    );
    nosniff(&mut res);
    res
}

/// A plain-text response.
pub(crate) fn text(status: StatusCode, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    with_type(status, body.into(), "text/plain; charset=utf-8")
}

/// A JSON response.
pub(crate) fn json(status: StatusCode, body: &Value) -> Response<Full<Bytes>> {
    let mut res = with_type(status, Bytes::from(body.to_string()), "application/json");
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    res
}

/// The Prometheus text format.
pub(crate) fn metrics(body: String) -> Response<Full<Bytes>> {
    with_type(
        StatusCode::OK,
        Bytes::from(body),
        "text/plain; version=0.0.4; charset=utf-8",
    )
}

fn with_type(status: StatusCode, body: Bytes, content_type: &'static str) -> Response<Full<Bytes>> {
    let mut res = Response::new(Full::new(body));
    *res.status_mut() = status;
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static(content_type),
    );
    nosniff(&mut res);
    res
}

fn nosniff(res: &mut Response<Full<Bytes>>) {
    res.headers_mut().insert(
        header::X_CONTENT_TYPE_OPTIONS,
        header::HeaderValue::from_static("nosniff"),
    );
}

/// `426 Upgrade Required` for a plain HTTP request to a WebSocket endpoint.
pub(crate) fn upgrade_required() -> Response<Full<Bytes>> {
    let mut res = text(
        StatusCode::UPGRADE_REQUIRED,
        "this is a WebSocket endpoint: connect with ws://\n",
    );
    let headers = res.headers_mut();
    headers.insert(
        header::UPGRADE,
        header::HeaderValue::from_static("websocket"),
    );
    headers.insert(
        header::CONNECTION,
        header::HeaderValue::from_static("upgrade"),
    );
    res
}
