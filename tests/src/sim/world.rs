//! The world: one hub (rebuilt on restart), its [`MemoryStorage`], the clients,
//! the virtual network and the event queue, a binary heap ordered by
//! (virtual time, sequence number) so that equal times keep scheduling order.
//!
//! The run has two phases. Until the fault plan's heal time, the workload and
//! the faults run. Then the workload stops and the world must settle (every
//! client connected, outboxes empty, replicas at the hub's head and converged)
//! within the scenario's liveness bound; that is asserted, not hoped for.
//! Handlers for each side live in `world_client.rs`, `world_hub.rs`,
//! `world_faults.rs`; the settle check and final state in `world_check.rs`.

use std::cmp::{Ordering, Reverse};
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};
use std::sync::Arc;

use bytes::Bytes;
use core::time::Duration;
use syncwire_proto::Instant;
use syncwire_proto::client::ClientConfig;
use syncwire_proto::crdt::Registry;
use syncwire_proto::hub::{Hub, HubConfig, MemoryStorage, NodeId, StorageCompletion, StoredEntry};
use syncwire_proto::replica::{Replica, ReplicaOrigin};
use syncwire_proto::rng::Rng;
use syncwire_proto::wire::{CloseCode, ReplicaId, RoomId, SessionId};

use super::client::SimClient;
use super::faults::{Fault, FaultPlan};
use super::net::{ConnId, Net};
use super::world_auth::AccessPolicy;
use super::world_nodes::{NodeState, Owner};
use crate::check::{History, Violation};
use crate::scenario::Scenario;
use crate::transcript::Transcript;

/// Something that happens at a virtual time.
#[derive(Clone, Debug)]
pub(crate) enum Ev {
    ConnectDone(ConnId),
    ToHub(ConnId, Bytes),
    ToClient(ConnId, Bytes),
    HubClosed(ConnId, CloseCode),
    ClientClosed(ConnId),
    Broken(ConnId),
    BrokenAtHub(ConnId),
    ClientWake(usize),
    /// Hub node `k`'s wake-up.
    HubWake(usize),
    /// The oldest queued storage action completes (scheduled by node `k`'s
    /// incarnation `inc` when it submitted one; stale once that node crashed).
    StorageDone(usize, u64),
    /// A fold's completion, held back (`Scenario::late_folds`), reaches its owner.
    LateFold(Owner, StorageCompletion),
    /// The tail feed hands node `k` entries of `room` at `epoch` (shared log).
    Feed(usize, RoomId, u64, Vec<StoredEntry>),
    /// Another node's news (encoded, as on the bus) reaches node `k`.
    News(usize, Bytes),
    Work(usize),
    Fault(Fault),
    /// Hub node `k` starts again after a crash.
    HubUp(usize),
    Check,
    /// The application of client `i` resets `room` (leave, and join again if `true`).
    AppReset(usize, RoomId, bool),
}

pub(crate) struct Scheduled {
    pub(crate) at: Instant,
    pub(crate) seq: u64,
    pub(crate) ev: Ev,
}

