//! Every setting of `syncwire serve`, declared once: server settings (address,
//! storage, auth, TLS, metrics, queues) and every hub limit and timeout of
//! `HubConfig` that an operator may change. Each is a flag (`--max-frame-bytes`), an
//! env variable (`SYNCWIRE_MAX_FRAME_BYTES`) and a config file key
//! (`max_frame_bytes`); see `layers` for how. Defaults are the library's
//! (`ServerConfig::new`, `HubConfig::default`, i.e. `proto::hub::defaults`), so the
//! binary, the library and docs/PROTOCOL.md §7 cannot disagree.
//!
//! Not settable: the hub's `seed` (the server draws a random one), `merger` and
//! `authorizer` (code, not values).
//!
//! To add a setting: one declaration below; then read it where it is used (`apply`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use syncwire_tokio::proto::hub::HubConfig;
use syncwire_tokio::server::ServerConfig;

fn hub() -> HubConfig {
    HubConfig::default()
}

fn server() -> ServerConfig {
    ServerConfig::new(SocketAddr::from(([127, 0, 0, 1], 8080)))
}

fn ms(d: Duration) -> Option<u64> {
    u64::try_from(d.as_millis()).ok()
}

settings! {
    /// Address to listen on (port 0 picks a free port).
    addr: SocketAddr = Some(server().addr()), plain;
    /// Directory of the durable store.
    data_dir: PathBuf = Some(PathBuf::from("./data")), plain;
    /// Keep rooms in memory only (lost on exit; for tests and demos).
    memory: bool = Some(false), plain;
    /// Keep rooms on this Redis server (`redis://host:port/db`) instead of data_dir;
    /// any number of nodes may serve the same rooms on one Redis (shared log); it
    /// must run with `appendonly yes`, `appendfsync always`, `no-appendfsync-on-rewrite
    /// no` and no `allkeys-*` eviction (docs/DEPLOYMENT.md).
    redis: String = None, plain;
    /// With redis: must be 0 (acks once the primary fsynced the write). Above 0 is
    /// refused: acks cannot wait for Redis replicas yet, and replication to them is
    /// asynchronous (docs/MULTINODE.md, "Redis replicas").
    redis_wait_replicas: u32 = Some(0), plain;
    /// With redis: use Redis even if its settings can lose acked writes (no fsync of
    /// every write, fsync skipped during rewrites, eviction) or cannot be read; for
    /// tests and demos, or where you vouch for them (CONFIG disabled).
    redis_allow_unsafe_durability: bool = Some(false), plain;
    /// Accept every session with read-write access (development only).
    open: bool = Some(false), plain;
    /// Accept only this token (read-write on every room). A secret: give it in the
    /// environment or the config file, not on the command line.
    token: String = None, secret;
    /// Accept the tokens listed in this file (see driver-tokio/README.md).
    token_file: PathBuf = None, plain;
    /// Verify JSON Web Tokens (HS256) with the secret in this file (docs/AUTH.md).
    jwt_hs256_secret_file: PathBuf = None, plain;
    /// Verify JSON Web Tokens (HS256) with this secret. A secret: give it in the
    /// environment (SYNCWIRE_JWT_HS256_SECRET) or the config file.
    jwt_hs256_secret: String = None, secret;
    /// Verify JSON Web Tokens with this public key (PEM); needs jwt_alg.
    jwt_public_key: PathBuf = None, plain;
    /// The algorithm of jwt_public_key: RS256 or ES256.
    jwt_alg: String = None, plain;
    /// Require the tokens' `aud` to be (or contain) this.
    jwt_audience: String = None, plain;
    /// Require the tokens' `iss` to be this.
    jwt_issuer: String = None, plain;
    /// Ask this HTTP endpoint about each session (POST; docs/AUTH.md §4; http:// only).
    auth_url: String = None, plain;
    /// Longest wait for a deferred authorization, in ms (then Reject internal, 1011).
    auth_timeout_ms: u64 = ms(server().auth_timeout()), plain;
    /// Browser origins allowed to upgrade, comma-separated (e.g.
    /// `https://app.example,https://admin.example`); others get HTTP 403. Requests
    /// without Origin (native clients) are allowed. Empty: any origin.
    allow_origin: String = None, plain;
    /// Serve static files (the demo page) from this directory at `/`.
    static_dir: PathBuf = None, plain;
    /// HTTP path of the WebSocket endpoint.
    path: String = Some(server().ws_path().to_owned()), plain;
    /// Terminate TLS with this certificate chain (PEM, leaf first); clients use wss://.
    tls_cert: PathBuf = None, plain;
    /// The private key of tls_cert (PEM: PKCS#8, PKCS#1 or SEC1).
    tls_key: PathBuf = None, plain;
    /// Serve /metrics on this address instead of the main one (plain HTTP).
    metrics_addr: SocketAddr = None, plain;
    /// Require `Authorization: Bearer TOKEN` on /metrics, TOKEN being this file's
    /// content (surrounding whitespace removed).
    metrics_token_file: PathBuf = None, plain;
    /// Require `Authorization: Bearer TOKEN` on /metrics with this token. A secret:
    /// give it in the environment or the config file.
    metrics_token: String = None, secret;
    /// WebSocket read buffer per connection, in bytes.
    ws_read_buffer: usize = Some(server().ws_read_buffer()), plain;
    /// WebSocket write buffer target per connection, in bytes.
    ws_write_buffer: usize = Some(server().ws_write_buffer()), plain;
    /// Capacity of each connection's outbound queue, in hub turns.
    outbound_capacity: usize = Some(server().outbound_capacity()), plain;
    /// Capacity of the connections-to-hub queue, in messages.
    inbound_capacity: usize = Some(server().inbound_capacity()), plain;
    /// Most connections between TCP accept and WebSocket upgrade at once (TLS and HTTP
    /// request included), 1 to 1048576; further ones wait in the kernel's accept
    /// backlog.
    max_pending_upgrades: usize = Some(server().max_pending_upgrades()), plain;
    /// Capacity of the hub-to-storage queue, in actions.
    storage_capacity: usize = Some(server().storage_capacity()), plain;
    /// Most storage actions in one transaction (group commit).
    storage_batch: usize = Some(server().storage_batch()), plain;
    /// How long shutdown waits for storage and sessions, in milliseconds.
    shutdown_grace_ms: u64 = ms(server().shutdown_grace()), plain;
    /// Largest inbound message, in bytes.
    max_frame_bytes: usize = Some(hub().max_frame_bytes), plain;
    /// Largest delta payload, in bytes.
    max_payload_bytes: usize = Some(hub().max_payload_bytes), plain;
    /// Largest presence state, in bytes.
    max_presence_bytes: usize = Some(hub().max_presence_bytes), plain;
    /// Largest `user_info` a client may announce in its `Hello`, in bytes.
    max_user_info_bytes: usize = Some(hub().max_user_info_bytes), plain;
    /// Most members a room lists peer by peer; larger rooms get only a member count.
    max_presence_members: usize = Some(hub().max_presence_members), plain;
    /// Least time between two member counts sent to a room too large to list, in ms.
    presence_summary_interval_ms: u64 = ms(hub().presence_summary_interval), plain;
    /// Most sessions at once.
    max_sessions: usize = Some(hub().max_sessions), plain;
    /// Most rooms loaded at once, hub-wide.
    max_loaded_rooms: usize = Some(hub().max_loaded_rooms), plain;
    /// Most rooms one session may be in at once.
    max_rooms: usize = Some(hub().max_rooms_per_session), plain;
    /// Sustained inbound frames per second per session.
    rate_frames_per_sec: u32 = Some(hub().rate_frames_per_sec), plain;
    /// Inbound frame burst per session (token bucket capacity).
    rate_frame_burst: u32 = Some(hub().rate_frame_burst), plain;
    /// Sustained inbound bytes per second per session.
    rate_bytes_per_sec: u32 = Some(hub().rate_bytes_per_sec), plain;
    /// Inbound byte burst per session; at least max_frame_bytes.
    rate_byte_burst: u32 = Some(hub().rate_byte_burst), plain;
    /// Rate-limit rejections within the strike window that close the session (4004).
    rate_strikes: u32 = Some(hub().rate_strikes_to_close), plain;
    /// Window over which rate-limit rejections are counted, in milliseconds.
    rate_strike_window_ms: u64 = ms(hub().rate_strike_window), plain;
    /// Bound on a session's unflushed output, in bytes (then close 4011).
    max_backlog_bytes: usize = Some(hub().max_backlog_bytes), plain;
    /// Interval at which clients must send a frame, in milliseconds.
    heartbeat_ms: u64 = ms(hub().heartbeat_interval), plain;
    /// Silence after which a session is closed (4010), in milliseconds.
    heartbeat_timeout_ms: u64 = ms(hub().heartbeat_timeout), plain;
    /// Time from connection to `Welcome` after which it is closed (4012), in ms;
    /// also the time a connection has from accept to its WebSocket upgrade.
    handshake_timeout_ms: u64 = ms(hub().handshake_timeout), plain;
    /// Most entries per `DeltaBatch` frame (and per storage range load).
    batch_max_entries: usize = Some(hub().batch_max_entries), plain;
    /// Most payload bytes per `DeltaBatch` frame.
    batch_max_bytes: usize = Some(hub().batch_max_bytes), plain;
    /// Most durable log entries a loaded room keeps in memory.
    max_tail_entries: usize = Some(hub().max_tail_entries), plain;
    /// Most payload bytes of durable log entries a loaded room keeps in memory.
    max_tail_bytes: usize = Some(hub().max_tail_bytes), plain;
    /// Most appends in flight per room; further deltas are rejected rate_limited.
    max_pending_appends: usize = Some(hub().max_pending_appends), plain;
    /// A room without members is unloaded after this long, in milliseconds.
    room_idle_timeout_ms: u64 = ms(hub().room_idle_timeout), plain;
    /// Bound of the operator event queue (the oldest event is dropped on overflow).
    max_events: usize = Some(hub().max_events), plain;
    /// With --redis: how often a node republishes each room's members to the other
    /// nodes, in ms; a node silent about a room for three intervals has its members
    /// there removed (docs/MULTINODE.md).
    roster_interval_ms: u64 = ms(hub().roster_interval), plain;
    /// With --redis: most members of other nodes listed per room.
    max_remote_peers: usize = Some(hub().max_remote_peers), plain;
}

