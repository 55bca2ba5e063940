//! The authorization settings beyond static tokens (docs/AUTH.md) turned into the
//! server's: a JWT authorizer (`jwt_*`), an HTTP authorization endpoint (`auth_url`),
//! the authorization timeout and the browser origin allow-list. Keys and secrets come
//! from files, the environment or the config file, never only from the command line.

use std::sync::Arc;
use std::time::Duration;

use syncwire_tokio::proto::hub::Authorizer;
use syncwire_tokio::server::auth::ServerAuthorizer;
use syncwire_tokio::server::{HttpAuthorizer, JwtAlgorithm, JwtAuthorizer, ServerConfig};

use crate::apply::Files;
use crate::layers::ConfigError;
use crate::load::Loaded;
use crate::settings::Settings;

/// Whether any JWT key setting is given (the JWT auth mode).
pub(crate) fn jwt_chosen(s: &Settings) -> bool {
    s.jwt_hs256_secret_file.is_some() || s.jwt_hs256_secret.is_some() || s.jwt_public_key.is_some()
}

/// Writes the origin allow-list and the authorization timeout into `config`.
pub(crate) fn apply(
    loaded: &Loaded<Settings>,
    config: &mut ServerConfig,
) -> Result<(), ConfigError> {
    let s = &loaded.settings;
    let origins: Vec<String> = s
        .allow_origin
        .iter()
        .flat_map(|list| list.split(','))
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .map(str::to_owned)
        .collect();
    config.set_allowed_origins(origins);
    let ms = s
        .auth_timeout_ms
        .ok_or_else(|| loaded.invalid("auth_timeout_ms", "must be set"))?;
    if ms == 0 {
        return Err(loaded.invalid("auth_timeout_ms", "must be above 0"));
    }
    config.set_auth_timeout(Duration::from_millis(ms));
    Ok(())
}

/// The HTTP authorizer `auth_url` asks for, if it does.
pub(crate) fn http_authorizer(
    loaded: &Loaded<Settings>,
) -> Result<Option<Arc<dyn ServerAuthorizer>>, ConfigError> {
    let Some(url) = &loaded.settings.auth_url else {
        return Ok(None);
    };
    let http = HttpAuthorizer::new(url).map_err(|e| loaded.invalid("auth_url", e))?;
    Ok(Some(Arc::new(http)))
}

/// The JWT authorizer the `jwt_*` settings ask for, `Ok(None)` if they ask for none.
/// With [`Files::Skip`] the key files are not read (a placeholder key checks nothing).
pub(crate) fn jwt_authorizer(
    loaded: &Loaded<Settings>,
    files: Files,
) -> Result<Option<Arc<dyn Authorizer>>, ConfigError> {
    let s = &loaded.settings;
    let keys = [
        ("jwt_hs256_secret_file", s.jwt_hs256_secret_file.is_some()),
        ("jwt_hs256_secret", s.jwt_hs256_secret.is_some()),
        ("jwt_public_key", s.jwt_public_key.is_some()),
    ];
    let given: Vec<&str> = keys.iter().filter(|k| k.1).map(|k| k.0).collect();
    if given.len() > 1 {
        let why = format!("choose one JWT key, not `{}`", given.join("` and `"));
        return Err(ConfigError::Conflict(why));
    }
    let alg = match &s.jwt_alg {
        Some(a) => Some(parse_alg(a).map_err(|e| loaded.invalid("jwt_alg", e))?),
        None => None,
    };
    let auth = if let Some(file) = &s.jwt_hs256_secret_file {
        let secret = match files {
            Files::Read => std::fs::read(file).map_err(|e| {
                loaded.invalid("jwt_hs256_secret_file", format!("{}: {e}", file.display()))
            })?,
            Files::Skip => vec![b'x'; 32],
        };
        JwtAuthorizer::hs256(trim_newline(&secret))
            .map_err(|e| loaded.invalid("jwt_hs256_secret_file", e.to_string()))?
    } else if let Some(secret) = &s.jwt_hs256_secret {
        // A secret: the error does not repeat it.
        JwtAuthorizer::hs256(trim_newline(secret.as_bytes()))
            .map_err(|e| loaded.invalid("jwt_hs256_secret", e.to_string()))?
    } else if let Some(file) = &s.jwt_public_key {
        let Some(alg) = alg else {
            return Err(loaded.invalid("jwt_public_key", "needs jwt_alg (RS256 or ES256)"));
        };
        if files == Files::Skip {
            return Ok(Some(Arc::new(syncwire_tokio::proto::hub::AllowAll)));
        }
        JwtAuthorizer::from_public_pem_file(alg, file)
            .map_err(|e| loaded.invalid("jwt_public_key", e.to_string()))?
    } else {
        for name in ["jwt_alg", "jwt_audience", "jwt_issuer"] {
            if loaded.source(name) != crate::layers::Source::Default {
                return Err(loaded.invalid(
                    name,
                    "needs a JWT key (jwt_hs256_secret_file, jwt_hs256_secret or jwt_public_key)",
                ));
            }
        }
        return Ok(None);
    };
    let mut auth = auth;
    if let Some(aud) = &s.jwt_audience {
        auth = auth.with_audience(aud);
    }
    if let Some(iss) = &s.jwt_issuer {
        auth = auth.with_issuer(iss);
    }
    Ok(Some(Arc::new(auth)))
}

fn parse_alg(text: &str) -> Result<JwtAlgorithm, String> {
    text.parse::<JwtAlgorithm>().map_err(|e| e.to_string())
}

fn trim_newline(secret: &[u8]) -> &[u8] {
    secret.strip_suffix(b"\n").unwrap_or(secret)
}