impl PartialEq for Scheduled {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl Eq for Scheduled {}
impl PartialOrd for Scheduled {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Scheduled {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

/// A misbehaving connection and when the hub closed it.
#[derive(Clone, Debug)]
pub(crate) struct Rogue {
    pub(crate) conn: ConnId,
    pub(crate) opened: Instant,
    pub(crate) closed: Option<Instant>,
}

/// Counters of one run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Events processed.
    pub events: u64,
    /// Local operations taken (submitted at once, or waiting for their room).
    pub submitted: u64,
    /// Hub restarts.
    pub hub_restarts: u64,
    /// Connections opened.
    pub connections: u64,
    /// Largest event queue seen.
    pub max_queue: usize,
    /// Local deltas the hub refused and the client kept (`rate_limited`, `seq_gap`, ...).
    pub delta_refusals: u64,
    /// Client processes restarted empty (`amnesias`).
    pub client_restarts: u64,
    /// Coverage: what the run exercised (see [`Coverage`]).
    pub coverage: Coverage,
}

/// Paths of the system one run exercised, counted so a scenario can assert that the
/// paths it exists for really fired (a run where, say, acks stopped being recorded
/// would otherwise pass every checker on empty data).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Coverage {
    /// `DeltaAcked` events: the hub acknowledged local deltas.
    pub acks: u64,
    /// Remote entries delivered to applications (`Delta` events).
    pub deliveries: u64,
    /// `Resync` events: a document reset to the hub's snapshot (or emptied).
    pub resyncs: u64,
    /// `CaughtUp` events.
    pub caught_up: u64,
    /// Sessions the hub closed `SLOW_CONSUMER`.
    pub slow_consumer_closes: u64,
    /// Sessions the hub closed with any other code but `GOING_AWAY`.
    pub other_closes: u64,
    /// Range reads the hub asked storage for (catch-up from storage).
    pub storage_ranges: u64,
    /// Folds the hub asked storage for (compaction, closing a gap after a restart).
    pub snapshot_writes: u64,
    /// Refusals of a delta or a join the clients saw, by reason name.
    pub refusals: std::collections::BTreeMap<&'static str, u64>,
    /// Storage completions the simulated storage turned into failures.
    pub storage_failures: u64,
    /// Client processes restarted from their saved state.
    pub client_restores: u64,
    /// Local deltas refused for good (`DeltaRejected`: withdrawn).
    pub withdrawn: u64,
    /// Tail-feed deliveries to hub nodes (several nodes over one shared log).
    pub feeds: u64,
    /// News of other nodes' members handed to hub nodes.
    pub peer_news: u64,
}

impl Coverage {
    /// Adds `other`'s counts to these.
    pub fn add(&mut self, other: &Coverage) {
        self.acks += other.acks;
        self.deliveries += other.deliveries;
        self.resyncs += other.resyncs;
        self.caught_up += other.caught_up;
        self.slow_consumer_closes += other.slow_consumer_closes;
        self.other_closes += other.other_closes;
        self.storage_ranges += other.storage_ranges;
        self.snapshot_writes += other.snapshot_writes;
        self.storage_failures += other.storage_failures;
        self.client_restores += other.client_restores;
        self.withdrawn += other.withdrawn;
        self.feeds += other.feeds;
        self.peer_news += other.peer_news;
        for (k, v) in &other.refusals {
            *self.refusals.entry(k).or_default() += v;
        }
    }
}

/// The simulated world of one seed.
pub struct World {
    pub(crate) scenario: Scenario,
    pub(crate) now: Instant,
    pub(crate) queue: BinaryHeap<Reverse<Scheduled>>,
    next_seq: u64,
    pub(crate) rng: Rng,
    pub(crate) net: Net,
    pub(crate) hub: Option<Hub>,
    pub(crate) hub_seed: u64,
    pub(crate) hub_incarnation: u64,
    pub(crate) storage: MemoryStorage,
    pub(crate) sessions: BTreeMap<SessionId, ConnId>,
    pub(crate) clients: Vec<SimClient>,
    pub(crate) wakes: Vec<Option<Instant>>,
    pub(crate) hub_wake: Option<Instant>,
    /// The active hub node (its state is in `hub`, `hub_incarnation`, `sessions`,
    /// `hub_wake`) and every node's state (the active one's slot is empty); see
    /// `world_nodes.rs`.
    pub(crate) node: usize,
    pub(crate) nodes: Vec<NodeState>,
    /// Who submitted each queued storage action, in queue order.
    pub(crate) storage_owners: std::collections::VecDeque<Owner>,
    pub(crate) registry: Arc<Registry>,
    pub(crate) history: History,
    pub(crate) violations: Vec<Violation>,
    pub(crate) transcript: Transcript,
    pub(crate) plan: FaultPlan,
    pub(crate) rogues: Vec<Rogue>,
    /// Clients a twin (duplicated instance) was opened against: only these may be
    /// replaced, and their application takes over again.
    pub(crate) twin_victims: Vec<usize>,
    /// Clients whose next `ClientDelta` is sent again a little later on the same
    /// connection (a client retrying an unacknowledged delta: the hub must dedupe).
    pub(crate) resend_next: BTreeSet<usize>,
    pub(crate) settled_at: Option<Instant>,
    pub(crate) stats: Stats,
    /// Room access and token validity (`restricted` worlds, revocations, expiries).
    pub(crate) policy: AccessPolicy,
    /// Until then storage fails about half of the actions it completes.
    pub(crate) storage_trouble_until: Option<Instant>,
}

impl World {
    /// Builds the world of `seed` for `scenario`; `record` keeps a transcript.
    pub fn new(scenario: Scenario, seed: u64, record: bool) -> World {
        let mut rng = Rng::new(seed);
        let plan = FaultPlan::generate(&scenario, &mut rng);
        let registry = Arc::new(Registry::with_builtin());
        let mut clients = Vec::new();
        for i in 0..scenario.clients {
            let mut cfg = ClientConfig::new(ReplicaId(i as u64 + 1));
            cfg.seed = rng.next_u64();
            cfg.merger = registry.clone();
            cfg.backoff_cap = Duration::from_secs(8);
            cfg.token = Some(super::world_identity::token_of(ReplicaId(i as u64 + 1)));
            let app = Replica::new(cfg, Instant::ZERO, ReplicaOrigin::Chosen)
                .expect("valid client config");
            clients.push(SimClient::new(ReplicaId(i as u64 + 1), app));
        }
        let hub_seed = rng.next_u64();
        let scenario_restricted = scenario.restricted;
        let scenario_nodes = scenario.nodes.max(1);
        let mut world = World {
            net: Net::new(scenario.latency, scenario.jitter),
            wakes: vec![None; clients.len()],
            scenario,
            now: Instant::ZERO,
            queue: BinaryHeap::new(),
            next_seq: 0,
            rng,
            hub: None,
            hub_seed,
            hub_incarnation: 0,
            storage: {
                let mut s = MemoryStorage::new();
                s.set_merger(registry.clone());
                s
            },
            sessions: BTreeMap::new(),
            clients,
            hub_wake: None,
            node: 0,
            nodes: (0..scenario_nodes).map(NodeState::new).collect(),
            storage_owners: Default::default(),
            registry,
            history: History::default(),
            violations: Vec::new(),
            transcript: Transcript::new(record),
            plan,
            rogues: Vec::new(),
            twin_victims: Vec::new(),
            resend_next: BTreeSet::new(),
            settled_at: None,
            stats: Stats::default(),
            policy: AccessPolicy::new(scenario_restricted),
            storage_trouble_until: None,
        };
        for k in (0..world.node_count()).rev() {
            world.enter(k);
            world.start_hub();
        }
        world.start_clients();
        world
    }

