//! The loaded settings turned into the library's [`ServerConfig`]: the auth mode, TLS
//! and metrics token (reading the files they name), every limit, and validation, each
//! problem reported with the setting and where its value came from.

use std::sync::Arc;
use std::time::Duration;

use syncwire_tokio::proto::hub::{AllowAll, Authorizer, ConfigError as HubConfigError};
use syncwire_tokio::server::{ServerConfig, ServerError, Storage, TlsFiles, TokenAuthorizer};

use crate::auth;
use crate::layers::{ConfigError, Source};
use crate::load::Loaded;
use crate::settings::{Settings, hub_field_setting};

/// Whether [`build`] reads the files the settings name (token file, metrics token
/// file) or only checks the settings themselves (`--print-config`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Files {
    /// Read them (to serve).
    Read,
    /// Leave them (to print).
    Skip,
}

/// Builds and validates the server's configuration from `loaded`.
pub(crate) fn build(loaded: &Loaded<Settings>, files: Files) -> Result<ServerConfig, ConfigError> {
    let s = &loaded.settings;
    let mut config = ServerConfig::new(req(loaded, "addr", s.addr)?);
    match authorizer(loaded, files)? {
        Some(inline) => config.set_authorizer(inline),
        None => match auth::http_authorizer(loaded)? {
            Some(http) => config.set_server_authorizer(http),
            None => return Err(loaded.invalid("auth_url", "must be set")),
        },
    };
    auth::apply(loaded, &mut config)?;
    config.set_ws_path(req(loaded, "path", s.path.clone())?);
    config.set_static_dir(s.static_dir.clone());
    config.set_storage(storage(loaded)?);
    match (&s.tls_cert, &s.tls_key) {
        (Some(cert_chain), Some(private_key)) => config.set_tls(Some(TlsFiles {
            cert_chain: cert_chain.clone(),
            private_key: private_key.clone(),
        })),
        (None, None) => &mut config,
        (Some(_), None) => return Err(loaded.invalid("tls_cert", "needs tls_key too")),
        (None, Some(_)) => return Err(loaded.invalid("tls_key", "needs tls_cert too")),
    };
    config.set_metrics_addr(s.metrics_addr);
    config.set_metrics_token(metrics_token(loaded, files)?);
    config.set_ws_read_buffer(req(loaded, "ws_read_buffer", s.ws_read_buffer)?);
    config.set_ws_write_buffer(req(loaded, "ws_write_buffer", s.ws_write_buffer)?);
    config.set_outbound_capacity(req(loaded, "outbound_capacity", s.outbound_capacity)?);
    config.set_inbound_capacity(req(loaded, "inbound_capacity", s.inbound_capacity)?);
    let pending = req(loaded, "max_pending_upgrades", s.max_pending_upgrades)?;
    config.set_max_pending_upgrades(pending);
    config.set_storage_capacity(req(loaded, "storage_capacity", s.storage_capacity)?);
    config.set_storage_batch(req(loaded, "storage_batch", s.storage_batch)?);
    let grace = req(loaded, "shutdown_grace_ms", s.shutdown_grace_ms)?;
    config.set_shutdown_grace(Duration::from_millis(grace));
    hub_limits(loaded, config.hub_mut())?;
    config.validate().map_err(|e| validation(loaded, e))?;
    Ok(config)
}

