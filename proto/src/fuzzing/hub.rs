//! Fuzz body for the hub: several sessions send arbitrary sequences of frames
//! (structured or raw), flush their output partially, close; storage actions take
//! effect in the order emitted but their completions arrive in any order, may be
//! reported as failures, or are lost when the hub crashes and restarts on the same
//! storage; deferred authentication is answered in any order; time moves in
//! arbitrary steps. Outputs are checked by [`hub_check`](super::hub_check).

use core::time::Duration;
use std::sync::Arc;

use super::hub_check;
use super::hub_frames::{Sequences, client_frame};
use super::hub_nodes;
use super::reader::Input;
use crate::crdt::NoMerge;
use crate::hub::{
    AllowAll, AuthError, Hub, HubConfig, Identity, MemoryStorage, StorageCompletion, StorageError,
};
use crate::time::Instant;
use crate::wire::{ReplicaId, SessionId};

use super::hub_confirm::Confirmations;

/// Most steps per input.
const MAX_STEPS: usize = 2_000;
/// Most sessions the body opens at once.
const MAX_SLOTS: usize = 5;

fn config(flags: u8) -> HubConfig {
    let mut c = HubConfig {
        seed: u64::from(flags),
        max_sessions: 4,
        max_loaded_rooms: 2,
        max_rooms_per_session: 2,
        max_tail_entries: 3,
        max_tail_bytes: 256,
        batch_max_entries: 2,
        batch_max_bytes: 64,
        max_pending_appends: 3,
        max_events: 8,
        authorizer: Some(Arc::new(AllowAll)),
        ..HubConfig::default()
    };
    if flags & 1 != 0 {
        c.authorizer = None;
    }
    if flags & 2 != 0 {
        c.merger = Arc::new(NoMerge);
    }
    if flags & 4 != 0 {
        c.max_backlog_bytes = 300;
    }
    if flags & 16 != 0 {
        // Shared-log mode (one node here; `feed` plays the other nodes' tail feed).
        c.shared_log = true;
    }
    if flags & 8 != 0 {
        c.rate_frame_burst = 4;
        c.rate_frames_per_sec = 1;
        c.rate_strikes_to_close = 3;
    }
    c
}

struct Slot {
    id: SessionId,
    replica: Option<ReplicaId>,
    unflushed: usize,
}

struct Driver {
    hub: Hub,
    config: HubConfig,
    storage: MemoryStorage,
    failing: bool,
    completions: Vec<StorageCompletion>,
    /// What the hub was told is durable: the most it may acknowledge.
    confirmed: Confirmations,
    auth: Vec<SessionId>,
    slots: Vec<Slot>,
    seqs: Sequences,
    now: Instant,
    /// Drains so far: they take output frame by frame, by session batches, or one
    /// frame then batches, in turn, so every way of polling output is fuzzed.
    drains: u64,
}

fn step(input: &mut Input<'_>) -> Duration {
    match input.below(6) {
        0 => Duration::from_millis(1),
        1 => Duration::from_secs(1),
        2 => Duration::from_secs(11),
        3 => Duration::from_secs(61),
        4 => Duration::from_millis(u64::from(input.u16())),
        _ => Duration::from_secs(u64::from(input.u16())),
    }
}

