//! Shared helpers for the server integration tests: an in-process server, a raw
//! WebSocket test client speaking proto frames, and a minimal HTTP GET.
//! Every wait is bounded by [`WAIT`]; nothing sleeps to synchronize.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use std::sync::Arc;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use syncwire_tokio::proto::crdt::{CrdtError, DeltaMerger, Document, GCounter, GCounterOp};
use syncwire_tokio::proto::wire::{
    ClientDelta, Frame, Hello, Join, Joined, Position, ReplicaId, RoomId,
};
use syncwire_tokio::server::{Server, ServerConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub mod binary;
pub mod cluster;
pub mod proxy;
#[path = "../../../driver-core/src/server/storage/redis_server.rs"]
pub mod redis;
pub mod sync;

/// Upper bound of every wait in the tests.
pub const WAIT: Duration = Duration::from_secs(10);

/// A server running in this process.
pub struct Running {
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<(), syncwire_tokio::server::ServerError>>,
}

/// The configured merger, also accepting rooms of [`OPAQUE_CRDT`] (payloads it does
/// not check): the raw tests log arbitrary bytes. A default server refuses that type.
struct OpaqueToo(Arc<dyn DeltaMerger>);

impl DeltaMerger for OpaqueToo {
    fn merge(&self, tag: &str, a: &[u8], b: &[u8]) -> Result<Option<Vec<u8>>, CrdtError> {
        self.0.merge(tag, a, b)
    }
    fn validate(&self, tag: &str, payload: &[u8]) -> Result<(), CrdtError> {
        self.0.validate(tag, payload)
    }
    fn accepts_type(&self, tag: &str) -> bool {
        tag == OPAQUE_CRDT || self.0.accepts_type(tag)
    }
}

impl Running {
    /// Starts `config` on 127.0.0.1 with a free port; rooms of [`OPAQUE_CRDT`] are
    /// accepted besides the configured types.
    pub async fn start(mut config: ServerConfig) -> Running {
        config.hub_mut().merger = Arc::new(OpaqueToo(config.hub().merger.clone()));
        Running::start_exact(config).await
    }

    /// Starts `config` as given on 127.0.0.1 with a free port.
    pub async fn start_exact(mut config: ServerConfig) -> Running {
        config.set_addr("127.0.0.1:0".parse().unwrap());
        Running::start_exact_at(config).await
    }

    /// Starts `config` as given, on the address it names.
    pub async fn start_exact_at(config: ServerConfig) -> Running {
        let server = Server::bind(config).await.expect("bind");
        let addr = server.local_addr();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(server.run_until(async move {
            let _ = stopped.await;
        }));
        Running {
            addr,
            stop: Some(stop),
            task,
        }
    }

    /// Graceful shutdown; waits until the server has finished.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let done = tokio::time::timeout(WAIT * 2, &mut self.task).await;
        done.expect("server stops in time").unwrap().unwrap();
    }
}

/// What a test client observed.
#[derive(Debug)]
pub enum Seen {
    Frame(Frame),
    Closed(Option<u16>),
}

/// A raw WebSocket client speaking proto frames.
pub struct Client {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl Client {
    pub async fn connect(addr: SocketAddr) -> Client {
        let url = format!("ws://{addr}/sync");
        // Small client buffers keep tests that open many connections cheap.
        let config = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
            .read_buffer_size(4096)
            .write_buffer_size(0);
        let connecting = tokio_tungstenite::connect_async_with_config(url, Some(config), true);
        let (ws, _) = tokio::time::timeout(WAIT, connecting)
            .await
            .expect("connect in time")
            .expect("connect");
        Client { ws }
    }

