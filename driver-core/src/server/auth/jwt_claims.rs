//! The syncwire grant (docs/AUTH.md) — which rooms the holder may read or write, by
//! name prefix, and which replica ids it may claim — as a JWT carries it (its
//! `syncwire` claim) and an HTTP authorization endpoint answers it; and its mapping
//! onto proto's [`Identity`] ([`AccessRule`] and [`ReplicaGrant`]), the same mapping
//! as the tokio server's token file.
//!
//! ```json
//! "syncwire": {
//!   "rooms": [ { "prefix": "team-a/", "access": "write" },
//!              { "prefix": "public/", "access": "read" } ],
//!   "replicas": [7, 8]          // or "1000-1999", or absent: any id
//! }
//! ```

use std::sync::Arc;

use serde::Deserialize;
use syncwire_proto::hub::{Access, AccessRule, Identity, ReplicaGrant};
use syncwire_proto::wire::RoomId;

/// The claims syncwire reads; the registered ones it checks (`exp`, `nbf`, `aud`,
/// `iss`) are validated by `jsonwebtoken` before these are looked at.
#[derive(Debug, Deserialize)]
pub(crate) struct Claims {
    /// The subject: the identity's name in logs (`jwt:<sub>`).
    #[serde(default)]
    pub(crate) sub: Option<String>,
    /// The grant; a token without it is refused.
    pub(crate) syncwire: Option<Grant>,
}

/// A grant: the `syncwire` claim of a JWT, and the grant fields of an HTTP
/// authorization endpoint's answer (docs/AUTH.md). Read it with serde.
/// Unknown fields are refused: a typo must not silently change a grant.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grant {
    /// Room grants; a room's access is the highest of the grants whose prefix it
    /// starts with (none: no access).
    #[serde(default)]
    rooms: Vec<RoomGrant>,
    /// The replica ids the holder may claim; absent: any.
    #[serde(default)]
    replicas: Option<Replicas>,
}

/// One `rooms` entry.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RoomGrant {
    /// Rooms whose name starts with this ("" = every room).
    prefix: String,
    /// `read` or `write` (write includes read).
    access: GrantAccess,
}

/// `read` or `write`.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
enum GrantAccess {
    /// Join and receive.
    Read,
    /// Join, receive and submit deltas.
    Write,
}

/// `replicas`: a list of ids or one inclusive range written `"low-high"`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Replicas {
    /// Exactly these ids.
    List(Vec<u64>),
    /// `"1000-1999"`.
    Range(String),
}

impl Replicas {
    fn grant(&self) -> Result<ReplicaGrant, String> {
        match self {
            Replicas::List(ids) => Ok(ReplicaGrant::only(ids.iter().copied())),
            Replicas::Range(text) => {
                let bad = || format!("replicas: `{text}` is not `low-high`");
                let (low, high) = text.split_once('-').ok_or_else(bad)?;
                let low: u64 = low.trim().parse().map_err(|_| bad())?;
                let high: u64 = high.trim().parse().map_err(|_| bad())?;
                if low > high {
                    return Err(bad());
                }
                Ok(ReplicaGrant::Range(low..=high))
            }
        }
    }
}

impl Claims {
    /// The identity these claims grant, or why they grant none.
    pub(crate) fn identity(self) -> Result<Identity, String> {
        let grant = self.syncwire.ok_or("token has no `syncwire` claim")?;
        let name = format!("jwt:{}", self.sub.as_deref().unwrap_or("-"));
        grant.into_identity(name)
    }
}

impl Grant {
    /// The identity named `name` this grant gives, or why the grant is unusable (a
    /// bad `replicas` range).
    pub fn into_identity(self, name: String) -> Result<Identity, String> {
        let replicas = match &self.replicas {
            Some(r) => r.grant()?,
            None => ReplicaGrant::Any,
        };
        let rooms = self.rooms;
        let rule: AccessRule = Arc::new(move |room: &RoomId| {
            let best = rooms
                .iter()
                .filter(|g| room.as_str().starts_with(&g.prefix))
                .map(|g| g.access)
                .max();
            match best {
                None => Access::None,
                Some(GrantAccess::Read) => Access::Read,
                Some(GrantAccess::Write) => Access::ReadWrite,
            }
        });
        Ok(Identity::with_rule(name, rule).with_replicas(replicas))
    }
}
