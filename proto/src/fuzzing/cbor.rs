//! A minimal canonical CBOR writer for frames the fuzz bodies build field by field
//! instead of through the typed [`Frame`](crate::wire::Frame) structs. It is used
//! for `Ack` (whose shape another change may extend) and for shape-shifted frames
//! (a known type code with arbitrary fields), so the bodies do not depend on every
//! field of every frame struct.

use super::reader::Input;
use crate::wire::RoomId;

/// CBOR major types used here.
const UINT: u8 = 0;
const BYTES: u8 = 2;
const TEXT: u8 = 3;
const ARRAY: u8 = 4;

/// Builds one CBOR value (usually a frame array) into a buffer.
#[derive(Default)]
pub(crate) struct Cbor {
    pub(crate) out: Vec<u8>,
}

impl Cbor {
    fn head(&mut self, major: u8, v: u64) {
        let m = major << 5;
        match v {
            0..=23 => self.out.push(m | v as u8),
            24..=0xFF => self.out.extend_from_slice(&[m | 24, v as u8]),
            0x100..=0xFFFF => {
                self.out.push(m | 25);
                self.out.extend_from_slice(&(v as u16).to_be_bytes());
            }
            0x1_0000..=0xFFFF_FFFF => {
                self.out.push(m | 26);
                self.out.extend_from_slice(&(v as u32).to_be_bytes());
            }
            _ => {
                self.out.push(m | 27);
                self.out.extend_from_slice(&v.to_be_bytes());
            }
        }
    }
    /// An array header of `len` items.
    pub(crate) fn array(&mut self, len: usize) {
        self.head(ARRAY, len as u64);
    }
    /// An unsigned integer.
    pub(crate) fn uint(&mut self, v: u64) {
        self.head(UINT, v);
    }
    /// A text string.
    pub(crate) fn text(&mut self, s: &str) {
        self.head(TEXT, s.len() as u64);
        self.out.extend_from_slice(s.as_bytes());
    }
    /// A byte string.
    pub(crate) fn bytes(&mut self, b: &[u8]) {
        self.head(BYTES, b.len() as u64);
        self.out.extend_from_slice(b);
    }
    /// `null`.
    pub(crate) fn null(&mut self) {
        self.out.push(0xF6);
    }
    /// `true` / `false`.
    pub(crate) fn bool(&mut self, v: bool) {
        self.out.push(if v { 0xF5 } else { 0xF4 });
    }
}

/// An `Ack`-typed frame: `[10, room, seq, extra...]`. `extra` (chosen by the input)
/// are further unsigned fields such as an offset, so the body keeps producing
/// well-formed acks whatever trailing fields the codec expects.
pub(crate) fn ack(input: &mut Input<'_>, room: &RoomId, seq: u64, extra: &[u64]) -> Vec<u8> {
    let n = input.below(extra.len().saturating_add(1));
    let mut c = Cbor::default();
    c.array(3usize.saturating_add(n));
    c.uint(crate::wire::frame_type::ACK);
    c.text(room.as_str());
    c.uint(seq);
    for v in extra.iter().take(n) {
        c.uint(*v);
    }
    c.out
}

/// A frame with a known or unknown type code and 0–7 arbitrary fields (integers,
/// room names, CRDT tags, byte strings, null, booleans, nested integer arrays).
pub(crate) fn shaped(input: &mut Input<'_>, rooms: &[RoomId], tags: &[&str]) -> Vec<u8> {
    let mut c = Cbor::default();
    let fields = input.below(8);
    c.array(fields.saturating_add(1));
    c.uint(input.small().min(20));
    for _ in 0..fields {
        match input.below(7) {
            0 => c.uint(input.small()),
            1 => c.text(input.pick(rooms).as_ref().map_or("", RoomId::as_str)),
            2 => c.text(input.pick(tags).unwrap_or("")),
            3 => c.bytes(input.bytes(64)),
            4 => c.null(),
            5 => c.bool(input.bool()),
            _ => {
                let n = input.below(5);
                c.array(n);
                for _ in 0..n {
                    c.uint(input.small());
                }
            }
        }
    }
    c.out
}
