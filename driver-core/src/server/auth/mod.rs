//! Authorization every server shares:
//!
//! * [`ServerAuthorizer`]: the servers' authorizer — given the `Hello`'s
//!   [`AuthRequest`](syncwire_proto::hub::AuthRequest) and the connection's
//!   [`UpgradeRequest`] (headers, cookies, query string), it decides now or later
//!   ([`Verdict`]); a later answer is bounded by the server's `auth_timeout`.
//!   Proto [`Authorizer`](syncwire_proto::hub::Authorizer)s plug in through [`Inline`].
//! * [`JwtAuthorizer`]: JSON Web Tokens and the `syncwire` claim (docs/AUTH.md).
//! * [`origin_allowed`]: the browser-origin allow-list of the upgrade.

mod jwt;
mod jwt_claims;
mod server_authorizer;
mod upgrade;

pub use jwt::{JwtAlgorithm, JwtAuthorizer, JwtKeyError, LEEWAY};
pub use jwt_claims::Grant;
pub use server_authorizer::{AuthFailure, AuthFuture, Inline, ServerAuthorizer, Verdict};
pub use upgrade::{UpgradeRequest, origin_allowed};