/// Writes every hub setting into `hub`.
fn hub_limits(
    loaded: &Loaded<Settings>,
    hub: &mut syncwire_tokio::proto::hub::HubConfig,
) -> Result<(), ConfigError> {
    let s = &loaded.settings;
    let ms = |name, v: Option<u64>| req(loaded, name, v).map(Duration::from_millis);
    hub.max_frame_bytes = req(loaded, "max_frame_bytes", s.max_frame_bytes)?;
    hub.max_payload_bytes = req(loaded, "max_payload_bytes", s.max_payload_bytes)?;
    hub.max_presence_bytes = req(loaded, "max_presence_bytes", s.max_presence_bytes)?;
    hub.max_user_info_bytes = req(loaded, "max_user_info_bytes", s.max_user_info_bytes)?;
    hub.max_presence_members = req(loaded, "max_presence_members", s.max_presence_members)?;
    hub.presence_summary_interval = ms(
        "presence_summary_interval_ms",
        s.presence_summary_interval_ms,
    )?;
    hub.max_sessions = req(loaded, "max_sessions", s.max_sessions)?;
    hub.max_loaded_rooms = req(loaded, "max_loaded_rooms", s.max_loaded_rooms)?;
    hub.max_rooms_per_session = req(loaded, "max_rooms", s.max_rooms)?;
    hub.rate_frames_per_sec = req(loaded, "rate_frames_per_sec", s.rate_frames_per_sec)?;
    hub.rate_frame_burst = req(loaded, "rate_frame_burst", s.rate_frame_burst)?;
    hub.rate_bytes_per_sec = req(loaded, "rate_bytes_per_sec", s.rate_bytes_per_sec)?;
    hub.rate_byte_burst = req(loaded, "rate_byte_burst", s.rate_byte_burst)?;
    hub.rate_strikes_to_close = req(loaded, "rate_strikes", s.rate_strikes)?;
    hub.rate_strike_window = ms("rate_strike_window_ms", s.rate_strike_window_ms)?;
    hub.max_backlog_bytes = req(loaded, "max_backlog_bytes", s.max_backlog_bytes)?;
    hub.heartbeat_interval = ms("heartbeat_ms", s.heartbeat_ms)?;
    hub.heartbeat_timeout = ms("heartbeat_timeout_ms", s.heartbeat_timeout_ms)?;
    hub.handshake_timeout = ms("handshake_timeout_ms", s.handshake_timeout_ms)?;
    hub.batch_max_entries = req(loaded, "batch_max_entries", s.batch_max_entries)?;
    hub.batch_max_bytes = req(loaded, "batch_max_bytes", s.batch_max_bytes)?;
    hub.max_tail_entries = req(loaded, "max_tail_entries", s.max_tail_entries)?;
    hub.max_tail_bytes = req(loaded, "max_tail_bytes", s.max_tail_bytes)?;
    hub.max_pending_appends = req(loaded, "max_pending_appends", s.max_pending_appends)?;
    hub.room_idle_timeout = ms("room_idle_timeout_ms", s.room_idle_timeout_ms)?;
    hub.max_events = req(loaded, "max_events", s.max_events)?;
    hub.roster_interval = ms("roster_interval_ms", s.roster_interval_ms)?;
    hub.max_remote_peers = req(loaded, "max_remote_peers", s.max_remote_peers)?;
    Ok(())
}

/// The storage the settings choose: `redis` (exclusive with `memory` and a `data_dir`
/// given explicitly), else `memory`, else `data_dir` (the default).
fn storage(loaded: &Loaded<Settings>) -> Result<Storage, ConfigError> {
    let s = &loaded.settings;
    let chosen: Vec<&'static str> = [
        ("redis", s.redis.is_some()),
        ("memory", s.memory == Some(true)),
        ("data_dir", loaded.source("data_dir") != Source::Default),
    ]
    .into_iter()
    .filter_map(|(name, set)| set.then_some(name))
    .collect();
    if chosen.len() > 1 && s.redis.is_some() {
        let each: Vec<String> = chosen
            .iter()
            .map(|name| format!("`{name}` (from {})", loaded.source(name)))
            .collect();
        let why = format!("choose one storage, not {}", each.join(" and "));
        return Err(ConfigError::Conflict(why));
    }
    Ok(match &s.redis {
        Some(url) => Storage::Redis {
            url: url.clone(),
            wait_replicas: req(loaded, "redis_wait_replicas", s.redis_wait_replicas)?,
            allow_unsafe_durability: req(
                loaded,
                "redis_allow_unsafe_durability",
                s.redis_allow_unsafe_durability,
            )?,
        },
        None if s.memory == Some(true) => Storage::Memory,
        None => Storage::Redb {
            dir: req(loaded, "data_dir", s.data_dir.clone())?,
        },
    })
}

/// A setting that has a default is always set; `None` here is a bug in `settings`.
fn req<T>(loaded: &Loaded<Settings>, name: &'static str, v: Option<T>) -> Result<T, ConfigError> {
    v.ok_or_else(|| loaded.invalid(name, "must be set"))
}

