//! [`Input`]: a tiny reader that turns fuzzer bytes into operation choices. Reads
//! past the end yield zeros, so every byte string is a valid (finite) program.

/// Fuzzer bytes consumed front to back.
pub(crate) struct Input<'a> {
    data: &'a [u8],
}

impl<'a> Input<'a> {
    /// Reads `data` from the front.
    pub(crate) fn new(data: &'a [u8]) -> Self {
        Input { data }
    }

    /// Whether every byte was consumed.
    pub(crate) fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The next byte (0 past the end).
    pub(crate) fn byte(&mut self) -> u8 {
        match self.data.split_first() {
            Some((b, rest)) => {
                self.data = rest;
                *b
            }
            None => 0,
        }
    }

    /// A little-endian `u16`.
    pub(crate) fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.byte(), self.byte()])
    }

    /// A little-endian `u64`.
    pub(crate) fn u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        for x in &mut b {
            *x = self.byte();
        }
        u64::from_le_bytes(b)
    }

    /// A boolean (lowest bit of the next byte).
    pub(crate) fn bool(&mut self) -> bool {
        self.byte() & 1 == 1
    }

    /// A number below `n` (0 if `n` is 0).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        usize::from(self.byte()).checked_rem(n).unwrap_or(0)
    }

    /// One of `items` (by the next byte), `None` if `items` is empty.
    pub(crate) fn pick<T: Clone>(&mut self, items: &[T]) -> Option<T> {
        let i = self.below(items.len());
        items.get(i).cloned()
    }

    /// A small number: usually below 8, sometimes a full `u64`.
    pub(crate) fn small(&mut self) -> u64 {
        match self.byte() {
            b @ 0..=239 => u64::from(b % 8),
            240..=247 => u64::from(self.u16()),
            _ => self.u64(),
        }
    }

    /// Up to `max` bytes, length prefixed by one byte.
    pub(crate) fn bytes(&mut self, max: usize) -> &'a [u8] {
        let n = usize::from(self.byte()).min(max).min(self.data.len());
        let (head, rest) = self.data.split_at(n);
        self.data = rest;
        head
    }
}
