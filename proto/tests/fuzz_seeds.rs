//! Replays the committed fuzz seed corpus (`fuzz/seeds/<target>/*`) through the fuzz
//! bodies on stable, plus a few hundred seeded random programs per body, so that
//! `cargo test -p syncwire-proto --features fuzzing` catches regressions without
//! nightly or cargo-fuzz. Crash reproducers are committed to the seed folders.

use std::path::PathBuf;

use syncwire_proto::fuzzing;
use syncwire_proto::rng::Rng;

type Body = fn(&[u8]);

const TARGETS: &[(&str, Body)] = &[
    ("decode_frame", fuzzing::decode_frame),
    ("client_session", fuzzing::client_session),
    ("hub_sessions", fuzzing::hub_sessions),
    ("crdt_merge", fuzzing::crdt_merge),
    ("ydoc_update", fuzzing::ydoc_update),
];

fn seeds_dir(target: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/seeds")
        .join(target)
}

fn replay(target: &str, body: Body) -> usize {
    let dir = seeds_dir(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .collect();
    files.sort();
    for f in &files {
        let data = std::fs::read(f).expect("seed file");
        let outcome = std::panic::catch_unwind(|| body(&data));
        assert!(outcome.is_ok(), "{target}: seed {} fails", f.display());
    }
    files.len()
}

#[test]
fn every_target_has_seeds_and_they_pass() {
    for (target, body) in TARGETS {
        let n = replay(target, *body);
        assert!(n > 0, "{target}: no seeds in fuzz/seeds/{target}");
    }
}

#[test]
fn seeded_random_programs_hold_the_invariants() {
    let mut rng = Rng::new(0xF022);
    for (_, body) in TARGETS {
        for _ in 0..200 {
            let len = rng.below_inclusive(600) as usize;
            let data: Vec<u8> = (0..len).map(|_| rng.next_u64() as u8).collect();
            body(&data);
        }
    }
}
