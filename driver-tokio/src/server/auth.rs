//! Token authorization for the binary: [`TokenAuthorizer`] maps bearer tokens from the
//! `Hello` to per-room access. The library takes any proto
//! [`syncwire_proto::hub::Authorizer`] or a [`ServerAuthorizer`] (which also sees the
//! upgrade request and may decide later); this is one ready-made kind. The
//! authorization shared with the async-std server (the server authorizer, the upgrade
//! request, JWT, the origin check) is driver-core's, re-exported here.
//!
//! Token file format (one grant per line; `#` starts a comment; blank lines ignored):
//!
//! ```text
//! # token        access  room-prefix (optional; empty = every room)  replicas (optional)
//! s3cret-writer  write
//! viewer-token   read    public/
//! team-a-token   write   team-a/
//! sensor-7       write   sensors/  replicas=7
//! fleet-token    write   replicas=1000-1999
//! ```
//!
//! `access` is `read` or `write` (`write` includes read). A session whose token is
//! missing or unknown is refused (`Reject unauthorized`, close 4002); rooms outside a
//! grant's prefix are `forbidden`. A field `replicas=` restricts the replica ids the
//! token may claim in its `Hello` — a comma-separated list of ids (`replicas=7,8`) or
//! one inclusive range (`replicas=1000-1999`), decimal; without it any id may be
//! claimed. A claim outside it is refused (`Reject replica_forbidden`, close 4014).

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use syncwire_proto::hub::{
    Access, AccessRule, AuthDecision, AuthError, AuthRequest, Authorizer, Identity, ReplicaGrant,
};
use syncwire_proto::wire::RoomId;
use thiserror::Error;

pub use syncwire_driver_core::server::auth::{
    AuthFailure, AuthFuture, Inline, JwtAlgorithm, JwtAuthorizer, JwtKeyError, LEEWAY,
    ServerAuthorizer, UpgradeRequest, Verdict, origin_allowed,
};

/// What one token may do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenGrant {
    /// Read, or read and write.
    pub write: bool,
    /// Rooms whose name starts with this prefix ("" = all rooms).
    pub room_prefix: String,
    /// The replica ids the token may claim.
    pub replicas: ReplicaGrant,
}

/// A token file line that does not parse.
#[derive(Debug, Error, PartialEq, Eq)]
#[error("token file line {line}: {reason}")]
pub struct TokenFileError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub reason: String,
}

/// Authorizes sessions by a static table of tokens.
#[derive(Clone, Debug, Default)]
pub struct TokenAuthorizer {
    grants: HashMap<String, Entry>,
}

/// A grant, its line in the file, and its access rule, built once and shared by every
/// session of the token (nothing allocated for it per session).
#[derive(Clone)]
struct Entry {
    line: usize,
    grant: TokenGrant,
    rule: AccessRule,
}

impl Entry {
    fn new(line: usize, grant: TokenGrant) -> Self {
        let g = grant.clone();
        let rule: AccessRule = Arc::new(move |room: &RoomId| {
            if !room.as_str().starts_with(&g.room_prefix) {
                Access::None
            } else if g.write {
                Access::ReadWrite
            } else {
                Access::Read
            }
        });
        Entry { line, grant, rule }
    }
}

impl std::fmt::Debug for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Entry")
            .field("line", &self.line)
            .field("grant", &self.grant)
            .finish_non_exhaustive()
    }
}

impl TokenAuthorizer {
    /// One token with read-write access to every room.
    pub fn single(token: impl Into<String>) -> Self {
        let mut grants = HashMap::new();
        let grant = TokenGrant {
            write: true,
            room_prefix: String::new(),
            replicas: ReplicaGrant::Any,
        };
        grants.insert(token.into(), Entry::new(1, grant));
        TokenAuthorizer { grants }
    }

    /// Parses the token file format described in the module docs.
    pub fn parse(text: &str) -> Result<Self, TokenFileError> {
        let mut grants = HashMap::new();
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let content = raw.split('#').next().unwrap_or("");
            let mut words = content.split_whitespace();
            let Some(token) = words.next() else { continue };
            let bad = |reason: &str| TokenFileError {
                line,
                reason: reason.to_owned(),
            };
            let write = match words.next() {
                Some("write") => true,
                Some("read") => false,
                Some(_) => return Err(bad("access must be `read` or `write`")),
                None => return Err(bad("missing access (`read` or `write`)")),
            };
            let mut room_prefix = None;
            let mut replicas = None;
            for word in words {
                if let Some(list) = word.strip_prefix("replicas=") {
                    if replicas.is_some() {
                        return Err(bad("`replicas=` given twice"));
                    }
                    replicas = Some(parse_replicas(list).map_err(bad)?);
                } else if room_prefix.is_none() {
                    room_prefix = Some(word.to_owned());
                } else {
                    return Err(bad("too many fields"));
                }
            }
            let grant = TokenGrant {
                write,
                room_prefix: room_prefix.unwrap_or_default(),
                replicas: replicas.unwrap_or_default(),
            };
            if grants
                .insert(token.to_owned(), Entry::new(line, grant))
                .is_some()
            {
                return Err(bad("duplicate token"));
            }
        }
        if grants.is_empty() {
            return Err(TokenFileError {
                line: 0,
                reason: "no tokens".to_owned(),
            });
        }
        Ok(TokenAuthorizer { grants })
    }

    /// Reads and parses a token file.
    pub fn from_file(path: &Path) -> Result<Self, TokenFileError> {
        let text = std::fs::read_to_string(path).map_err(|e| TokenFileError {
            line: 0,
            reason: format!("{}: {e}", path.display()),
        })?;
        Self::parse(&text)
    }
}

