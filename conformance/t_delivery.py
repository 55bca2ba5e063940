"""Sections 3.4-3.10, 8.1-8.3: joining, ordered gap-free delivery, exactly-once, resume."""
import time
from harness import test, session, join, collect_entries, rid, room, Notes
from swlib import *  # noqa: F401,F403
from swlib import CheckFailed, Closed
from t_handshake import want, is_reject


def gc_value(snapshot, entries):
    st = {}
    if snapshot:
        gcounter_merge(st, snapshot)
    for e in entries:
        gcounter_merge(st, e[4])
    return sum(st.values())


async def send_deltas(ws, rm, seqs, counts=None, crdt="gcounter"):
    for s in seqs:
        c = counts(s) if counts else s
        await ws.send([CLIENT_DELTA, rm, crdt, ws.replica, s, gcounter([[ws.replica, c]])])


async def wait_acks(ws, rm, last_seq, first_offset=None, first_seq=None, timeout=10.0, strict=True,
                    skip=(PEERS, PRESENCE)):
    """Wait until an Ack covers last_seq. Acks must be in increasing seq order; when
    first_offset is given, each Ack's offset must be first_offset + (seq - first_seq)."""
    acks = []
    while True:
        f = await ws.expect(lambda f: f[0] == ACK and f[1] == rm, timeout, f"Ack up to {last_seq} in {rm}", skip=skip)
        if acks:
            want(f[2] > acks[-1][2], f"{ws.name}: Ack seq {f[2]} after {acks[-1][2]} (not increasing)")
        if first_offset is not None and strict:
            want(f[3] == first_offset + (f[2] - first_seq),
                 f"{ws.name}: Ack {short(f)}: offset {f[3]}, expected {first_offset + (f[2] - first_seq)}")
        acks.append(f)
        if f[2] >= last_seq:
            want(f[2] == last_seq, f"{ws.name}: Ack of seq {f[2]} beyond the last sent {last_seq}")
            return acks


async def drain(ws, rm, ack_upto, start, end, epoch=None, timeout=10.0):
    """Read the room's stream from offset `start`: entries (HubDelta/DeltaBatch) and this
    session's Acks must together cover start..end in order, gap-free, until an Ack
    covers seq ack_upto. Returns (acks, entries)."""
    nxt, acks, ents = start, [], []
    deadline = time.monotonic() + timeout
    while nxt < end or not acks or acks[-1][2] < ack_upto:
        left = deadline - time.monotonic()
        if left <= 0:
            raise CheckFailed(f"{ws.name}: stream of {rm} stuck at offset {nxt} (acks {[a[2:] for a in acks][-3:]})")
        item = await ws.next(left)
        if item is None:
            continue
        if not isinstance(item, list):
            raise CheckFailed(f"{ws.name}: {item} while reading {rm}")
        if item[0] == ACK and item[1] == rm:
            want(item[3] == nxt, f"{ws.name}: {short(item)} at stream offset {nxt} (Ack not at its entry's point of log order)")
            acks.append(item)
            nxt += 1
        elif item[0] in (HUB_DELTA, DELTA_BATCH) and item[1] == rm:
            for e in entries_of(item):
                want(e[1] == nxt and (epoch is None or e[0] == epoch), f"{ws.name}: entry {e[:4]} at stream offset {nxt}")
                ents.append(e)
                nxt += 1
        elif item[0] in (PEERS, PRESENCE):
            continue
        else:
            raise CheckFailed(f"{ws.name}: unexpected {short(item)} while reading {rm}")
    return acks, ents


