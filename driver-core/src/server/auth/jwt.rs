//! [`JwtAuthorizer`]: authorizes a session by the JSON Web Token in its `Hello`
//! (the token field, docs/PROTOCOL.md §3.1), verified with `jsonwebtoken`'s pure-Rust
//! crypto. HS256 takes a shared secret; RS256 and ES256 take the issuer's public key
//! as PEM. The token's `exp` is required; `nbf`, `aud` and `iss` are checked (`aud` and
//! `iss` when an expected value is configured, and then they are required), each with
//! [`LEEWAY`] for clock skew. The grant is the `syncwire` claim (`jwt_claims`,
//! docs/AUTH.md). Any failure is a refusal (`Reject unauthorized`, close 4002) whose
//! message says which check failed, never the token.
//!
//! It decides inline (verifying a signature is a few microseconds to a millisecond),
//! so both servers use it as a plain proto [`Authorizer`].

use std::path::Path;

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode};
use syncwire_proto::hub::{AuthDecision, AuthError, AuthRequest, Authorizer};

use super::jwt_claims::Claims;

/// Clock skew tolerated on `exp` and `nbf`, in seconds (a token is accepted up to this
/// long after it expired, and this long before it becomes valid).
pub const LEEWAY: u64 = 5;

/// The signature algorithms the authorizer accepts (one per authorizer: a token
/// whose header names another is refused).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JwtAlgorithm {
    /// HMAC-SHA256 with a shared secret.
    Hs256,
    /// RSASSA-PKCS1-v1_5 with SHA-256; the key is an RSA public key (PEM).
    Rs256,
    /// ECDSA P-256 with SHA-256; the key is an EC public key (PEM).
    Es256,
}

impl std::str::FromStr for JwtAlgorithm {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_uppercase().as_str() {
            "HS256" => Ok(JwtAlgorithm::Hs256),
            "RS256" => Ok(JwtAlgorithm::Rs256),
            "ES256" => Ok(JwtAlgorithm::Es256),
            _ => Err(format!(
                "unsupported JWT algorithm `{s}` (HS256, RS256, ES256)"
            )),
        }
    }
}

/// A key that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("JWT key: {0}")]
pub struct JwtKeyError(pub String);

/// Verifies tokens with one key and maps their `syncwire` claim to an identity.
#[derive(Clone)]
pub struct JwtAuthorizer {
    key: DecodingKey,
    validation: Validation,
}

impl std::fmt::Debug for JwtAuthorizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtAuthorizer")
            .field("algorithms", &self.validation.algorithms)
            .field("aud", &self.validation.aud)
            .field("iss", &self.validation.iss)
            .finish_non_exhaustive()
    }
}

impl JwtAuthorizer {
    /// HS256 with this shared secret (at least 32 bytes, as RFC 7518 §3.2 asks).
    pub fn hs256(secret: &[u8]) -> Result<Self, JwtKeyError> {
        if secret.len() < 32 {
            return Err(JwtKeyError(
                "an HS256 secret needs at least 32 bytes".into(),
            ));
        }
        Ok(Self::with_key(
            DecodingKey::from_secret(secret),
            Algorithm::HS256,
        ))
    }

    /// RS256 or ES256 with this public key (PEM: `PUBLIC KEY`, or for RSA also
    /// `RSA PUBLIC KEY`).
    pub fn from_public_pem(alg: JwtAlgorithm, pem: &[u8]) -> Result<Self, JwtKeyError> {
        let bad = |e: jsonwebtoken::errors::Error| JwtKeyError(e.to_string());
        match alg {
            JwtAlgorithm::Rs256 => Ok(Self::with_key(
                DecodingKey::from_rsa_pem(pem).map_err(bad)?,
                Algorithm::RS256,
            )),
            JwtAlgorithm::Es256 => Ok(Self::with_key(
                DecodingKey::from_ec_pem(pem).map_err(bad)?,
                Algorithm::ES256,
            )),
            JwtAlgorithm::Hs256 => Err(JwtKeyError("HS256 takes a secret, not a PEM".into())),
        }
    }

    /// [`from_public_pem`](Self::from_public_pem) with the PEM read from `path`.
    pub fn from_public_pem_file(alg: JwtAlgorithm, path: &Path) -> Result<Self, JwtKeyError> {
        let pem =
            std::fs::read(path).map_err(|e| JwtKeyError(format!("{}: {e}", path.display())))?;
        Self::from_public_pem(alg, &pem)
    }

    fn with_key(key: DecodingKey, alg: Algorithm) -> Self {
        let mut validation = Validation::new(alg);
        validation.leeway = LEEWAY;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        // Without an expected audience, `aud` is not looked at (set one in production).
        validation.validate_aud = false;
        validation.set_required_spec_claims(&["exp"]);
        JwtAuthorizer { key, validation }
    }

    /// Requires `aud` to be (or, for an array, contain) `audience`.
    pub fn with_audience(mut self, audience: &str) -> Self {
        self.validation.set_audience(&[audience]);
        self.validation.validate_aud = true;
        self.require("aud");
        self
    }

    /// Requires `iss` to be `issuer`.
    pub fn with_issuer(mut self, issuer: &str) -> Self {
        self.validation.set_issuer(&[issuer]);
        self.require("iss");
        self
    }

    fn require(&mut self, claim: &str) {
        let mut claims: Vec<String> = self
            .validation
            .required_spec_claims
            .iter()
            .cloned()
            .collect();
        claims.push(claim.to_owned());
        self.validation.set_required_spec_claims(&claims);
    }

    /// Verifies `token` and returns the identity it grants, or why not.
    pub fn verify(&self, token: &str) -> Result<syncwire_proto::hub::Identity, AuthError> {
        let data = decode::<Claims>(token, &self.key, &self.validation)
            .map_err(|e| AuthError(refusal(e.kind()).to_owned()))?;
        data.claims.identity().map_err(AuthError)
    }
}

/// The refusal message for a failed check (no detail that helps a forger).
fn refusal(kind: &ErrorKind) -> &'static str {
    match kind {
        ErrorKind::ExpiredSignature => "token expired",
        ErrorKind::ImmatureSignature => "token not yet valid",
        ErrorKind::InvalidAudience => "token audience not accepted",
        ErrorKind::InvalidIssuer => "token issuer not accepted",
        ErrorKind::InvalidSignature => "token signature invalid",
        ErrorKind::InvalidAlgorithm => "token algorithm not accepted",
        ErrorKind::MissingRequiredClaim(_) => "token lacks a required claim",
        _ => "token malformed",
    }
}

impl Authorizer for JwtAuthorizer {
    fn authorize(&self, request: &AuthRequest) -> AuthDecision {
        AuthDecision::Decided(match request.token.as_deref() {
            Some(token) => self.verify(token),
            None => Err(AuthError("missing token".to_owned())),
        })
    }
}

#[cfg(test)]
#[path = "jwt_tests.rs"]
mod tests;