/// Parses the value of a `replicas=` field: `7,8,9` or `1000-1999`.
fn parse_replicas(list: &str) -> Result<ReplicaGrant, &'static str> {
    let id = |s: &str| s.parse::<u64>().map_err(|_| "replica ids are decimal u64");
    if let Some((first, last)) = list.split_once('-') {
        let (first, last) = (id(first)?, id(last)?);
        if first > last {
            return Err("replica range must go from low to high");
        }
        return Ok(ReplicaGrant::Range(first..=last));
    }
    let ids = list.split(',').map(id).collect::<Result<Vec<_>, _>>()?;
    Ok(ReplicaGrant::only(ids))
}

impl Authorizer for TokenAuthorizer {
    fn authorize(&self, request: &AuthRequest) -> AuthDecision {
        let found = request.token.as_deref().and_then(|t| self.grants.get(t));
        let Some(entry) = found else {
            return AuthDecision::Decided(Err(AuthError("missing or unknown token".to_owned())));
        };
        let name = format!("token#{}", entry.line);
        let identity = Identity::with_rule(name, entry.rule.clone());
        AuthDecision::Decided(Ok(identity.with_replicas(entry.grant.replicas.clone())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use syncwire_proto::wire::ReplicaId;

    fn ask(auth: &TokenAuthorizer, token: Option<&str>) -> Result<Identity, AuthError> {
        let req = AuthRequest {
            session: Default::default(),
            token: token.map(str::to_owned),
            replica: ReplicaId(1),
            user_info: None,
        };
        match auth.authorize(&req) {
            AuthDecision::Decided(r) => r,
            AuthDecision::Defer => panic!("token authorizer never defers"),
        }
    }

    #[test]
    fn grants_follow_the_file() {
        let auth = TokenAuthorizer::parse("# c\nw write\n\nr read pub/ # viewer\n").unwrap();
        let w = ask(&auth, Some("w")).unwrap();
        assert_eq!(w.access_to(&RoomId::new("x")), Access::ReadWrite);
        let r = ask(&auth, Some("r")).unwrap();
        assert_eq!(r.access_to(&RoomId::new("pub/a")), Access::Read);
        assert_eq!(r.access_to(&RoomId::new("priv")), Access::None);
        assert!(ask(&auth, Some("nope")).is_err());
        assert!(ask(&auth, None).is_err());
        // Sessions of one token share its rule (no allocation per idle session).
        let again = ask(&auth, Some("r")).unwrap();
        assert!(Arc::ptr_eq(&r.access, &again.access));
    }

    #[test]
    fn bad_files_are_refused_with_the_line() {
        assert_eq!(
            TokenAuthorizer::parse("a write\nb rw\n").unwrap_err().line,
            2
        );
        assert_eq!(TokenAuthorizer::parse("a\n").unwrap_err().line, 1);
        assert_eq!(
            TokenAuthorizer::parse("a read\na write\n")
                .unwrap_err()
                .line,
            2
        );
        assert!(TokenAuthorizer::parse("# nothing\n").is_err());
        let single = TokenAuthorizer::single("t");
        assert!(ask(&single, Some("t")).is_ok());
    }

    #[test]
    fn replica_restrictions_follow_the_file() {
        let text = "a write room/ replicas=7,8\nb read replicas=100-199\nc write\n";
        let auth = TokenAuthorizer::parse(text).unwrap();
        let a = ask(&auth, Some("a")).unwrap();
        assert!(a.replicas.allows(ReplicaId(8)) && !a.replicas.allows(ReplicaId(9)));
        assert_eq!(a.access_to(&RoomId::new("room/x")), Access::ReadWrite);
        assert_eq!(a.access_to(&RoomId::new("x")), Access::None);
        let b = ask(&auth, Some("b")).unwrap();
        assert!(b.replicas.allows(ReplicaId(100)) && b.replicas.allows(ReplicaId(199)));
        assert!(!b.replicas.allows(ReplicaId(200)));
        assert_eq!(b.access_to(&RoomId::new("any")), Access::Read);
        assert_eq!(ask(&auth, Some("c")).unwrap().replicas, ReplicaGrant::Any);
        for bad in [
            "a write replicas=x\n",
            "a write replicas=9-1\n",
            "a write replicas=1 replicas=2\n",
            "a write p/ q/\n",
            "a write replicas=\n",
        ] {
            assert_eq!(TokenAuthorizer::parse(bad).unwrap_err().line, 1, "{bad}");
        }
    }
}
