//! JWT authorizer: every check (signature, exp, nbf, aud, iss, algorithm) and the
//! mapping of the `syncwire` claim, with HS256, RS256 (test-only PEMs under
//! driver-core/testdata) and ES256 (a key generated here).

use jsonwebtoken::{EncodingKey, Header, encode};
use serde_json::{Value, json};
use syncwire_proto::hub::{Access, Identity, ReplicaGrant};
use syncwire_proto::wire::{ReplicaId, RoomId};

use super::*;

const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";
const RSA_PRIVATE: &[u8] = include_bytes!("../../../testdata/jwt-test-only-rsa-private.pem");
const RSA_PUBLIC: &[u8] = include_bytes!("../../../testdata/jwt-test-only-rsa-public.pem");

fn now() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

/// Claims valid for an hour with a write grant on `team-a/` and replicas 7, 8.
fn claims() -> Value {
    json!({
        "sub": "ann", "exp": now() + 3600, "aud": "syncwire", "iss": "https://auth.test",
        "syncwire": {
            "rooms": [{"prefix": "team-a/", "access": "write"},
                      {"prefix": "", "access": "read"}],
            "replicas": [7, 8]
        }
    })
}

fn hs(claims: &Value) -> String {
    encode(
        &Header::default(),
        claims,
        &EncodingKey::from_secret(SECRET),
    )
    .unwrap()
}

fn hs_auth() -> JwtAuthorizer {
    JwtAuthorizer::hs256(SECRET)
        .unwrap()
        .with_audience("syncwire")
        .with_issuer("https://auth.test")
}

fn refusal(auth: &JwtAuthorizer, token: &str) -> String {
    auth.verify(token).expect_err("refused").0
}

#[test]
fn a_valid_token_maps_its_grant() {
    let id: Identity = hs_auth().verify(&hs(&claims())).unwrap();
    assert_eq!(id.name, "jwt:ann");
    assert_eq!(id.access_to(&RoomId::new("team-a/doc")), Access::ReadWrite);
    assert_eq!(id.access_to(&RoomId::new("other")), Access::Read);
    assert!(id.replicas.allows(ReplicaId(8)) && !id.replicas.allows(ReplicaId(9)));
    let mut c = claims();
    c["syncwire"] = json!({"rooms": [{"prefix": "p/", "access": "read"}], "replicas": "100-199"});
    let id = hs_auth().verify(&hs(&c)).unwrap();
    assert_eq!(id.access_to(&RoomId::new("q")), Access::None);
    assert_eq!(id.replicas, ReplicaGrant::Range(100..=199));
    c["syncwire"] = json!({"rooms": []});
    assert_eq!(
        hs_auth().verify(&hs(&c)).unwrap().replicas,
        ReplicaGrant::Any
    );
}

#[test]
fn expired_and_not_yet_valid_tokens_are_refused_beyond_the_leeway() {
    let auth = hs_auth();
    let mut c = claims();
    c["exp"] = json!(now() - LEEWAY - 60);
    assert_eq!(refusal(&auth, &hs(&c)), "token expired");
    c["exp"] = json!(now() - 1);
    assert!(auth.verify(&hs(&c)).is_ok(), "within the leeway");
    let mut c = claims();
    c["nbf"] = json!(now() + LEEWAY + 60);
    assert_eq!(refusal(&auth, &hs(&c)), "token not yet valid");
    let mut c = claims();
    c.as_object_mut().unwrap().remove("exp");
    assert_eq!(refusal(&auth, &hs(&c)), "token lacks a required claim");
}

#[test]
fn wrong_signature_audience_issuer_and_claim_are_refused() {
    let auth = hs_auth();
    let other = EncodingKey::from_secret(b"another secret of 32 bytes or more!!");
    let forged = encode(&Header::default(), &claims(), &other).unwrap();
    assert_eq!(refusal(&auth, &forged), "token signature invalid");
    let mut c = claims();
    c["aud"] = json!("someone-else");
    assert_eq!(refusal(&auth, &hs(&c)), "token audience not accepted");
    let mut c = claims();
    c["iss"] = json!("https://evil.test");
    assert_eq!(refusal(&auth, &hs(&c)), "token issuer not accepted");
    let mut c = claims();
    c.as_object_mut().unwrap().remove("aud");
    assert_eq!(refusal(&auth, &hs(&c)), "token lacks a required claim");
    let mut c = claims();
    c.as_object_mut().unwrap().remove("syncwire");
    assert_eq!(refusal(&auth, &hs(&c)), "token has no `syncwire` claim");
    c["syncwire"] = json!({"rooms": [], "replicas": "9-1"});
    assert!(refusal(&auth, &hs(&c)).contains("replicas"));
    assert_eq!(refusal(&auth, "not.a.jwt"), "token malformed");
    assert!(JwtAuthorizer::hs256(b"short").is_err());
}

#[test]
fn rs256_with_a_public_key_pem() {
    let auth = JwtAuthorizer::from_public_pem(JwtAlgorithm::Rs256, RSA_PUBLIC).unwrap();
    let key = EncodingKey::from_rsa_pem(RSA_PRIVATE).unwrap();
    let token = encode(&Header::new(Algorithm::RS256), &claims(), &key).unwrap();
    assert_eq!(auth.verify(&token).unwrap().name, "jwt:ann");
    // An HS256 token signed with the public key as secret (algorithm confusion).
    let confused = encode(
        &Header::default(),
        &claims(),
        &EncodingKey::from_secret(RSA_PUBLIC),
    );
    assert_eq!(
        refusal(&auth, &confused.unwrap()),
        "token algorithm not accepted"
    );
}

#[test]
fn es256_with_a_generated_key() {
    let pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let public = pair.public_key_pem();
    let auth = JwtAuthorizer::from_public_pem(JwtAlgorithm::Es256, public.as_bytes()).unwrap();
    let key = EncodingKey::from_ec_pem(pair.serialize_pem().as_bytes()).unwrap();
    let token = encode(&Header::new(Algorithm::ES256), &claims(), &key).unwrap();
    assert!(auth.verify(&token).is_ok());
    let stranger = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let key = EncodingKey::from_ec_pem(stranger.serialize_pem().as_bytes()).unwrap();
    let token = encode(&Header::new(Algorithm::ES256), &claims(), &key).unwrap();
    assert_eq!(refusal(&auth, &token), "token signature invalid");
    assert!("es256".parse::<JwtAlgorithm>().is_ok() && "none".parse::<JwtAlgorithm>().is_err());
}
