//! The HTTP surface as axum routers: the WebSocket endpoint (default `/sync`),
//! `/health`, `/metrics` and, if configured, static files at `/`. `/metrics` is on the
//! main router unless `metrics_addr` moves it to a router of its own
//! ([`metrics_router`]); with a `metrics_token` it answers 401 to a request without
//! `Authorization: Bearer TOKEN`.
//!
//! WebSocket upgrades use small tungstenite buffers (`ws_read_buffer` 4 KiB and
//! `ws_write_buffer` 16 KiB by default, instead of 128 KiB each) so that an idle
//! connection costs a few KiB. Messages up to twice the hub's `max_frame_bytes` are read and
//! handed to the hub, which answers oversized frames with `Reject payload_too_large`;
//! larger ones make tungstenite fail and the connection closes.
//!
//! Before the upgrade, the `Origin` header is checked against the allow-list (HTTP 403
//! without a WebSocket when it is not on it), and the request's headers, path and
//! query string are captured for the authorizer.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::extract::ws::WebSocketUpgrade;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use syncwire_driver_core::server::auth::{UpgradeRequest, origin_allowed};
use syncwire_driver_core::server::{ConnContext, ServerCounters, serve};
use tower_http::services::ServeDir;

use super::metrics;
use super::runtime::{AxumSocket, TokioServer};

/// How long `/health` and `/metrics` wait for the hub task to answer.
const HUB_ANSWER: Duration = Duration::from_secs(2);

/// Shared state of every route.
#[derive(Clone)]
pub(crate) struct AppState {
    pub(crate) conn: ConnContext<TokioServer>,
    pub(crate) metrics: Arc<ServerCounters>,
    pub(crate) read_buffer: usize,
    pub(crate) write_buffer: usize,
    pub(crate) max_message: usize,
    /// The bearer token `/metrics` requires, if any.
    pub(crate) metrics_token: Option<Arc<str>>,
    /// Browser origins allowed to upgrade (empty: any).
    pub(crate) allowed_origins: Arc<[String]>,
}

/// The main router: the WebSocket endpoint, `/health`, `/metrics` when `with_metrics`,
/// and static files.
pub(crate) fn router(
    state: AppState,
    ws_path: &str,
    static_dir: Option<PathBuf>,
    with_metrics: bool,
) -> Router {
    let router = Router::new()
        .route(ws_path, get(upgrade))
        .route("/health", get(health));
    let router = if with_metrics {
        router.route("/metrics", get(render_metrics))
    } else {
        router
    };
    let router = match static_dir {
        Some(dir) => router.fallback_service(ServeDir::new(dir)),
        None => router,
    };
    router.with_state(state)
}

/// `/metrics` alone, for a listener of its own.
pub(crate) fn metrics_router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(render_metrics))
        .with_state(state)
}

async fn upgrade(
    ws: WebSocketUpgrade,
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let origin = headers
        .get(header::ORIGIN)
        .map(|o| o.to_str().unwrap_or("\u{fffd}"));
    if !origin_allowed(&state.allowed_origins, origin) {
        return (StatusCode::FORBIDDEN, "origin not allowed\n").into_response();
    }
    let mut request = UpgradeRequest::new(uri.path(), uri.query().map(str::to_owned));
    for (name, value) in &headers {
        if let Ok(value) = value.to_str() {
            request.push_header(name.as_str(), value);
        }
    }
    let request = Box::new(request);
    let ctx = state.conn.clone();
    ws.read_buffer_size(state.read_buffer)
        .write_buffer_size(state.write_buffer)
        .max_message_size(state.max_message)
        .max_frame_size(state.max_message)
        // The socket and context live in this block, lent to `serve` (see there).
        .on_upgrade(move |mut socket| async move {
            serve(&mut AxumSocket::new(&mut socket), &ctx, request).await
        })
}

async fn health(State(state): State<AppState>) -> Response {
    match state.conn.hub_metrics(HUB_ANSWER).await {
        Some(_) => match state.conn.storage_trouble() {
            Some(trouble) => {
                let body = format!("{}\n", trouble.message());
                (StatusCode::SERVICE_UNAVAILABLE, body).into_response()
            }
            None => (StatusCode::OK, "ok\n").into_response(),
        },
        None => (StatusCode::SERVICE_UNAVAILABLE, "hub not responding\n").into_response(),
    }
}

async fn render_metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = &state.metrics_token {
        if !bearer_matches(&headers, token) {
            let challenge = [(header::WWW_AUTHENTICATE, "Bearer")];
            return (StatusCode::UNAUTHORIZED, challenge, "unauthorized\n").into_response();
        }
    }
    let Some(hub) = state.conn.hub_metrics(HUB_ANSWER).await else {
        return (StatusCode::SERVICE_UNAVAILABLE, "hub not responding\n").into_response();
    };
    let body = metrics::render(&state.metrics, &hub);
    let kind = "text/plain; version=0.0.4; charset=utf-8";
    ([(header::CONTENT_TYPE, kind)], body).into_response()
}

/// Whether `headers` carry `Authorization: Bearer <token>`, compared in time that
/// depends on the lengths only (not on where the first difference is).
fn bearer_matches(headers: &HeaderMap, token: &str) -> bool {
    let Some(given) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return false;
    };
    let (a, b) = (given.trim().as_bytes(), token.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
