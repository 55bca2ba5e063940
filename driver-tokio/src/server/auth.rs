//! Token authorization for the binary: [`TokenAuthorizer`] maps bearer tokens from the
//! `Hello` to per-room access. The library takes any proto
//! [`syncwire_proto::hub::Authorizer`]; this is one ready-made kind.
//!
//! Token file format (one grant per line; `#` starts a comment; blank lines ignored):
//!
//! ```text
//! # token        access  room-prefix (optional; empty = every room)
//! s3cret-writer  write
//! viewer-token   read    public/
//! team-a-token   write   team-a/
//! ```
//!
//! `access` is `read` or `write` (`write` includes read). A session whose token is
//! missing or unknown is refused (`Reject unauthorized`, close 4002); rooms outside a
//! grant's prefix are `forbidden`.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use syncwire_proto::hub::{
    Access, AccessRule, AuthDecision, AuthError, AuthRequest, Authorizer, Identity,
};
use syncwire_proto::wire::RoomId;
use thiserror::Error;

/// What one token may do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenGrant {
    /// Read, or read and write.
    pub write: bool,
    /// Rooms whose name starts with this prefix ("" = all rooms).
    pub room_prefix: String,
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
            let room_prefix = words.next().unwrap_or("").to_owned();
            if words.next().is_some() {
                return Err(bad("too many fields"));
            }
            let grant = TokenGrant { write, room_prefix };
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

impl Authorizer for TokenAuthorizer {
    fn authorize(&self, request: &AuthRequest) -> AuthDecision {
        let found = request.token.as_deref().and_then(|t| self.grants.get(t));
        let Some(entry) = found else {
            return AuthDecision::Decided(Err(AuthError("missing or unknown token".to_owned())));
        };
        let name = format!("token#{}", entry.line);
        AuthDecision::Decided(Ok(Identity::with_rule(name, entry.rule.clone())))
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
}
