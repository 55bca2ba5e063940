//! A bounded, non-recursive structural check of a Yjs v1 update, run before yrs
//! decodes it. This part owns the bounds ([`MAX_UPDATE_STRUCTS`] and the others) and
//! the typed rejection ([`UpdateRejection`]).
//!
//! yrs's decoder trusts what it reads in ways a hub cannot afford: a client id of
//! 53 bits or more trips a `debug_assert!` (a panic in debug builds), nested `Any`
//! values are decoded recursively (a deep enough nesting overflows the stack, which
//! aborts), counts reserve memory before the bytes that back them are read, a
//! clock plus a length can overflow `u32`, and integration subtracts clocks as
//! `i32`, which goes wrong from 2^31 on (see [`MAX_CLOCK`]). This scan walks the lib0 v1 layout once,
//! with an explicit stack, and checks every count against the bytes left, every id,
//! clock and length against its range and every bound below, so that what passes is
//! safe to hand to `Update::decode_v1` and costs memory proportional to its size.
//!
//! Supported content: deleted, binary, string, embed, format, `Any` and the types
//! array, map, text, XML element, XML fragment and XML text. Rejected: the legacy
//! JSON content (yrs and Yjs disagree on its count), sub-documents, XML hooks (yrs
//! does not read the hook name Yjs writes) and weak links (a yrs extension).

use super::bounds::{
    MAX_ANY_DEPTH, MAX_CLIENT_ID, MAX_CLOCK, MAX_DELETE_RANGES, MAX_TYPE_ITEMS, MAX_UPDATE_CLIENTS,
    MAX_UPDATE_STRUCTS, UpdateRejection, UpdateStats,
};

struct Scan<'a> {
    bytes: &'a [u8],
    pos: usize,
    stats: UpdateStats,
}

type R<T> = Result<T, UpdateRejection>;

fn bound(what: &'static str, n: usize, max: usize) -> R<()> {
    if n > max {
        return Err(UpdateRejection::Bound { what, max });
    }
    Ok(())
}

impl<'a> Scan<'a> {
    fn left(&self) -> usize {
        self.bytes.len() - self.pos
    }

    fn u8(&mut self) -> R<u8> {
        let b = *self.bytes.get(self.pos).ok_or(UpdateRejection::Truncated)?;
        self.pos += 1;
        Ok(b)
    }

    fn skip(&mut self, n: usize) -> R<&'a [u8]> {
        if n > self.left() {
            return Err(UpdateRejection::Truncated);
        }
        let s = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    /// An unsigned lib0 varint, at most 64 bits.
    fn var(&mut self) -> R<u64> {
        let mut value: u64 = 0;
        for i in 0..10 {
            let b = self.u8()?;
            let part = u64::from(b & 0x7f);
            if i == 9 && part > 1 {
                return Err(UpdateRejection::BadInteger);
            }
            value |= part << (7 * i);
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(UpdateRejection::BadInteger)
    }

    fn u32(&mut self) -> R<u32> {
        u32::try_from(self.var()?).map_err(|_| UpdateRejection::BadInteger)
    }

    /// A count of things each taking at least `min` bytes: checked against the bytes left.
    fn count(&mut self, min: usize) -> R<usize> {
        let n = usize::try_from(self.u32()?).map_err(|_| UpdateRejection::BadInteger)?;
        if n.saturating_mul(min) > self.left() {
            return Err(UpdateRejection::Truncated);
        }
        Ok(n)
    }

    fn client(&mut self) -> R<u64> {
        let c = self.var()?;
        if c > MAX_CLIENT_ID {
            return Err(UpdateRejection::BadClientId);
        }
        Ok(c)
    }

    /// A clock: at most [`MAX_CLOCK`].
    fn clock(&mut self) -> R<u32> {
        let c = self.u32()?;
        if c > MAX_CLOCK {
            return Err(UpdateRejection::ClockOverflow);
        }
        Ok(c)
    }

    /// `clock + len`, checked against [`MAX_CLOCK`].
    fn end(clock: u32, len: u64) -> R<u32> {
        u32::try_from(u64::from(clock) + len)
            .ok()
            .filter(|end| *end <= MAX_CLOCK)
            .ok_or(UpdateRejection::ClockOverflow)
    }

    fn id(&mut self) -> R<()> {
        self.client()?;
        self.clock()?;
        Ok(())
    }

    fn string(&mut self) -> R<&'a str> {
        let len = usize::try_from(self.u32()?).map_err(|_| UpdateRejection::BadInteger)?;
        core::str::from_utf8(self.skip(len)?).map_err(|_| UpdateRejection::BadUtf8)
    }

    /// A signed lib0 varint (value not needed).
    fn signed(&mut self) -> R<()> {
        for _ in 0..10 {
            if self.u8()? & 0x80 == 0 {
                return Ok(());
            }
        }
        Err(UpdateRejection::BadInteger)
    }

