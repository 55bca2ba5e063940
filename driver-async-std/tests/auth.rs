//! Authorization in both servers over 127.0.0.1 (the async-std one and, for
//! comparison, the tokio one): a deferred decision sees the upgrade's cookie and
//! query string and is awaited; one that never comes ends in `Reject internal` and
//! close 1011 within `auth_timeout`; an origin off the allow-list gets HTTP 403.
#![cfg(all(feature = "client", feature = "server"))]

mod common;

use std::sync::Arc;
use std::time::Duration;

use async_tungstenite::tungstenite::client::IntoClientRequest;
use async_tungstenite::tungstenite::{Error as WsError, Message};
use common::{AnyServer, Which, bounded};
use futures_util::StreamExt;
use syncwire_async_std::proto::hub::{AuthError, AuthRequest, Identity};
use syncwire_async_std::proto::wire::{CloseCode, ErrorCode, Frame, Hello, ReplicaId};
use syncwire_async_std::server::ServerConfig;
use syncwire_async_std::server::auth::{AuthFailure, ServerAuthorizer, UpgradeRequest, Verdict};

/// Admits, later, the session whose cookie `session` is `ok` and whose query has
/// `room=a/b`; a token `never` is never decided.
struct CookieAndQuery;

impl ServerAuthorizer for CookieAndQuery {
    fn authorize(&self, request: &AuthRequest, upgrade: &UpgradeRequest) -> Verdict {
        if request.token.as_deref() == Some("never") {
            return Verdict::Later(Box::pin(std::future::pending()));
        }
        let admitted = upgrade.cookie("session") == Some("ok")
            && upgrade.query_param("room").as_deref() == Some("a/b");
        Verdict::Later(Box::pin(async move {
            if admitted {
                Ok(Identity::read_write_all("cookie"))
            } else {
                Err(AuthFailure::Refused(AuthError("no cookie".into())))
            }
        }))
    }
}

type Ws = async_tungstenite::WebSocketStream<async_std::net::TcpStream>;

async fn connect(
    server: &AnyServer,
    query: &str,
    headers: &[(&'static str, &str)],
) -> Result<Ws, WsError> {
    let tcp = async_std::net::TcpStream::connect(server.addr());
    let tcp = bounded("tcp connect", tcp).await.expect("tcp connect");
    let mut request = format!("ws://{}/sync{query}", server.addr()).into_client_request()?;
    for (name, value) in headers {
        request.headers_mut().insert(*name, value.parse().unwrap());
    }
    let connect = async_tungstenite::client_async(request, tcp);
    bounded("connect", connect).await.map(|(ws, _)| ws)
}

/// Sends a `Hello` with `token`; returns the first frame and the close code, if any.
async fn hello(ws: &mut Ws, token: &str) -> (Frame, Option<u16>) {
    let hello = Frame::Hello(Hello {
        versions: syncwire_async_std::proto::wire::SUPPORTED_VERSIONS.to_vec(),
        replica: ReplicaId(1),
        token: Some(token.to_owned()),
        user_info: None,
    });
    let send = ws.send(Message::Binary(hello.encode().into()));
    bounded("send hello", send).await.expect("send hello");
    let Some(Ok(Message::Binary(b))) = bounded("first frame", ws.next()).await else {
        panic!("expected a frame");
    };
    let frame = Frame::decode(&b).unwrap();
    if matches!(frame, Frame::Welcome(_)) {
        return (frame, None);
    }
    let close = match bounded("close", ws.next()).await {
        Some(Ok(Message::Close(c))) => c.map(|c| u16::from(c.code)),
        other => panic!("expected a close, got {other:?}"),
    };
    (frame, close)
}

#[async_std::test]
async fn both_servers_run_deferred_authorization_with_the_upgrade_request() {
    for which in Which::BOTH {
        let mut cfg = ServerConfig::new("127.0.0.1:0".parse().unwrap());
        cfg.set_server_authorizer(Arc::new(CookieAndQuery))
            .set_auth_timeout(Duration::from_millis(300))
            .set_allowed_origins(vec!["https://app.example".into()]);
        let server = which.start(cfg).await;
        let cookie = [("cookie", "session=ok"), ("origin", "https://app.example")];
        let mut ws = connect(&server, "?room=a%2Fb", &cookie).await.unwrap();
        assert!(
            matches!(hello(&mut ws, "t").await, (Frame::Welcome(_), None)),
            "{which:?}"
        );
        let mut ws = connect(&server, "?room=a%2Fb", &[]).await.unwrap();
        let (refusal, close) = hello(&mut ws, "t").await;
        assert!(matches!(refusal, Frame::Reject(r) if r.code == ErrorCode::UNAUTHORIZED));
        assert_eq!(close, Some(CloseCode::UNAUTHORIZED.0));
        let mut ws = connect(&server, "", &[]).await.unwrap();
        let (refusal, close) = hello(&mut ws, "never").await;
        assert!(matches!(refusal, Frame::Reject(r) if r.code == ErrorCode::INTERNAL));
        assert_eq!(close, Some(CloseCode::INTERNAL_ERROR.0));
        let evil = [("origin", "https://evil.example")];
        match connect(&server, "", &evil).await {
            Err(WsError::Http(response)) => assert_eq!(response.status(), 403, "{which:?}"),
            other => panic!("{which:?}: expected HTTP 403, got {:?}", other.map(|_| ())),
        }
        server.stop().await;
    }
}