/// The one auth mode the settings choose, as an inline authorizer; `None` for
/// `auth_url` (the HTTP authorizer decides later, [`auth::http_authorizer`]).
fn authorizer(
    loaded: &Loaded<Settings>,
    files: Files,
) -> Result<Option<Arc<dyn Authorizer>>, ConfigError> {
    let s = &loaded.settings;
    let chosen: Vec<&'static str> = [
        ("token", s.token.is_some()),
        ("token_file", s.token_file.is_some()),
        ("open", s.open == Some(true)),
        ("jwt_*", auth::jwt_chosen(s)),
        ("auth_url", s.auth_url.is_some()),
    ]
    .into_iter()
    .filter_map(|(name, set)| set.then_some(name))
    .collect();
    if chosen.len() > 1 {
        let each: Vec<String> = chosen
            .iter()
            .map(|name| match *name {
                "jwt_*" => "a JWT key (`jwt_*`)".to_owned(),
                name => format!("`{name}` (from {})", loaded.source(name)),
            })
            .collect();
        let why = format!("choose one auth mode, not {}", each.join(" and "));
        return Err(ConfigError::Conflict(why));
    }
    if s.auth_url.is_some() {
        return Ok(None);
    }
    if let Some(token) = &s.token {
        return Ok(Some(Arc::new(TokenAuthorizer::single(token.clone()))));
    }
    if let Some(file) = &s.token_file {
        if files == Files::Skip {
            return Ok(Some(Arc::new(TokenAuthorizer::default())));
        }
        return TokenAuthorizer::from_file(file)
            .map(|a| Some(Arc::new(a) as Arc<dyn Authorizer>))
            .map_err(|e| loaded.invalid("token_file", format!("{}: {e}", file.display())));
    }
    if let Some(jwt) = auth::jwt_authorizer(loaded, files)? {
        return Ok(Some(jwt));
    }
    if s.open == Some(true) {
        return Ok(Some(Arc::new(AllowAll)));
    }
    let why = "choose an auth mode: `token_file` (--token-file F), `token` \
               (SYNCWIRE_TOKEN or the config file), a JWT key (`jwt_*`, docs/AUTH.md), \
               `auth_url` or `open` (--open, development only)";
    Err(ConfigError::Conflict(why.to_owned()))
}

/// The metrics token, from `metrics_token` or the file `metrics_token_file`.
fn metrics_token(loaded: &Loaded<Settings>, files: Files) -> Result<Option<String>, ConfigError> {
    let s = &loaded.settings;
    match (&s.metrics_token, &s.metrics_token_file) {
        (Some(_), Some(_)) => {
            let why = format!(
                "choose one of `metrics_token` (from {}) and `metrics_token_file` (from {})",
                loaded.source("metrics_token"),
                loaded.source("metrics_token_file")
            );
            Err(ConfigError::Conflict(why))
        }
        (Some(token), None) => Ok(Some(token.trim().to_owned())),
        (None, Some(_)) if files == Files::Skip => Ok(Some("(not read)".to_owned())),
        (None, Some(file)) => match std::fs::read_to_string(file) {
            Ok(text) => Ok(Some(text.trim().to_owned())),
            Err(e) => Err(loaded.invalid("metrics_token_file", format!("{}: {e}", file.display()))),
        },
        (None, None) => Ok(None),
    }
}

/// A library validation error, named by setting where it names a field.
fn validation(loaded: &Loaded<Settings>, e: ServerError) -> ConfigError {
    match e {
        ServerError::HubConfig(HubConfigError::Invalid { field, reason }) => {
            match hub_field_setting(field) {
                Some(setting) => loaded.invalid(setting, reason),
                None => ConfigError::Conflict(format!("hub setting {field}: {reason}")),
            }
        }
        ServerError::Config(why) if why.starts_with("ws_path") => {
            loaded.invalid("path", why.trim_start_matches("ws_path ").to_owned())
        }
        ServerError::Config(why) if why.starts_with("max_pending_upgrades ") => {
            let reason = why.trim_start_matches("max_pending_upgrades ");
            loaded.invalid("max_pending_upgrades", reason.to_owned())
        }
        ServerError::Unsupported {
            setting: "wait_replicas",
            reason,
        } => loaded.invalid(
            "redis_wait_replicas",
            format!("not supported yet: {reason}"),
        ),
        ServerError::Config(why) if why.starts_with("metrics_token") => ConfigError::Invalid {
            setting: "metrics_token",
            source: [
                loaded.source("metrics_token"),
                loaded.source("metrics_token_file"),
            ]
            .into_iter()
            .find(|s| *s != Source::Default)
            .unwrap_or(Source::Default),
            reason: "must not be empty".to_owned(),
        },
        other => ConfigError::Conflict(other.to_string()),
    }
}
