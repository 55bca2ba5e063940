"""Section 7 (hub -> session backlog), 8.2, 3.13: slow consumers."""
import time

from harness import test, session, join, collect_entries, room, Notes
from swlib import *  # noqa: F401,F403
from swlib import CheckFailed, Closed
from t_handshake import want
from t_delivery import send_deltas, wait_acks, gc_value


@test("7.slow_consumer_4011_or_caught_up", server="slow")
async def _(srv):
    """A member that stops reading while ~7 MB of entries are written (hub backlog bound
    64 KiB, client receive buffer 16 KiB): section 7 says close 4011 and resume from the
    position; section 8.2 also allows catching a member up. Either way, no entry may be
    lost or duplicated."""
    rm = room("slow")
    a = await session(srv.port, name="a")
    b = await session(srv.port, name="b", rcvbuf=16384)
    ja, _, _ = await join(a, rm)
    await join(b, rm)
    epoch = ja[3]
    b.pause()
    n = 4000
    for s in range(1, n + 1):
        big = [[a.replica, s]] + [[10**15 + k, 1] for k in range(150)]   # ~1.7 KB gcounter
        await a.send([CLIENT_DELTA, rm, "gcounter", a.replica, s, gcounter(big)])
        if s % 500 == 0:
            await wait_acks(a, rm, s, skip=(PEERS, PRESENCE))
    removed = any(isinstance(x, list) and x[0] == PEERS and b.session in x[5] for x in a.history)
    b.resume()
    pos, closed = 0, None
    deadline = time.monotonic() + 30
    while pos < n and time.monotonic() < deadline:
        x = await b.next(deadline - time.monotonic())
        if isinstance(x, Closed):
            closed = x
            break
        if isinstance(x, list):
            for e in entries_of(x):
                want(e[1] == pos and e[0] == epoch, f"b: entry at {e[:2]}, expected offset {pos}")
                pos += 1
    if closed is None:
        want(pos == n, f"b (slow, not closed) got {pos} of {n} entries within 30 s")
        Notes.add("7.slow", f"~{n * 1.7 / 1024:.1f} MB behind with max_backlog_bytes 65536: no 4011, "
                            f"b caught up with all {n} entries (removed from Peers: {removed})")
        return
    want(closed.code == 4011, f"b closed with {closed}, expected 4011 (slow_consumer)")
    Notes.add("7.slow", f"b closed {closed} after reading {pos} of {n} entries")
    b2 = await session(srv.port, b.replica, "b2")
    j, got, _ = await join(b2, rm, pos=[epoch, pos], timeout=20)
    want(j[8] is False and j[4] == pos and j[5] == n, f"resume from {pos}: {short(j)}")
    want(pos + len(got) == n, f"resumed replay {len(got)} entries from {pos}, head {n}")


@test("7.presence_never_closes_a_slow_member", server="slow")
async def _(srv):
    rm = room("slowpres")
    a = await session(srv.port, name="a")
    b = await session(srv.port, name="b", rcvbuf=16384)
    await join(a, rm)
    await join(b, rm)
    await a.expect(lambda f: f[0] == PEERS, 5, "Peers (b)", skip=())
    b.pause()
    last = None
    for i in range(1, 1501):
        last = b"p" * 3000 + i.to_bytes(4, "big")[:0] + str(i).encode()
        last = last[-4000:]
        await a.send([SET_PRESENCE, rm, last])
        if i % 250 == 0:
            await a.ping_sync(skip=(PEERS, PRESENCE))
    b.resume()
    deadline = time.monotonic() + 20
    seen = 0
    while True:
        f = await b.expect(lambda f: f[0] == PRESENCE, max(deadline - time.monotonic(), 0.01),
                           "Presence updates ending with a's latest state", skip=(PEERS,))
        seen += 1
        if f[3] == last:
            break
    await b.ping_sync()
    want(b.closed is None, f"b closed {b.closed}")
    Notes.add("7.slowpres", f"b got {seen} of 1500 presence updates, ending with the latest")


@test("7.slow_member_behind_compaction_4011_resync", server="slowcompact")
async def _(srv):
    """Section 8.4: a member being caught up whose next entries were folded away is
    closed 4011 slow_consumer; its resume then gets a resync."""
    rm = room("slowfold")
    a = await session(srv.port, name="a")
    b = await session(srv.port, name="b", rcvbuf=16384)
    ja, _, _ = await join(a, rm)
    await join(b, rm)
    epoch = ja[3]
    b.pause()
    n = 4000
    for s in range(1, n + 1):
        big = [[a.replica, s]] + [[10**15 + k, 1] for k in range(150)]
        await a.send([CLIENT_DELTA, rm, "gcounter", a.replica, s, gcounter(big)])
        if s % 500 == 0:
            await wait_acks(a, rm, s, skip=(PEERS, PRESENCE))
    b.resume()
    pos, closed = 0, None
    deadline = time.monotonic() + 30
    while pos < n and time.monotonic() < deadline:
        x = await b.next(deadline - time.monotonic())
        if isinstance(x, Closed):
            closed = x
            break
        if isinstance(x, list):
            for e in entries_of(x):
                want(e[1] == pos, f"b: entry at {e[1]}, expected {pos} (a gap: entries folded away under a member?)")
                pos += 1
    Notes.add("7.slowfold", f"b: {pos} of {n} entries, then {closed}")
    want(closed is not None and closed.code == 4011, f"b got {pos} of {n} entries and {closed}; expected close 4011")
    b2 = await session(srv.port, b.replica, "b2")
    j, got, _ = await join(b2, rm, pos=[epoch, pos], timeout=20)
    want(j[8] is True and gc_value(j[9], got) == n + 150, f"resume after 4011 (value must be {n} + 150): {short(j)}, value {gc_value(j[9], got)}")
