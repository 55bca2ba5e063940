//! The `syncwire serve` flags of JWT authorization (docs/AUTH.md), in one place. Keys
//! and secrets come from files or the environment, never from the command line.

use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use syncwire_tokio::proto::hub::Authorizer;
use syncwire_tokio::server::{JwtAlgorithm, JwtAuthorizer};

/// JWT authorization (docs/AUTH.md).
#[derive(Args, Debug)]
#[command(next_help_heading = "JWT authorization (docs/AUTH.md)")]
pub(crate) struct JwtArgs {
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

impl JwtArgs {
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
