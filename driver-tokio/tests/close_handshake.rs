//! The WebSocket close handshake (RFC 6455 §5.5.1): when a client closes, the server
//! answers with its own Close frame echoing the code before the TCP stream ends, so
//! a browser sees a clean close with the code instead of 1006.

mod common;

use common::{Running, WAIT};
use futures_util::{SinkExt, StreamExt};
use syncwire_tokio::proto::wire::{Frame, Hello, ReplicaId};
use syncwire_tokio::server::ServerConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

/// Connects, optionally completes the handshake, sends Close(`code`) and returns the
/// close code of the server's answer, failing if the stream ends without one.
async fn close_with(server: &Running, handshake: bool, code: u16) -> u16 {
    let url = format!("ws://{}/sync", server.addr);
    let (mut ws, _) = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(url))
        .await
        .expect("connect in time")
        .expect("connect");
    if handshake {
        let hello = Frame::Hello(Hello {
            versions: vec![1],
            replica: ReplicaId(1),
            token: None,
            user_info: None,
        });
        ws.send(Message::Binary(hello.encode().into()))
            .await
            .expect("send");
        let welcome = tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("in time");
        let Some(Ok(Message::Binary(b))) = welcome else {
            panic!("expected Welcome, got {welcome:?}");
        };
        assert!(matches!(Frame::decode(&b), Ok(Frame::Welcome(_))));
    }
    let close = CloseFrame {
        code: CloseCode::from(code),
        reason: "bye".into(),
    };
    ws.send(Message::Close(Some(close)))
        .await
        .expect("send close");
    let mut answer = None;
    loop {
        let next = tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("in time");
        match next {
            Some(Ok(Message::Close(frame))) => answer = Some(frame.map(|f| u16::from(f.code))),
            Some(Ok(other)) => assert!(answer.is_none(), "{other:?} after the close"),
            // The stream ends cleanly only after the server's Close arrived.
            None => break,
            Some(Err(e)) => panic!("stream failed ({e}) instead of a close handshake"),
        }
    }
    answer
        .expect("the server answered the Close")
        .expect("with a code")
}

#[tokio::test]
async fn a_client_close_is_answered_with_the_same_code() {
    let server = Running::start(ServerConfig::new("127.0.0.1:0".parse().unwrap())).await;
    assert_eq!(close_with(&server, true, 1000).await, 1000);
    assert_eq!(close_with(&server, true, 1001).await, 1001);
    // Before the handshake completed too.
    assert_eq!(close_with(&server, false, 1000).await, 1000);
    server.stop().await;
}
