//! The command line of `syncwire-bench`: which scenarios to run and their sizes
//! ([`Args`]), the internal `serve` subcommand, and which server a run is against
//! ([`Kind`]).

use clap::{Parser, Subcommand, ValueEnum};

/// Which server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Kind {
    /// The syncwire server (driver-tokio, memory storage, opaque payloads).
    Syncwire,
    /// The syncwire server as deployed: the embedded durable store (redb, every
    /// append fsynced before its ack) and a validated built-in type (`lww`).
    Durable,
    /// The raw tokio-tungstenite broadcast server.
    Baseline,
}

impl Kind {
    /// The command-line name.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Syncwire => "syncwire",
            Kind::Durable => "durable",
            Kind::Baseline => "baseline",
        }
    }
}

/// Load scenarios, syncwire against a raw WebSocket broadcast baseline.
#[derive(Parser, Debug)]
#[command(version)]
pub struct Args {
    /// One JSON object per line instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Scenarios to run.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "fanout,latency,idle,idle_shared,connect,resume"
    )]
    pub scenarios: Vec<String>,
    /// Elements of the OR-set room of the `bigdoc` scenario.
    #[arg(long, default_value_t = 100_000)]
    pub bigdoc_elements: u64,
    /// Steady deltas per second of the `bigdoc` scenario.
    #[arg(long, default_value_t = 1000)]
    pub bigdoc_rate: u64,
    /// Duration of the `bigdoc` scenario's steady writes, in seconds.
    #[arg(long, default_value_t = 20)]
    pub bigdoc_secs: u64,
    /// Storage of the `bigdoc` servers: `redb` (production, fsynced) or `memory`
    /// (no disk: what the state's size costs the CPU alone).
    #[arg(long, default_value = "redb")]
    pub bigdoc_storage: String,
    /// Subscriber counts of the fan-out throughput runs.
    #[arg(long, value_delimiter = ',', default_value = "100,1000")]
    pub subscribers: Vec<usize>,
    /// Deliveries (deltas × subscribers) per fan-out throughput run (enough for the
    /// run's start — the `Peers` notices of a thousand joins still in flight —
    /// to stay a small part of it).
    #[arg(long, default_value_t = 5_000_000)]
    pub deliveries: u64,
    /// Rounds of the fan-out throughput and latency runs (syncwire then baseline,
    /// alternating); each figure is the median over the rounds, which damps the noise
    /// of a shared machine.
    #[arg(long, default_value_t = 3)]
    pub rounds: usize,
    /// Subscribers of the latency run.
    #[arg(long, default_value_t = 100)]
    pub latency_subscribers: usize,
    /// Delivery rate (deltas × subscribers per second) of the latency run.
    #[arg(long, default_value_t = 10_000)]
    pub latency_rate: u64,
    /// Duration of the latency run, in seconds.
    #[arg(long, default_value_t = 5)]
    pub latency_secs: u64,
    /// Idle connections of the memory run.
    #[arg(long, default_value_t = 5_000)]
    pub idle: usize,
    /// Run syncwire as deployed (redb storage, `lww` deltas validated and compacted
    /// by the hub) instead of memory storage and opaque payloads.
    #[arg(long)]
    pub durable: bool,
    /// Clients of the shared-room run (all join one room, then stay idle).
    #[arg(long, default_value_t = 10_000)]
    pub idle_shared: usize,
    /// Connections of the establishment run.
    #[arg(long, default_value_t = 1_000)]
    pub connects: usize,
    /// Drop → reconnect → resume cycles of the resume run.
    #[arg(long, default_value_t = 200)]
    pub resumes: usize,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Internal: run one server in this process until stdin closes.
    Serve {
        /// Which server.
        kind: Kind,
        /// syncwire: redb storage in this directory instead of memory.
        #[arg(long)]
        redb: Option<std::path::PathBuf>,
        /// syncwire: the built-in CRDT registry (validation, folding) instead of none.
        #[arg(long)]
        merge: bool,
        /// syncwire: Redis storage at this URL (shared-log mode).
        #[arg(long)]
        redis: Option<String>,
    },
}
