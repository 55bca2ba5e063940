//! The server mounted in an application's own axum app
//! (`syncwire_tokio::server::router`): the app keeps its own route, syncwire is nested
//! under `/sync`, and two tokio clients sync through it on 127.0.0.1; `SyncHub`
//! stops the hub and the app's server with it.
//! Every wait is bounded; nothing sleeps to synchronize.
#![cfg(all(feature = "client", feature = "cli"))]

mod common;

use axum::Router;
use axum::routing::get;
use common::sync::{fast_config, until};
use common::{WAIT, http_get};
use syncwire_tokio::client::SyncClient;
use syncwire_tokio::proto::crdt::{GCounter, GCounterOp};
use syncwire_tokio::server::{ServerConfig, ServerError, router};

#[tokio::test]
async fn a_client_syncs_through_syncwire_nested_in_a_user_app() {
    let mut config = ServerConfig::new("127.0.0.1:0".parse().unwrap());
    config.set_ws_path("/ws");
    let (sync, hub) = router(config).expect("router");
    let app = Router::new()
        .route("/hello", get(|| async { "from the app\n" }))
        .nest("/sync", sync);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let served = tokio::spawn(
        axum::serve(listener, app)
            .with_graceful_shutdown(hub.stopped())
            .into_future(),
    );

    assert_eq!(
        http_get(addr, "/hello").await,
        (200, "from the app\n".into())
    );
    assert_eq!(http_get(addr, "/sync/health").await, (200, "ok\n".into()));
    let (status, body) = http_get(addr, "/sync/metrics").await;
    assert_eq!(status, 200);
    assert!(body.contains("syncwire_sessions"), "{body}");

    let url = format!("ws://{addr}/sync/ws");
    let a = SyncClient::connect(&url, fast_config(1)).unwrap();
    let b = SyncClient::connect(&url, fast_config(2)).unwrap();
    let ca = a.join::<GCounter>("mounted").unwrap();
    let cb = b.join::<GCounter>("mounted").unwrap();
    ca.apply(GCounterOp::Increment(2)).unwrap();
    cb.apply(GCounterOp::Increment(3)).unwrap();
    until(&ca, |c| c.value() == 5).await;
    until(&cb, |c| c.value() == 5).await;
    a.close(WAIT).await;
    b.close(WAIT).await;

    tokio::time::timeout(WAIT * 2, hub.shutdown())
        .await
        .expect("hub stops in time");
    tokio::time::timeout(WAIT, served)
        .await
        .expect("the app's server stops with the hub")
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn a_mounted_router_refuses_tls_settings() {
    let mut config = ServerConfig::new("127.0.0.1:0".parse().unwrap());
    config.set_tls(Some(syncwire_tokio::server::TlsFiles {
        cert_chain: "cert.pem".into(),
        private_key: "key.pem".into(),
    }));
    let err = router(config).expect_err("TLS is the app server's");
    assert!(matches!(err, ServerError::Config(_)), "{err}");
}
