//! Pacing: a client keeps within the rates its hub announced, so a long outbox goes
//! out without a `rate_limited` refusal and the strikes that would close it (4004).

use core::time::Duration;

use super::harness::*;
use crate::client::ClientState;
use crate::hub::limits::{RateLimiter, RateVerdict};
use crate::wire::*;

/// A hub announcing 6 frames per second with a burst of 8 (the simulator's
/// `limited` scenario), and the client joined to room "r" under it.
fn joined_under_tight_rates() -> (Harness, RateLimiter) {
    let mut h = Harness::new(config());
    h.client.join(h.now, room("r"), "g").expect("join");
    h.connect();
    let mut l = limits(0);
    l.rate_frames_per_sec = 6;
    l.rate_frame_burst = 8;
    let hub = RateLimiter::new((8, 6), (l.rate_byte_burst, l.rate_bytes_per_sec), h.now);
    h.recv(welcome_with(0, l));
    (h, hub)
}

#[test]
fn a_long_outbox_goes_out_within_the_hubs_rate_with_no_strike() {
    let (mut h, mut hub) = joined_under_tight_rates();
    let mut at_hub = |h: &mut Harness| {
        for f in h.sent.drain(..) {
            let len = f.encode().len();
            let verdict = hub.check(h.now, len, 1, Duration::from_secs(10));
            assert_eq!(verdict, RateVerdict::Allow, "{f:?} would be refused");
        }
    };
    at_hub(&mut h); // the Join
    h.recv(joined("r", 1, 0, 0, 0));
    for i in 0..30u8 {
        h.client
            .submit(h.now, &room("r"), bytes::Bytes::from(vec![i]))
            .expect("queued");
    }
    h.drain();
    let first = h.sent.len();
    assert!(first < 8, "{first} frames at once");
    let mut deltas = 0;
    let start = h.now;
    for _ in 0..1000 {
        deltas += h
            .sent
            .iter()
            .filter(|f| matches!(f, Frame::ClientDelta(_)))
            .count();
        at_hub(&mut h);
        if deltas == 30 {
            break;
        }
        let wait = h.next_deadline().expect("a deadline while connected");
        assert!(wait <= Duration::from_secs(1), "waited {wait:?}");
    }
    // 30 deltas at 4.5 per second after a burst of 4, less the Join.
    let took = h.now - start;
    assert!(took < Duration::from_secs(8), "took {took:?}");
    assert_eq!(deltas, 30, "every delta sent once, none refused");
    assert_eq!(h.client.state(), ClientState::Connected);
}
