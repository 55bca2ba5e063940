//! A client's token source is asked before each connection attempt: the hub stops
//! accepting the first token, the connection drops (a proxy on 127.0.0.1 cuts it),
//! and the client reconnects with the fresh token the source now returns.
#![cfg(all(feature = "client", feature = "server"))]

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use common::proxy::Proxy;
use common::sync::{fast_fresh_config, until_acked_within, url};
use common::{Running, WAIT};
use syncwire_tokio::client::SyncClient;
use syncwire_tokio::proto::crdt::{GCounter, GCounterOp};
use syncwire_tokio::proto::hub::{AuthDecision, AuthError, AuthRequest, Authorizer, Identity};
use syncwire_tokio::server::ServerConfig;
use tokio::sync::mpsc;

/// Accepts only the token currently in `valid`, and reports each acceptance.
struct Rotating {
    valid: Mutex<String>,
    accepted: mpsc::UnboundedSender<String>,
}

impl Authorizer for Rotating {
    fn authorize(&self, request: &AuthRequest) -> AuthDecision {
        let token = request.token.clone().unwrap_or_default();
        if token != *self.valid.lock().unwrap() {
            return AuthDecision::Decided(Err(AuthError("stale token".into())));
        }
        let _ = self.accepted.send(token);
        AuthDecision::Decided(Ok(Identity::read_write_all("rotating")))
    }
}

/// The next token the hub accepted, bounded by [`WAIT`].
async fn next(accepted: &mut mpsc::UnboundedReceiver<String>) -> Option<String> {
    let recv = accepted.recv();
    tokio::time::timeout(WAIT, recv)
        .await
        .expect("accepted in time")
}

#[tokio::test]
async fn a_reconnect_uses_the_fresh_token_from_the_source() {
    let (accepted_tx, mut accepted) = mpsc::unbounded_channel();
    let hub_auth = Arc::new(Rotating {
        valid: Mutex::new("v1".into()),
        accepted: accepted_tx,
    });
    let mut cfg = ServerConfig::new("127.0.0.1:0".parse().unwrap());
    cfg.set_authorizer(hub_auth.clone());
    let server = Running::start(cfg).await;
    let proxy = Proxy::start(server.addr).await;
    let current = Arc::new(Mutex::new(String::from("v1")));
    let asked = Arc::new(AtomicUsize::new(0));
    let source = {
        let (current, asked) = (current.clone(), asked.clone());
        Arc::new(move || {
            asked.fetch_add(1, Ordering::SeqCst);
            Some(current.lock().unwrap().clone())
        })
    };
    let client =
        SyncClient::connect_with_tokens(url(proxy.addr), fast_fresh_config(), source).unwrap();
    assert_eq!(next(&mut accepted).await.as_deref(), Some("v1"));
    let doc = client.join::<GCounter>("c").unwrap();
    doc.apply(GCounterOp::Increment(1)).unwrap();
    until_acked_within(&client, WAIT).await;
    // The issuer rotates: the hub accepts only v2, the source returns v2; then the
    // connection drops.
    *hub_auth.valid.lock().unwrap() = "v2".into();
    *current.lock().unwrap() = "v2".into();
    proxy.cut_all();
    assert_eq!(next(&mut accepted).await.as_deref(), Some("v2"));
    doc.apply(GCounterOp::Increment(1)).unwrap();
    until_acked_within(&client, WAIT).await;
    assert!(
        asked.load(Ordering::SeqCst) >= 2,
        "asked before each attempt"
    );
    assert!(!client.state().is_stopped());
    client.close(WAIT).await;
    server.stop().await;
}
