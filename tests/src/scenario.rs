//! Named simulation scenarios: the size of the world, the workload and the fault
//! rates of one seeded run. A scenario is plain data; the seed decides everything else.

use core::time::Duration;

use syncwire_proto::hub::{HubConfig, PlantedFault};

pub use crate::fault_rates::FaultRates;
pub use crate::path::Path;

/// Hub limits a scenario tightens (`None`: the hub's default).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HubLimits {
    /// Per-session frame rate: (frames per second, burst).
    pub rate: Option<(u32, u32)>,
    /// Appends in flight per room before deltas are refused `rate_limited`.
    pub max_pending_appends: Option<usize>,
    /// A bug planted in the hub on purpose (`tests/tests/planted_faults.rs`).
    pub planted: Option<PlantedFault>,
    /// Bytes queued for a session and not yet flushed before it is closed
    /// `slow_consumer` (4011).
    pub max_backlog_bytes: Option<usize>,
}

impl HubLimits {
    /// `config` with these limits applied.
    pub fn apply(&self, mut config: HubConfig) -> HubConfig {
        if let Some((per_sec, burst)) = self.rate {
            config.rate_frames_per_sec = per_sec;
            config.rate_frame_burst = burst;
        }
        if let Some(n) = self.max_pending_appends {
            config.max_pending_appends = n;
        }
        config.planted = self.planted;
        if let Some(n) = self.max_backlog_bytes {
            config.max_backlog_bytes = n;
        }
        config
    }
}

/// Parameters of a simulation run.
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    /// Name used in reports and replay commands.
    pub name: &'static str,
    /// Number of clients (each one replica).
    pub clients: usize,
    /// Rooms as (name, CRDT type tag).
    pub rooms: Vec<(String, &'static str)>,
    /// Most rooms a client joins at start (at least one).
    pub rooms_per_client: usize,
    /// Length of the faulty phase with workload; faults start and heal within it.
    pub duration: Duration,
    /// Mean gap between two workload actions of one client.
    pub op_interval: Duration,
    /// Whether the workload also leaves and re-joins rooms.
    pub leave_rejoin: bool,
    /// One-way network latency: base.
    pub latency: Duration,
    /// One-way network latency: maximum extra jitter.
    pub jitter: Duration,
    /// Time until a storage write becomes durable: base (plus up to the same again).
    pub storage_latency: Duration,
    /// Whether a fold's completion may reach the hub after those of actions run
    /// after it (as the embedded store's fold thread does): the fold has taken
    /// effect (its entries deleted) when later reads run, but the hub learns so late.
    pub late_folds: bool,
    /// Fault counts for the faulty phase.
    pub faults: FaultRates,
    /// After faults heal, everything must be connected and converged within this.
    pub liveness_bound: Duration,
    /// The hub's in-memory log bound (small values force compaction and resyncs).
    pub max_tail_entries: usize,
    /// Hub limits tightened so that refusals happen mid-stream.
    pub limits: HubLimits,
    /// Whether the hub's authorizer restricts clients (some rooms read-only or
    /// forbidden per replica, see `sim/world_auth.rs`) instead of allowing all.
    pub restricted: bool,
    /// Hub nodes over one shared log (1: a single hub; more: shared-log mode, see
    /// `sim/world_nodes.rs`).
    pub nodes: usize,
}

impl Scenario {
    /// The realistic default: 24 clients, 6 rooms of 5 CRDT types, every fault kind.
    pub fn realistic() -> Scenario {
        Scenario {
            name: "realistic",
            clients: 24,
            rooms: default_rooms(),
            rooms_per_client: 3,
            duration: Duration::from_secs(120),
            op_interval: Duration::from_millis(1500),
            leave_rejoin: true,
            latency: Duration::from_millis(20),
            jitter: Duration::from_millis(30),
            storage_latency: Duration::from_millis(5),
            faults: FaultRates {
                drops: 6,
                partitions: 2,
                hub_restarts: 1,
                slow_consumers: 2,
                clock_jumps: 2,
                storms: 1,
                rogues: 2,
                impostors: 0,
                twins: 0,
                amnesias: 0,
                resends: 0,
                restores: 0,
                storage_faults: 0,
                revocations: 0,
                expiries: 0,
            },
            liveness_bound: Duration::from_secs(60),
            max_tail_entries: 64,
            limits: HubLimits::default(),
            restricted: false,
            nodes: 1,
            late_folds: false,
        }
    }

    /// No faults: the baseline every change must keep green.
    pub fn calm() -> Scenario {
        Scenario {
            name: "calm",
            faults: FaultRates::NONE,
            duration: Duration::from_secs(60),
            ..Scenario::realistic()
        }
    }

