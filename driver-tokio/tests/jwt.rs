//! The JWT authorizer in a server over 127.0.0.1: a valid token is welcomed; an
//! expired one or one with a wrong signature is refused `unauthorized` (close 4002);
//! a read grant cannot write (`forbidden`); a replica id outside the grant is
//! refused `replica_forbidden` (close 4014). (Every check in detail: driver-core's
//! `jwt_tests`.)
#![cfg(all(feature = "client", feature = "server"))]

mod common;

use std::sync::Arc;

use common::{Client, Running, delta};
use jsonwebtoken::{EncodingKey, Header, encode, get_current_timestamp};
use serde_json::{Value, json};
use syncwire_tokio::proto::wire::{CloseCode, ErrorCode, Frame, Hello, ReplicaId};
use syncwire_tokio::server::{JwtAuthorizer, ServerConfig};

const SECRET: &[u8] = b"test-only secret, 32 bytes or more";

fn token(claims: Value, secret: &[u8]) -> String {
    encode(
        &Header::default(),
        &claims,
        &EncodingKey::from_secret(secret),
    )
    .unwrap()
}

fn grant(exp_in: i64) -> Value {
    let exp = get_current_timestamp().saturating_add_signed(exp_in);
    json!({"sub": "ann", "exp": exp, "aud": "hub",
           "syncwire": {"rooms": [{"prefix": "team-a/", "access": "write"},
                                  {"prefix": "public/", "access": "read"}],
                        "replicas": "10-19"}})
}

async fn server() -> Running {
    let mut cfg = ServerConfig::new("127.0.0.1:0".parse().unwrap());
    let auth = JwtAuthorizer::hs256(SECRET).unwrap().with_audience("hub");
    cfg.set_authorizer(Arc::new(auth));
    Running::start(cfg).await
}

/// Sends a `Hello` and returns the `Reject` code and close code it gets.
async fn refused(server: &Running, replica: u64, token: &str) -> (ErrorCode, Option<u16>) {
    let mut c = Client::connect(server.addr).await;
    c.send(&Frame::Hello(Hello {
        versions: syncwire_tokio::proto::wire::SUPPORTED_VERSIONS.to_vec(),
        replica: ReplicaId(replica),
        token: Some(token.to_owned()),
        user_info: None,
    }))
    .await;
    let code = c
        .expect(|f| match f {
            Frame::Reject(r) => Some(r.code),
            _ => None,
        })
        .await;
    (code, c.expect_close().await)
}

#[tokio::test]
async fn jwt_grants_are_enforced_by_the_server() {
    let server = server().await;
    let good = token(grant(600), SECRET);
    let mut c = Client::connect(server.addr).await;
    c.hello(12, Some(&good)).await;
    assert!(c.join("team-a/doc", None).await.writable);
    c.delta_acked("team-a/doc", 12, 1, b"x").await;
    // A read grant: joined read-only (the room made by a writer), a delta is
    // refused `forbidden`.
    let mut publisher = grant(600);
    publisher["syncwire"] = json!({"rooms": [{"prefix": "public/", "access": "write"}]});
    let mut w = Client::connect(server.addr).await;
    w.hello(30, Some(&token(publisher, SECRET))).await;
    assert!(w.join("public/news", None).await.writable);
    assert!(!c.join("public/news", None).await.writable);
    c.send(&delta("public/news", 12, 1, b"y")).await;
    let code = c
        .expect(|f| match f {
            Frame::Reject(r) => Some(r.code),
            _ => None,
        })
        .await;
    assert_eq!(code, ErrorCode::FORBIDDEN);
    let unauthorized = (ErrorCode::UNAUTHORIZED, Some(CloseCode::UNAUTHORIZED.0));
    assert_eq!(
        refused(&server, 13, &token(grant(-600), SECRET)).await,
        unauthorized
    );
    let forged = token(grant(600), b"another secret, also 32 bytes long");
    assert_eq!(refused(&server, 13, &forged).await, unauthorized);
    let mut wrong_aud = grant(600);
    wrong_aud["aud"] = json!("elsewhere");
    assert_eq!(
        refused(&server, 13, &token(wrong_aud, SECRET)).await,
        unauthorized
    );
    let forbidden = (
        ErrorCode::REPLICA_FORBIDDEN,
        Some(CloseCode::REPLICA_FORBIDDEN.0),
    );
    assert_eq!(refused(&server, 20, &good).await, forbidden);
    server.stop().await;
}
