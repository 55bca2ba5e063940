//! The async-std server completes the WebSocket close handshake (RFC 6455 §5.5.1):
//! a client's Close is answered with the server's Close echoing the code before the
//! TCP stream ends (a browser would otherwise report 1006).

mod common;

use async_tungstenite::tungstenite::Message;
use async_tungstenite::tungstenite::protocol::CloseFrame;
use async_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use common::{AsyncStdServer, bounded};
use futures_util::StreamExt;
use syncwire_async_std::server::MemoryStore;

#[async_std::test]
async fn a_client_close_is_answered_with_the_same_code() {
    let server = AsyncStdServer::start("127.0.0.1:0".parse().unwrap(), MemoryStore::new()).await;
    for code in [1000u16, 1001] {
        let tcp = async_std::net::TcpStream::connect(server.addr);
        let tcp = bounded("tcp connect", tcp).await.expect("tcp connect");
        let url = format!("ws://{}/sync", server.addr);
        let connect = async_tungstenite::client_async(url, tcp);
        let (mut ws, _) = bounded("connect", connect).await.expect("connect");
        let close = CloseFrame {
            code: CloseCode::from(code),
            reason: "bye".into(),
        };
        ws.send(Message::Close(Some(close)))
            .await
            .expect("send close");
        let mut answer = None;
        loop {
            match bounded("next message", ws.next()).await {
                Some(Ok(Message::Close(f))) => answer = f.map(|f| u16::from(f.code)),
                Some(Ok(other)) => panic!("unexpected {other:?}"),
                None => break,
                Some(Err(e)) => panic!("stream failed ({e}) instead of a close handshake"),
            }
        }
        assert_eq!(answer, Some(code));
    }
    server.stop().await;
}
