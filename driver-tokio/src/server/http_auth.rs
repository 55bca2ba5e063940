//! [`HttpAuthorizer`]: asks the application's HTTP endpoint who a session is. For
//! each `Hello` it POSTs a JSON description of the session — the token, the replica
//! id, and the WebSocket upgrade's path, query string and headers (cookies included)
//! — and maps the JSON answer onto a grant (docs/AUTH.md §4):
//!
//! ```json
//! {"allow": true, "name": "ann",
//!  "grant": {"rooms": [{"prefix": "team-a/", "access": "write"}], "replicas": [7]}}
//! {"allow": false, "reason": "session expired"}
//! ```
//!
//! * 2xx with `allow: true`: the grant (the JWT `syncwire` claim's format);
//! * 2xx with `allow: false`, or 401 / 403: refused (`unauthorized`, 4002), with
//!   `reason` as the message;
//! * anything else — another status, a body that is not such JSON or over 64 KiB,
//!   an unreachable endpoint: unavailable (`internal`, 1011; the client retries).
//!
//! The request runs as a task of its own, bounded by the server's `auth_timeout`
//! (then `internal`, 1011): a slow endpoint never holds up the hub.
//!
//! The client is hyper-util's (hyper 1, already in the tree through axum: a second
//! HTTP stack such as reqwest's would double the build for one POST). It speaks plain
//! `http://` only: run the endpoint on loopback or the private network next to the
//! hub (a sidecar), as one does for such internal calls; `https://` is refused when
//! the authorizer is made.

use bytes::Bytes;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::{Method, Request, StatusCode, Uri, header};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde::Deserialize;
use serde_json::json;
use syncwire_driver_core::server::auth::{
    AuthFailure, Grant, ServerAuthorizer, UpgradeRequest, Verdict,
};
use syncwire_proto::hub::{AuthError, AuthRequest, Identity};

/// Largest answer body read, in bytes.
pub const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// Asks the application's HTTP endpoint who a session is (docs/AUTH.md §4).
#[derive(Clone, Debug)]
pub struct HttpAuthorizer {
    url: Uri,
    client: Client<HttpConnector, Full<Bytes>>,
}

/// The endpoint's answer.
#[derive(Deserialize)]
struct Answer {
    allow: bool,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    grant: Option<Grant>,
}

impl HttpAuthorizer {
    /// An authorizer POSTing to `url` (`http://host:port/path`).
    pub fn new(url: &str) -> Result<Self, String> {
        let url: Uri = url.parse().map_err(|e| format!("auth URL `{url}`: {e}"))?;
        if url.scheme_str() != Some("http") || url.host().is_none() {
            return Err(format!("auth URL `{url}`: only http://host[:port]/path"));
        }
        let client = Client::builder(TokioExecutor::new()).build_http();
        Ok(HttpAuthorizer { url, client })
    }

    fn body(request: &AuthRequest, upgrade: &UpgradeRequest) -> Bytes {
        let headers: Vec<[&str; 2]> = upgrade.headers().map(|(n, v)| [n, v]).collect();
        let body = json!({
            "token": request.token,
            "replica": request.replica.0,
            "path": upgrade.path(),
            "query": upgrade.query(),
            "headers": headers,
        });
        Bytes::from(body.to_string())
    }
}

impl ServerAuthorizer for HttpAuthorizer {
    fn authorize(&self, request: &AuthRequest, upgrade: &UpgradeRequest) -> Verdict {
        let body = Self::body(request, upgrade);
        let (client, url) = (self.client.clone(), self.url.clone());
        let fallback = format!("replica-{}", request.replica.0);
        Verdict::Later(Box::pin(async move {
            let unavailable = |why: &str| AuthFailure::Unavailable(why.to_owned());
            let post = Request::builder()
                .method(Method::POST)
                .uri(url)
                .header(header::CONTENT_TYPE, "application/json")
                .body(Full::new(body))
                .map_err(|_| unavailable("authorization request could not be built"))?;
            let response = client
                .request(post)
                .await
                .map_err(|_| unavailable("authorization endpoint unreachable"))?;
            let status = response.status();
            let body = Limited::new(response.into_body(), MAX_ANSWER_BYTES);
            let bytes = body.collect().await.map(|b| b.to_bytes());
            let body = match &bytes {
                Ok(bytes) => Ok(&bytes[..]),
                Err(e) if e.is::<LengthLimitError>() => Err("authorization answer over 64 KiB"),
                Err(_) => Err("authorization answer unreadable"),
            };
            decide(status, body, fallback)
        }))
    }
}

/// Maps the endpoint's status and body (`Err`: why it could not be read) to a
/// decision.
fn decide(
    status: StatusCode,
    body: Result<&[u8], &'static str>,
    fallback: String,
) -> Result<Identity, AuthFailure> {
    let answer = body
        .ok()
        .and_then(|b| serde_json::from_slice::<Answer>(b).ok());
    let refused = |reason: Option<String>| {
        let why = reason.unwrap_or_else(|| "refused by the application".to_owned());
        Err(AuthFailure::Refused(AuthError(why)))
    };
    if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
        return refused(answer.and_then(|a| a.reason));
    }
    if !status.is_success() {
        let why = format!("authorization endpoint answered {}", status.as_u16());
        return Err(AuthFailure::Unavailable(why));
    }
    let Some(answer) = answer else {
        let why = body.err().unwrap_or("authorization answer malformed");
        return Err(AuthFailure::Unavailable(why.into()));
    };
    if !answer.allow {
        return refused(answer.reason);
    }
    let name = answer.name.unwrap_or(fallback);
    answer
        .grant
        .unwrap_or_default()
        .into_identity(name)
        .map_err(AuthFailure::Unavailable)
}
