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
use http_body_util::Full;
use wsgate::proto::handshake::Rejection;
use wsgate::upgrade::rejection_response;

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
        let mut data = None;
        let mut refusal = Refusal::Handshake;
        let upgraded = wsgate::upgrade::upgrade_with(req, &shared.acceptor, |req| {
            admit(shared, req, &mut refusal).map(|d| data = Some(d))
        });
        let (response, upgraded, data) = match (upgraded, data) {
            (Ok((response, upgraded)), Some(data)) => (response, upgraded, data),
            (Ok(_), None) => return rejection_response(&Rejection::new(500, "no session data")),
            (Err(response), _) => {
                shared.metrics.record_refusal(refusal);
                return response;
            }
        };
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
}
