//! The seeded fault plan: which fault strikes when, decided up front from the
//! scenario's rates and the run's random generator, so a seed names one plan.

use core::time::Duration;

use syncwire_proto::Instant;
use syncwire_proto::rng::Rng;

use crate::scenario::Scenario;

/// How a misbehaving connection misbehaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RogueKind {
    /// Random bytes as the first frame.
    Garbage,
    /// A frame larger than the hub's frame limit.
    Oversized,
    /// A valid `Hello`, a `Join` of a real room and a `ClientDelta` to it with an
    /// undecodable payload (rejected, never logged), then random bytes.
    HelloThenGarbage,
    /// A valid `Hello`, then a truncated valid frame.
    HelloThenTruncated,
}

/// One fault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Drop the current connection of this client (both sides see it break).
    Drop(usize),
    /// Hold all traffic of these clients for a while; new connections black-hole.
    Partition(Vec<usize>, Duration),
    /// Crash the hub (only durable storage survives), restart after the duration.
    HubRestart(Duration),
    /// Throttle this client's downstream to `bytes/s` for a while.
    SlowConsumer(usize, u64, Duration),
    /// Shift this client's clock by this many microseconds (negative: backwards).
    ClockJump(usize, i64),
    /// Drop every connection at once.
    Storm,
    /// Open a misbehaving connection.
    Rogue(RogueKind),
    /// Open a connection claiming this client's replica id against its grant.
    Impostor(usize),
    /// Open a connection with this client's own token and replica id.
    Twin(usize),
    /// Crash this client's process and restart it empty under the same replica id.
    Amnesia(usize),
    /// This client's next delta reaches the hub twice (a retry on the same
    /// connection, 300 ms later).
    Resend(usize),
    /// Crash this client's process and restart it from the state it last saved.
    Restore(usize),
    /// Storage fails about half of the actions it completes for this long.
    StorageTrouble(Duration),
    /// Revoke this client's write grant and drop its connection.
    Revoke(usize),
    /// Restore this client's write grant and drop its connection.
    Regrant(usize),
    /// Refuse this client's token from now on and drop its connection.
    Expire(usize),
    /// Accept this client's token again; its application connects again.
    Renew(usize),
}

/// Faults with their times, in time order, and the time by which all have healed.
#[derive(Clone, Debug)]
pub struct FaultPlan {
    /// (time, fault), sorted by time.
    pub faults: Vec<(Instant, Fault)>,
    /// Every fault has healed by this time (at least the end of the faulty phase).
    pub heal_at: Instant,
}

fn pick(rng: &mut Rng, max: u64) -> u64 {
    rng.below_inclusive(max)
}

fn secs(rng: &mut Rng, lo: u64, hi: u64) -> Duration {
    Duration::from_millis(lo * 1000 + pick(rng, (hi - lo) * 1000))
}

impl FaultPlan {
    /// Draws the plan for `scenario` from `rng`.
    pub fn generate(scenario: &Scenario, rng: &mut Rng) -> FaultPlan {
        let f = &scenario.faults;
        let n = scenario.clients as u64;
        let end = scenario.duration.as_millis() as u64;
        // Faults strike in the first 80% of the faulty phase so most heal inside it.
        let window = end * 4 / 5;
        let mut faults = Vec::new();
        let at = |rng: &mut Rng| Instant::from_millis(1000 + pick(rng, window));
        for _ in 0..f.drops {
            let t = at(rng);
            faults.push((t, Fault::Drop(pick(rng, n - 1) as usize)));
        }
        for _ in 0..f.partitions {
            let t = at(rng);
            let k = 1 + pick(rng, (n / 4).max(1) - 1);
            let mut members: Vec<usize> = (0..k).map(|_| pick(rng, n - 1) as usize).collect();
            members.sort_unstable();
            members.dedup();
            faults.push((t, Fault::Partition(members, secs(rng, 2, 50))));
        }
        for _ in 0..f.hub_restarts {
            let t = at(rng);
            faults.push((t, Fault::HubRestart(secs(rng, 0, 5))));
        }
        for _ in 0..f.slow_consumers {
            let t = at(rng);
            let c = pick(rng, n - 1) as usize;
            let bw = 200 + pick(rng, 4000);
            faults.push((t, Fault::SlowConsumer(c, bw, secs(rng, 5, 30))));
        }
        for _ in 0..f.clock_jumps {
            let t = at(rng);
            let c = pick(rng, n - 1) as usize;
            let mag = i64::try_from(secs(rng, 1, 90).as_micros()).unwrap_or(0);
            let jump = if pick(rng, 1) == 0 { mag } else { -mag };
            faults.push((t, Fault::ClockJump(c, jump)));
        }
        for _ in 0..f.storms {
            let t = at(rng);
            faults.push((t, Fault::Storm));
        }
        for _ in 0..f.rogues {
            let t = at(rng);
            let kind = match pick(rng, 3) {
                0 => RogueKind::Garbage,
                1 => RogueKind::Oversized,
                2 => RogueKind::HelloThenGarbage,
                _ => RogueKind::HelloThenTruncated,
            };
            faults.push((t, Fault::Rogue(kind)));
        }
        // Drawn last: scenarios without these keep their plans seed for seed.
        for _ in 0..f.impostors {
            let t = at(rng);
            faults.push((t, Fault::Impostor(pick(rng, n - 1) as usize)));
        }
        for _ in 0..f.twins {
            let t = at(rng);
            faults.push((t, Fault::Twin(pick(rng, n - 1) as usize)));
        }
        for _ in 0..f.amnesias {
            let t = at(rng);
            faults.push((t, Fault::Amnesia(pick(rng, n - 1) as usize)));
        }
        for _ in 0..f.restores {
            let t = at(rng);
            faults.push((t, Fault::Restore(pick(rng, n - 1) as usize)));
        }
        for _ in 0..f.storage_faults {
            let t = at(rng);
            faults.push((t, Fault::StorageTrouble(secs(rng, 1, 10))));
        }
        for _ in 0..f.revocations {
            let t = at(rng);
            let c = pick(rng, n - 1) as usize;
            faults.push((t, Fault::Revoke(c)));
            faults.push((t + secs(rng, 5, 20), Fault::Regrant(c)));
        }
        for _ in 0..f.expiries {
            let t = at(rng);
            let c = pick(rng, n - 1) as usize;
            faults.push((t, Fault::Expire(c)));
            faults.push((t + secs(rng, 5, 20), Fault::Renew(c)));
        }
        for _ in 0..f.resends {
            let t = at(rng);
            faults.push((t, Fault::Resend(pick(rng, n - 1) as usize)));
        }
        // Stable: a grant given back at the same time as another is revoked keeps
        // the order drawn.
        faults.sort_by_key(|(t, _)| *t);
        let mut heal_at = Instant::from_millis(end);
        for (t, fault) in &faults {
            let healed = match fault {
                Fault::Partition(_, d)
                | Fault::HubRestart(d)
                | Fault::SlowConsumer(_, _, d)
                | Fault::StorageTrouble(d) => *t + *d,
                _ => *t,
            };
            heal_at = heal_at.max(healed);
        }
        FaultPlan { faults, heal_at }
    }
}
