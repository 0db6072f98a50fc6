//! hyper 1: [`Hub::upgrade`] turns an upgrade request into a hub session.
//!
//! ```no_run
//! # use bytes::Bytes;
//! # use http_body_util::Full;
//! # fn handle(mut req: http::Request<hyper::body::Incoming>, hub: wsgate_hub::Hub<()>)
//! #     -> http::Response<Full<Bytes>> {
//! if wsgate::upgrade::is_upgrade_request(&req) {
//!     return hub.upgrade(&mut req);
//! }
//! // … other routes
//! # http::Response::new(Full::new(Bytes::new()))
//! # }
//! ```

use bytes::Bytes;
use http::{HeaderValue, StatusCode};
use http_body_util::Full;
use wsgate::proto::handshake::{Rejection, Request};

use crate::hub::Hub;
use crate::metrics::Refusal;
use crate::serve::admit;

impl<T: Send + Sync + 'static> Hub<T> {
    /// Runs the hub's admission (origin policy, then
    /// [`Handler::on_upgrade`](crate::Handler::on_upgrade)) and the WebSocket checks on
    /// a request hyper parsed, and returns the response to send: `101 Switching
    /// Protocols`, after which the session starts on its own task once hyper hands
    /// over the connection, or the error response (403, the handler's status, 400,
    /// 426, 503 while shutting down) with the reason as body. HTTP/1.1 only.
    pub fn upgrade<B>(&self, req: &mut http::Request<B>) -> http::Response<Full<Bytes>> {
        let shared = &self.shared;
        let mut refusal = Refusal::Handshake;
        let data = match admit(shared, &proto_request(req), &mut refusal) {
            Ok(data) => data,
            Err(rejection) => {
                shared.metrics.record_refusal(refusal);
                return rejection_response(&rejection);
            }
        };
        match wsgate::upgrade::upgrade(req, &shared.acceptor) {
            Ok((response, upgraded)) => {
                let hub = self.clone();
                tokio::spawn(async move {
                    match upgraded.await {
                        Ok(ws) => drop(hub.spawn(ws, data)),
                        Err(e) => {
                            hub.shared.metrics.record_refusal(Refusal::Failed);
                            tracing::debug!("hub upgrade: {e}");
                        }
                    }
                });
                response
            }
            Err(response) => {
                shared.metrics.record_refusal(Refusal::Handshake);
                response
            }
        }
    }
}

/// The request head as the handshake code sees it.
fn proto_request<B>(req: &http::Request<B>) -> Request {
    let minor = u8::from(req.version() != http::Version::HTTP_10);
    let target = req.uri().path_and_query().map_or("/", |p| p.as_str());
    let headers = req
        .headers()
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_bytes()));
    Request::from_parts(req.method().as_str(), target, minor, headers)
}

fn rejection_response(rejection: &Rejection) -> http::Response<Full<Bytes>> {
    let body = Bytes::from(format!("{}\n", rejection.reason));
    let mut response = http::Response::new(Full::new(body));
    *response.status_mut() =
        StatusCode::from_u16(rejection.status).unwrap_or(StatusCode::BAD_REQUEST);
    let headers = response.headers_mut();
    headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    for (name, value) in &rejection.headers {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(*name, value);
        }
    }
    response
}
