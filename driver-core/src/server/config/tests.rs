//! Validation of the settings [`ServerConfig`] checks itself.

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
