"""Other MUSTs: malformed frames after Welcome, the closing handshake, JWT grants
(docs/AUTH.md), compaction (section 8.4), and the hub's own encoding (section 2)."""
import base64
import hashlib
import hmac
import json
import time

from harness import test, connect, session, join, collect_entries, rid, room, Notes
from swlib import *  # noqa: F401,F403
import swlib
from swlib import CheckFailed, Closed, enc
from t_handshake import want, reject_then_close
from t_delivery import send_deltas, wait_acks, gc_value

JWT_SECRET = b"conformance-jwt-secret-of-at-least-32-bytes"


def jwt(claims, secret=JWT_SECRET):
    b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=")  # noqa: E731
    h = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    p = b64(json.dumps(claims).encode())
    sig = b64(hmac.new(secret, h + b"." + p, hashlib.sha256).digest())
    return (h + b"." + p + b"." + sig).decode()


@test("9.malformed_after_welcome_4006")
async def _(srv):
    rm = room("mal")
    cases = [
        ("frame type 14 (v1 PeerLeft)", enc([14, rm, 1])),
        ("frame type 99", enc([99])),
        ("Ping with 3 elements", enc([PING, 1, 2])),
        ("Ping nonce negative", enc([PING, -1])),
        ("Ping nonce float", enc([PING, 1.5])),
        ("Join with a map for the position", enc([JOIN, rm, "gcounter", {1: 2}])),
        ("Join position with 3 elements", enc([JOIN, rm, "gcounter", [1, 2, 3]])),
        ("ClientDelta payload as text", enc([CLIENT_DELTA, rm, "gcounter", 1, 1, "text"])),
        ("room as bytes", enc([LEAVE, rm.encode()])),
        ("tagged room", enc([LEAVE, Tag(0, rm)])),
        ("invalid UTF-8 room", bytes.fromhex("82 06 62 ff fe")),
        ("trailing bytes", enc([PING, 1]) + b"\x00"),
        ("declared length beyond the message", bytes.fromhex("82 06 7a 00 10 00 00 61")),
        ("empty message", b""),
    ]
    bad = []
    for what, raw in cases:
        a = await session(srv.port, name="a")
        await a.send_raw(raw)
        try:
            await reject_then_close(a, R_MALFORMED, 4006, what)
        except CheckFailed as e:
            bad.append(str(e))
        a.abort()
    want(not bad, "; ".join(bad))


@test("9.hub_close_waits_2s_for_client_close")
async def _(srv):
    a = await session(srv.port, name="a")
    a.sent_close = True            # make the client NOT answer the hub's Close
    t0 = time.monotonic()
    await a.send_raw(enc([99]))     # malformed: the hub closes 4006
    # the Close frame arrives; then the hub waits up to 2 s for ours before dropping TCP
    closed, _ = await a.expect_close(5)
    want(closed.code == 4006, f"closed {closed}")
    t_close = closed.at
    # the read loop has ended at the Close frame; read the raw stream for EOF
    deadline = time.monotonic() + 5
    eof_at = None
    while time.monotonic() < deadline:
        try:
            data = await asyncio_wait_read(a.reader, deadline - time.monotonic())
        except Exception:
            data = b""
        if not data:
            eof_at = time.monotonic()
            break
    want(eof_at is not None, "hub did not drop the TCP connection within 5 s of its Close")
    dt = eof_at - t_close
    want(dt <= 2.5, f"TCP dropped {dt:.2f}s after the hub's Close (section 1: waits up to 2 s)")
    Notes.add("9.close", f"without the client's Close, TCP dropped {dt:.2f}s after the hub's Close")


async def asyncio_wait_read(reader, timeout):
    import asyncio
    return await asyncio.wait_for(reader.read(4096), max(timeout, 0.01))


