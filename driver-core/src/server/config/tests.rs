//! Validation of the settings [`ServerConfig`] checks itself (its storage's included).

use super::{ServerConfig, ServerError};

fn config() -> ServerConfig {
    ServerConfig::new("127.0.0.1:0".parse().unwrap())
}

#[test]
fn the_defaults_validate() {
    let config = config();
    assert_eq!(config.max_pending_upgrades(), 1024);
    config.validate().expect("the defaults validate");
}

#[test]
fn max_pending_upgrades_is_at_least_one() {
    let mut config = config();
    config.set_max_pending_upgrades(0);
    let err = config.validate().expect_err("0 is refused");
    assert!(
        matches!(&err, ServerError::Config(why) if why.starts_with("max_pending_upgrades ")),
        "{err}"
    );
    config.set_max_pending_upgrades(1);
    assert_eq!(config.max_pending_upgrades(), 1);
    config.validate().expect("1 validates");
}

#[test]
fn max_pending_upgrades_is_at_most_a_million() {
    let mut config = config();
    assert_eq!(ServerConfig::MAX_PENDING_UPGRADES, 1_048_576);
    config.set_max_pending_upgrades(ServerConfig::MAX_PENDING_UPGRADES);
    config.validate().expect("the largest validates");
    for above in [ServerConfig::MAX_PENDING_UPGRADES + 1, usize::MAX] {
        config.set_max_pending_upgrades(above);
        let err = config.validate().expect_err("above the largest is refused");
        assert!(
            matches!(&err, ServerError::Config(why) if why == "max_pending_upgrades must be at most 1048576"),
            "{err}"
        );
    }
}

#[test]
fn redis_wait_replicas_above_zero_is_refused_as_not_supported_yet() {
    let redis = |wait_replicas| crate::server::Storage::Redis {
        url: "redis://127.0.0.1:1/0".to_owned(),
        wait_replicas,
        allow_unsafe_durability: false,
    };
    let mut config = config();
    config.set_storage(redis(1));
    // Refused by validation, so `open` fails before it tries to reach Redis.
    for err in [config.validate().unwrap_err(), config.open().unwrap_err()] {
        let ServerError::Unsupported { setting, reason } = &err else {
            panic!("{err}");
        };
        assert_eq!(*setting, "wait_replicas");
        assert!(reason.contains("docs/MULTINODE.md"), "{reason}");
        let text = err.to_string();
        assert!(
            text.contains("`wait_replicas` is not supported yet"),
            "{text}"
        );
    }
    config.set_storage(redis(0));
    config.validate().expect("0 validates");
}
