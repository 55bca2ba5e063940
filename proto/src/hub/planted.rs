//! Deliberate faults a test can plant in the hub (feature `test-hooks` only; never
//! in a production build), to show that the simulator's checkers catch real bugs in
//! full runs, not only in fabricated histories (`tests/tests/planted_faults.rs`).

impl super::Hub {
    /// Whether `fault` is planted in this hub.
    pub(crate) fn planted(&self, fault: PlantedFault) -> bool {
        self.config.planted == Some(fault)
    }
}

/// A bug to plant ([`HubConfig::planted`](super::HubConfig::planted)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlantedFault {
    /// Acknowledge a delta as soon as it is accepted, before storage made it
    /// durable (a crash then loses an acknowledged delta).
    AckBeforeDurable,
    /// Skip the (replica, seq) dedupe: a re-sent delta is logged again.
    SkipDedupe,
    /// Deliver the entries of every catch-up batch in reverse order.
    ReorderBatches,
}
