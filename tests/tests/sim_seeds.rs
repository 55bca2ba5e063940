//! Runs the simulation scenarios over many seeds (see docs/TESTING.md).
//! `SYNCWIRE_SIM_SEEDS=N` runs N seeds; `SYNCWIRE_SIM_SEED=S` replays one.
//! [`REGRESSIONS`] are seeds that once failed; they run every time, in every build.

use syncwire_tests::run::{replay_command, run_seed, run_seeds};
use syncwire_tests::scenario::Scenario;

/// Seeds that found a bug, by scenario, each run on every `cargo test` (one seed
/// costs about a second in release mode).
const REGRESSIONS: &[(&str, u64, &str)] = &[
    (
        "multinode",
        1817,
        "simulator: a crashed node's storage events were dropped though owed to other nodes' actions; a write stayed queued for good",
    ),
    (
        "multinode",
        2623,
        "simulator: the same lost storage event, another node",
    ),
    (
        "multinode",
        8851,
        "hub: a fill read of a hole another node had compacted away closed the members internal/1011 instead of 4011",
    ),
    (
        "limited",
        1019,
        "client: a Leave re-sent after a rate-limited refusal was answered unknown_room after the app joined the room again; taken as the Join's refusal",
    ),
    (
        "realistic",
        720,
        "issue 23: clock stepped back 83 s during a black-holed attempt; Connecting forever",
    ),
    (
        "realistic",
        2210,
        "issue 23: clock stepped back 88 s during a black-holed attempt; Connecting forever",
    ),
    (
        "slow",
        1,
        "issue 17: a member behind a durable snapshot was refused internal and closed 1011",
    ),
    (
        "storage_faults",
        2283,
        "hub: a fold whose reply was lost left the room's snapshot stale; resumes below the new one refused internal/1011 forever",
    ),
    (
        "storage_faults",
        2979,
        "hub: the same lost fold reply, one client refused on every reconnect",
    ),
    (
        "storage_faults",
        3049,
        "hub: the same lost fold reply, five clients",
    ),
    (
        "restore",
        4,
        "restored from a save older than acked own deltas: they were skipped in the resume replay; divergence",
    ),
    (
        "restore",
        10,
        "restored from a save older than acked own deltas: they were skipped in the resume replay; divergence",
    ),
];

#[test]
fn sim_regression_seeds() {
    let mut failures = Vec::new();
    for &(name, seed, why) in REGRESSIONS {
        let scenario = Scenario::by_name(name).unwrap_or_else(|| panic!("no scenario {name}"));
        let out = run_seed(&scenario, seed, false);
        if !out.violations.is_empty() {
            let test = format!("sim_{name}");
            failures.push(format!(
                "regression seed {seed} of {name} ({why}) failed: {:?}\n  replay: {}",
                out.violations,
                replay_command(seed, &test)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn check(scenario: Scenario, test: &str, default_count: u64) {
    match run_seeds(&scenario, test, default_count) {
        Ok(summary) => println!("{summary}"),
        Err(report) => panic!("{report}"),
    }
}

#[test]
fn sim_realistic() {
    check(Scenario::realistic(), "sim_realistic", 200);
}

#[test]
fn sim_calm() {
    check(Scenario::calm(), "sim_calm", 20);
}

#[test]
fn sim_identity() {
    check(Scenario::identity(), "sim_identity", 20);
}

#[test]
fn sim_crashy() {
    check(Scenario::crashy(), "sim_crashy", 20);
}

#[test]
fn sim_limited() {
    check(Scenario::limited(), "sim_limited", 40);
}

/// The `limited` scenario does what it exists for: deltas are refused mid-stream.
#[test]
fn limited_scenario_refuses_deltas_mid_stream() {
    let out = syncwire_tests::run::run_seed(&Scenario::limited(), 1, false);
    assert!(out.violations.is_empty(), "{:?}", out.violations);
    assert!(
        out.stats.delta_refusals > 0,
        "no delta was refused: the scenario tests nothing ({:?})",
        out.stats
    );
}

#[test]
fn sim_amnesia() {
    check(Scenario::amnesia(), "sim_amnesia", 30);
}

#[test]
fn sim_strict() {
    check(Scenario::strict(), "sim_strict", 10);
}

/// The `amnesia` scenario does what it exists for: clients restart empty (and the
/// seed passes every checker).
#[test]
fn amnesia_scenario_restarts_clients() {
    let out = syncwire_tests::run::run_seed(&Scenario::amnesia(), 1, false);
    assert!(out.violations.is_empty(), "{:?}", out.violations);
    assert!(out.stats.client_restarts > 0, "{:?}", out.stats);
}

#[test]
fn sim_slow() {
    check(Scenario::slow(), "sim_slow", 12);
}

#[test]
fn sim_restricted() {
    check(Scenario::restricted(), "sim_restricted", 12);
}

#[test]
fn sim_storage_faults() {
    check(Scenario::storage_faults(), "sim_storage_faults", 12);
}

#[test]
fn sim_restore() {
    check(Scenario::restore(), "sim_restore", 12);
}

#[test]
fn sim_multinode() {
    check(Scenario::multinode(), "sim_multinode", 20);
}
