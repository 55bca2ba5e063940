//! Authorization through the server over 127.0.0.1: an authorizer sees the upgrade
//! request's cookies and query string; a deferred decision is awaited; one that does
//! not come within `auth_timeout` ends in `Reject internal` and close 1011; the
//! origin allow-list answers 403 before any WebSocket.
#![cfg(all(feature = "client", feature = "server"))]

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{Client, Running, WAIT};
use syncwire_tokio::proto::hub::{AuthError, AuthRequest, Identity};
use syncwire_tokio::proto::wire::{CloseCode, ErrorCode, Frame, Hello, ReplicaId};
use syncwire_tokio::server::ServerConfig;
use syncwire_tokio::server::auth::{AuthFailure, ServerAuthorizer, UpgradeRequest, Verdict};
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Error as WsError;

/// Records what it saw; decides by the token: `now`, `later` (when the test says
/// so through its watch), `never`, anything else refused.
struct Recording {
    seen: Mutex<Vec<(Option<String>, Option<String>)>>,
    release: watch::Receiver<bool>,
}

impl ServerAuthorizer for Recording {
    fn authorize(&self, request: &AuthRequest, upgrade: &UpgradeRequest) -> Verdict {
        let cookie = upgrade.cookie("session").map(str::to_owned);
        self.seen
            .lock()
            .unwrap()
            .push((cookie, upgrade.query_param("room")));
        let name = format!("replica-{}", request.replica.0);
        match request.token.as_deref() {
            Some("now") => Verdict::Now(Ok(Identity::read_write_all(name))),
            Some("later") => {
                let mut release = self.release.clone();
                Verdict::Later(Box::pin(async move {
                    let _ = release.wait_for(|r| *r).await;
                    Ok(Identity::read_write_all(name))
                }))
            }
            Some("never") => Verdict::Later(Box::pin(std::future::pending())),
            _ => Verdict::Now(Err(AuthFailure::Refused(AuthError("no".into())))),
        }
    }
}

async fn start(origins: &[&str]) -> (Running, Arc<Recording>, watch::Sender<bool>) {
    let (release_tx, release) = watch::channel(false);
    let auth = Arc::new(Recording {
        seen: Mutex::default(),
        release,
    });
    let mut cfg = ServerConfig::new("127.0.0.1:0".parse().unwrap());
    cfg.set_server_authorizer(auth.clone())
        .set_auth_timeout(Duration::from_millis(300))
        .set_allowed_origins(origins.iter().map(|o| o.to_string()).collect());
    (Running::start(cfg).await, auth, release_tx)
}

fn hello(replica: u64, token: &str) -> Frame {
    Frame::Hello(Hello {
        versions: syncwire_tokio::proto::wire::SUPPORTED_VERSIONS.to_vec(),
        replica: ReplicaId(replica),
        token: Some(token.to_owned()),
        user_info: None,
    })
}

#[tokio::test]
async fn the_authorizer_sees_cookies_and_the_query_string() {
    let (server, auth, _release) = start(&[]).await;
    let cookie = [("cookie", "theme=dark; session=s3cr3t")];
    let mut c = Client::connect_with(server.addr, "?room=team%2Fa", &cookie)
        .await
        .unwrap();
    c.hello(1, Some("now")).await;
    let seen = auth.seen.lock().unwrap().clone();
    assert_eq!(
        seen,
        vec![(Some("s3cr3t".to_owned()), Some("team/a".to_owned()))]
    );
    server.stop().await;
}

#[tokio::test]
async fn a_deferred_decision_is_awaited_and_a_missing_one_times_out() {
    let (server, _auth, release) = start(&[]).await;
    let mut waiting = Client::connect(server.addr).await;
    waiting.send(&hello(1, "later")).await;
    // A ping is answered while the decision is pending; no Welcome before it.
    waiting.send(&Frame::Ping { nonce: 7 }).await;
    waiting
        .expect(|f| matches!(f, Frame::Pong { nonce: 7 }).then_some(()))
        .await;
    release.send(true).unwrap();
    waiting
        .expect(|f| matches!(f, Frame::Welcome(_)).then_some(()))
        .await;
    let started = Instant::now();
    let mut stuck = Client::connect(server.addr).await;
    stuck.send(&hello(2, "never")).await;
    let reject = stuck
        .expect(|f| match f {
            Frame::Reject(r) => Some((r.code, r.message.clone())),
            _ => None,
        })
        .await;
    assert_eq!(
        reject,
        (ErrorCode::INTERNAL, "authorization timed out".into())
    );
    assert_eq!(
        stuck.expect_close().await,
        Some(CloseCode::INTERNAL_ERROR.0)
    );
    assert!(started.elapsed() < WAIT, "refused within the timeout");
    let mut refused = Client::connect(server.addr).await;
    refused.send(&hello(3, "bad")).await;
    assert_eq!(
        refused.expect_close().await,
        Some(CloseCode::UNAUTHORIZED.0)
    );
    server.stop().await;
}

#[tokio::test]
async fn origins_off_the_allow_list_get_403_before_any_websocket() {
    let (server, auth, _release) = start(&["https://app.example"]).await;
    let evil = Client::connect_with(server.addr, "", &[("origin", "https://evil.example")]);
    match evil.await {
        Err(WsError::Http(response)) => assert_eq!(response.status(), 403),
        Err(e) => panic!("expected HTTP 403, got {e}"),
        Ok(_) => panic!("expected HTTP 403, got a WebSocket"),
    }
    assert!(auth.seen.lock().unwrap().is_empty());
    let good = [("origin", "https://app.example")];
    let mut c = Client::connect_with(server.addr, "", &good).await.unwrap();
    c.hello(1, Some("now")).await;
    let mut native = Client::connect(server.addr).await;
    native.hello(2, Some("now")).await;
    server.stop().await;
}
