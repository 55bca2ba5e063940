//! The `syncwire serve` flags of authorization beyond static tokens (docs/AUTH.md), in
//! one place: JWT, an HTTP authorization endpoint, the authorization timeout and the
//! origin allow-list. Keys and
//! secrets come from files or the environment, never from the command line.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use syncwire_tokio::proto::hub::Authorizer;
use syncwire_tokio::server::auth::ServerAuthorizer;
use syncwire_tokio::server::{HttpAuthorizer, JwtAlgorithm, JwtAuthorizer, ServerConfig};

/// Authorization (docs/AUTH.md).
#[derive(Args, Debug)]
#[command(next_help_heading = "Authorization (docs/AUTH.md)")]
pub(crate) struct AuthArgs {
    /// Allow WebSocket upgrades from this browser origin only (repeatable, e.g.
    /// https://app.example); others get HTTP 403. Requests without Origin are allowed.
    #[arg(long, value_name = "ORIGIN")]
    allow_origin: Vec<String>,
    /// Longest wait for a deferred authorization, in ms (then Reject internal, 1011).
    #[arg(long, default_value_t = 5000, value_name = "MS")]
    auth_timeout_ms: u64,
    /// Ask this HTTP endpoint about each session (POST; docs/AUTH.md §4; http:// only).
    #[arg(long, group = "auth", value_name = "URL")]
    auth_url: Option<String>,
    /// Verify HS256 tokens with the secret in this file (trailing newline ignored).
    #[arg(long, group = "auth", value_name = "FILE")]
    jwt_hs256_secret_file: Option<PathBuf>,
    /// Verify HS256 tokens with the secret in this environment variable.
    #[arg(long, group = "auth", value_name = "VAR")]
    jwt_hs256_secret_env: Option<String>,
    /// Verify tokens with this public key (PEM); needs --jwt-alg RS256 or ES256.
    #[arg(long, group = "auth", requires = "jwt_alg", value_name = "FILE")]
    jwt_public_key: Option<PathBuf>,
    /// The algorithm of --jwt-public-key: RS256 or ES256.
    #[arg(long, requires = "jwt_public_key", value_name = "ALG")]
    jwt_alg: Option<JwtAlgorithm>,
    /// Require the tokens' `aud` to be (or contain) this.
    #[arg(long, value_name = "AUD")]
    jwt_audience: Option<String>,
    /// Require the tokens' `iss` to be this.
    #[arg(long, value_name = "ISS")]
    jwt_issuer: Option<String>,
}

impl AuthArgs {
    /// Writes the origin allow-list and the authorization timeout into `config`.
    pub(crate) fn apply(&self, config: &mut ServerConfig) {
        config.set_allowed_origins(self.allow_origin.clone());
        config.set_auth_timeout(Duration::from_millis(self.auth_timeout_ms));
    }

    /// The HTTP authorizer `--auth-url` asks for, if it does.
    pub(crate) fn http_authorizer(&self) -> Result<Option<Arc<dyn ServerAuthorizer>>, String> {
        let Some(url) = &self.auth_url else {
            return Ok(None);
        };
        Ok(Some(Arc::new(HttpAuthorizer::new(url)?)))
    }

    /// The JWT authorizer these flags ask for, `Ok(None)` if they ask for none.
    pub(crate) fn authorizer(&self) -> Result<Option<Arc<dyn Authorizer>>, String> {
        let auth = if let Some(file) = &self.jwt_hs256_secret_file {
            let secret = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
            JwtAuthorizer::hs256(trim_newline(&secret))
        } else if let Some(var) = &self.jwt_hs256_secret_env {
            let secret = std::env::var(var).map_err(|e| format!("${var}: {e}"))?;
            JwtAuthorizer::hs256(trim_newline(secret.as_bytes()))
        } else if let (Some(file), Some(alg)) = (&self.jwt_public_key, self.jwt_alg) {
            JwtAuthorizer::from_public_pem_file(alg, file)
        } else {
            if self.jwt_audience.is_some() || self.jwt_issuer.is_some() {
                return Err("--jwt-audience and --jwt-issuer need a JWT key".to_owned());
            }
            return Ok(None);
        };
        let mut auth = auth.map_err(|e| e.to_string())?;
        if let Some(aud) = &self.jwt_audience {
            auth = auth.with_audience(aud);
        }
        if let Some(iss) = &self.jwt_issuer {
            auth = auth.with_issuer(iss);
        }
        Ok(Some(Arc::new(auth)))
    }
}

fn trim_newline(secret: &[u8]) -> &[u8] {
    secret.strip_suffix(b"\n").unwrap_or(secret)
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        auth: AuthArgs,
    }

    fn parse(args: &[&str]) -> Result<AuthArgs, clap::Error> {
        Cli::try_parse_from(std::iter::once("syncwire").chain(args.iter().copied())).map(|c| c.auth)
    }

    #[test]
    fn jwt_flags_make_an_authorizer_from_files_or_the_environment() {
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("secret");
        std::fs::write(&secret, "a test-only secret of 32 bytes or more\n").unwrap();
        let path = secret.to_str().unwrap();
        let args = parse(&["--jwt-hs256-secret-file", path, "--jwt-audience", "hub"]).unwrap();
        assert!(args.authorizer().unwrap().is_some());
        std::fs::write(&secret, "short").unwrap();
        assert!(
            parse(&["--jwt-hs256-secret-file", path])
                .unwrap()
                .authorizer()
                .is_err()
        );
        let unset = [
            "--jwt-hs256-secret-env",
            "SYNCWIRE_TEST_SURELY_UNSET_VARIABLE",
        ];
        assert!(parse(&unset).unwrap().authorizer().is_err());
        assert!(
            parse(&["--jwt-audience", "hub"])
                .unwrap()
                .authorizer()
                .is_err()
        );
        assert!(parse(&[]).unwrap().authorizer().unwrap().is_none());
        assert!(
            parse(&["--jwt-public-key", path]).is_err(),
            "needs --jwt-alg"
        );
        assert!(parse(&["--jwt-alg", "HS512", "--jwt-public-key", path]).is_err());
        let two_keys = [
            "--jwt-hs256-secret-file",
            path,
            "--jwt-public-key",
            path,
            "--jwt-alg",
            "ES256",
        ];
        assert!(parse(&two_keys).is_err(), "one authorizer");
    }

    #[test]
    fn origin_timeout_and_url_flags_reach_the_config() {
        let args = parse(&[
            "--allow-origin",
            "https://a.example",
            "--allow-origin",
            "https://b.example",
            "--auth-timeout-ms",
            "1500",
        ])
        .unwrap();
        let mut config = ServerConfig::new("127.0.0.1:0".parse().unwrap());
        args.apply(&mut config);
        assert_eq!(
            config.allowed_origins(),
            ["https://a.example", "https://b.example"]
        );
        assert_eq!(config.auth_timeout(), Duration::from_millis(1500));
        assert!(args.http_authorizer().unwrap().is_none());
        let url = parse(&["--auth-url", "http://127.0.0.1:9/auth"]).unwrap();
        assert!(url.http_authorizer().unwrap().is_some());
        let tls = parse(&["--auth-url", "https://auth.example/x"]).unwrap();
        assert!(tls.http_authorizer().is_err());
        let defaults = parse(&[]).unwrap();
        let mut config = ServerConfig::new("127.0.0.1:0".parse().unwrap());
        defaults.apply(&mut config);
        assert!(config.allowed_origins().is_empty());
        assert_eq!(config.auth_timeout(), Duration::from_secs(5));
    }
}