@test("9.jwt_grants_forbidden_replica_forbidden", server="jwt")
async def _(srv):
    now = int(time.time())
    grant = {"rooms": [{"prefix": "rw/", "access": "write"}, {"prefix": "ro/", "access": "read"}],
             "replicas": [7, 8]}
    good = jwt({"sub": "ann", "exp": now + 600, "syncwire": grant})
    writer = jwt({"sub": "w", "exp": now + 600, "syncwire": {"rooms": [{"prefix": "", "access": "write"}]}})
    # expired token: unauthorized, 4002
    ws = await connect(srv.port, "x")
    await ws.send([HELLO, [2], 7, jwt({"exp": now - 60, "syncwire": grant}), None])
    await reject_then_close(ws, R_UNAUTHORIZED, 4002, "expired JWT")
    # replica outside the grant: replica_forbidden, 4014
    ws = await connect(srv.port, "x")
    await ws.send([HELLO, [2], 9, good, None])
    await reject_then_close(ws, R_REPLICA_FORBIDDEN, 4014, "replica 9 outside [7, 8]")
    a = await session(srv.port, 7, "a", token=good)
    # read-only session: join of a room that does not exist -> forbidden, not created
    ro_new = room("ro/new")
    await a.send([JOIN, ro_new, "gcounter", None])
    f = await a.expect(lambda f: f[0] == REJECT, 5, "Reject forbidden (read-only create)")
    want(f[1:4] == [R_FORBIDDEN, ro_new, None], f"read-only join of a new room answered {short(f)}")
    # no grant for the room at all
    other = room("elsewhere")
    await a.send([JOIN, other, "gcounter", None])
    f = await a.expect(lambda f: f[0] == REJECT, 5, "Reject forbidden (no grant)")
    want(f[1:4] == [R_FORBIDDEN, other, None], f"join without a grant answered {short(f)}")
    # a writer creates a ro/ room; the reader joins it read-only and is refused writes
    ro = room("ro/doc")
    w = await session(srv.port, rid(), "w", token=writer)
    await join(w, ro)
    await send_deltas(w, ro, [1])
    await wait_acks(w, ro, 1, 0, 1)
    j, ents, _ = await join(a, ro)
    want(j[7] is False and len(ents) == 1, f"reader's Joined {short(j)} ({len(ents)} entries)")
    await send_deltas(a, ro, [1])
    f = await a.expect(lambda f: f[0] == REJECT, 5, "Reject forbidden for a write to a read-only room")
    want(f[1:4] == [R_FORBIDDEN, ro, 1], f"write to a read-only room answered {short(f)}")
    j, _, _ = await join(a, room("rw/doc"))
    want(j[7] is True, f"rw/ room not writable: {short(j)}")
    await a.ping_sync()


async def follow(ws, rm, nxt, ack_upto, end, timeout=5.0):
    """Apply the client rules of section 8.2 to the room's stream until an Ack covers
    ack_upto and the position reaches end. Returns (position, own_entries_replayed)."""
    acked, own = 0, 0
    deadline = time.monotonic() + timeout
    while acked < ack_upto or nxt < end:
        left = deadline - time.monotonic()
        item = await ws.next(left) if left > 0 else None
        if item is None:
            raise CheckFailed(f"{ws.name}: position {nxt} (of {end}), acked {acked} (of {ack_upto}) after {timeout}s")
        if not isinstance(item, list):
            raise CheckFailed(f"{ws.name}: {item}")
        if item[0] == ACK and item[1] == rm:
            acked = max(acked, item[2])
            if item[3] == nxt:
                nxt += 1
        elif item[0] in (HUB_DELTA, DELTA_BATCH) and item[1] == rm:
            for e in entries_of(item):
                if e[2] == ws.replica:
                    own += 1
                if e[1] > nxt:
                    raise CheckFailed(f"{ws.name}: gap: entry at {e[1]}, expected {nxt}")
                if e[1] == nxt:
                    nxt += 1
        elif item[0] in (PEERS, PRESENCE):
            continue
        else:
            raise CheckFailed(f"{ws.name}: unexpected {short(item)}")
    return nxt, own


async def fresh_join_until(srv, rm, cond, timeout):
    """Fresh joins (each a full Join/Joined/replay exchange) until cond(joined, entries)
    holds or the deadline passes; returns the last (joined, entries)."""
    deadline = time.monotonic() + timeout
    while True:
        c = await session(srv.port, name="probe")
        try:
            j, ents, _ = await join(c, rm)
        except CheckFailed:
            # section 8.4: a joiner being caught up whose next entries get folded away
            # meanwhile is closed 4011; its next join gets the snapshot
            if c.closed is not None and c.closed.code == 4011 and time.monotonic() < deadline:
                Notes.add("9.compaction", "a fresh joiner was closed 4011 during its replay (entries folded meanwhile)")
                continue
            after = await c.next(3)
            tail = [short(h, 90) if isinstance(h, list) and h[0] not in (HUB_DELTA, DELTA_BATCH) else
                    ("entries" if isinstance(h, list) else str(h)) for h in c.history][1:6]
            raise CheckFailed(f"fresh join of the compacting room: {tail}, then {after if not isinstance(after, list) else short(after)}")
        c.abort()
        if cond(j, ents) or time.monotonic() > deadline:
            return j, ents