    /// The hub's configuration (same for every incarnation but the seed).
    pub(crate) fn hub_config(&self) -> HubConfig {
        HubConfig {
            seed: self.hub_seed ^ self.hub_incarnation,
            merger: self.registry.clone(),
            authorizer: Some(super::world_identity::authorizer(self.policy.clone())),
            max_tail_entries: self.scenario.max_tail_entries,
            shared_log: self.node_count() > 1,
            // Unique per incarnation: a restarted node is a new node on the bus.
            node_id: NodeId(self.hub_incarnation + 1),
            ..self.scenario.limits.apply(HubConfig::default())
        }
    }

    pub(crate) fn start_hub(&mut self) {
        let hub = Hub::new(self.hub_config(), self.now).expect("valid hub config");
        self.hub = Some(hub);
        self.drain_hub();
    }

    fn start_clients(&mut self) {
        let rooms = self.scenario.rooms.clone();
        for i in 0..self.clients.len() {
            let k = 1 + self
                .rng
                .below_inclusive(self.scenario.rooms_per_client as u64 - 1);
            for _ in 0..k {
                let (name, crdt) =
                    &rooms[self.rng.below_inclusive(rooms.len() as u64 - 1) as usize];
                self.join(i, RoomId::new(name), crdt);
            }
            let at = Instant::from_millis(self.rng.below_inclusive(2000));
            self.schedule(at, Ev::Work(i));
        }
        for (t, f) in self.plan.faults.clone() {
            self.schedule(t, Ev::Fault(f));
        }
        self.schedule(self.plan.heal_at, Ev::Check);
    }

    /// Schedules `ev` at `at` (never before now).
    pub(crate) fn schedule(&mut self, at: Instant, ev: Ev) {
        let at = at.max(self.now);
        self.next_seq += 1;
        let seq = self.next_seq;
        self.queue.push(Reverse(Scheduled { at, seq, ev }));
        self.stats.max_queue = self.stats.max_queue.max(self.queue.len());
    }

    /// Records a violation a checker found, if any (noted in the transcript too).
    pub(crate) fn report(&mut self, violation: Option<Violation>) {
        if let Some(v) = violation {
            self.transcript
                .note(self.now, "!", || format!("{}: {}", v.invariant, v.detail));
            self.violations.push(v);
        }
    }

    /// Records a violation found while running.
    pub(crate) fn violate(&mut self, invariant: &'static str, detail: String) {
        self.report(Some(Violation::new(invariant, Some(self.now), detail)));
    }

    /// The deadline for settling.
    pub fn deadline(&self) -> Instant {
        self.plan.heal_at + self.scenario.liveness_bound
    }

    /// Runs until settled, a violation, or the liveness deadline.
    pub fn run(&mut self) {
        let deadline = self.deadline();
        while let Some(Reverse(s)) = self.queue.pop() {
            if s.at > deadline {
                break;
            }
            self.now = s.at;
            self.stats.events += 1;
            self.dispatch(s.ev);
            if self.settled_at.is_some() || !self.violations.is_empty() {
                break;
            }
        }
        self.finish();
    }

    fn dispatch(&mut self, ev: Ev) {
        match ev {
            Ev::ConnectDone(c) => self.on_connect_done(c),
            Ev::ToHub(c, b) => self.on_to_hub(c, b),
            Ev::ToClient(c, b) => self.on_to_client(c, b),
            Ev::HubClosed(c, code) => self.on_hub_closed(c, code),
            Ev::ClientClosed(c) | Ev::BrokenAtHub(c) => self.on_closed_at_hub(c),
            Ev::Broken(c) => self.on_broken(c),
            Ev::ClientWake(i) => self.on_client_wake(i),
            Ev::HubWake(k) => self.on_hub_wake(k),
            Ev::StorageDone(k, inc) => self.on_storage_done(k, inc),
            Ev::LateFold(owner, done) => self.complete_storage(owner, done),
            Ev::Feed(k, room, epoch, entries) => self.on_feed(k, room, epoch, entries),
            Ev::News(k, bytes) => self.on_news(k, &bytes),
            Ev::Work(i) => self.on_work(i),
            Ev::Fault(f) => self.apply_fault(f),
            Ev::HubUp(k) => {
                self.enter(k);
                self.start_hub();
            }
            Ev::Check => self.on_check(),
            Ev::AppReset(i, room, rejoin) => self.app_reset(i, room, rejoin),
        }
    }
}
