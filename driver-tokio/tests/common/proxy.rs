//! A TCP proxy on 127.0.0.1 that forwards every connection to a target and can cut
//! all of its live connections on command (a network partition that heals at once).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A running proxy; dropping it stops accepting (live connections end on the next cut).
pub struct Proxy {
    /// Where clients connect.
    pub addr: SocketAddr,
    cut: watch::Sender<u64>,
    accepted: Arc<AtomicU64>,
    live: Arc<AtomicU64>,
    task: JoinHandle<()>,
}

impl Proxy {
    /// Starts forwarding connections on a free port to `target`.
    pub async fn start(target: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (cut, cuts) = watch::channel(0u64);
        let accepted = Arc::new(AtomicU64::new(0));
        let live = Arc::new(AtomicU64::new(0));
        let (acc, lv) = (accepted.clone(), live.clone());
        let task = tokio::spawn(async move {
            while let Ok((inbound, _)) = listener.accept().await {
                acc.fetch_add(1, Ordering::Relaxed);
                tokio::spawn(forward(inbound, target, cuts.clone(), lv.clone()));
            }
        });
        Proxy {
            addr,
            cut,
            accepted,
            live,
            task,
        }
    }

    /// Drops every connection open right now (both directions, no close handshake).
    pub fn cut_all(&self) {
        self.cut.send_modify(|n| *n += 1);
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> u64 {
        self.accepted.load(Ordering::Relaxed)
    }

    /// Connections currently forwarded.
    pub fn live(&self) -> u64 {
        self.live.load(Ordering::Relaxed)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
        self.cut_all();
    }
}

async fn forward(
    mut inbound: TcpStream,
    target: SocketAddr,
    mut cuts: watch::Receiver<u64>,
    live: Arc<AtomicU64>,
) {
    cuts.borrow_and_update();
    let Ok(mut outbound) = TcpStream::connect(target).await else {
        return;
    };
    live.fetch_add(1, Ordering::Relaxed);
    tokio::select! {
        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
        _ = cuts.changed() => {}
    }
    live.fetch_sub(1, Ordering::Relaxed);
    // Dropping both streams resets/ends the connection on each side.
}