@test("2.join_fresh_room")
async def _(srv):
    rm = room("fresh")
    a = await session(srv.port, name="a")
    j, entries, peers = await join(a, rm)
    want(len(j) == 10, f"Joined has {len(j)} elements")
    want(j[1] == rm and j[2] == "gcounter", f"Joined names {j[1]!r}/{j[2]!r}")
    want(isinstance(j[3], int) and 1 <= j[3] <= 2**53 - 1, f"epoch {j[3]} out of range")
    want(j[4:] == [0, 0, 0, True, False, None], f"fresh room Joined {short(j)}: expected start 0, head 0, acked 0, writable, no resync, no snapshot")
    p = a.joined_peers
    want(p[2:] == [0, 1, [], []], f"first member's Peers {short(p)}, expected [17, room, 0, 1, [], []]")
    a.abort()


@test("2.ordered_gapfree_delivery_and_acks")
async def _(srv):
    rm = room("order")
    a = await session(srv.port, name="a")
    b = await session(srv.port, name="b")
    ja, _, _ = await join(a, rm)
    jb, _, _ = await join(b, rm)
    # wait until a has seen b join, so b is a member for everything that follows
    await a.expect(lambda f: f[0] == PEERS and f[1] == rm, 5, "Peers (b joined)")
    epoch = ja[3]
    n = 40
    await send_deltas(a, rm, range(1, n + 1))
    acks = await wait_acks(a, rm, n, first_offset=0, first_seq=1)
    if len(acks) != n:
        Notes.add("2.ordered", f"{n} deltas answered by {len(acks)} cumulative Acks")
    got = await collect_entries(b, rm, 0, n, 10, epoch=epoch)
    for i, e in enumerate(got):
        want(e[2] == a.replica and e[3] == i + 1 and e[4] == gcounter([[a.replica, i + 1]]),
             f"b: entry {i} is {e[2:4]}, expected replica {a.replica} seq {i + 1}")
    # b writes too: each of a and b sees one interleaved stream where its own Acks
    # stand in for its own entries, at consecutive offsets n..n+9 (sections 3.10, 8.2)
    await send_deltas(b, rm, range(1, 6))
    await send_deltas(a, rm, range(n + 1, n + 6))
    for ws, last in ((a, n + 5), (b, 5)):
        acks, ents = await drain(ws, rm, last, n, n + 10, epoch)
        want(len(ents) == 5 and all(e[2] != ws.replica for e in ents),
             f"{ws.name}: got {len(ents)} entries of the other writer (own entries echoed?)")
    await a.ping_sync()
    await b.ping_sync()
    a.abort()
    b.abort()


@test("2.sender_gets_ack_not_its_own_delta")
async def _(srv):
    rm = room("echo")
    a = await session(srv.port, name="a")
    b = await session(srv.port, name="b")
    await join(a, rm)
    await join(b, rm)
    await send_deltas(a, rm, [1, 2, 3])
    # a's stream in the room: Acks only (expect() fails on a HubDelta/DeltaBatch)
    await wait_acks(a, rm, 3, first_offset=0, first_seq=1)
    await collect_entries(b, rm, 0, 3)
    await send_deltas(b, rm, [1])          # sentinel through the other direction
    await wait_acks(b, rm, 1, first_offset=3, first_seq=1)
    got = await collect_entries(a, rm, 3, 4)
    want(got[0][2] == b.replica, f"a's first live entry is {got[0][2:4]}, expected b's")
    a.abort()
    b.abort()


