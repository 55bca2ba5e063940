//! [`IdbStore`]: one replica's session saved in IndexedDB, written incrementally
//! by a writer task.
//!
//! Every save takes the session's [`Image`] as the *pending* state. The writer
//! writes the difference between what the database holds (`committed`) and the
//! pending state — the room records that changed, the deltas added and
//! acknowledged — in one transaction. The queue is bounded at one pending state
//! ([`WRITE_QUEUE`]): a save while one is pending replaces it, and since each
//! write is a difference against what is committed, the replaced state's changes
//! are part of the next write (coalesced, never lost). A failed write is reported
//! ([`StorageEvent::WriteFailed`]) and retried with backoff until it succeeds
//! ([`StorageEvent::Recovered`]); while it fails, newer saves keep replacing the
//! pending state. When the browser ends the database connection (the user clears
//! the site's data; another connection deletes the database), the writer opens it
//! again, reads what it now holds as `committed` and writes the difference — at
//! once, if it is idle — so the session's unacknowledged changes are saved again
//! rather than lost on the next reload. The tab's lock on the replica ([`crate::tab`]) lives in the
//! writer, so it is released only after the last write.

use std::cell::{Cell, RefCell};
use std::pin::pin;
use std::rc::Rc;
use std::time::Duration;

use futures_channel::mpsc;
use futures_util::StreamExt;
use futures_util::future::{Either, select};
use syncwire_driver_core::Session;

use crate::idb::Connection;
use crate::record::Image;
use crate::storage_events::{StorageError, StorageEvent, StorageEvents, Subscribers};
use crate::tab::TabLock;
use crate::timer::Sleep;

/// States waiting to be written, at most: a newer save replaces the pending one.
pub const WRITE_QUEUE: usize = 1;

/// Failed attempts after which a store whose client is gone stops retrying.
const RETRIES_AFTER_CLOSE: u32 = 3;

/// What the client and the writer share.
#[derive(Debug)]
struct Shared {
    replica: u64,
    pending: RefCell<Option<Image>>,
    /// A write is in flight.
    busy: Cell<bool>,
    committed: RefCell<Image>,
    writes: Cell<u64>,
    failures: Cell<u64>,
    /// Saves that replaced a pending state (coalesced into a later write).
    coalesced: Cell<u64>,
    /// Test hook: fail this many writes with this error.
    inject: RefCell<(u32, Option<StorageError>)>,
    events: Subscribers,
}

/// A replica's session in IndexedDB; dropping it lets the writer finish and
/// release the replica.
#[derive(Debug)]
pub(crate) struct IdbStore {
    shared: Rc<Shared>,
    kick: mpsc::Sender<()>,
    saved_at: Cell<Option<u64>>,
}

impl IdbStore {
    /// A store for `replica` whose database holds `committed`; starts the writer,
    /// which keeps `lock` until it ends.
    pub(crate) fn start(
        db: crate::idb::Db,
        replica: u64,
        committed: Image,
        lock: TabLock,
    ) -> IdbStore {
        let shared = Rc::new(Shared {
            replica,
            pending: RefCell::new(None),
            busy: Cell::new(false),
            committed: RefCell::new(committed),
            writes: Cell::new(0),
            failures: Cell::new(0),
            coalesced: Cell::new(0),
            inject: RefCell::new((0, None)),
            events: Subscribers::default(),
        });
        let (kick, rx) = mpsc::channel(0);
        wasm_bindgen_futures::spawn_local(writer(shared.clone(), rx, Connection::new(db), lock));
        IdbStore {
            shared,
            kick,
            saved_at: Cell::new(None),
        }
    }

    /// Queues the session's state if it changed since the last save.
    pub(crate) fn save_if_changed(&self, session: &Session) {
        let count = session.change_count();
        if self.saved_at.get() == Some(count) {
            return;
        }
        self.saved_at.set(Some(count));
        let image = Image::of(&session.export());
        if self.shared.pending.replace(Some(image)).is_some() {
            self.shared.coalesced.set(self.shared.coalesced.get() + 1);
        }
        // A full channel means the writer is already woken.
        let _ = self.kick.clone().try_send(());
    }

