//! [`Frames`]: the encoded frames of one [`HubOutput::Transmit`](super::HubOutput),
//! in order. A turn usually queues one frame per session (one live delta); that frame
//! is handed out inline, without allocating, and the session keeps its buffer for
//! the next turn. Several frames are handed out as the session's buffer itself.

use std::ops::Deref;

use bytes::Bytes;

/// Encoded frames for one session, in order (each one WebSocket binary message).
/// Derefs to a slice; iterating by value yields the frames.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frames(Repr);

#[derive(Clone, Debug, PartialEq, Eq)]
enum Repr {
    One(Bytes),
    Many(Vec<Bytes>),
}

impl Frames {
    /// One frame.
    pub(crate) fn one(frame: Bytes) -> Frames {
        Frames(Repr::One(frame))
    }

    /// Takes the frames of `buffer`: a single frame leaves the buffer (and its
    /// capacity) in place; several take the buffer itself.
    pub(crate) fn take_from(buffer: &mut Vec<Bytes>) -> Frames {
        match buffer.len() {
            1 => match buffer.pop() {
                Some(frame) => Frames::one(frame),
                None => Frames(Repr::Many(Vec::new())),
            },
            _ => Frames(Repr::Many(std::mem::take(buffer))),
        }
    }
}

impl From<Vec<Bytes>> for Frames {
    fn from(frames: Vec<Bytes>) -> Frames {
        Frames(Repr::Many(frames))
    }
}

impl FromIterator<Bytes> for Frames {
    fn from_iter<I: IntoIterator<Item = Bytes>>(iter: I) -> Frames {
        Frames(Repr::Many(iter.into_iter().collect()))
    }
}

impl Deref for Frames {
    type Target = [Bytes];
    fn deref(&self) -> &[Bytes] {
        match &self.0 {
            Repr::One(frame) => std::slice::from_ref(frame),
            Repr::Many(frames) => frames,
        }
    }
}

impl IntoIterator for Frames {
    type Item = Bytes;
    type IntoIter = IntoIter;
    fn into_iter(self) -> IntoIter {
        IntoIter(match self.0 {
            Repr::One(frame) => IterRepr::One(Some(frame)),
            Repr::Many(frames) => IterRepr::Many(frames.into_iter()),
        })
    }
}

/// The frames of a [`Frames`], by value.
#[derive(Debug)]
pub struct IntoIter(IterRepr);

#[derive(Debug)]
enum IterRepr {
    One(Option<Bytes>),
    Many(std::vec::IntoIter<Bytes>),
}

impl Iterator for IntoIter {
    type Item = Bytes;
    fn next(&mut self) -> Option<Bytes> {
        match &mut self.0 {
            IterRepr::One(frame) => frame.take(),
            IterRepr::Many(frames) => frames.next(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_frame_leaves_the_buffer_and_its_capacity() {
        let mut buffer = Vec::with_capacity(8);
        buffer.push(Bytes::from_static(b"a"));
        let frames = Frames::take_from(&mut buffer);
        assert_eq!(&frames[..], &[Bytes::from_static(b"a")]);
        assert!(buffer.is_empty() && buffer.capacity() == 8);
        assert_eq!(
            frames.into_iter().collect::<Vec<_>>(),
            [Bytes::from_static(b"a")]
        );
    }

    #[test]
    fn several_frames_take_the_buffer_in_order() {
        let mut buffer = vec![Bytes::from_static(b"a"), Bytes::from_static(b"b")];
        let frames = Frames::take_from(&mut buffer);
        assert_eq!(frames.len(), 2);
        assert_eq!(buffer.capacity(), 0);
        let all: Vec<Bytes> = frames.into_iter().collect();
        assert_eq!(all, [Bytes::from_static(b"a"), Bytes::from_static(b"b")]);
    }
}
