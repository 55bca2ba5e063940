//! Authorization every server shares: [`JwtAuthorizer`] (JSON Web Tokens, the
//! `syncwire` claim of docs/AUTH.md).

mod jwt;
mod jwt_claims;

pub use jwt::{JwtAlgorithm, JwtAuthorizer, JwtKeyError, LEEWAY};