impl Driver {
    fn step(&mut self, input: &mut Input<'_>) {
        let now = self.now;
        let slot = input.below(self.slots.len().max(1));
        match input.below(16) {
            0 if self.slots.len() < MAX_SLOTS => {
                let id = self.hub.handle_session_opened(now);
                self.slots.push(Slot {
                    id,
                    replica: None,
                    unflushed: 0,
                });
            }
            1 => {
                if slot < self.slots.len() {
                    let s = self.slots.swap_remove(slot);
                    self.hub.handle_session_closed(now, s.id);
                }
            }
            2..=6 => {
                let Some(s) = self.slots.get_mut(slot) else {
                    return;
                };
                let bytes = client_frame(
                    input,
                    s.replica,
                    &mut self.seqs,
                    &mut self.storage,
                    self.failing,
                );
                if s.replica.is_none() {
                    if let Ok(crate::wire::Frame::Hello(h)) = crate::wire::Frame::decode(&bytes) {
                        s.replica = Some(h.replica);
                    }
                }
                self.hub.handle_frame(now, s.id, &bytes);
            }
            7 => {
                let Some(s) = self.slots.get(slot) else {
                    return;
                };
                let bytes = input.bytes(256).to_vec();
                self.hub.handle_frame(now, s.id, &bytes);
            }
            8 => {
                let Some(s) = self.slots.get_mut(slot) else {
                    return;
                };
                let n = if input.bool() {
                    s.unflushed
                } else {
                    usize::from(input.u16()) % (s.unflushed + 1)
                };
                s.unflushed -= n;
                self.hub.handle_flushed(s.id, n);
            }
            9..=11 => {
                if self.completions.is_empty() {
                    return;
                }
                let i = input.below(self.completions.len());
                let mut done = self.completions.remove(i);
                if input.below(8) == 0 {
                    fail(&mut done);
                }
                self.confirmed.delivered(&done);
                self.hub.handle_storage(now, done);
            }
            12 => {
                if let Some(deadline) = self.hub.poll_timeout() {
                    self.now = deadline.max(now);
                }
                self.hub.handle_timeout(self.now);
            }
            13 => {
                self.now = now.saturating_add(step(input));
                self.hub.handle_timeout(self.now);
            }
            14 => {
                if self.auth.is_empty() {
                    return;
                }
                let sid = self.auth.remove(input.below(self.auth.len()));
                let decision = match input.below(4) {
                    0 => Err(AuthError("no".into())),
                    1 => Ok(Identity::read_only_all("r")),
                    _ => Ok(Identity::read_write_all("rw")),
                };
                let _ = self.hub.handle_auth(now, sid, decision);
            }
            _ => match input.below(4) {
                0 => {
                    self.failing = !self.failing;
                    self.storage.set_failing(self.failing);
                }
                1 => {
                    let fed = hub_nodes::feed(&mut self.hub, &mut self.storage, self.now, input);
                    if let Some((room, entries)) = fed {
                        self.confirmed.fed(&room, &entries);
                    }
                }
                2 => self.restart(),
                _ => hub_nodes::news(&mut self.hub, self.now, input),
            },
        }
    }

    /// The hub crashes and restarts on the same storage: every session and every
    /// completion in flight is lost.
    fn restart(&mut self) {
        let Ok(hub) = Hub::new(self.config.clone(), self.now) else {
            return;
        };
        self.hub = hub;
        self.completions.clear();
        self.confirmed.clear();
        self.auth.clear();
        self.slots.clear();
    }

    fn drain(&mut self) {
        self.drains += 1;
        let mut frames = Vec::new();
        match self.drains % 3 {
            0 => frames.extend(std::iter::from_fn(|| self.hub.poll_transmit())),
            style => {
                if style == 2 {
                    frames.extend(self.hub.poll_transmit());
                }
                while let Some((sid, batch)) = self.hub.poll_transmit_batch() {
                    assert!(!batch.is_empty(), "an empty batch for {sid:?}");
                    frames.extend(batch.into_iter().map(|b| (sid, b)));
                }
            }
        }
        for (sid, bytes) in frames {
            let slot = self.slots.iter_mut().find(|s| s.id == sid);
            let slot = slot.unwrap_or_else(|| panic!("frame for unknown session {sid:?}"));
            slot.unflushed += bytes.len();
            hub_check::sent(
                &mut self.storage,
                self.failing,
                &self.confirmed,
                slot.replica,
                &bytes,
            );
        }
        while let Some((sid, _code)) = self.hub.poll_close() {
            self.slots.retain(|s| s.id != sid);
        }
        while let Some(action) = self.hub.poll_storage() {
            self.confirmed.executed(&action);
            let done = self.storage.execute(action);
            self.completions.push(done);
        }
        while let Some(req) = self.hub.poll_auth() {
            self.auth.push(req.session);
        }
        hub_nodes::drain_news(&mut self.hub);
        let mut events = 0;
        while self.hub.poll_event().is_some() {
            events += 1;
        }
        assert!(
            events <= self.config.max_events,
            "event queue over its bound"
        );
        hub_check::after_step(&self.hub, self.now, self.slots.iter().map(|s| s.id));
    }
}

/// Marks a completion as failed (the effect may still have happened, as when a
/// backend times out after writing).
fn fail(done: &mut StorageCompletion) {
    *done = done.clone().into_failure(StorageError("fuzz".into()));
}

/// Runs the hub program in `data`; panics on a violated invariant.
pub fn hub_sessions(data: &[u8]) {
    let mut input = Input::new(data);
    let config = config(input.byte());
    let Ok(hub) = Hub::new(config.clone(), Instant::ZERO) else {
        return;
    };
    let mut storage = MemoryStorage::new();
    storage.set_merger(config.merger.clone());
    let mut d = Driver {
        hub,
        config,
        storage,
        failing: false,
        completions: Vec::new(),
        confirmed: Confirmations::default(),
        auth: Vec::new(),
        slots: Vec::new(),
        seqs: Sequences::default(),
        now: Instant::ZERO,
        drains: 0,
    };
    let mut steps = 0;
    while !input.is_empty() && steps < MAX_STEPS {
        d.step(&mut input);
        d.drain();
        steps += 1;
    }
}
