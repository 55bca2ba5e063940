//! The event transcript of a run: one line per input fed to a state machine,
//! fault, and violation, prefixed with the virtual time. Recording is off for
//! bulk runs (it costs string formatting) and on when replaying one seed or
//! checking determinism.

use syncwire_proto::Instant;
use syncwire_proto::wire::Frame;

/// A transcript, or nothing when recording is off.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Transcript {
    lines: Option<Vec<String>>,
}

impl Transcript {
    /// A transcript that records only if `record`.
    pub fn new(record: bool) -> Transcript {
        Transcript {
            lines: record.then(Vec::new),
        }
    }

    /// Whether lines are recorded.
    pub fn recording(&self) -> bool {
        self.lines.is_some()
    }

    /// Records `what` by `who` at `now`; `what` is only evaluated when recording.
    pub fn note(&mut self, now: Instant, who: &str, what: impl FnOnce() -> String) {
        if let Some(lines) = &mut self.lines {
            lines.push(format!("{now:?} {who} {}", what()));
        }
    }

    /// The recorded lines (empty when not recording).
    pub fn lines(&self) -> &[String] {
        self.lines.as_deref().unwrap_or(&[])
    }
}

/// A short description of an encoded frame for the transcript.
pub fn describe(bytes: &[u8]) -> String {
    match Frame::decode(bytes) {
        Ok(Frame::ClientDelta(d)) => format!("ClientDelta {:?} seq {}", d.room, d.seq),
        Ok(Frame::HubDelta(d)) => format!(
            "HubDelta {:?} @{} from {} seq {}",
            d.room, d.offset, d.replica.0, d.seq
        ),
        Ok(Frame::DeltaBatch(b)) => format!(
            "DeltaBatch {:?} @{} x{}",
            b.room,
            b.first_offset,
            b.entries.len()
        ),
        Ok(Frame::Ack(a)) => format!("Ack {:?} seq {}", a.room, a.seq),
        Ok(Frame::Joined(j)) => format!(
            "Joined {:?} epoch {} start {} head {} resync {}",
            j.room, j.epoch, j.start, j.head, j.resync
        ),
        Ok(Frame::Reject(r)) => format!("Reject {:?}", r),
        Ok(f) => f.name().to_owned(),
        Err(e) => format!("<{} bytes undecodable: {e}>", bytes.len()),
    }
}
