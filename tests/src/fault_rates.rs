//! How many faults of each kind a scenario's faulty phase draws ([`FaultRates`]).

/// Expected number of faults of each kind during a run's faulty phase.
#[derive(Clone, Debug, PartialEq)]
pub struct FaultRates {
    /// Single connections dropped mid-stream.
    pub drops: u32,
    /// Partitions of a few clients (messages held, new connections black-holed).
    pub partitions: u32,
    /// Hub crashes that keep only durable storage, followed by a restart.
    pub hub_restarts: u32,
    /// Clients whose downstream bandwidth is throttled for a while.
    pub slow_consumers: u32,
    /// Jumps of one client's clock (forward or backward).
    pub clock_jumps: u32,
    /// Reconnect storms: every connection drops at once.
    pub storms: u32,
    /// Misbehaving connections sending malformed frames.
    pub rogues: u32,
    /// Connections claiming another client's replica id against their grant, with a
    /// delta of seq `u64::MAX` (refused at the handshake; nothing of them logged).
    pub impostors: u32,
    /// Connections with a client's own token and replica id (a duplicated instance):
    /// they replace the client's session; its application takes over again.
    pub twins: u32,
    /// Client processes that crash and restart empty (no saved state) under the
    /// same replica id, re-joining the rooms they were in.
    pub amnesias: u32,
    /// Client processes that crash and restart from the state they last saved
    /// (`Replica::export` / `Replica::restore`); what changed after the save is lost.
    pub restores: u32,
    /// Windows of 1–10 s in which the hub's storage fails about half of the actions
    /// it completes (transient errors; half of them after the write took effect).
    pub storage_faults: u32,
    /// A client's write grant is revoked (every room read-only) and its connection
    /// dropped, so the re-join is refused mid-stream; granted again 5–20 s later.
    pub revocations: u32,
    /// A client's token stops being accepted and its connection is dropped: the
    /// handshake is refused (`unauthorized`, close 4002) until the token is renewed
    /// 5–20 s later and the application connects again.
    pub expiries: u32,
    /// Deltas a client sends twice (a retry the hub must deduplicate).
    pub resends: u32,
}

impl FaultRates {
    /// No faults at all.
    pub const NONE: FaultRates = FaultRates {
        drops: 0,
        partitions: 0,
        hub_restarts: 0,
        slow_consumers: 0,
        clock_jumps: 0,
        storms: 0,
        rogues: 0,
        impostors: 0,
        twins: 0,
        amnesias: 0,
        restores: 0,
        storage_faults: 0,
        revocations: 0,
        expiries: 0,
        resends: 0,
    };
}
