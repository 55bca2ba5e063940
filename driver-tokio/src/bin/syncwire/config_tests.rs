//! Tests of the configuration layers: precedence (file < env < flag), the printed
//! configuration loading back as the same one, errors naming the setting and its
//! source, unknown file keys refused, secrets never printed. Every test passes its
//! own env map (never the process environment) and its own temporary files.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use crate::apply::{Files, build};
use crate::layers::{ConfigError, Layered, Source};
use crate::load::{Inputs, Loaded, load, print};
use crate::settings::Settings;
use syncwire_tokio::server::Storage;

/// Loads with `file` (TOML text, if any), `env` and the command-line `args` (after
/// `syncwire serve`), exactly as the binary does.
fn loaded(
    file: Option<&str>,
    env: &[(&str, &str)],
    args: &[&str],
) -> Result<Loaded<Settings>, ConfigError> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("syncwire.toml");
    if let Some(text) = file {
        std::fs::write(&path, text).unwrap();
    }
    let env: BTreeMap<String, String> = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let argv = ["syncwire", "serve"]
        .into_iter()
        .chain(args.iter().copied());
    let matches = crate::cli()
        .try_get_matches_from(argv)
        .expect("flags parse");
    let (_, serve) = matches.subcommand().expect("serve");
    let flags = crate::load::given_flags::<Settings>(serve);
    let file = file.map(|_| path.as_path());
    load(&Inputs {
        file,
        env: &env,
        flags: &flags,
    })
}

#[test]
fn flags_override_env_which_overrides_the_file_which_overrides_defaults() {
    let file = "max_frame_bytes = 1000\nmax_payload_bytes = 2000\nmax_presence_bytes = 3000\nopen = true\n";
    let env = [
        ("SYNCWIRE_MAX_PAYLOAD_BYTES", "2001"),
        ("SYNCWIRE_MAX_PRESENCE_BYTES", "3001"),
    ];
    let l = loaded(Some(file), &env, &["--max-presence-bytes", "3002"]).unwrap();
    let s = &l.settings;
    assert_eq!(s.max_frame_bytes, Some(1000));
    assert_eq!(s.max_payload_bytes, Some(2001));
    assert_eq!(s.max_presence_bytes, Some(3002));
    assert_eq!(s.max_sessions, Settings::defaults().max_sessions);
    // An empty variable is unset, not an invalid value.
    let l2 = loaded(None, &[("SYNCWIRE_MAX_SESSIONS", "")], &[]).unwrap();
    assert_eq!(l2.settings.max_sessions, Settings::defaults().max_sessions);
    assert!(matches!(l.source("max_frame_bytes"), Source::File(_)));
    assert_eq!(
        l.source("max_payload_bytes"),
        Source::Env("SYNCWIRE_MAX_PAYLOAD_BYTES".into())
    );
    assert_eq!(
        l.source("max_presence_bytes"),
        Source::Flag("--max-presence-bytes".into())
    );
    assert_eq!(l.source("max_sessions"), Source::Default);
    let config = build(&l, Files::Read).unwrap();
    assert_eq!(config.hub().max_frame_bytes, 1000);
    assert_eq!(config.hub().max_payload_bytes, 2001);
    assert_eq!(config.hub().max_presence_bytes, 3002);
}

#[test]
fn without_settings_the_server_gets_the_library_defaults() {
    let l = loaded(None, &[], &["--open"]).unwrap();
    let config = build(&l, Files::Read).unwrap();
    let default = syncwire_tokio::proto::hub::HubConfig::default();
    let hub = config.hub();
    assert_eq!(hub.wire_limits(), default.wire_limits());
    assert_eq!(hub.heartbeat_ms(), default.heartbeat_ms());
    assert_eq!(hub.handshake_timeout, default.handshake_timeout);
    assert_eq!(hub.rate_strike_window, default.rate_strike_window);
    assert_eq!(hub.room_idle_timeout, default.room_idle_timeout);
    assert_eq!(hub.max_tail_bytes, default.max_tail_bytes);
    assert_eq!(config.addr(), "127.0.0.1:8080".parse().unwrap());
    assert_eq!(config.ws_path(), "/sync");
    assert_eq!(config.shutdown_grace(), Duration::from_secs(10));
}

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
fn max_pending_upgrades_reaches_the_config_and_zero_is_refused_by_name() {
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
}

