//! The news bus on Redis (shared-log mode, docs/MULTINODE.md "Presence across
//! nodes"): every node publishes its members' news (`HubOutput::Publish`, encoded
//! with `NodeNews::encode`) on one pub/sub channel, [`CHANNEL`], and hands what the
//! others publish to its hub task (`Hub::handle_peer_news`). News is never stored:
//! Redis pub/sub is at most once, and the hub repairs what is lost from the rosters
//! every node republishes periodically.
//!
//! Two OS threads per node, each on its own connection:
//!
//! * the **publisher** takes encoded news from a bounded queue ([`QUEUE`]; the hub task
//!   only `try_send`s, and counts what a full queue refuses) and `PUBLISH`es it;
//! * the **subscriber** `SUBSCRIBE`s and hands each message to the hub task's inbound
//!   channel (waiting while it is full: back-pressure on the bus only). Bytes that are
//!   not news are logged and dropped; its own news comes back too and the hub ignores it.
//!
//! A failed call drops the connection; each thread reconnects by itself, at most once
//! per [`RECONNECT_BACKOFF`], and ends once the hub task is gone. Pub/sub messages
//! are broadcast to every node of a Redis Cluster whatever the channel's slot.

use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::time::Duration;

use redis::{Client, Connection};
use syncwire_proto::hub::{MAX_NEWS_BYTES, NodeNews};

use super::redis_backend::{CONNECT_TIMEOUT, IO_TIMEOUT, RECONNECT_BACKOFF};
use crate::server::messages::ToHub;

/// The pub/sub channel every node of a deployment publishes its news on.
pub(crate) const CHANNEL: &str = "sw:peers";
/// Most encoded news waiting for the publisher.
pub(crate) const QUEUE: usize = 4096;
/// How often the subscriber looks whether the hub task is still there.
const POLL: Duration = Duration::from_millis(200);

/// Starts both threads; returns the publisher's queue (for `HubCore::set_news`).
pub(crate) fn spawn(
    url: &str,
    hub: async_channel::Sender<ToHub>,
) -> std::io::Result<SyncSender<Vec<u8>>> {
    let client = Client::open(url).map_err(std::io::Error::other)?;
    let (tx, rx) = sync_channel(QUEUE);
    let publisher = client.clone();
    std::thread::Builder::new()
        .name("syncwire-news-pub".to_owned())
        .spawn(move || publish(&publisher, &rx))?;
    std::thread::Builder::new()
        .name("syncwire-news-sub".to_owned())
        .spawn(move || subscribe(&client, &hub))?;
    Ok(tx)
}

fn connect(client: &Client, read_timeout: Duration) -> Result<Connection, String> {
    let conn = client
        .get_connection_with_timeout(CONNECT_TIMEOUT)
        .map_err(|e| e.to_string())?;
    conn.set_read_timeout(Some(read_timeout))
        .and_then(|()| conn.set_write_timeout(Some(IO_TIMEOUT)))
        .map_err(|e| e.to_string())?;
    Ok(conn)
}

/// Publishes until every sender is gone (the hub task ended).
fn publish(client: &Client, rx: &Receiver<Vec<u8>>) {
    let mut conn: Option<Connection> = None;
    while let Ok(news) = rx.recv() {
        if conn.is_none() {
            match connect(client, IO_TIMEOUT) {
                Ok(c) => conn = Some(c),
                Err(e) => {
                    tracing::debug!(error = %e, "news bus: publisher cannot reach redis");
                    std::thread::sleep(RECONNECT_BACKOFF);
                    continue;
                }
            }
        }
        let Some(c) = conn.as_mut() else {
            continue;
        };
        let sent: redis::RedisResult<i64> = redis::cmd("PUBLISH")
            .arg(CHANNEL)
            .arg(news.as_slice())
            .query(c);
        if let Err(e) = sent {
            tracing::debug!(error = %e, "news bus: publish failed");
            conn = None;
        }
    }
}

/// Hands the channel's news to the hub task until it is gone.
fn subscribe(client: &Client, hub: &async_channel::Sender<ToHub>) {
    while !hub.is_closed() {
        let mut conn = match connect(client, POLL) {
            Ok(c) => c,
            Err(e) => {
                tracing::debug!(error = %e, "news bus: subscriber cannot reach redis");
                std::thread::sleep(RECONNECT_BACKOFF);
                continue;
            }
        };
        let mut sub = conn.as_pubsub();
        if let Err(e) = sub.subscribe(CHANNEL) {
            tracing::debug!(error = %e, "news bus: subscribe failed");
            std::thread::sleep(RECONNECT_BACKOFF);
            continue;
        }
        while !hub.is_closed() {
            let msg = match sub.get_message() {
                Ok(msg) => msg,
                Err(e) if e.is_timeout() => continue,
                Err(e) => {
                    tracing::debug!(error = %e, "news bus: subscription lost");
                    break;
                }
            };
            match NodeNews::decode(msg.get_payload_bytes(), MAX_NEWS_BYTES) {
                Ok(news) => {
                    if hub.send_blocking(ToHub::PeerNews(news)).is_err() {
                        return;
                    }
                }
                Err(e) => tracing::warn!(error = %e, "news bus: dropped bytes that are not news"),
            }
        }
    }
}
