//! Access to `/metrics`: a bearer token (401 without it or with a wrong one, 200 with
//! it) and a separate listener (`metrics_addr`; the main listener then answers 404).
//! Servers run in process on 127.0.0.1 and are stopped by their handle.
#![cfg(all(feature = "client", feature = "cli"))]

mod common;

use common::{WAIT, http_get, http_get_with};
use syncwire_tokio::server::{Server, ServerConfig};
use tokio::sync::oneshot;

/// A server bound on 127.0.0.1 with `config`, run until the returned sender fires.
async fn run(
    mut config: ServerConfig,
) -> (
    Server,
    impl FnOnce(Server) -> (oneshot::Sender<()>, tokio::task::JoinHandle<()>),
) {
    config.set_addr("127.0.0.1:0".parse().unwrap());
    let server = Server::bind(config).await.expect("bind");
    let start = |server: Server| {
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let done = server.run_until(async move {
                let _ = stopped.await;
            });
            done.await.expect("server runs");
        });
        (stop, task)
    };
    (server, start)
}

async fn stop(stop: oneshot::Sender<()>, task: tokio::task::JoinHandle<()>) {
    let _ = stop.send(());
    tokio::time::timeout(WAIT * 2, task)
        .await
        .expect("server stops in time")
        .unwrap();
}

#[tokio::test]
async fn metrics_token_is_required_when_set() {
    let mut config = ServerConfig::new("127.0.0.1:0".parse().unwrap());
    config.set_metrics_token(Some("m3trics".into()));
    let (server, start) = run(config).await;
    let addr = server.local_addr();
    let (tx, task) = start(server);

    let (status, body) = http_get(addr, "/metrics").await;
    assert_eq!(status, 401, "{body}");
    let wrong = "Authorization: Bearer nope\r\n";
    assert_eq!(http_get_with(addr, "/metrics", wrong).await.0, 401);
    let right = "Authorization: Bearer m3trics\r\n";
    let (status, body) = http_get_with(addr, "/metrics", right).await;
    assert_eq!(status, 200);
    assert!(body.contains("syncwire_sessions"), "{body}");
    // /health stays open (load balancers probe it without credentials).
    assert_eq!(http_get(addr, "/health").await.0, 200);
    stop(tx, task).await;
}

#[tokio::test]
async fn metrics_on_a_separate_listener_leave_the_main_one() {
    let mut config = ServerConfig::new("127.0.0.1:0".parse().unwrap());
    config.set_metrics_addr(Some("127.0.0.1:0".parse().unwrap()));
    let (server, start) = run(config).await;
    let addr = server.local_addr();
    let metrics = server.metrics_addr().expect("a metrics listener");
    assert_ne!(metrics, addr);
    let (tx, task) = start(server);

    assert_eq!(http_get(addr, "/metrics").await.0, 404);
    assert_eq!(http_get(addr, "/health").await.0, 200);
    let (status, body) = http_get(metrics, "/metrics").await;
    assert_eq!(status, 200);
    assert!(body.contains("syncwire_connections_total"), "{body}");
    assert_eq!(http_get(metrics, "/health").await.0, 404);
    stop(tx, task).await;
}

#[tokio::test]
async fn separate_metrics_listener_with_a_token() {
    let mut config = ServerConfig::new("127.0.0.1:0".parse().unwrap());
    config.set_metrics_addr(Some("127.0.0.1:0".parse().unwrap()));
    config.set_metrics_token(Some("t0ken".into()));
    let (server, start) = run(config).await;
    let metrics = server.metrics_addr().expect("a metrics listener");
    let (tx, task) = start(server);
    assert_eq!(http_get(metrics, "/metrics").await.0, 401);
    let right = "Authorization: Bearer t0ken\r\n";
    assert_eq!(http_get_with(metrics, "/metrics", right).await.0, 200);
    stop(tx, task).await;
}