#[test]
fn printed_config_loads_back_as_the_same_config_without_secrets() {
    let env = [
        ("SYNCWIRE_TOKEN", "s3cret-token"),
        ("SYNCWIRE_HEARTBEAT_MS", "9000"),
    ];
    let args = [
        "--addr",
        "0.0.0.0:9000",
        "--static-dir",
        "/srv/demo",
        "--memory",
    ];
    let first = loaded(Some("max_rooms = 12\n"), &env, &args).unwrap();
    build(&first, Files::Skip).unwrap();
    let text = print(&first);
    assert!(!text.contains("s3cret-token"), "{text}");
    assert!(
        text.contains("# token = (secret from env SYNCWIRE_TOKEN, not shown)"),
        "{text}"
    );
    let again = loaded(Some(&text), &[], &[]).unwrap();
    let mut expected = first.settings.clone();
    expected.token = None;
    assert_eq!(again.settings, expected);
    assert_eq!(
        print(&again)
            .lines()
            .filter(|l| !l.starts_with('#'))
            .count(),
        text.lines().filter(|l| !l.starts_with('#')).count()
    );
}

#[test]
fn an_invalid_value_names_the_setting_and_its_source() {
    let err = loaded(None, &[("SYNCWIRE_MAX_FRAME_BYTES", "lots")], &[]).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("`max_frame_bytes`") && text.contains("env SYNCWIRE_MAX_FRAME_BYTES"),
        "{text}"
    );

    let err = loaded(Some("heartbeat_ms = \"fast\"\n"), &[], &[]).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("`heartbeat_ms`") && text.contains("config file"),
        "{text}"
    );

    let err = loaded(None, &[], &["--addr", "nowhere"]).unwrap_err();
    assert!(
        err.to_string().contains("`addr` (from flag --addr)"),
        "{err}"
    );

    // Values that parse but do not validate are named by setting too.
    let l = loaded(
        None,
        &[("SYNCWIRE_HEARTBEAT_TIMEOUT_MS", "10")],
        &["--open"],
    )
    .unwrap();
    let err = build(&l, Files::Read).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("`heartbeat_timeout_ms` (from env SYNCWIRE_HEARTBEAT_TIMEOUT_MS)"),
        "{text}"
    );
}

#[test]
fn a_secret_value_is_not_repeated_in_errors() {
    let err = loaded(Some("token = 42\n"), &[], &[]).unwrap_err();
    assert!(err.to_string().contains("`token`"), "{err}");
    assert!(!err.to_string().contains("42"), "{err}");
}

#[test]
fn an_unknown_key_in_the_file_is_an_error() {
    let err = loaded(Some("max_frame_byte = 10\n"), &[], &[]).unwrap_err();
    assert!(
        matches!(&err, ConfigError::Unknown { key, .. } if key == "max_frame_byte"),
        "{err}"
    );
    assert!(
        err.to_string().contains("unknown setting `max_frame_byte`"),
        "{err}"
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
fn secrets_come_from_files_or_env_never_only_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let tokens = dir.path().join("tokens");
    std::fs::write(&tokens, "writer write\n").unwrap();
    let metrics = dir.path().join("metrics-token");
    std::fs::write(&metrics, "m3trics\n").unwrap();
    let file = format!(
        "token_file = {:?}\nmetrics_token_file = {:?}\n",
        path(&tokens),
        path(&metrics)
    );
    let l = loaded(Some(&file), &[], &[]).unwrap();
    let config = build(&l, Files::Read).unwrap();
    assert_eq!(config.metrics_token(), Some("m3trics"));
    let l = loaded(
        None,
        &[("SYNCWIRE_METRICS_TOKEN", "e"), ("SYNCWIRE_OPEN", "true")],
        &[],
    )
    .unwrap();
    assert_eq!(build(&l, Files::Read).unwrap().metrics_token(), Some("e"));
    // A token file that is missing is named with its source.
    let l = loaded(None, &[("SYNCWIRE_TOKEN_FILE", "/nonexistent/tokens")], &[]).unwrap();
    let err = build(&l, Files::Read).unwrap_err();
    assert!(
        err.to_string()
            .contains("`token_file` (from env SYNCWIRE_TOKEN_FILE)"),
        "{err}"
    );
}

fn path(p: &Path) -> String {
    p.to_string_lossy().into_owned()
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