    /// Writes that failed.
    pub(crate) fn failures(&self) -> u64 {
        self.shared.failures.get()
    }

    /// `(transactions committed, saves coalesced into a later write)`.
    pub(crate) fn stats(&self) -> (u64, u64) {
        (self.shared.writes.get(), self.shared.coalesced.get())
    }

    /// Whether everything saved so far is committed.
    pub(crate) fn is_flushed(&self) -> bool {
        let s = &self.shared;
        s.pending.borrow().is_none() && !s.busy.get() && self.saved_at.get().is_some()
    }

    pub(crate) fn subscribe(&self) -> StorageEvents {
        self.shared.events.subscribe()
    }

    pub(crate) fn inject_failures(&self, count: u32, error: StorageError) {
        *self.shared.inject.borrow_mut() = (count, Some(error));
    }

    /// Deletes every record of the replica (the writer keeps running).
    pub(crate) fn clear(&self) {
        self.shared.pending.replace(Some(Image::default()));
        let _ = self.kick.clone().try_send(());
    }
}

fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(100u64 << attempt.min(6)).min(Duration::from_secs(5))
}

async fn writer(
    shared: Rc<Shared>,
    mut kick: mpsc::Receiver<()>,
    mut conn: Connection,
    lock: TabLock,
) {
    let mut attempt = 0u32;
    let mut open = true;
    loop {
        let next = shared.pending.borrow_mut().take();
        let Some(next) = next else {
            if !open {
                break;
            }
            match select(kick.next(), pin!(conn.ended())).await {
                Either::Left((kicked, _)) => open = kicked.is_some(),
                // The database went away under an idle writer: the last state
                // written is written again.
                Either::Right(_) => {
                    let last = shared.committed.borrow().clone();
                    shared.pending.borrow_mut().get_or_insert(last);
                }
            }
            continue;
        };
        let injected = {
            let mut inject = shared.inject.borrow_mut();
            if inject.0 > 0 {
                inject.0 -= 1;
                inject.1.clone()
            } else {
                None
            }
        };
        shared.busy.set(true);
        let result = match injected {
            Some(e) => Err(e),
            None => write(&shared, &mut conn, &next).await,
        };
        shared.busy.set(false);
        match result {
            Ok(()) => {
                *shared.committed.borrow_mut() = next;
                shared.writes.set(shared.writes.get() + 1);
                if attempt > 0 {
                    shared
                        .events
                        .publish(&StorageEvent::Recovered { attempts: attempt });
                    attempt = 0;
                }
            }
            Err(error) => {
                shared.failures.set(shared.failures.get() + 1);
                attempt += 1;
                let retry_in = backoff(attempt);
                shared.events.publish(&StorageEvent::WriteFailed {
                    error,
                    attempt,
                    retry_in,
                });
                // Unless a newer state replaced it meanwhile, this one is retried.
                shared.pending.borrow_mut().get_or_insert(next);
                if !open && attempt >= RETRIES_AFTER_CLOSE {
                    break;
                }
                Sleep::new(retry_in.as_secs_f64() * 1000.0).await;
            }
        }
    }
    drop(lock);
}

/// Writes the difference between what the database holds and `next`; on a
/// connection that has ended, opens the database again and reads what it holds
/// first.
async fn write(shared: &Shared, conn: &mut Connection, next: &Image) -> Result<(), StorageError> {
    if conn.has_ended() {
        // The new connection replaces the ended one only with what it holds read,
        // so a failed read is followed by another reopen and read, never by a diff
        // against what the database held before.
        let fresh = conn.reopen().await?;
        let held = crate::idb::load(fresh.db(), shared.replica).await?;
        *shared.committed.borrow_mut() = held;
        *conn = fresh;
    }
    let ops = shared.committed.borrow().diff(next);
    if ops.is_empty() {
        return Ok(());
    }
    crate::idb::write(conn.db(), shared.replica, &ops).await
}
