//! Running seeds: one seed ([`run_seed`]), many seeds chosen by the environment
//! ([`run_seeds`]), and the replay command printed for a failing seed.
//!
//! * `SYNCWIRE_SIM_SEED=S`: run only seed `S`, recording and printing its transcript.
//! * `SYNCWIRE_SIM_SEEDS=N`: run seeds `1..=N` instead of the test's default count;
//!   `SYNCWIRE_SIM_SEEDS=A..=B`: run seeds `A..=B` (a long campaign split into parts,
//!   across sessions or machines).
//! * `SYNCWIRE_SIM_FRESH=A`: the default count is half fixed seeds (`1..`), half
//!   fresh ones from `A` on (CI derives `A` from the commit, see `scripts/test`).
//! * `SYNCWIRE_SIM_PROGRESS=K`: print each failing seed to stderr as soon as it
//!   fails, and a progress line (seeds done, elapsed wall time) every `K` seeds —
//!   for long runs, which otherwise report only at their end.

use std::panic::{AssertUnwindSafe, catch_unwind};

use syncwire_proto::Instant;

use crate::check::Violation;
use crate::scenario::{Path, Scenario};
use crate::sim::{Coverage, Stats, World};

/// The result of one seed.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The scenario's name.
    pub scenario: &'static str,
    /// The seed.
    pub seed: u64,
    /// Everything that went wrong (empty: the seed passed).
    pub violations: Vec<Violation>,
    /// When faults had healed.
    pub heal_at: Instant,
    /// When the world settled, if it did.
    pub settled_at: Option<Instant>,
    /// Counters.
    pub stats: Stats,
    /// The transcript, if recorded.
    pub transcript: Vec<String>,
}

/// Runs `seed` of `scenario`; `record` keeps the transcript. A panic inside the
/// state machines is reported as a violation.
pub fn run_seed(scenario: &Scenario, seed: u64, record: bool) -> Outcome {
    let result = catch_unwind(AssertUnwindSafe(|| {
        let mut world = World::new(scenario.clone(), seed, record);
        world.run();
        Outcome {
            scenario: scenario.name,
            seed,
            violations: world.violations.clone(),
            heal_at: world.plan.heal_at,
            settled_at: world.settled_at,
            stats: world.stats.clone(),
            transcript: world.transcript.lines().to_vec(),
        }
    }));
    result.unwrap_or_else(|panic| {
        let msg = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_default();
        Outcome {
            scenario: scenario.name,
            seed,
            violations: vec![Violation::new("panic", None, msg)],
            heal_at: Instant::ZERO,
            settled_at: None,
            stats: Stats::default(),
            transcript: Vec::new(),
        }
    })
}

/// The command that replays `seed` of the test named `test`.
pub fn replay_command(seed: u64, test: &str) -> String {
    format!("SYNCWIRE_SIM_SEED={seed} cargo test -p syncwire-tests --release -- {test} --nocapture")
}

/// `N` (seeds `1..=N`) or `A..=B`.
fn seed_range(v: &str) -> Option<(u64, u64)> {
    let v = v.trim();
    match v.split_once("..=") {
        Some((a, b)) => Some((a.trim().parse().ok()?, b.trim().parse().ok()?)),
        None => Some((1, v.parse().ok()?)),
    }
}

/// Fewest seeds a run must have for [`Scenario::exercises`] to be checked (a single
/// seed may well miss a fault kind).
pub const COVERAGE_MIN_SEEDS: usize = 10;

