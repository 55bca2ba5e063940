//! The identity scenario really exercises what it claims: impostors are refused
//! with close 4014, twins replace their victim's session (close 4013 for one of the
//! two), victims take over again, and every run keeps the delivery promise.

use syncwire_tests::run::run_seed;
use syncwire_tests::scenario::Scenario;

#[test]
fn impostors_are_refused_and_twins_are_replaced_without_losing_anything() {
    let (mut refused, mut replaced, mut takeovers) = (0, 0, 0);
    for seed in 1..=3 {
        let out = run_seed(&Scenario::identity(), seed, true);
        assert!(
            out.violations.is_empty(),
            "seed {seed}: {:#?}",
            out.violations
        );
        let count = |what: &str| out.transcript.iter().filter(|l| l.contains(what)).count();
        refused += count("replica_forbidden(4014)");
        replaced += count("replaced(4013)");
        takeovers += count("replaced: take over");
    }
    assert!(refused >= 3, "impostors refused: {refused}");
    assert!(replaced >= 2, "sessions replaced: {replaced}");
    assert!(takeovers >= 1, "victims taking over: {takeovers}");
}