@test("3.duplicate_reacked_not_redelivered")
async def _(srv):
    rm = room("dup")
    a = await session(srv.port, name="a")
    b = await session(srv.port, name="b")
    ja, _, _ = await join(a, rm)
    await join(b, rm)
    epoch = ja[3]
    await send_deltas(a, rm, range(1, 6))
    await wait_acks(a, rm, 5, 0, 1)
    await collect_entries(b, rm, 0, 5, epoch=epoch)
    # duplicate on the same session
    await send_deltas(a, rm, [5])
    f = await a.expect(lambda f: f[0] == ACK and f[1] == rm, 5, "re-Ack of duplicate seq 5")
    want(f[2] == 5 and f[3] in (None, 4), f"duplicate seq 5 answered {short(f)}, expected [10, room, 5, null] (or offset 4)")
    Notes.add("3.dup", f"same-session duplicate seq 5 -> {short(f)}")
    # reconnect the same replica (abrupt transport loss), resume, resend acked deltas
    a.abort()
    a2 = await session(srv.port, a.replica, "a2")
    j, entries, _ = await join(a2, rm, pos=[epoch, 5])
    want(j[3] == epoch and j[4] == 5 and j[5] == 5 and j[6] == 5 and j[8] is False,
         f"resume Joined {short(j)}: expected epoch {epoch}, start 5, head 5, acked_seq 5, resync false")
    await send_deltas(a2, rm, [4, 5])
    f1 = await a2.expect(lambda f: f[0] == ACK and f[1] == rm, 5, "re-Ack of seq 4 after reconnect")
    f2 = await a2.expect(lambda f: f[0] == ACK and f[1] == rm, 5, "re-Ack of seq 5 after reconnect")
    Notes.add("3.dup", f"after reconnect, duplicates 4, 5 -> {short(f1)}, {short(f2)}")
    want(f1[2] >= 4 and f2[2] >= 5, f"re-Acks {short(f1)}, {short(f2)} do not cover 4 and 5")
    want(f1[3] in (None, 3) and f2[3] in (None, 4), f"re-Ack offsets {f1[3]}, {f2[3]}")
    # sentinel: b's next entry must be seq 6 at offset 5 (no duplicate before it)
    await send_deltas(a2, rm, [6])
    await wait_acks(a2, rm, 6, 5, 6)
    got = await collect_entries(b, rm, 5, 6, epoch=epoch)
    want(got[0][3] == 6, f"b's entry at offset 5 has seq {got[0][3]}, expected 6 (duplicate delivered?)")
    await b.ping_sync()
    a2.abort()
    b.abort()


@test("3.seq_gap_rejected")
async def _(srv):
    rm = room("gap")
    a = await session(srv.port, name="a")
    b = await session(srv.port, name="b")
    await join(a, rm)
    await join(b, rm)
    await send_deltas(a, rm, [1, 2])
    await wait_acks(a, rm, 2, 0, 1)
    await send_deltas(a, rm, [4])
    f = await a.expect(lambda f: f[0] == REJECT, 5, "Reject seq_gap for seq 4")
    want(f[1:4] == [R_SEQ_GAP, rm, 4], f"gap answered {short(f)}, expected [3, 13, room, 4, ...]")
    Notes.add("3.gap", f"gap message: {f[4]!r}")
    await send_deltas(a, rm, [3])
    await wait_acks(a, rm, 3, 2, 3)
    got = await collect_entries(b, rm, 0, 3)
    want([e[3] for e in got] == [1, 2, 3], f"b got seqs {[e[3] for e in got]}")
    # deltas after a refused one are refused as well (section 8.1): 5 gap, 6 gap
    await send_deltas(a, rm, [5, 6])
    r5 = await a.expect(lambda f: f[0] == REJECT, 5, "Reject for seq 5")
    r6 = await a.expect(lambda f: f[0] == REJECT, 5, "Reject for seq 6")
    want(r5[1:4] == [R_SEQ_GAP, rm, 5] and r6[1:4] == [R_SEQ_GAP, rm, 6], f"got {short(r5)}, {short(r6)}")
    await b.ping_sync()
    await b.quiet(0.2)
    a.abort()
    b.abort()


