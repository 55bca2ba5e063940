//! The little CBOR (RFC 8949) the `localStorage` save format needs, written by
//! hand: unsigned integers, byte and text strings, arrays, maps and null, in
//! definite lengths — exactly what ciborium's serde writes for the
//! [`crate::persist`] structs, so saves of earlier versions still read. Through
//! serde, that format cost 7.6 KiB of the gzipped browser bundle (its derive
//! visitors and ciborium's instantiations for them).

/// One decoded item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Item {
    /// Major type 0.
    Uint(u64),
    /// Major type 2.
    Bytes(Vec<u8>),
    /// Major type 3.
    Text(String),
    /// Major type 4.
    Array(Vec<Item>),
    /// Major type 5, keys in their order.
    Map(Vec<(Item, Item)>),
    /// Simple value 22.
    Null,
}

/// Nesting accepted when decoding (the save format nests four deep).
const MAX_DEPTH: usize = 16;

impl Item {
    /// Appends the encoding of `self` to `out`.
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Item::Uint(n) => head(out, 0, *n),
            Item::Bytes(b) => {
                head(out, 2, b.len() as u64);
                out.extend_from_slice(b);
            }
            Item::Text(t) => {
                head(out, 3, t.len() as u64);
                out.extend_from_slice(t.as_bytes());
            }
            Item::Array(items) => {
                head(out, 4, items.len() as u64);
                items.iter().for_each(|i| i.encode(out));
            }
            Item::Map(pairs) => {
                head(out, 5, pairs.len() as u64);
                for (k, v) in pairs {
                    k.encode(out);
                    v.encode(out);
                }
            }
            Item::Null => out.push(0xf6),
        }
    }

    /// Decodes one item that fills `bytes` exactly.
    pub(crate) fn decode(bytes: &[u8]) -> Option<Item> {
        let mut rest = bytes;
        let item = read(&mut rest, 0)?;
        rest.is_empty().then_some(item)
    }

    /// The value under text key `key`, if `self` is a map holding one.
    pub(crate) fn get(&self, key: &str) -> Option<&Item> {
        let Item::Map(pairs) = self else { return None };
        pairs
            .iter()
            .find(|(k, _)| matches!(k, Item::Text(t) if t == key))
            .map(|(_, v)| v)
    }

    pub(crate) fn uint(&self) -> Option<u64> {
        match self {
            Item::Uint(n) => Some(*n),
            _ => None,
        }
    }

    pub(crate) fn text(&self) -> Option<&str> {
        match self {
            Item::Text(t) => Some(t),
            _ => None,
        }
    }

    pub(crate) fn array(&self) -> Option<&[Item]> {
        match self {
            Item::Array(items) => Some(items),
            _ => None,
        }
    }
}

fn head(out: &mut Vec<u8>, major: u8, n: u64) {
    let m = major << 5;
    match n {
        0..=23 => out.push(m | n as u8),
        24..=0xff => out.extend_from_slice(&[m | 24, n as u8]),
        0x100..=0xffff => {
            out.push(m | 25);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            out.push(m | 26);
            out.extend_from_slice(&(n as u32).to_be_bytes());
        }
        _ => {
            out.push(m | 27);
            out.extend_from_slice(&n.to_be_bytes());
        }
    }
}

fn take<'a>(rest: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
    let (head, tail) = (rest.get(..n)?, rest.get(n..)?);
    *rest = tail;
    Some(head)
}

fn read(rest: &mut &[u8], depth: usize) -> Option<Item> {
    if depth > MAX_DEPTH {
        return None;
    }
    let first = take(rest, 1)?[0];
    let (major, info) = (first >> 5, first & 31);
    if first == 0xf6 {
        return Some(Item::Null);
    }
    let n = match info {
        0..=23 => u64::from(info),
        24..=27 => {
            let len = 1usize << (info - 24);
            take(rest, len)?
                .iter()
                .fold(0u64, |acc, b| (acc << 8) | u64::from(*b))
        }
        _ => return None, // indefinite lengths and reserved values: not written
    };
    // A length can never exceed the bytes left (each element takes at least one).
    let len = usize::try_from(n).ok().filter(|&l| l <= rest.len());
    match major {
        0 => Some(Item::Uint(n)),
        2 => Some(Item::Bytes(take(rest, len?)?.to_vec())),
        3 => String::from_utf8(take(rest, len?)?.to_vec())
            .ok()
            .map(Item::Text),
        // Loops rather than `collect::<Option<_>>()` (less code in the bundle).
        4 => {
            let mut items = Vec::new();
            for _ in 0..len? {
                items.push(read(rest, depth + 1)?);
            }
            Some(Item::Array(items))
        }
        5 => {
            let mut entries = Vec::new();
            for _ in 0..len? {
                entries.push((read(rest, depth + 1)?, read(rest, depth + 1)?));
            }
            Some(Item::Map(entries))
        }
        _ => None,
    }
}
