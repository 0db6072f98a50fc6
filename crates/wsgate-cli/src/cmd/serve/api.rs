//! The HTTP API under `/api/` (JSON in and out, see `docs/protocol.md`):
//!
//! ```text
//!  POST /api/publish   {"channel":"push:news","data":…} ─► 200 {"ok":true,"offset":N,"delivered":K}
//!  GET  /api/channels  ─► 200 {"channels":[{"channel":…,"subscribers":…,"members":…,"offset":…,"history":…}]}
//!  GET  /api/presence?channel=chat:lobby ─► 200 {"channel":…,"members":[{"id":…,"name":…}]}
//! ```
//!
//! With an API key set, every request needs `Authorization: Bearer KEY` (401
//! otherwise). Bad requests get a 4xx status and `{"error":{"code":…,"message":…}}`.

use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::Incoming;
use serde::Deserialize;
use serde_json::{Value, json};
use tracing::debug;

use super::Server;
use super::protocol::{self, Code};
use super::respond::json;

/// Answers one request under `/api/`.
pub(crate) async fn handle(server: &Server, req: Request<Incoming>) -> Response<Full<Bytes>> {
    match route(server, req).await {
        Ok(body) => json(StatusCode::OK, &body),
        Err(e) => {
            server.stats.api_error();
            debug!(
                status = e.status.as_u16(),
                code = e.code,
                "api request refused: {}",
                e.message
            );
            let mut res = json(
                e.status,
                &json!({ "error": { "code": e.code, "message": e.message } }),
            );
            if let Some(allow) = e.allow {
                res.headers_mut()
                    .insert(header::ALLOW, header::HeaderValue::from_static(allow));
            }
            if e.status == StatusCode::UNAUTHORIZED {
                res.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    header::HeaderValue::from_static("Bearer"),
                );
            }
            res
        }
    }
}

/// A refused API request.
#[derive(Debug)]
struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    /// The `Allow` header of a 405.
    allow: Option<&'static str>,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            allow: None,
        }
    }

    fn method(allow: &'static str) -> Self {
        let mut e = Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            format!("use {allow}"),
        );
        e.allow = Some(allow);
        e
    }
}

impl From<protocol::Error> for ApiError {
    fn from(e: protocol::Error) -> Self {
        let status = match e.code {
            Code::TooManyChannels => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::BAD_REQUEST,
        };
        Self::new(status, e.code.as_str(), e.message)
    }
}

async fn route(server: &Server, req: Request<Incoming>) -> Result<Value, ApiError> {
    authorize(server.api_key.as_deref(), &req)?;
    let method = req.method().clone();
    match req.uri().path() {
        "/api/publish" if method == Method::POST => publish(server, req).await,
        "/api/publish" => Err(ApiError::method("POST")),
        "/api/channels" if method == Method::GET => {
            Ok(json!({ "channels": server.channels.list(&server.hub) }))
        }
        "/api/channels" => Err(ApiError::method("GET")),
        "/api/presence" if method == Method::GET => presence(server, req.uri().query()),
        "/api/presence" => Err(ApiError::method("GET")),
        path => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no api endpoint {path}"),
        )),
    }
}

/// Checks `Authorization: Bearer KEY` when a key is set.
fn authorize<B>(key: Option<&str>, req: &Request<B>) -> Result<(), ApiError> {
    let Some(key) = key else { return Ok(()) };
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.trim().split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("bearer")
                .then_some(token.trim())
        });
    match given {
        Some(token) if same(token.as_bytes(), key.as_bytes()) => Ok(()),
        Some(_) => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "wrong api key",
        )),
        None => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "send Authorization: Bearer <api key>",
        )),
    }
}

/// The body of `POST /api/publish`.
#[derive(Debug, Deserialize)]
struct PublishBody {
    channel: String,
    data: Value,
}