    /// Hub crashes and reconnect storms only, with heavy writes and slow storage.
    pub fn crashy() -> Scenario {
        Scenario {
            name: "crashy",
            op_interval: Duration::from_millis(400),
            storage_latency: Duration::from_millis(40),
            faults: FaultRates {
                hub_restarts: 3,
                storms: 2,
                ..FaultRates::NONE
            },
            ..Scenario::realistic()
        }
    }

    /// `calm` under its own name: the regression scenario of the document-reset
    /// bug (own entries were skipped in the replay after a fresh join or resync, so
    /// an application following the contract diverged; seed 1). Every scenario's
    /// application now follows only the documented contract.
    pub fn strict() -> Scenario {
        Scenario {
            name: "strict",
            ..Scenario::calm()
        }
    }

    /// Rate limits and a short room append queue, so deltas are refused
    /// `rate_limited` in the middle of a stream (and the deltas after them
    /// `seq_gap`): the regression scenario of the gap a cumulative `Ack` covered
    /// (a refused delta skipped, a later one acknowledged), under every fault.
    pub fn limited() -> Scenario {
        Scenario {
            name: "limited",
            op_interval: Duration::from_millis(200),
            storage_latency: Duration::from_millis(30),
            limits: HubLimits {
                rate: Some((6, 8)),
                max_pending_appends: Some(3),
                max_backlog_bytes: None,
                ..HubLimits::default()
            },
            // No throttled consumers: the simulated network queues a throttled
            // connection's frames without bound instead of pushing back on the hub
            // as TCP would, so at this write rate a throttled client ends minutes
            // behind and never settles (a simulator gap, not a hub one: see the
            // test-strength issue). Every other fault stays.
            faults: FaultRates {
                slow_consumers: 0,
                ..Scenario::realistic().faults
            },
            ..Scenario::realistic()
        }
    }

    /// Replica identity under attack and duplication: sessions claiming another
    /// writer's replica id (with a huge seq) against their grant, duplicated
    /// instances (a client's own token and id) that replace the client's session
    /// until its application takes over again, and deltas sent twice (a retrying
    /// client: the hub re-acks or ignores the copy); with dropped connections beside.
    pub fn identity() -> Scenario {
        Scenario {
            name: "identity",
            duration: Duration::from_secs(60),
            faults: FaultRates {
                drops: 2,
                impostors: 4,
                twins: 3,
                resends: 12,
                ..FaultRates::NONE
            },
            ..Scenario::realistic()
        }
    }

    /// Client processes crash and restart with no state under the same replica id
    /// (as a program with a configured id does), next to dropped connections, a hub
    /// restart and rate limits: the restarted replica must neither reuse a sequence
    /// the hub holds nor prepare a delta from an empty state (the application waits
    /// until the room caught up, as the drivers' join gate does).
    pub fn amnesia() -> Scenario {
        Scenario {
            name: "amnesia",
            op_interval: Duration::from_millis(500),
            faults: FaultRates {
                drops: 3,
                hub_restarts: 1,
                storms: 1,
                amnesias: 6,
                ..FaultRates::NONE
            },
            limits: HubLimits {
                rate: Some((10, 12)),
                max_pending_appends: None,
                max_backlog_bytes: None,
                ..HubLimits::default()
            },
            ..Scenario::realistic()
        }
    }

    /// Slow consumers against a small hub backlog bound (4 KiB instead of 1 MiB):
    /// many clients' downstream is throttled for a while, so the hub's backlog of
    /// unflushed bytes (flush credit comes back only as frames reach the client)
    /// trips its bound and the session is closed `slow_consumer` (4011), as in
    /// production; the client resumes from its offset and is caught up from storage.
    /// The simulated network queues a throttled connection's frames without bound, but
    /// the hub's bound is what decides here: deltas wait in the log, other frames that
    /// do not fit close the session.
    pub fn slow() -> Scenario {
        Scenario {
            name: "slow",
            op_interval: Duration::from_millis(400),
            // Snapshot writes durable later, so members behind the memory tail are
            // caught up from storage ranges (not only closed behind a snapshot).
            storage_latency: Duration::from_millis(40),
            // Catch-up reads racing folds whose completion comes late (the 1011 of
            // the conformance suite's finding A4).
            late_folds: true,
            faults: FaultRates {
                drops: 2,
                slow_consumers: 10,
                ..FaultRates::NONE
            },
            limits: HubLimits {
                max_backlog_bytes: Some(2048),
                ..HubLimits::default()
            },
            ..Scenario::realistic()
        }
    }

