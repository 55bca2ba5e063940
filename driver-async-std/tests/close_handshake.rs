//! The WebSocket close handshake (RFC 6455 §5.5.1), one body run against both servers
//! (async-std and tokio): when a client closes, the server answers with its own Close
//! frame echoing the code before the TCP stream ends, so a browser sees a clean close
//! with the code instead of 1006 — after the protocol handshake and before it.
#![cfg(all(feature = "client", feature = "server"))]

mod common;

use async_tungstenite::tungstenite::Message;
use async_tungstenite::tungstenite::protocol::CloseFrame;
use async_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use common::{AnyServer, Which, bounded};
use futures_util::StreamExt;
use syncwire_async_std::proto::wire::{Frame, Hello, ReplicaId};
use syncwire_async_std::server::ServerConfig;

/// Connects, optionally completes the protocol handshake, sends Close(`code`) and
/// returns the close code of the server's answer, failing if the stream ends without
/// one or fails.
async fn close_with(server: &AnyServer, handshake: bool, code: u16) -> u16 {
    let tcp = async_std::net::TcpStream::connect(server.addr());
    let tcp = bounded("tcp connect", tcp).await.expect("tcp connect");
    let url = format!("ws://{}/sync", server.addr());
    let connect = async_tungstenite::client_async(url, tcp);
    let (mut ws, _) = bounded("connect", connect).await.expect("connect");
    if handshake {
        let hello = Frame::Hello(Hello {
            versions: syncwire_proto::wire::SUPPORTED_VERSIONS.to_vec(),
            replica: ReplicaId(1),
            token: None,
            user_info: None,
        });
        let send = ws.send(Message::Binary(hello.encode().into()));
        bounded("send hello", send).await.expect("send hello");
        let welcome = bounded("welcome", ws.next()).await;
        let Some(Ok(Message::Binary(b))) = welcome else {
            panic!("expected Welcome, got {welcome:?}");
        };
        assert!(matches!(Frame::decode(&b), Ok(Frame::Welcome(_))));
    }
    let close = CloseFrame {
        code: CloseCode::from(code),
        reason: "bye".into(),
    };
    let send = ws.send(Message::Close(Some(close)));
    bounded("send close", send).await.expect("send close");
    let mut answer = None;
    loop {
        match bounded("next message", ws.next()).await {
            Some(Ok(Message::Close(frame))) => answer = Some(frame.map(|f| u16::from(f.code))),
            // Before the handshake nothing but the Close may come; after it, nothing
            // may follow the server's Close.
            Some(Ok(other)) => assert!(handshake && answer.is_none(), "unexpected {other:?}"),
            // The stream ends cleanly only after the server's Close arrived.
            None => break,
            Some(Err(e)) => panic!("stream failed ({e}) instead of a close handshake"),
        }
    }
    answer
        .expect("the server answered the Close")
        .expect("with a code")
}

#[async_std::test]
async fn a_client_close_is_answered_with_the_same_code() {
    for which in Which::BOTH {
        let config = ServerConfig::new("127.0.0.1:0".parse().unwrap());
        let server = which.start(config).await;
        for handshake in [true, false] {
            for code in [1000u16, 1001] {
                let answer = close_with(&server, handshake, code).await;
                assert_eq!(answer, code, "{which:?} server, handshake {handshake}");
            }
        }
        server.stop().await;
    }
}