@test("3.delta_refusals_keep_session")
async def _(srv):
    rm = room("refuse")
    other = room("notjoined")
    a = await session(srv.port, name="a")
    await join(a, rm)
    cases = [
        ("replica_mismatch", [CLIENT_DELTA, rm, "gcounter", a.replica + 1, 1, gcounter([[a.replica + 1, 1]])],
         [R_REPLICA_MISMATCH, rm, 1]),
        ("unknown_room", [CLIENT_DELTA, other, "gcounter", a.replica, 1, gcounter([[a.replica, 1]])],
         [R_UNKNOWN_ROOM, other, 1]),
        ("payload not CBOR", [CLIENT_DELTA, rm, "gcounter", a.replica, 1, b"\xff\xfe"], [R_MALFORMED, rm, 1]),
        ("payload not a gcounter", [CLIENT_DELTA, rm, "gcounter", a.replica, 1, enc("text")], [R_MALFORMED, rm, 1]),
        ("payload with trailing bytes", [CLIENT_DELTA, rm, "gcounter", a.replica, 1, gcounter([[a.replica, 1]]) + b"\x00"],
         [R_MALFORMED, rm, 1]),
        ("delta names another CRDT", [CLIENT_DELTA, rm, "pncounter", a.replica, 1, pncounter([[a.replica, 1]], [])],
         [R_CRDT_MISMATCH, rm, 1]),
    ]
    bad = []
    for what, fr, exp in cases:
        await a.send(fr)
        try:
            f = await a.expect(lambda f: f[0] == REJECT, 5, what)
        except CheckFailed as e:
            f = str(e)
        if not (isinstance(f, list) and f[0] == REJECT and f[1:4] == exp):
            bad.append(f"{what}: got {short(f) if isinstance(f, list) else f}, expected Reject {exp}")
            if isinstance(f, Closed):
                want(False, "; ".join(bad))
    # nothing was logged: seq 1 is still the next one
    await send_deltas(a, rm, [1])
    await wait_acks(a, rm, 1, 0, 1)
    want(not bad, "; ".join(bad))
    a.abort()


@test("3.seq_zero_is_malformed")
async def _(srv):
    rm = room("seq0")
    a = await session(srv.port, name="a")
    await join(a, rm)
    await a.send([CLIENT_DELTA, rm, "gcounter", a.replica, 0, gcounter([[a.replica, 1]])])
    f = await a.expect(lambda f: f[0] != PEERS, 5, "answer to seq 0", skip=(PEERS,))
    want(isinstance(f, list) and f[0] == REJECT and f[1] == R_MALFORMED,
         f"seq 0 answered {short(f) if isinstance(f, list) else f}, expected Reject malformed (section 8.1)")
    try:
        await a.ping_sync(timeout=3)
        after = "session stays open"
    except CheckFailed:
        after = f"session ended: {a.closed}"
    Notes.add("3.seq0", f"seq 0 -> {short(f)}; {after}")
    a.abort()


@test("3.join_unknown_type_and_crdt_mismatch")
async def _(srv):
    rm = room("types")
    a = await session(srv.port, name="a")
    await a.send([JOIN, rm, "nosuchtype", None])
    f = await a.expect(lambda f: f[0] == REJECT, 5, "Reject for an unregistered type")
    want(f[1:4] == [R_CRDT_MISMATCH, rm, None], f"unregistered type answered {short(f)}")
    # nothing was created: the room can now be created as a pncounter
    j, _, _ = await join(a, rm, "pncounter")
    want(j[5] == 0, f"room after the refused join has head {j[5]}")
    await a.ping_sync()
    b = await session(srv.port, name="b")
    await b.send([JOIN, rm, "gcounter", None])
    f = await b.expect(lambda f: f[0] == REJECT, 5, "Reject crdt_mismatch")
    want(f[1:4] == [R_CRDT_MISMATCH, rm, None], f"join with another type answered {short(f)}")
    for t in ("gcounter", "pncounter", "lww", "mvreg", "orset", "map", "any"):
        j, _, _ = await join(b, room("t-" + t), t)
        await b.send([LEAVE, j[1]])
    await b.ping_sync()
    a.abort()
    b.abort()