    /// An authorizer other than allow-all: per replica some rooms are read-only and
    /// some forbidden (joins refused `forbidden`), write grants are revoked for a
    /// while (the re-join comes back read-only and queued deltas are withdrawn,
    /// refused mid-stream) and tokens expire (the handshake is refused
    /// `unauthorized`, close 4002, until renewed); with dropped connections and a
    /// hub restart beside. See `sim/world_auth.rs`.
    pub fn restricted() -> Scenario {
        Scenario {
            name: "restricted",
            op_interval: Duration::from_millis(700),
            faults: FaultRates {
                drops: 3,
                hub_restarts: 1,
                revocations: 5,
                expiries: 3,
                ..FaultRates::NONE
            },
            restricted: true,
            ..Scenario::realistic()
        }
    }

    /// Storage fails now and then (1–10 s windows in which about half of the
    /// completed actions fail, half of those after the write took effect), next to
    /// dropped connections and a hub restart: the hub must refuse `internal`, close
    /// the room's members (1011) and reload from what storage really holds; nothing
    /// acknowledged may be lost and nothing delivered twice.
    pub fn storage_faults() -> Scenario {
        Scenario {
            name: "storage_faults",
            faults: FaultRates {
                drops: 2,
                hub_restarts: 1,
                storage_faults: 4,
                ..FaultRates::NONE
            },
            ..Scenario::realistic()
        }
    }

    /// Client processes crash and restart from the state they last saved
    /// (`Replica::export` / `Replica::restore`; the application saves now and then,
    /// not after every change), next to dropped connections and a hub restart. A
    /// delta submitted after the save is lost to the client unless the hub logged it;
    /// one the hub acknowledged must still be durable, and the restored replica must
    /// converge (its own logged entries included).
    pub fn restore() -> Scenario {
        Scenario {
            name: "restore",
            op_interval: Duration::from_millis(700),
            faults: FaultRates {
                drops: 3,
                hub_restarts: 1,
                restores: 6,
                ..FaultRates::NONE
            },
            ..Scenario::realistic()
        }
    }

    /// Three hub nodes serve every room over one shared log (docs/MULTINODE.md):
    /// clients dial the nodes round-robin, nodes crash and restart (their storage
    /// writes in flight lost), and each node learns the others' entries from a tail
    /// feed that arrives late and out of order, filling holes from storage.
    pub fn multinode() -> Scenario {
        Scenario {
            name: "multinode",
            nodes: 3,
            faults: FaultRates {
                drops: 6,
                partitions: 2,
                hub_restarts: 3,
                slow_consumers: 2,
                storms: 1,
                resends: 2,
                ..FaultRates::NONE
            },
            ..Scenario::realistic()
        }
    }

    /// The paths this scenario exists to exercise: a run of at least
    /// [`COVERAGE_MIN_SEEDS`](crate::run::COVERAGE_MIN_SEEDS) seeds fails if one of
    /// them never fired (so a checker cannot pass on empty data). Chosen from what the
    /// default seed counts do fire; paths no scenario fires yet (slow-consumer closes,
    /// authorization refusals, storage failures) are listed in docs/TESTING.md.
    pub fn exercises(&self) -> Vec<Path> {
        use Path::*;
        let mut paths = vec![Acks, Deliveries, CaughtUp, Compaction, Resyncs];
        paths.extend(match self.name {
            "realistic" => vec![HubRestarts],
            "crashy" => vec![HubRestarts, CatchUpFromStorage],
            "limited" => vec![HubRestarts, Refusal("rate_limited")],
            "identity" => vec![Refusal("replica_in_use")],
            "amnesia" => vec![HubRestarts, ClientRestarts],
            "slow" => vec![SlowConsumerCloses, CatchUpFromStorage],
            "storage_faults" => vec![HubRestarts, StorageFailures, Refusal("internal")],
            "restore" => vec![HubRestarts, ClientRestores],
            "multinode" => vec![HubRestarts, CatchUpFromStorage, Feeds, PeerNews],
            "restricted" => vec![
                HubRestarts,
                Refusal("forbidden"),
                Refusal("unauthorized"),
                Withdrawn,
            ],
            _ => vec![],
        });
        paths
    }

    /// Every known scenario.
    pub fn all() -> Vec<Scenario> {
        vec![
            Scenario::realistic(),
            Scenario::calm(),
            Scenario::crashy(),
            Scenario::strict(),
            Scenario::limited(),
            Scenario::identity(),
            Scenario::amnesia(),
            Scenario::slow(),
            Scenario::restricted(),
            Scenario::storage_faults(),
            Scenario::restore(),
            Scenario::multinode(),
        ]
    }

    /// The scenario called `name`, if any.
    pub fn by_name(name: &str) -> Option<Scenario> {
        Scenario::all().into_iter().find(|s| s.name == name)
    }
}

fn default_rooms() -> Vec<(String, &'static str)> {
    [
        ("counter", "gcounter"),
        ("votes", "pncounter"),
        ("tags", "orset"),
        ("doc", "map"),
        ("title", "lww"),
        ("board", "map"),
    ]
    .into_iter()
    .map(|(n, t)| (n.to_owned(), t))
    .collect()
}