async fn publish(server: &Server, req: Request<Incoming>) -> Result<Value, ApiError> {
    let body = read_body(req, server.body_limit).await?;
    let body: PublishBody = serde_json::from_slice(&body).map_err(|e| {
        let code = if e.is_data() {
            "bad_request"
        } else {
            "bad_json"
        };
        ApiError::new(
            StatusCode::BAD_REQUEST,
            code,
            format!("expected {{\"channel\":…,\"data\":…}}: {e}"),
        )
    })?;
    protocol::channel(&body.channel)?;
    let published = server
        .channels
        .publish(&server.hub, &body.channel, &body.data)?;
    server.stats.api_publish();
    Ok(
        json!({ "ok": true, "channel": body.channel, "offset": published.offset, "delivered": published.delivered }),
    )
}

fn presence(server: &Server, query: Option<&str>) -> Result<Value, ApiError> {
    let channel = query
        .and_then(|q| query_param(q, "channel"))
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_request",
                "missing query parameter channel",
            )
        })?;
    let ns = protocol::channel(&channel)?;
    if !ns.presence {
        let message = format!("{}: channels have no presence", ns.name);
        return Err(ApiError::new(StatusCode::BAD_REQUEST, "forbidden", message));
    }
    Ok(json!({ "channel": channel, "members": server.channels.members(&channel) }))
}

/// Reads the whole body: at most `limit` bytes (413) within [`BODY_TIMEOUT`] (408).
async fn read_body(req: Request<Incoming>, limit: usize) -> Result<Bytes, ApiError> {
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("bodies have at most {limit} bytes"),
        )
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    let collect = Limited::new(req.into_body(), limit).collect();
    match tokio::time::timeout(BODY_TIMEOUT, collect).await {
        Ok(Ok(body)) => Ok(body.to_bytes()),
        Ok(Err(e))
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some() =>
        {
            Err(too_large())
        }
        Ok(Err(e)) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_body",
            format!("cannot read the body: {e}"),
        )),
        Err(_) => Err(ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "timeout",
            "the body did not arrive in time",
        )),
    }
}

/// The percent-decoded value of `name` in a query string.
fn query_param(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == name).then(|| percent_decode(v))?
    })
}

/// Decodes `%XX` escapes and `+`; `None` when the result is not UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b'+', _) => {
                out.push(b' ');
                i += 1;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// Compares in time independent of where the inputs differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// How long a request body may take to arrive.
const BODY_TIMEOUT: Duration = Duration::from_secs(10);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_params_are_decoded() {
        assert_eq!(
            query_param("channel=chat%3Alobby&x=1", "channel"),
            Some("chat:lobby".to_owned())
        );
        assert_eq!(
            query_param("x=1&channel=chat:a+b", "channel"),
            Some("chat:a b".to_owned())
        );
        assert_eq!(query_param("channel=%ff", "channel"), None);
        assert_eq!(query_param("channel=%4", "channel"), Some("%4".to_owned()));
        assert_eq!(
            query_param("channel=%+1", "channel"),
            Some("% 1".to_owned())
        );
        assert_eq!(query_param("other=1", "channel"), None);
    }

    #[test]
    fn api_key_is_checked() {
        let req = |auth: Option<&str>| {
            let mut b = Request::builder();
            if let Some(a) = auth {
                b = b.header(header::AUTHORIZATION, a);
            }
            b.body(()).unwrap_or_default()
        };
        assert!(authorize(None, &req(None)).is_ok());
        assert!(authorize(Some("k3y"), &req(Some("Bearer k3y"))).is_ok());
        assert!(authorize(Some("k3y"), &req(Some("bearer  k3y "))).is_ok());
        assert!(authorize(Some("k3y"), &req(Some("Bearer k3"))).is_err());
        assert!(authorize(Some("k3y"), &req(Some("Basic k3y"))).is_err());
        assert!(authorize(Some("k3y"), &req(None)).is_err());
    }
}