@test("3.leave_and_rejoin")
async def _(srv):
    rm = room("leave")
    a = await session(srv.port, name="a")
    b = await session(srv.port, name="b")
    await join(a, rm)
    await join(b, rm)
    await a.expect(lambda f: f[0] == PEERS and f[1] == rm, 5, "Peers (b joined)")
    # re-join: a new Joined; a is told b left and joined in one Peers
    j, _, _ = await join(b, rm)
    p = await a.expect(lambda f: f[0] == PEERS and f[1] == rm, 5, "Peers for b's re-join")
    adds = [e[0] for e in p[4]]
    want(p[2] == 1 and b.session in adds and b.session in p[5] and p[3] == 2,
         f"re-join told as {short(p)}, expected one Peers changes with b ({b.session}) in both lists, count 2")
    await b.send([LEAVE, rm])
    p = await a.expect(lambda f: f[0] == PEERS and f[1] == rm, 5, "Peers for b's Leave")
    want(p[2:] == [1, 1, [], [b.session]], f"Leave told as {short(p)}")
    await b.send([LEAVE, rm])
    f = await b.expect(lambda f: f[0] == REJECT, 5, "Reject unknown_room for a second Leave")
    want(f[1:4] == [R_UNKNOWN_ROOM, rm, None], f"second Leave answered {short(f)}")
    await b.ping_sync()
    a.abort()
    b.abort()


@test("4.resume_gets_exactly_missed_entries")
async def _(srv):
    rm = room("resume")
    a = await session(srv.port, name="a")
    b = await session(srv.port, name="b")
    ja, _, _ = await join(a, rm)
    await join(b, rm)
    epoch = ja[3]
    await send_deltas(a, rm, range(1, 6))
    await wait_acks(a, rm, 5, 0, 1)
    await collect_entries(b, rm, 0, 5, epoch=epoch)
    await b.close(1000)
    await b.expect_close(5)
    await send_deltas(a, rm, range(6, 13))
    await wait_acks(a, rm, 12, 5, 6)
    b2 = await session(srv.port, b.replica, "b2")
    j, got, _ = await join(b2, rm, pos=[epoch, 5])
    want(j[3:9] == [epoch, 5, 12, 0, True, False] and j[9] is None,
         f"resume Joined {short(j)}: expected epoch {epoch}, start 5, head 12, acked 0, writable, no resync, no snapshot")
    want([(e[1], e[3]) for e in got] == [(5 + i, 6 + i) for i in range(7)], f"replay {[(e[1], e[3]) for e in got]}")
    await send_deltas(a, rm, [13])
    await wait_acks(a, rm, 13, 12, 13)
    got = await collect_entries(b2, rm, 12, 13, epoch=epoch)
    want(got[0][3] == 13, "entry after the replay is not the sentinel")
    # a fresh join gets everything from 0; the value is the writer's count
    c = await session(srv.port, name="c")
    j, got, _ = await join(c, rm)
    want(j[4] == 0 and j[5] == 13 and j[8] is False, f"fresh join {short(j)}")
    want(gc_value(j[9], got) == 13, f"value {gc_value(j[9], got)} != 13")
    # resume at head: nothing replayed
    j, got, _ = await join(c, rm, pos=[epoch, 13])
    want(j[4] == 13 and j[5] == 13 and not j[8] and got == [], f"resume at head {short(j)}")
    for x in (a, b2, c):
        x.abort()


@test("4.resume_wrong_epoch_or_beyond_head_resyncs")
async def _(srv):
    rm = room("resync")
    a = await session(srv.port, name="a")
    ja, _, _ = await join(a, rm)
    epoch = ja[3]
    await send_deltas(a, rm, range(1, 4))
    await wait_acks(a, rm, 3, 0, 1)
    for what, pos in (("other epoch", [epoch % (2**53 - 1) + 1, 2]), ("offset beyond head", [epoch, 99])):
        c = await session(srv.port, name="c")
        j, got, _ = await join(c, rm, pos=pos)
        want(j[3] == epoch and j[8] is True, f"{what}: Joined {short(j)}, expected resync true")
        want(gc_value(j[9], got) == 3, f"{what}: snapshot+entries give {gc_value(j[9], got)}, expected 3")
        want(j[5] == 3 and (j[4] == 0 or j[9] is not None), f"{what}: Joined {short(j)}")
        c.abort()
    a.abort()
