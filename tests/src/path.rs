//! The paths of the system a simulation run can exercise ([`Path`]), which
//! [`Scenario::exercises`](crate::scenario::Scenario::exercises) names and the run's
//! coverage counts.

/// A path of the system a simulation run can exercise ([`Scenario::exercises`](crate::scenario::Scenario::exercises)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Path {
    /// The hub acknowledged local deltas.
    Acks,
    /// Remote entries reached applications.
    Deliveries,
    /// Rooms caught up with the hub.
    CaughtUp,
    /// The hub compacted a log (folds asked of storage).
    Compaction,
    /// Documents were reset to the hub's snapshot.
    Resyncs,
    /// The hub crashed and restarted.
    HubRestarts,
    /// Client processes restarted empty.
    ClientRestarts,
    /// Members were caught up from storage ranges (not the in-memory tail).
    CatchUpFromStorage,
    /// The hub refused deltas or joins with this reason.
    Refusal(&'static str),
    /// The hub closed sessions `slow_consumer` (4011).
    SlowConsumerCloses,
    /// Storage actions failed (injected transient errors).
    StorageFailures,
    /// Client processes restarted from their saved state.
    ClientRestores,
    /// Local deltas refused for good and withdrawn (`DeltaRejected`).
    Withdrawn,
    /// Hub nodes learnt entries other nodes appended (the shared log's tail feed).
    Feeds,
    /// Hub nodes learnt other nodes' members from their news (presence across nodes).
    PeerNews,
}
