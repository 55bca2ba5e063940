//! Tests of what the settings become in the server's configuration: every hub
//! setting, `max_pending_upgrades`, the storage choice (Redis and its options), the
//! authorization modes (tokens, JWT keys from a file or the environment) and the
//! origin, timeout and URL settings. Loaded as the binary loads them
//! ([`loaded`]).

use std::time::Duration;

use crate::apply::{Files, build};
use crate::config_tests::loaded;
use syncwire_tokio::server::Storage;

#[test]
fn every_hub_setting_reaches_the_config() {
    let args = [
        "--open",
        "--rate-strikes",
        "3",
        "--rate-strike-window-ms",
        "1500",
        "--max-backlog-bytes",
        "65536",
        "--handshake-timeout-ms",
        "2500",
        "--max-user-info-bytes",
        "300",
        "--max-presence-members",
        "40",
        "--presence-summary-interval-ms",
        "250",
        "--room-idle-timeout-ms",
        "7000",
        "--max-loaded-rooms",
        "77",
        "--max-events",
        "99",
    ];
    let config = build(&loaded(None, &[], &args).unwrap(), Files::Read).unwrap();
    let hub = config.hub();
    assert_eq!(hub.rate_strikes_to_close, 3);
    assert_eq!(hub.rate_strike_window, Duration::from_millis(1500));
    assert_eq!(hub.max_backlog_bytes, 65536);
    assert_eq!(hub.handshake_timeout, Duration::from_millis(2500));
    assert_eq!(hub.max_user_info_bytes, 300);
    assert_eq!(hub.max_presence_members, 40);
    assert_eq!(hub.presence_summary_interval, Duration::from_millis(250));
    assert_eq!(hub.room_idle_timeout, Duration::from_secs(7));
    assert_eq!(hub.max_loaded_rooms, 77);
    assert_eq!(hub.max_events, 99);
}

#[test]
fn max_pending_upgrades_reaches_the_config_and_out_of_range_is_refused_by_name() {
    let defaults = build(&loaded(None, &[], &["--open"]).unwrap(), Files::Read).unwrap();
    assert_eq!(defaults.max_pending_upgrades(), 1024);
    let file = loaded(Some("max_pending_upgrades = 16\n"), &[], &["--open"]).unwrap();
    assert_eq!(
        build(&file, Files::Read).unwrap().max_pending_upgrades(),
        16
    );
    let env = [("SYNCWIRE_MAX_PENDING_UPGRADES", "2")];
    let env = loaded(None, &env, &["--open"]).unwrap();
    assert_eq!(build(&env, Files::Read).unwrap().max_pending_upgrades(), 2);
    let zero = ["--open", "--max-pending-upgrades", "0"];
    let err = build(&loaded(None, &[], &zero).unwrap(), Files::Read).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains(
            "`max_pending_upgrades` (from flag --max-pending-upgrades): must be at least 1"
        ),
        "{text}"
    );
    let huge = [("SYNCWIRE_MAX_PENDING_UPGRADES", "1048577")];
    let err = build(&loaded(None, &huge, &["--open"]).unwrap(), Files::Read).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains(
            "`max_pending_upgrades` (from env SYNCWIRE_MAX_PENDING_UPGRADES): must be at most 1048576"
        ),
        "{text}"
    );
}

#[test]
fn auth_modes_conflict_across_layers_and_one_is_required() {
    let err = build(
        &loaded(None, &[("SYNCWIRE_TOKEN", "t")], &["--open"]).unwrap(),
        Files::Read,
    )
    .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("`token` (from env SYNCWIRE_TOKEN)")
            && text.contains("`open` (from flag --open)"),
        "{text}"
    );
    let err = build(&loaded(None, &[], &[]).unwrap(), Files::Read).unwrap_err();
    assert!(err.to_string().contains("choose an auth mode"), "{err}");
    // `--open=false` on the command line undoes `open = true` in the file.
    let l = loaded(
        Some("open = true\n"),
        &[("SYNCWIRE_TOKEN", "t")],
        &["--open=false"],
    )
    .unwrap();
    assert!(build(&l, Files::Read).is_ok());
}

