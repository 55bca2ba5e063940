//! [`HttpAuthorizer`] against a small axum endpoint on 127.0.0.1 started here: the
//! endpoint sees the token, cookie and query string and grants read access; says no
//! (`unauthorized`, 4002); never answers (`internal`, 1011, within `auth_timeout`);
//! fails (`internal`, 1011); answers a grant of exactly [`MAX_ANSWER_BYTES`] (read)
//! or one byte more (not read: `internal`, 1011).
#![cfg(all(feature = "client", feature = "server"))]

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::routing::post;
use common::{Client, Running, WAIT};
use serde_json::{Value, json};
use syncwire_tokio::proto::wire::{CloseCode, ErrorCode, Frame, Hello, ReplicaId};
use syncwire_tokio::server::{HttpAuthorizer, MAX_ANSWER_BYTES, ServerConfig};

/// Admits `token: "t"` with the cookie `session=ok` and the query `room=r`.
async fn decide(body: String) -> (StatusCode, String) {
    let req: Value = serde_json::from_str(&body).unwrap_or_default();
    let cookie = req["headers"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|h| h[0] == "cookie" && h[1] == "session=ok");
    let ok = req["token"] == "t" && cookie && req["query"] == "room=r" && req["path"] == "/sync";
    let answer = if ok {
        json!({"allow": true, "name": "ann",
               "grant": {"rooms": [{"prefix": "", "access": "read"}], "replicas": [5]}})
    } else {
        json!({"allow": false, "reason": "no session"})
    };
    (StatusCode::OK, answer.to_string())
}

/// The app's endpoint: `/auth` decides, `/hang` never answers, `/broken` fails,
/// `/sized/{len}` grants as `/auth` does in an answer of `len` bytes.
async fn endpoint() -> String {
    let app = Router::new()
        .route("/auth", post(decide))
        .route(
            "/sized/{len}",
            post(|Path(len): Path<usize>| async move { grant_of_len(len) }),
        )
        .route("/hang", post(std::future::pending::<String>))
        .route(
            "/broken",
            post(|| async { StatusCode::INTERNAL_SERVER_ERROR }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

async fn hub(url: &str) -> Running {
    let mut cfg = ServerConfig::new("127.0.0.1:0".parse().unwrap());
    cfg.set_server_authorizer(Arc::new(HttpAuthorizer::new(url).unwrap()))
        .set_auth_timeout(Duration::from_millis(500));
    Running::start(cfg).await
}

/// Connects with the cookie and query, sends a `Hello` with `token`, and returns the
/// `Reject` (code, message) and the close code.
async fn refused(server: &Running, token: &str) -> ((ErrorCode, String), Option<u16>) {
    let cookie = [("cookie", "session=ok")];
    let mut c = Client::connect_with(server.addr, "?room=r", &cookie)
        .await
        .unwrap();
    c.send(&Frame::Hello(Hello {
        versions: syncwire_tokio::proto::wire::SUPPORTED_VERSIONS.to_vec(),
        replica: ReplicaId(5),
        token: Some(token.to_owned()),
        user_info: None,
    }))
    .await;
    let reject = c
        .expect(|f| match f {
            Frame::Reject(r) => Some((r.code, r.message.clone())),
            _ => None,
        })
        .await;
    (reject, c.expect_close().await)
}

#[tokio::test]
async fn the_endpoint_grants_from_token_cookie_and_query() {
    let base = endpoint().await;
    let server = hub(&format!("{base}/auth")).await;
    let cookie = [("cookie", "session=ok")];
    let mut c = Client::connect_with(server.addr, "?room=r", &cookie)
        .await
        .unwrap();
    c.hello(5, Some("t")).await;
    // The endpoint says no: refused with its reason.
    let unauthorized = Some(CloseCode::UNAUTHORIZED.0);
    let no = (ErrorCode::UNAUTHORIZED, "no session".to_owned());
    assert_eq!(refused(&server, "wrong").await, (no, unauthorized));
    server.stop().await;
}

#[tokio::test]
async fn an_endpoint_that_hangs_or_fails_ends_in_an_explicit_refusal() {
    let base = endpoint().await;
    let server = hub(&format!("{base}/hang")).await;
    let started = Instant::now();
    let timed_out = (ErrorCode::INTERNAL, "authorization timed out".to_owned());
    let internal = Some(CloseCode::INTERNAL_ERROR.0);
    assert_eq!(refused(&server, "t").await, (timed_out, internal));
    assert!(started.elapsed() < WAIT);
    server.stop().await;
    let server = hub(&format!("{base}/broken")).await;
    let failed = (
        ErrorCode::INTERNAL,
        "authorization endpoint answered 500".to_owned(),
    );
    assert_eq!(refused(&server, "t").await, (failed, internal));
    server.stop().await;
    // Nothing listens there: unreachable is unavailable, not a refusal.
    let gone = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/auth", gone.local_addr().unwrap());
    drop(gone);
    let server = hub(&url).await;
    let (reject, close) = refused(&server, "t").await;
    assert_eq!((reject.0, close), (ErrorCode::INTERNAL, internal));
    server.stop().await;
    assert!(HttpAuthorizer::new("https://auth.example/x").is_err());
}

/// `/auth`'s grant (read access, replica 5), padded with an unknown field to `len`
/// bytes of JSON.
fn grant_of_len(len: usize) -> String {
    let mut answer = json!({"allow": true, "name": "ann",
        "grant": {"rooms": [{"prefix": "", "access": "read"}], "replicas": [5]},
        "pad": ""});
    let bare = answer.to_string().len();
    answer["pad"] = Value::String("x".repeat(len - bare));
    let body = answer.to_string();
    assert_eq!(body.len(), len);
    body
}

#[tokio::test]
async fn an_answer_over_max_answer_bytes_is_refused_internal_and_one_at_the_bound_is_read() {
    assert_eq!(MAX_ANSWER_BYTES, 64 * 1024, "docs/AUTH.md §4");
    let base = endpoint().await;
    // Exactly the bound: read whole, the grant admits the client.
    let server = hub(&format!("{base}/sized/{MAX_ANSWER_BYTES}")).await;
    let mut c = Client::connect(server.addr).await;
    c.hello(5, Some("t")).await;
    server.stop().await;
    // One byte more: the same grant is not read; the client is told `internal` and
    // closed 1011, so it retries (docs/AUTH.md §4).
    let server = hub(&format!("{base}/sized/{}", MAX_ANSWER_BYTES + 1)).await;
    let started = Instant::now();
    let ((code, message), close) = refused(&server, "t").await;
    assert_eq!(
        (code, close),
        (ErrorCode::INTERNAL, Some(CloseCode::INTERNAL_ERROR.0)),
        "{message}"
    );
    assert!(message.contains("over 64 KiB"), "says why: {message}");
    assert!(started.elapsed() < WAIT);
    server.stop().await;
}