/// The paths of `expected` that `covered` (summed over a run) never saw.
fn missing(
    expected: &[Path],
    covered: &Coverage,
    hub_restarts: u64,
    client_restarts: u64,
) -> Vec<Path> {
    expected
        .iter()
        .copied()
        .filter(|p| {
            let n = match p {
                Path::Acks => covered.acks,
                Path::Deliveries => covered.deliveries,
                Path::CaughtUp => covered.caught_up,
                Path::Compaction => covered.snapshot_writes,
                Path::Resyncs => covered.resyncs,
                Path::HubRestarts => hub_restarts,
                Path::ClientRestarts => client_restarts,
                Path::CatchUpFromStorage => covered.storage_ranges,
                Path::Feeds => covered.feeds,
                Path::PeerNews => covered.peer_news,
                Path::Refusal(code) => covered.refusals.get(code).copied().unwrap_or(0),
                Path::SlowConsumerCloses => covered.slow_consumer_closes,
                Path::StorageFailures => covered.storage_failures,
                Path::ClientRestores => covered.client_restores,
                Path::Withdrawn => covered.withdrawn,
            };
            n == 0
        })
        .collect()
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

/// The seeds to run: the one of `SYNCWIRE_SIM_SEED`, else those of
/// `SYNCWIRE_SIM_SEEDS` (`N` for `1..=N`, or `A..=B`),
/// else `1..=default_count` (in release builds; unoptimized builds, as in a plain
/// `cargo test --workspace`, run one seed as a smoke test, so that the
/// full count stays with `cargo test -p syncwire-tests --release`). With
/// `SYNCWIRE_SIM_FRESH=A` (CI sets it from the commit) the default count is split:
/// the fixed seeds `1..=⌈N/2⌉` and `⌊N/2⌋` fresh seeds from `A` on, so every commit
/// also tries seeds no run tried before at about the same cost ([`default_seeds`]).
/// The flag tells whether one seed is replayed.
pub fn seeds_from_env(default_count: u64) -> (Vec<u64>, bool) {
    if let Some(seed) = env_u64("SYNCWIRE_SIM_SEED") {
        return (vec![seed], true);
    }
    let default_count = if cfg!(debug_assertions) {
        default_count.min(1)
    } else {
        default_count
    };
    let range = std::env::var("SYNCWIRE_SIM_SEEDS")
        .ok()
        .and_then(|v| seed_range(&v));
    match range {
        Some((first, last)) => ((first..=last).collect(), false),
        None => (
            default_seeds(default_count, env_u64("SYNCWIRE_SIM_FRESH")),
            false,
        ),
    }
}

/// The default seeds of a test whose count is `count`: `1..=count`, or with a fresh
/// base `1..=⌈count/2⌉` followed by `⌊count/2⌋` seeds from `fresh` on.
pub fn default_seeds(count: u64, fresh: Option<u64>) -> Vec<u64> {
    let Some(base) = fresh else {
        return (1..=count).collect();
    };
    let fixed = count.div_ceil(2);
    let extra = count - fixed;
    (1..=fixed)
        .chain((0..extra).map(|k| base.saturating_add(k)))
        .collect()
}

/// `1..=3` or `1..=3, 90..=91` for the summary line.
fn describe_seeds(seeds: &[u64]) -> String {
    let mut runs: Vec<(u64, u64)> = Vec::new();
    for &s in seeds {
        match runs.last_mut() {
            Some((_, last)) if last.checked_add(1) == Some(s) => *last = s,
            _ => runs.push((s, s)),
        }
    }
    let parts: Vec<String> = runs.iter().map(|(a, b)| format!("{a}..={b}")).collect();
    parts.join(", ")
}

/// Runs the seeds chosen by the environment for `scenario` and returns a report
/// of the failing ones, each with its replay command for test `test`. A replayed
/// seed prints its transcript.
pub fn run_seeds(scenario: &Scenario, test: &str, default_count: u64) -> Result<String, String> {
    let (seeds, replay) = seeds_from_env(default_count);
    let mut failures = Vec::new();
    let mut settle_max = core::time::Duration::ZERO;
    let mut covered = Coverage::default();
    let (mut hub_restarts, mut client_restarts) = (0u64, 0u64);
    let progress = env_u64("SYNCWIRE_SIM_PROGRESS").filter(|&k| k > 0);
    let started = std::time::Instant::now();
    for (done, &seed) in (1u64..).zip(&seeds) {
        let out = run_seed(scenario, seed, replay);
        if replay {
            for line in &out.transcript {
                println!("{line}");
            }
            println!(
                "{out:#?}",
                out = (&out.violations, &out.stats, out.settled_at)
            );
        }
        if let Some(t) = out.settled_at {
            settle_max = settle_max.max(t - out.heal_at);
        }
        covered.add(&out.stats.coverage);
        hub_restarts += out.stats.hub_restarts;
        client_restarts += out.stats.client_restarts;
        if !out.violations.is_empty() {
            let mut msg = format!("seed {seed} of scenario {} failed:\n", scenario.name);
            for v in out.violations.iter().take(5) {
                msg.push_str(&format!("  {v}\n"));
            }
            msg.push_str(&format!("  replay: {}\n", replay_command(seed, test)));
            if progress.is_some() {
                eprint!("{msg}");
            }
            failures.push(msg);
        }
        if progress.is_some_and(|k| done % k == 0) {
            eprintln!(
                "{}: {done}/{} seeds (up to seed {seed}), {} failed, {:.0?} elapsed",
                scenario.name,
                seeds.len(),
                failures.len(),
                started.elapsed()
            );
        }
    }
    let summary = format!(
        "{}: {} seeds ({}), {} failed, slowest settle {:?} after heal\n  coverage: hub restarts {hub_restarts}, client restarts {client_restarts}, {covered:?}",
        scenario.name,
        seeds.len(),
        describe_seeds(&seeds),
        failures.len(),
        settle_max
    );
    if !replay && seeds.len() >= COVERAGE_MIN_SEEDS {
        let gaps = missing(
            &scenario.exercises(),
            &covered,
            hub_restarts,
            client_restarts,
        );
        if !gaps.is_empty() {
            failures.push(format!(
                "coverage: {gaps:?} never happened in {} seeds of {}, which exists to exercise them\n",
                seeds.len(),
                scenario.name
            ));
        }
    }
    if failures.is_empty() {
        Ok(summary)
    } else {
        Err(format!("{summary}\n{}", failures.join("")))
    }
}

#[cfg(test)]
mod tests {
    use super::seed_range;

    #[test]
    fn a_path_that_never_fired_is_reported() {
        use super::{Coverage, Path, missing};
        let mut covered = Coverage {
            acks: 3,
            ..Coverage::default()
        };
        covered.refusals.insert("rate_limited", 2);
        let expected = [
            Path::Acks,
            Path::Refusal("rate_limited"),
            Path::Refusal("replica_in_use"),
            Path::HubRestarts,
            Path::ClientRestarts,
        ];
        assert_eq!(
            missing(&expected, &covered, 1, 0),
            [Path::Refusal("replica_in_use"), Path::ClientRestarts]
        );
    }

    #[test]
    fn fresh_seeds_take_half_of_the_default_count() {
        use super::{default_seeds, describe_seeds};
        assert_eq!(default_seeds(4, None), [1, 2, 3, 4]);
        assert_eq!(default_seeds(5, Some(1000)), [1, 2, 3, 1000, 1001]);
        assert_eq!(default_seeds(1, Some(1000)), [1]);
        assert_eq!(
            describe_seeds(&default_seeds(5, Some(1000))),
            "1..=3, 1000..=1001"
        );
    }

    #[test]
    fn seed_counts_and_ranges_parse() {
        assert_eq!(seed_range("250"), Some((1, 250)));
        assert_eq!(seed_range(" 401..=10000 "), Some((401, 10_000)));
        assert_eq!(seed_range("4..="), None);
        assert_eq!(seed_range("x"), None);
    }
}
