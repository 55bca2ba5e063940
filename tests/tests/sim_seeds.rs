//! Runs the simulation scenarios over many seeds (see docs/TESTING.md).
//! `SYNCWIRE_SIM_SEEDS=N` runs N seeds; `SYNCWIRE_SIM_SEED=S` replays one.

use syncwire_tests::run::run_seeds;
use syncwire_tests::scenario::Scenario;

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
