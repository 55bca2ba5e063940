//! The hex examples in docs/PROTOCOL.md are part of the contract: each must decode to
//! the frame type its block names, re-encode to the same bytes, and match its
//! diagnostic-notation line, and every CRDT payload it carries (delta or snapshot)
//! must be valid for the frame's CRDT tag by the built-in registry (docs/CRDTS.md).
//! Every frame type must have an example.

use super::diag::diag;
use crate::crdt::Registry;
use crate::wire::Frame;

const SPEC: &str = include_str!("../../../../docs/PROTOCOL.md");

const ALL_FRAMES: &[&str] = &[
    "Hello",
    "Welcome",
    "Reject",
    "Join",
    "Joined",
    "Leave",
    "ClientDelta",
    "HubDelta",
    "DeltaBatch",
    "Ack",
    "Ping",
    "Pong",
    "SetPresence",
    "Presence",
    "Peers",
];

#[derive(Debug, Default)]
struct Example {
    frame: String,
    diag: String,
    hex: String,
}

fn examples() -> Vec<Example> {
    let mut out = Vec::new();
    let mut current: Option<Example> = None;
    for line in SPEC.lines() {
        let line = line.trim();
        if line == "```cbor-example" {
            current = Some(Example::default());
        } else if line == "```" {
            if let Some(ex) = current.take() {
                out.push(ex);
            }
        } else if let Some(ex) = current.as_mut() {
            if let Some(v) = line.strip_prefix("frame:") {
                ex.frame = v.trim().to_string();
            } else if let Some(v) = line.strip_prefix("diag:") {
                ex.diag = v.trim().to_string();
            } else if let Some(v) = line.strip_prefix("hex:") {
                ex.hex.push_str(v);
            }
        }
    }
    out
}

fn unhex(s: &str) -> Vec<u8> {
    let digits: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    assert!(digits.len() % 2 == 0, "odd number of hex digits in {s:?}");
    digits
        .chunks(2)
        .map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).expect("hex digit"))
        .collect()
}

#[test]
fn every_example_decodes_reencodes_and_matches_its_diagnostic() {
    let all = examples();
    assert!(
        !all.is_empty(),
        "docs/PROTOCOL.md has no cbor-example blocks"
    );
    for ex in &all {
        let bytes = unhex(&ex.hex);
        let frame = Frame::decode(&bytes)
            .unwrap_or_else(|e| panic!("example {} does not decode: {e}", ex.frame));
        assert_eq!(
            frame.name(),
            ex.frame,
            "example labelled {} decodes as {}",
            ex.frame,
            frame.name()
        );
        assert_eq!(
            frame.encode(),
            bytes,
            "example {} does not re-encode to the same bytes",
            ex.frame
        );
        assert_eq!(
            diag(&bytes),
            ex.diag,
            "diagnostic line of example {} does not match its bytes",
            ex.frame
        );
    }
}

#[test]
fn every_frame_type_has_an_example() {
    let all = examples();
    for name in ALL_FRAMES {
        assert!(
            all.iter().any(|e| e.frame == *name),
            "docs/PROTOCOL.md lacks an example of {name}"
        );
    }
}

/// The CRDT tag and the CRDT payloads (deltas, snapshot) a frame carries.
fn crdt_payloads(frame: &Frame) -> Option<(&str, Vec<&[u8]>)> {
    match frame {
        Frame::Joined(j) => Some((&j.crdt, j.snapshot.iter().map(|b| &b[..]).collect())),
        Frame::ClientDelta(d) => Some((&d.crdt, vec![&d.payload[..]])),
        Frame::HubDelta(d) => Some((&d.crdt, vec![&d.payload[..]])),
        Frame::DeltaBatch(b) => Some((&b.crdt, b.entries.iter().map(|e| &e.payload[..]).collect())),
        _ => None,
    }
}

#[test]
fn every_example_payload_is_valid_for_its_crdt_type() {
    let registry = Registry::with_builtin();
    let mut checked = 0;
    for ex in examples() {
        let frame = Frame::decode(&unhex(&ex.hex)).expect("examples decode");
        let Some((tag, payloads)) = crdt_payloads(&frame) else {
            continue;
        };
        assert!(
            registry.contains(tag),
            "example {} names CRDT {tag:?}, which CRDTS.md does not define",
            ex.frame
        );
        for p in payloads {
            registry.validate(tag, p).unwrap_or_else(|e| {
                panic!("example {}: payload {p:02x?} is no {tag}: {e}", ex.frame)
            });
            checked += 1;
        }
    }
    // Joined (snapshot), ClientDelta, HubDelta and two DeltaBatch entries at least.
    assert!(checked >= 5, "only {checked} example payloads found");
}