@test("9.compaction_snapshot_and_resync", server="compact")
async def _(srv):
    rm = room("compact")
    a = await session(srv.port, name="a")
    ja, _, _ = await join(a, rm)
    epoch = ja[3]
    n, tail = 40, 8
    for s in range(1, n + 1):       # one at a time: every append is its own storage batch
        await send_deltas(a, rm, [s])
        await wait_acks(a, rm, s, s - 1, s)
    j, ents = await fresh_join_until(srv, rm, lambda j, e: j[4] >= n - tail, 10)
    want(j[8] is True and j[9] is not None, f"fresh join after {n} entries (max_tail_entries {tail}): {short(j)}, expected resync with a snapshot")
    want(j[4] >= n - tail and j[5] == n, f"Joined {short(j)}: expected start >= {n - tail}, head {n}")
    want(len(ents) == n - j[4], f"{len(ents)} entries after the snapshot, expected {n - j[4]}")
    want(gc_value(j[9], ents) == n, f"snapshot + entries = {gc_value(j[9], ents)}, expected {n}")
    Notes.add("9.compaction", f"serial appends: fresh join start {j[4]}, head {j[5]}, snapshot {hexs(j[9], 20)}")
    # resume from a position whose entries were folded away: resync with the snapshot
    c = await session(srv.port, name="c2")
    j2, ents2, _ = await join(c, rm, pos=[epoch, 1])
    want(j2[8] is True and gc_value(j2[9], ents2) == n, f"resume from a compacted offset: {short(j2)}")
    # resume from head-1 (still retained): no resync
    j3, ents3, _ = await join(c, rm, pos=[epoch, n - 1])
    want(j3[8] is False and j3[4] == n - 1 and len(ents3) == 1, f"resume from a retained offset: {short(j3)}")
    # the writer's acked_seq and deduplication survive compaction
    a2 = await session(srv.port, a.replica, "a2")
    j4, _, _ = await join(a2, rm, pos=[epoch, n])
    want(j4[6] == n, f"acked_seq after compaction {j4[6]}, expected {n}")
    await send_deltas(a2, rm, [1])
    f = await a2.expect(lambda f: f[0] == ACK, 5, "re-Ack of a compacted duplicate")
    want(f[2] >= 1 and f[3] is None, f"duplicate seq 1 (folded into the snapshot) answered {short(f)}")


@test("9.compaction_after_a_burst", server="compact")
async def _(srv):
    rm = room("burst")
    a = await session(srv.port, name="a")
    await join(a, rm)
    # §8.4: folds run one at a time, each over at most max_tail_entries entries, so
    # the snapshot trails a burst until they catch up (n / tail folds here).
    n, tail = 160, 8
    await send_deltas(a, rm, range(1, n + 1))    # pipelined: appends share storage batches
    pos, own = await follow(a, rm, 0, n, n)
    if own:
        Notes.add("9.burst", f"sole writer got {own} of its own entries back in a DeltaBatch (treated as behind)")
    j, ents = await fresh_join_until(srv, rm, lambda j, e: j[4] >= n - tail, 40)
    want(gc_value(j[9], ents) == n, f"value {gc_value(j[9], ents)} != {n}")
    want(j[4] >= n - tail, f"40 s after {n} pipelined appends, a fresh join gets start {j[4]} "
                           f"(head {j[5]}): the folds never caught up with the tail (section 8.4)")


@test("9.hub_frames_preferred_serialization_and_arity", server=None)
async def _(servers):
    want(not swlib.NONCANONICAL, f"hub frames not in preferred serialization: {swlib.NONCANONICAL[:3]}")
    if swlib.HUB_PINGS:
        Notes.add("9.pings", f"the hub sent Ping frames (section 9 says the reference hub never does): {swlib.HUB_PINGS[:3]}")
    want(not swlib.BADSHAPE, f"hub frames with a wrong number of elements: {swlib.BADSHAPE[:3]}")


