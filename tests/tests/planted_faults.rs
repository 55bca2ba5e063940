//! Full simulator runs catch real bugs, not only fabricated histories: each bug
//! planted in the hub (`PlantedFault`, feature `test-hooks`) makes seeds of an
//! ordinary scenario fail, and the checker that reports it is the one the bug
//! breaks. Bounded: at most `SEEDS` seeds per fault, stopping at the first that fails that checker.

use syncwire_proto::hub::PlantedFault;
use syncwire_tests::run::run_seed;
use syncwire_tests::scenario::Scenario;

/// Seeds tried per planted bug before the test gives up.
const SEEDS: u64 = 12;

/// Runs seeds of `scenario` with `fault` planted until one fails with a violation of
/// `invariant` (the checker the bug breaks); panics if none does within [`SEEDS`],
/// listing what the failing seeds reported instead (a run that fails liveness first
/// does not get to its history checkers).
fn caught(mut scenario: Scenario, fault: PlantedFault, invariant: &str) {
    scenario.limits.planted = Some(fault);
    let mut seen = Vec::new();
    for seed in 1..=SEEDS {
        let out = run_seed(&scenario, seed, false);
        if out.violations.iter().any(|v| v.invariant == invariant) {
            return;
        }
        seen.extend(out.violations.iter().map(|v| format!("seed {seed}: {v}")));
    }
    panic!(
        "{fault:?} never failed {invariant} in {SEEDS} seeds of {}: {seen:?}",
        scenario.name
    );
}

#[test]
fn an_ack_before_durable_loses_an_acknowledged_delta_in_a_hub_crash() {
    caught(
        Scenario::crashy(),
        PlantedFault::AckBeforeDurable,
        "acked_lost",
    );
}

#[test]
fn a_skipped_dedupe_logs_a_resent_delta_twice() {
    caught(
        Scenario::identity(),
        PlantedFault::SkipDedupe,
        "duplicate_delivery",
    );
}

#[test]
fn reordered_catch_up_batches_break_the_delivery_order() {
    caught(
        Scenario::realistic(),
        PlantedFault::ReorderBatches,
        "per_origin_order",
    );
}