/// The setting that sets the `HubConfig` field `field` (for validation errors).
pub(crate) fn hub_field_setting(field: &str) -> Option<&'static str> {
    Some(match field {
        "heartbeat_interval" => "heartbeat_ms",
        "heartbeat_timeout" => "heartbeat_timeout_ms",
        "handshake_timeout" => "handshake_timeout_ms",
        "presence_summary_interval" => "presence_summary_interval_ms",
        "max_rooms_per_session" => "max_rooms",
        "rate_strikes_to_close" => "rate_strikes",
        "rate_strike_window" => "rate_strike_window_ms",
        "room_idle_timeout" => "room_idle_timeout_ms",
        "roster_interval" => "roster_interval_ms",
        "max_frame_bytes" => "max_frame_bytes",
        "max_payload_bytes" => "max_payload_bytes",
        "max_sessions" => "max_sessions",
        "max_loaded_rooms" => "max_loaded_rooms",
        "rate_frames_per_sec" => "rate_frames_per_sec",
        "rate_frame_burst" => "rate_frame_burst",
        "rate_bytes_per_sec" => "rate_bytes_per_sec",
        "rate_byte_burst" => "rate_byte_burst",
        "max_backlog_bytes" => "max_backlog_bytes",
        "batch_max_entries" => "batch_max_entries",
        "batch_max_bytes" => "batch_max_bytes",
        "max_tail_entries" => "max_tail_entries",
        "max_tail_bytes" => "max_tail_bytes",
        "max_pending_appends" => "max_pending_appends",
        "max_events" => "max_events",
        _ => return None,
    })
}