#[test]
fn redis_storage_is_chosen_alone_and_takes_its_options() {
    let url = "redis://127.0.0.1:6379/0";
    let wait = |n| {
        loaded(
            None,
            &[("SYNCWIRE_REDIS_WAIT_REPLICAS", n)],
            &["--open", "--redis", url],
        )
    };
    let config = build(&wait("0").unwrap(), Files::Read).unwrap();
    assert_eq!(
        config.storage(),
        &Storage::Redis {
            url: url.to_owned(),
            wait_replicas: 0,
            allow_unsafe_durability: false,
        }
    );
    // Acks cannot wait for replicas yet: more than 0 is refused, naming the setting.
    let err = build(&wait("2").unwrap(), Files::Read).unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with("setting `redis_wait_replicas` (from env SYNCWIRE_REDIS_WAIT_REPLICAS): not supported yet")
            && text.contains("docs/MULTINODE.md"),
        "{text}"
    );
    for other in [&["--memory"][..], &["--data-dir", "/tmp/d"][..]] {
        let args: Vec<&str> = ["--open", "--redis", url]
            .iter()
            .chain(other)
            .copied()
            .collect();
        let err = build(&loaded(None, &[], &args).unwrap(), Files::Read).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("choose one storage") && text.contains("`redis` (from flag --redis)"),
            "{text}"
        );
    }
}

#[test]
fn jwt_settings_make_an_authorizer_from_a_file_or_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("secret");
    std::fs::write(&secret, "a test-only secret of 32 bytes or more\n").unwrap();
    let path = secret.to_str().unwrap();
    let from_file = loaded(
        None,
        &[],
        &["--jwt-hs256-secret-file", path, "--jwt-audience", "hub"],
    );
    assert!(build(&from_file.unwrap(), Files::Read).is_ok());
    let env = [(
        "SYNCWIRE_JWT_HS256_SECRET",
        "another test-only secret, 32 bytes+",
    )];
    assert!(build(&loaded(None, &env, &[]).unwrap(), Files::Read).is_ok());
    std::fs::write(&secret, "short").unwrap();
    let short = loaded(None, &[], &["--jwt-hs256-secret-file", path]).unwrap();
    let err = build(&short, Files::Read).unwrap_err().to_string();
    assert!(err.contains("jwt_hs256_secret_file"), "{err}");
    let alone = loaded(None, &[], &["--jwt-audience", "hub", "--open"]).unwrap();
    let err = build(&alone, Files::Read).unwrap_err().to_string();
    assert!(
        err.contains("jwt_audience") && err.contains("JWT key"),
        "{err}"
    );
    let no_alg = loaded(None, &[], &["--jwt-public-key", path]).unwrap();
    let err = build(&no_alg, Files::Read).unwrap_err().to_string();
    assert!(err.contains("jwt_alg"), "{err}");
    let bad_alg = loaded(None, &[], &["--jwt-public-key", path, "--jwt-alg", "HS512"]).unwrap();
    let err = build(&bad_alg, Files::Read).unwrap_err().to_string();
    assert!(err.contains("jwt_alg") && err.contains("HS512"), "{err}");
    let two = loaded(None, &env, &["--jwt-hs256-secret-file", path]).unwrap();
    assert!(build(&two, Files::Read).is_err(), "one JWT key");
    let with_open = loaded(None, &env, &["--open"]).unwrap();
    let err = build(&with_open, Files::Read).unwrap_err().to_string();
    assert!(err.contains("one auth mode"), "{err}");
}

#[test]
fn origin_timeout_and_url_settings_reach_the_config() {
    let args = [
        "--open",
        "--allow-origin",
        "https://a.example, https://b.example",
        "--auth-timeout-ms",
        "1500",
    ];
    let config = build(&loaded(None, &[], &args).unwrap(), Files::Read).unwrap();
    assert_eq!(
        config.allowed_origins(),
        ["https://a.example", "https://b.example"]
    );
    assert_eq!(config.auth_timeout(), Duration::from_millis(1500));
    let url = ["--auth-url", "http://127.0.0.1:9/auth"];
    assert!(build(&loaded(None, &[], &url).unwrap(), Files::Read).is_ok());
    let tls = ["--auth-url", "https://auth.example/x"];
    let err = build(&loaded(None, &[], &tls).unwrap(), Files::Read).unwrap_err();
    assert!(err.to_string().contains("auth_url"), "{err}");
    let both = ["--auth-url", "http://127.0.0.1:9/auth", "--open"];
    assert!(build(&loaded(None, &[], &both).unwrap(), Files::Read).is_err());
    let defaults = build(&loaded(None, &[], &["--open"]).unwrap(), Files::Read).unwrap();
    assert!(defaults.allowed_origins().is_empty());
    assert_eq!(defaults.auth_timeout(), Duration::from_secs(5));
    let zero = ["--open", "--auth-timeout-ms", "0"];
    assert!(build(&loaded(None, &[], &zero).unwrap(), Files::Read).is_err());
}
