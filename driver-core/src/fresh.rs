//! Fresh random values from the operating system's (or the browser's) random source:
//! the replica id a configuration without one ([`ClientConfig::default`]) gets, once
//! per client instance, and the seeds and ids a hub server draws once per process
//! ([`random_seed`]).
//!
//! Why random by default: a replica id names one document instance, its sequence
//! numbers and its CRDT entries. Two processes started from the same configuration
//! with one hard-coded id would collide (their deltas deduplicated as old, or merged
//! into nothing). A fresh id is in `1..=`[`ReplicaId::MAX_FRESH`] (2^53 − 1, so a
//! JavaScript number holds it exactly); among a million instances the chance that
//! any two draw the same id is about n²/2^54 ≈ 6·10^-5.
//!
//! A session whose id is fresh has no earlier entries anywhere, so its local
//! operations apply at once; a session with an id of the caller's choosing (or one
//! restored from saved state, for rooms it has no saved document of) holds them
//! until the room caught up ([`crate::Doc::apply`]).

use syncwire_proto::client::ClientConfig;
use syncwire_proto::replica::ReplicaOrigin;
use syncwire_proto::wire::ReplicaId;

use crate::error::DriverError;

/// 64 random bits from the platform's secure source.
pub fn random_u64() -> Result<u64, DriverError> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).map_err(|e| {
        DriverError::Config(format!("no random source for a fresh replica id: {e}"))
    })?;
    Ok(u64::from_le_bytes(bytes))
}

/// 64 random bits for what must differ between processes and cannot fail to start
/// one: a hub's seed (it draws room epochs from it), its node id, its fold lease
/// token. From [`random_u64`]; should the platform's source fail, from the standard
/// library's randomly keyed hasher over the time and the process id.
pub fn random_seed() -> u64 {
    random_u64().unwrap_or_else(|_| {
        use std::hash::{BuildHasher, Hasher};
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0),
        );
        h.write_u32(std::process::id());
        h.finish()
    })
}

/// A fresh random replica id in `1..=`[`ReplicaId::MAX_FRESH`].
pub fn fresh_replica_id() -> Result<ReplicaId, DriverError> {
    Ok(ReplicaId::fresh_from_random(random_u64()?))
}

/// Completes `config` for a new session: a missing replica id becomes a fresh one
/// ([`ReplicaOrigin::Fresh`]); a seed left at 0 becomes random, so backoff jitter
/// differs between instances.
pub fn resolve(mut config: ClientConfig) -> Result<(ClientConfig, ReplicaOrigin), DriverError> {
    let origin = match config.replica {
        Some(_) => ReplicaOrigin::Chosen,
        None => {
            config.replica = Some(fresh_replica_id()?);
            ReplicaOrigin::Fresh
        }
    };
    if config.seed == 0 {
        config.seed = random_u64()?;
    }
    Ok((config, origin))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn fresh_ids_are_distinct_and_js_safe() {
        let ids: HashSet<u64> = (0..1000)
            .map(|_| fresh_replica_id().expect("random").0)
            .collect();
        assert_eq!(ids.len(), 1000);
        assert!(
            ids.iter()
                .all(|&id| (1..=ReplicaId::MAX_FRESH).contains(&id))
        );
    }

    #[test]
    fn the_random_mapping_stays_in_range_at_its_edges() {
        for bits in [
            0,
            1,
            ReplicaId::MAX_FRESH - 1,
            ReplicaId::MAX_FRESH,
            u64::MAX,
        ] {
            let id = ReplicaId::fresh_from_random(bits).0;
            assert!((1..=ReplicaId::MAX_FRESH).contains(&id), "{bits} -> {id}");
        }
        assert_eq!(ReplicaId::MAX_FRESH, 9_007_199_254_740_991);
    }

    #[test]
    fn a_config_without_id_gets_a_fresh_one_and_a_chosen_id_is_kept() {
        let (a, origin_a) = resolve(ClientConfig::default()).expect("resolve");
        let (b, _) = resolve(ClientConfig::default()).expect("resolve");
        assert_eq!(origin_a, ReplicaOrigin::Fresh);
        assert_ne!(a.replica, b.replica);
        assert_ne!(a.seed, 0);
        let (c, origin_c) = resolve(ClientConfig::new(ReplicaId(7))).expect("resolve");
        assert_eq!(
            (c.replica, origin_c),
            (Some(ReplicaId(7)), ReplicaOrigin::Chosen)
        );
    }
}
