//! Tests of the configuration layers: precedence (file < env < flag), the printed
//! configuration loading back as the same one, errors naming the setting and its
//! source, unknown file keys refused, secrets (and a URL's password) never printed.
//! What the settings become is tested in `apply_tests`. Every test passes its own env
//! map (never the process environment) and its own temporary files ([`loaded`]).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use crate::apply::{Files, build};
use crate::layers::{ConfigError, Layered, Source};
use crate::load::{Inputs, Loaded, load, print};
use crate::settings::Settings;

/// Loads with `file` (TOML text, if any), `env` and the command-line `args` (after
/// `syncwire serve`), exactly as the binary does.
pub(crate) fn loaded(
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

/// `p` as a setting's text.
fn path(p: &Path) -> String {
    p.to_string_lossy().into_owned()
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

#[test]
fn a_password_in_the_redis_url_is_not_printed() {
    let env = [("SYNCWIRE_REDIS", "redis://app:s3cret-pw@10.0.0.5:6379/0")];
    let text = print(&loaded(None, &env, &[]).unwrap());
    assert!(!text.contains("s3cret-pw"), "{text}");
    assert!(
        text.contains(
            r#"redis = "redis://app:***@10.0.0.5:6379/0"  # env SYNCWIRE_REDIS, password not shown"#
        ),
        "{text}"
    );
}