@test("9.jwt_claim_rules", server="jwt")
async def _(srv):
    """docs/AUTH.md section 1: leeway, nbf, unknown fields, replica ranges, empty rooms."""
    now = int(time.time())
    allw = {"rooms": [{"prefix": "", "access": "write"}]}
    cases = [
        ("exp 3 s ago (within the 5 s leeway)", {"exp": now - 3, "syncwire": allw}, 7, "ok"),
        ("exp 30 s ago", {"exp": now - 30, "syncwire": allw}, 7, R_UNAUTHORIZED),
        ("no exp", {"syncwire": allw}, 7, R_UNAUTHORIZED),
        ("nbf in 60 s", {"exp": now + 600, "nbf": now + 60, "syncwire": allw}, 7, R_UNAUTHORIZED),
        ("nbf in 3 s (leeway)", {"exp": now + 600, "nbf": now + 3, "syncwire": allw}, 7, "ok"),
        ("no syncwire claim", {"exp": now + 600}, 7, R_UNAUTHORIZED),
        ("unknown field in syncwire", {"exp": now + 600, "syncwire": {**allw, "admin": True}}, 7, R_UNAUTHORIZED),
        ("replica range, inside", {"exp": now + 600, "syncwire": {**allw, "replicas": "1000-1999"}}, 1999, "ok"),
        ("replica range, outside", {"exp": now + 600, "syncwire": {**allw, "replicas": "1000-1999"}}, 2000, R_REPLICA_FORBIDDEN),
        ("wrong signature", None, 7, R_UNAUTHORIZED),
    ]
    bad = []
    for what, claims, replica, exp in cases:
        tok = jwt(claims) if claims is not None else jwt({"exp": now + 600, "syncwire": allw}, b"x" * 40)
        ws = await connect(srv.port, "x")
        await ws.send([HELLO, [2], replica, tok, None])
        f = await ws.next(5)
        got = "ok" if isinstance(f, list) and f[0] == WELCOME else (f[1] if isinstance(f, list) and f[0] == REJECT else f)
        if got != exp:
            bad.append(f"{what}: got {short(f) if isinstance(f, list) else f}, expected {exp}")
        elif exp != "ok":
            Notes.add("9.jwt", f"{what}: {f[4]!r}")
        ws.abort()
    # rooms empty: no room at all
    a = await session(srv.port, 7, "a", token=jwt({"exp": now + 600, "syncwire": {"rooms": []}}))
    rm = room("any")
    await a.send([JOIN, rm, "gcounter", None])
    f = await a.expect(lambda f: f[0] == REJECT, 5, "Reject forbidden (empty rooms)")
    if f[1:4] != [R_FORBIDDEN, rm, None]:
        bad.append(f"join with an empty rooms grant answered {short(f)}")
    want(not bad, "; ".join(bad))


@test("9.joiner_during_compaction_gets_4011_not_1011", server="compact")
async def _(srv):
    """Section 8.4: a member being caught up whose next entries are folded away meanwhile
    is closed 4011 slow_consumer ("before issue 17 the reference hub answered it with
    Reject internal and close 1011"). Fresh joiners race a writer's bursts here."""
    outcomes = {}
    bad = []
    t_end = time.monotonic() + 15
    rounds = 0
    while time.monotonic() < t_end and rounds < 30 and not bad:
        rounds += 1
        rm = room("race")
        a = await session(srv.port, name="a")
        await join(a, rm)
        await send_deltas(a, rm, range(1, 401))
        k = 0
        t_round = None
        while k <= 3 or time.monotonic() < t_round:
            if k == 3:
                await follow(a, rm, 0, 400, 400, timeout=10)   # the burst is stored; folds run
                t_round = time.monotonic() + 0.4
            k += 1
            c = await session(srv.port, name="probe")
            try:
                j, ents, _ = await join(c, rm)
                outcomes["ok"] = outcomes.get("ok", 0) + 1
            except CheckFailed:
                after = c.closed or await c.next(3)
                rej = [h for h in c.history if isinstance(h, list) and h[0] == REJECT]
                jd = [short(h, 110) for h in c.history if isinstance(h, list) and h[0] == JOINED]
                ne = sum(len(entries_of(h)) for h in c.history if isinstance(h, list))
                key = f"{jd} + {ne} entries + {[short(r, 90) for r in rej]} + {after}"
                if isinstance(after, Closed) and after.code == 4011 and not rej:
                    outcomes["4011"] = outcomes.get("4011", 0) + 1
                else:
                    bad.append(key)
            c.abort()
        a.abort()
    Notes.add("9.race", f"{rounds} rounds of fresh joins racing compaction: {outcomes}, bad {len(bad)}")
    want(not bad, f"a fresh joiner racing compaction got {bad[:1]} (section 8.4: close 4011, not Reject internal/1011)")
