//! [`write_outbound`]: the write half of a server's connection task (the shared
//! connection loop in `server`, for the tokio and async-std servers alike).

use bytes::Bytes;
use futures_util::{Sink, SinkExt};
use syncwire_proto::wire::CloseCode;

use super::Outbound;

/// What one [`write_outbound`] call wrote.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Written {
    /// Bytes of hub frames written and flushed (for the hub's `handle_flushed`).
    pub(crate) bytes: usize,
    /// The close the hub asked for after those frames, if it did.
    pub(crate) close: Option<CloseCode>,
}

/// Writes `first` and every further message `next` yields without waiting (until a
/// close, which is returned, not sent), each frame as one `message(bytes)`, then
/// flushes once: one flush per wake-up of the connection, however many batches
/// were waiting.
pub(crate) async fn write_outbound<S, M>(
    sink: &mut S,
    first: Outbound,
    mut next: impl FnMut() -> Option<Outbound>,
    message: impl Fn(Bytes) -> M,
) -> Result<Written, S::Error>
where
    S: Sink<M> + Unpin,
{
    let mut written = Written::default();
    let mut out = Some(first);
    while let Some(o) = out.take() {
        let (one, batches) = match o {
            Outbound::Frames(frames) => (Some(frames), Vec::new()),
            Outbound::Batches(batches) => (None, batches),
            Outbound::Close(code) => {
                written.close = Some(code);
                break;
            }
        };
        for bytes in one.into_iter().chain(batches).flatten() {
            written.bytes = written.bytes.saturating_add(bytes.len());
            sink.feed(message(bytes)).await?;
        }
        out = next();
    }
    sink.flush().await?;
    Ok(written)
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;

    use futures_util::sink::drain;

    use super::*;

    fn frames(lens: &[usize]) -> Outbound {
        Outbound::Frames(lens.iter().map(|&n| Bytes::from(vec![0u8; n])).collect())
    }

    #[test]
    fn writes_every_waiting_batch_and_stops_at_the_close() {
        let mut merged = frames(&[3]);
        merged.merge(frames(&[4])).unwrap();
        let mut queue = VecDeque::from([
            merged,
            Outbound::Close(CloseCode::GOING_AWAY),
            frames(&[100]),
        ]);
        let mut sent = Vec::new();
        let mut sink = drain().with(|b: Bytes| {
            sent.push(b.len());
            std::future::ready(Ok::<_, std::convert::Infallible>(b))
        });
        let w = poll_once(write_outbound(
            &mut sink,
            frames(&[1, 2]),
            || queue.pop_front(),
            |b| b,
        ));
        drop(sink);
        assert_eq!(
            w,
            Ok(Written {
                bytes: 10,
                close: Some(CloseCode::GOING_AWAY)
            })
        );
        assert_eq!(sent, [1, 2, 3, 4]);
        assert_eq!(queue.len(), 1, "what follows the close stays queued");
    }

    #[test]
    fn a_close_is_never_merged_and_batches_keep_their_order() {
        let mut close = Outbound::Close(CloseCode::GOING_AWAY);
        assert_eq!(close.merge(frames(&[1])), Err(frames(&[1])));
        let mut batch = frames(&[1]);
        let back = Outbound::Close(CloseCode::GOING_AWAY);
        assert_eq!(batch.merge(back.clone()), Err(back));
        batch.merge(frames(&[2, 3])).unwrap();
        let mut more = frames(&[4]);
        more.merge(frames(&[5])).unwrap();
        batch.merge(more).unwrap();
        assert_eq!(batch.frame_count(), 5);
        let mut sent = Vec::new();
        let mut sink = drain().with(|b: Bytes| {
            sent.push(b.len());
            std::future::ready(Ok::<_, std::convert::Infallible>(b))
        });
        let w = poll_once(write_outbound(&mut sink, batch, || None, |b| b));
        drop(sink);
        assert_eq!(w.map(|w| w.bytes), Ok(15));
        assert_eq!(sent, [1, 2, 3, 4, 5]);
    }

    /// Polls a future that never waits (the drain sink is always ready).
    fn poll_once<F: std::future::Future>(f: F) -> F::Output {
        let mut f = std::pin::pin!(f);
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        match f.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(v) => v,
            std::task::Poll::Pending => panic!("the drain sink never waits"),
        }
    }
}