    /// Connects with `query` appended to `/sync` and extra request headers; the
    /// HTTP error if the upgrade is refused.
    pub async fn connect_with(
        addr: SocketAddr,
        query: &str,
        headers: &[(&'static str, &str)],
    ) -> Result<Client, tokio_tungstenite::tungstenite::Error> {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let mut request = format!("ws://{addr}/sync{query}").into_client_request()?;
        for (name, value) in headers {
            request
                .headers_mut()
                .insert(*name, value.parse().expect("header value"));
        }
        let connecting = tokio_tungstenite::connect_async(request);
        let (ws, _) = tokio::time::timeout(WAIT, connecting)
            .await
            .expect("connect in time")?;
        Ok(Client { ws })
    }

    /// Wraps a WebSocket the test opened itself (on a tuned socket, say).
    pub fn from_stream(ws: WebSocketStream<MaybeTlsStream<TcpStream>>) -> Client {
        Client { ws }
    }

    /// The WebSocket, to read it raw.
    pub fn into_stream(self) -> WebSocketStream<MaybeTlsStream<TcpStream>> {
        self.ws
    }

    pub async fn send(&mut self, frame: &Frame) {
        self.send_raw(Message::Binary(frame.encode().into())).await;
    }

    pub async fn send_raw(&mut self, msg: Message) {
        self.ws.send(msg).await.expect("send");
    }

    /// The next frame or the close, skipping WebSocket pings/pongs.
    pub async fn next(&mut self) -> Seen {
        loop {
            let msg = tokio::time::timeout(WAIT, self.ws.next())
                .await
                .expect("message in time");
            match msg {
                Some(Ok(Message::Binary(b))) => {
                    return Seen::Frame(Frame::decode(&b).expect("hub sends valid frames"));
                }
                Some(Ok(Message::Close(c))) => return Seen::Closed(c.map(|c| u16::from(c.code))),
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                Some(Ok(other)) => panic!("unexpected message {other:?}"),
                Some(Err(_)) | None => return Seen::Closed(None),
            }
        }
    }

    /// The next frame accepted by `pick`, skipping peer and presence notices.
    pub async fn expect<T>(&mut self, mut pick: impl FnMut(&Frame) -> Option<T>) -> T {
        loop {
            match self.next().await {
                Seen::Frame(f) => {
                    if let Some(t) = pick(&f) {
                        return t;
                    }
                    assert!(
                        matches!(f, Frame::Peers(_) | Frame::Presence(_)),
                        "unexpected frame {f:?}"
                    );
                }
                Seen::Closed(code) => panic!("closed ({code:?}) while waiting"),
            }
        }
    }

    /// The close code, skipping frames.
    pub async fn expect_close(&mut self) -> Option<u16> {
        loop {
            if let Seen::Closed(code) = self.next().await {
                return code;
            }
        }
    }

    /// Handshake with `replica`; returns after `Welcome`.
    pub async fn hello(&mut self, replica: u64, token: Option<&str>) {
        let hello = Frame::Hello(Hello {
            versions: syncwire_proto::wire::SUPPORTED_VERSIONS.to_vec(),
            replica: ReplicaId(replica),
            token: token.map(str::to_owned),
            user_info: None,
        });
        self.send(&hello).await;
        self.expect(|f| matches!(f, Frame::Welcome(_)).then_some(()))
            .await;
    }

    /// Joins `room` (CRDT [`OPAQUE_CRDT`]) and returns `Joined`.
    pub async fn join(&mut self, room: &str, resume: Option<Position>) -> Joined {
        self.join_typed(room, OPAQUE_CRDT, resume).await
    }

    /// Joins `room` as CRDT type `crdt` and returns `Joined`.
    pub async fn join_typed(&mut self, room: &str, crdt: &str, resume: Option<Position>) -> Joined {
        self.send(&join_frame(room, crdt, resume)).await;
        self.expect(|f| match f {
            Frame::Joined(j) => Some(j.clone()),
            _ => None,
        })
        .await
    }

    /// Sends a delta and waits for its ack.
    pub async fn delta_acked(&mut self, room: &str, replica: u64, seq: u64, payload: &[u8]) {
        self.send(&delta(room, replica, seq, payload)).await;
        self.expect(|f| match f {
            Frame::Ack(a) if a.seq >= seq => Some(()),
            Frame::Ack(_) => None,
            _ => None,
        })
        .await;
    }

    /// Collects `count` log entries (replica, seq, payload) from catch-up batches.
    pub async fn catch_up(&mut self, count: usize) -> Vec<(u64, u64, Bytes)> {
        let mut got = Vec::new();
        while got.len() < count {
            let batch = self
                .expect(|f| match f {
                    Frame::DeltaBatch(b) => Some(b.clone()),
                    _ => None,
                })
                .await;
            got.extend(
                batch
                    .entries
                    .into_iter()
                    .map(|e| (e.replica.0, e.seq, e.payload)),
            );
        }
        got
    }
}

/// A `Join` frame.
pub fn join_frame(room: &str, crdt: &str, resume: Option<Position>) -> Frame {
    Frame::Join(Join {
        room: RoomId::new(room),
        crdt: crdt.to_owned(),
        resume,
    })
}

/// A CRDT tag the hub's merger does not know: its payloads are opaque bytes the hub
/// logs without validating (it rejects undecodable payloads of known types).
pub const OPAQUE_CRDT: &str = "test-opaque";

/// A client delta frame.
pub fn delta(room: &str, replica: u64, seq: u64, payload: &[u8]) -> Frame {
    Frame::ClientDelta(ClientDelta {
        room: RoomId::new(room),
        crdt: OPAQUE_CRDT.to_owned(),
        replica: ReplicaId(replica),
        seq,
        payload: Bytes::copy_from_slice(payload),
    })
}

/// A client delta frame of CRDT type `crdt`.
pub fn typed_delta(room: &str, crdt: &str, replica: u64, seq: u64, payload: Bytes) -> Frame {
    Frame::ClientDelta(ClientDelta {
        room: RoomId::new(room),
        crdt: crdt.to_owned(),
        replica: ReplicaId(replica),
        seq,
        payload,
    })
}

/// `n` successive `gcounter` deltas of `replica`, each an increment by one (valid
/// payloads for a server that checks them).
pub fn gcounter_deltas(replica: u64, n: u64) -> Vec<Bytes> {
    let mut doc = Document::<GCounter>::new(ReplicaId(replica));
    (0..n)
        .map(|_| {
            let delta = doc.apply_local(GCounterOp::Increment(1), 0).unwrap();
            Bytes::from(delta)
        })
        .collect()
}

/// A plain HTTP/1.1 GET; returns (status, body).
pub async fn http_get(addr: SocketAddr, path: &str) -> (u16, String) {
    http_get_with(addr, path, "").await
}

/// A plain HTTP/1.1 GET with extra header lines (each ending in `\r\n`); returns
/// (status, body).
pub async fn http_get_with(addr: SocketAddr, path: &str, headers: &str) -> (u16, String) {
    let exchange = async {
        let mut s = TcpStream::connect(addr).await.unwrap();
        let req =
            format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n{headers}Connection: close\r\n\r\n");
        s.write_all(req.as_bytes()).await.unwrap();
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).await.unwrap();
        String::from_utf8_lossy(&raw).into_owned()
    };
    let text = tokio::time::timeout(WAIT, exchange)
        .await
        .expect("http in time");
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}
