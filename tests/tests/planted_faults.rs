//! Full simulator runs catch real bugs, not only fabricated histories: each bug
//! planted in the hub (`PlantedFault`, feature `test-hooks`) makes seeds of an
//! ordinary scenario fail, and the checker that reports it is the one the bug
//! breaks. Bounded: at most `SEEDS` seeds per fault, stopping at the first caught.

use syncwire_proto::hub::PlantedFault;
use syncwire_tests::run::run_seed;
use syncwire_tests::scenario::Scenario;

/// Seeds tried per planted bug before the test gives up.
const SEEDS: u64 = 8;

/// The kinds of the violations of the first failing seed of `scenario` with `fault`.
fn caught(mut scenario: Scenario, fault: PlantedFault) -> Vec<String> {
    scenario.limits.planted = Some(fault);
    for seed in 1..=SEEDS {
        let out = run_seed(&scenario, seed, false);
        if !out.violations.is_empty() {
            return out
                .violations
                .iter()
                .map(|v| format!("{}: {}", v.invariant, v.detail))
                .collect();
        }
    }
    panic!(
        "{fault:?} went unnoticed in {SEEDS} seeds of {}",
        scenario.name
    );
}

#[test]
fn an_ack_before_durable_loses_an_acknowledged_delta_in_a_hub_crash() {
    let kinds = caught(Scenario::crashy(), PlantedFault::AckBeforeDurable);
    assert!(
        kinds.iter().any(|k| k.starts_with("acked_lost")),
        "{kinds:?}"
    );
}

#[test]
fn a_skipped_dedupe_logs_a_resent_delta_twice() {
    let kinds = caught(Scenario::identity(), PlantedFault::SkipDedupe);
    assert!(
        kinds.iter().any(|k| k.starts_with("duplicate_delivery")),
        "{kinds:?}"
    );
}

#[test]
fn reordered_catch_up_batches_break_the_delivery_order() {
    let kinds = caught(Scenario::realistic(), PlantedFault::ReorderBatches);
    let order = |k: &String| k.starts_with("per_origin_order") || k.starts_with("log_order");
    assert!(kinds.iter().any(order), "{kinds:?}");
}