    /// One `Any` value, nested arrays and maps walked with an explicit stack of
    /// "values still to read, and whether they are map entries (key first)".
    fn any(&mut self) -> R<()> {
        let mut stack: Vec<(usize, bool)> = vec![(1, false)];
        while let Some(top) = stack.last_mut() {
            if top.0 == 0 {
                stack.pop();
                continue;
            }
            top.0 -= 1;
            if top.1 {
                self.string()?;
            }
            match self.u8()? {
                126 | 127 | 120 | 121 => {}
                125 => self.signed()?,
                124 => drop(self.skip(4)?),
                122 | 123 => drop(self.skip(8)?),
                119 => drop(self.string()?),
                116 => {
                    let n =
                        usize::try_from(self.u32()?).map_err(|_| UpdateRejection::BadInteger)?;
                    self.skip(n)?;
                }
                kind @ (117 | 118) => {
                    let map = kind == 118;
                    let n = self.count(if map { 2 } else { 1 })?;
                    stack.push((n, map));
                    bound("Any nesting", stack.len() - 1, MAX_ANY_DEPTH)?;
                }
                other => return Err(UpdateRejection::Unsupported(other)),
            }
        }
        Ok(())
    }

    /// An item's content after its header; returns its clock length.
    fn content(&mut self, kind: u8) -> R<u64> {
        Ok(match kind {
            1 => u64::from(self.u32()?),
            3 => {
                let n = usize::try_from(self.u32()?).map_err(|_| UpdateRejection::BadInteger)?;
                self.skip(n)?;
                1
            }
            4 => self.string()?.encode_utf16().count() as u64,
            5 => {
                self.string()?;
                1
            }
            6 => {
                self.string()?;
                self.string()?;
                1
            }
            7 => {
                self.stats.type_items += 1;
                bound("type items", self.stats.type_items, MAX_TYPE_ITEMS)?;
                match self.u32()? {
                    0 | 1 | 2 | 4 | 6 => {}
                    3 => drop(self.string()?),
                    other => return Err(UpdateRejection::Unsupported(other.min(255) as u8)),
                }
                1
            }
            8 => {
                let n = self.count(1)?;
                for _ in 0..n {
                    self.any()?;
                }
                n as u64
            }
            other => return Err(UpdateRejection::Unsupported(other)),
        })
    }

    /// One struct; returns its clock length.
    fn block(&mut self) -> R<u64> {
        self.stats.structs += 1;
        bound("structs", self.stats.structs, MAX_UPDATE_STRUCTS)?;
        let info = self.u8()?;
        if info == 0 || info == 10 {
            let len = self.u32()?;
            if len == 0 {
                return Err(UpdateRejection::EmptyRange);
            }
            return Ok(u64::from(len));
        }
        if info & 0x80 != 0 {
            self.id()?;
        }
        if info & 0x40 != 0 {
            self.id()?;
        }
        if info & 0xc0 == 0 {
            if self.u32()? == 1 {
                self.string()?;
            } else {
                self.stats.parent_ids += 1;
                self.id()?;
            }
            if info & 0x20 != 0 {
                self.string()?;
            }
        }
        self.content(info & 0x1f)
    }

    fn update(&mut self) -> R<()> {
        let groups = self.count(3)?;
        bound("clients", groups, MAX_UPDATE_CLIENTS)?;
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..groups {
            let n = self.count(1)?;
            if !seen.insert(self.client()?) {
                return Err(UpdateRejection::DuplicateClient);
            }
            let mut clock = self.clock()?;
            for _ in 0..n {
                clock = Self::end(clock, self.block()?)?;
            }
        }
        let clients = self.count(2)?;
        bound("clients", clients, MAX_UPDATE_CLIENTS)?;
        for _ in 0..clients {
            self.client()?;
            let ranges = self.count(2)?;
            self.stats.delete_ranges += ranges;
            bound("delete ranges", self.stats.delete_ranges, MAX_DELETE_RANGES)?;
            for _ in 0..ranges {
                let (clock, len) = (self.clock()?, self.u32()?);
                if len == 0 {
                    return Err(UpdateRejection::EmptyRange);
                }
                Self::end(clock, u64::from(len))?;
            }
        }
        if self.left() != 0 {
            return Err(UpdateRejection::TrailingBytes);
        }
        Ok(())
    }
}

/// Checks that `bytes` are one well-formed Yjs v1 update within every bound of this
/// module; what it holds.
pub(super) fn scan_update(bytes: &[u8]) -> Result<UpdateStats, UpdateRejection> {
    let mut s = Scan {
        bytes,
        pos: 0,
        stats: UpdateStats::default(),
    };
    s.update()?;
    Ok(s.stats)
}
