"""More MUSTs: large rooms (summary), Peers splitting, replica ids above 2^53,
deltas in flight at a disconnect (8.5), refused re-join, rate limit before checks."""
import asyncio
import time

from harness import test, connect, session, join, collect_entries, rid, room, Notes
from swlib import *  # noqa: F401,F403
from swlib import CheckFailed, Closed
from t_handshake import want, reject_then_close
from t_delivery import send_deltas, wait_acks, gc_value
from t_durability import check_log


@test("8.large_room_summary", server="compact")
async def _(srv):
    # the compact hub runs with --max-presence-members 2 --presence-summary-interval-ms 300
    rm = room("summary")
    a = await session(srv.port, name="a")
    b = await session(srv.port, name="b")
    c = await session(srv.port, name="c")
    await join(a, rm)
    await join(b, rm)
    await a.expect(lambda f: f[0] == PEERS and f[1] == rm, 5, "Peers (b)", skip=())
    await join(c, rm)        # 3 members > 2: summary for everyone
    want(c.joined_peers[2:] == [2, 3, [], []], f"joiner of a large room got {short(c.joined_peers)}, expected summary count 3")
    for ws in (a, b):
        p = await ws.expect(lambda f: f[0] == PEERS and f[1] == rm, 5, "Peers summary", skip=())
        want(p[2:] == [2, 3, [], []], f"{ws.name} got {short(p)}, expected summary count 3")
    # presence is not relayed in a summarised room
    await a.send([SET_PRESENCE, rm, b"s-a"])
    await a.ping_sync(skip=())
    await b.ping_sync(skip=())
    # down to 1 member (at most half of 2): full lists again, with the kept states
    await c.send([LEAVE, rm])
    await b.send([LEAVE, rm])
    p = await a.expect(lambda f: f[0] == PEERS and f[1] == rm and f[2] == 0, 5, "Peers full once the room is small again")
    want(p[3] == 1 and p[4] == [], f"a got {short(p)}")
    await b.send([JOIN, rm, "gcounter", None])
    await b.expect(lambda f: f[0] == JOINED, 5, "Joined")
    p = await b.expect(lambda f: f[0] == PEERS and f[1] == rm, 5, "b's Peers")
    want(p[2] == 0 and p[4] == [[a.session, a.replica, None, b"s-a"]],
         f"b's Peers {short(p)}: expected full with a's state kept during the summary")


@test("8.peers_list_split_over_64KiB")
async def _(srv):
    rm = room("split")
    ui = b"u" * 1024
    members = []
    for i in range(70):
        ws = await session(srv.port, name=f"m{i}", user_info=ui)
        await ws.send([JOIN, rm, "gcounter", None])
        members.append(ws)
    for ws in members:
        await ws.expect(lambda f: f[0] == JOINED, 10, "Joined", skip=(PEERS,))
    z = await session(srv.port, name="z")
    await z.send([JOIN, rm, "gcounter", None])
    await z.expect(lambda f: f[0] == JOINED, 10, "Joined")
    frames, listed = [], set()
    while len(listed) < 70:
        p = await z.expect(lambda f: f[0] == PEERS and f[1] == rm, 5, f"Peers frames (have {len(listed)} of 70)", skip=())
        frames.append(p)
        listed |= {e[0] for e in p[4]}
    sizes = [len(enc(p)) for p in frames]
    want(frames[0][2] == 0 and all(p[2] == 1 and p[5] == [] for p in frames[1:]),
         f"modes {[p[2] for p in frames]}: expected full then changes")
    want(len(frames) >= 2, f"a list of 70 x 1 KiB entries came in {len(frames)} frame(s) of {sizes} bytes (section 3.12: split above 64 KiB)")
    want(all(p[3] == 71 for p in frames), f"counts {[p[3] for p in frames]}")
    want(listed == {m.session for m in members}, "the split lists do not name every member exactly")
    Notes.add("8.split", f"Peers for 70 x 1 KiB members: {len(frames)} frames, sizes {sizes}")


@test("9.replica_id_above_2^53")
async def _(srv):
    rm = room("bigid")
    big = 2**64 - 1
    a = await session(srv.port, big, "a")
    b = await session(srv.port, name="b")
    await join(a, rm)
    await join(b, rm)
    await a.send([CLIENT_DELTA, rm, "gcounter", big, 1, gcounter([[big, 1]])])
    await wait_acks(a, rm, 1, 0, 1)
    got = await collect_entries(b, rm, 0, 1)
    want(got[0][2] == big, f"entry names replica {got[0][2]}, expected 2^64-1")


@test("9.deltas_in_flight_at_disconnect_settle_via_acked_seq")
async def _(srv):
    rm = room("inflight")
    w = await session(srv.port, name="w")
    await join(w, rm)
    await w.ping_sync()
    n = 200
    await send_deltas(w, rm, range(1, n + 1))
    w.abort()                       # transport lost with deltas in flight
    w2 = await session(srv.port, w.replica, "w2")
    j, ents, _ = await join(w2, rm)
    k = j[6]
    hi = check_log("room after the writer's disconnect", j, ents, [w.replica])
    want(hi[w.replica] == k, f"Joined.acked_seq {k} but {hi[w.replica]} entries of the replica in the log "
                             "(section 3.5: Joined waits for the replica's appends in flight)")
    await send_deltas(w2, rm, [k + 1])
    await wait_acks(w2, rm, k + 1, j[5], k + 1)
    Notes.add("9.inflight", f"{n} deltas sent then transport aborted: {k} stored, acked_seq {k}")


@test("9.refused_rejoin_leaves_the_room")
async def _(srv):
    rm = room("rejoin-refused")
    a = await session(srv.port, name="a")
    b = await session(srv.port, name="b")
    await join(a, rm)
    await join(b, rm)
    await a.expect(lambda f: f[0] == PEERS and f[1] == rm, 5, "Peers (b)", skip=())
    await b.send([JOIN, rm, "pncounter", None])
    f = await b.expect(lambda f: f[0] == REJECT, 5, "Reject crdt_mismatch for the re-join")
    want(f[1:4] == [R_CRDT_MISMATCH, rm, None], f"refused re-join answered {short(f)}")
    p = await a.expect(lambda f: f[0] == PEERS and f[1] == rm, 5, "Peers: b left")
    want(p[2:] == [1, 1, [], [b.session]], f"a told {short(p)}")
    await b.send([CLIENT_DELTA, rm, "gcounter", b.replica, 1, gcounter([[b.replica, 1]])])
    f = await b.expect(lambda f: f[0] == REJECT, 5, "Reject unknown_room after the refused re-join")
    want(f[1:4] == [R_UNKNOWN_ROOM, rm, 1], f"delta after a refused re-join answered {short(f)}")


@test("9.refused_hello_does_not_replace", server="jwt")
async def _(srv):
    from t_final import jwt
    now = int(time.time())
    tok = jwt({"exp": now + 600, "syncwire": {"rooms": [{"prefix": "", "access": "write"}]}})
    r = rid()
    a = await session(srv.port, r, "a", token=tok)
    x = await connect(srv.port, "x")
    await x.send([HELLO, [2], r, jwt({"exp": now - 100, "syncwire": {"rooms": []}}), None])
    await reject_then_close(x, R_UNAUTHORIZED, 4002, "expired token")
    await a.ping_sync(skip=())      # a is still the replica's session


@test("7.rate_limited_before_other_checks", server="rate")
async def _(srv):
    from conformance import RATE
    a = await session(srv.port, name="a")          # 1 frame token used
    for i in range(RATE["rate_frame_burst"] - 1):    # use up the bucket
        await a.send([PING, i])
    for i in range(RATE["rate_frame_burst"] - 1):
        await a.expect(lambda f: f[0] == PONG, 5, "Pong", skip=())
    await a.send_raw(b"\xff\xff")                     # malformed AND over the rate
    f = await a.expect(lambda f: True, 5, "answer to a malformed frame over the rate", skip=())
    want(f[0] == REJECT and f[1] == R_RATE_LIMITED, f"got {short(f)}, expected Reject rate_limited (section 7: no further checks)")
    # one frame token refills in 1 s: after it the session is still there (no 4006)
    t_refill = time.monotonic() + 1.0 / RATE["rate_frames_per_sec"] + 0.1
    x = await a.next(max(t_refill - time.monotonic(), 0))
    want(x is None, f"after the rate_limited Reject: {x}")
    await a.ping_sync(skip=())


@test("1.large_version_numbers_are_uints")
async def _(srv):
    # section 2/3.1: versions are uints, and every uint field allows any 64-bit value;
    # section 4: the hub picks the highest common version, else unsupported_version/4001
    bad = []
    for versions, exp in (([2, 2**32], "Welcome"), ([2**32], 4001), ([2**64 - 1], 4001)):
        ws = await connect(srv.port, "x")
        await ws.send([HELLO, versions, rid(), None, None])
        f = await ws.next(5)
        if exp == "Welcome":
            if not (isinstance(f, list) and f[0] == WELCOME and f[1] == 2):
                bad.append(f"Hello versions {versions} answered {short(f) if isinstance(f, list) else f}, expected Welcome version 2")
        else:
            rest = await ws.expect_close(5) if not isinstance(f, Closed) else (f, [])
            closed = rest[0]
            if not (isinstance(f, list) and f[0] == REJECT and f[1] == R_UNSUPPORTED_VERSION and closed.code == 4001):
                bad.append(f"Hello versions {versions} answered {short(f) if isinstance(f, list) else f} + close {closed.code}, expected Reject 1 + 4001")
        ws.abort()
    want(not bad, "; ".join(bad))


@test("3.payload_must_have_the_documented_layout")
async def _(srv):
    # PROTOCOL.md 3.7: the hub checks the payload decodes as the room's type (CRDTS.md layout)
    a = await session(srv.port, name="a")
    bad = []
    cases = [("gcounter", "gcounter entry with 3 elements [[r, 1, 2]]", [[a.replica, 1, 2]]),
             ("gcounter", "gcounter entry with 1 element [[r]]", [[a.replica]]),
             ("gcounter", "gcounter as a bare pair [r, 1]", [a.replica, 1]),
             ("gcounter", "gcounter negative count", [[a.replica, -1]]),
             ("pncounter", "pncounter with 3 lists", [[[1, 5]], [[2, 2]], []]),
             ("pncounter", "pncounter entry with 3 elements", [[[1, 5, 0]], []]),
             ("lww", "lww with 4 elements", [1000, 1, "hi", 5]),
             ("mvreg", "mvreg entry with 4 elements", [[[1, 1, 7, 0]], [[[1, 1]], []]]),
             ("any", "any with 3 elements", ["empty", None, 1])]
    for crdt, what, v in cases:
        rm = room("layout")          # a fresh room per case, so seq 1 is always the next one
        await join(a, rm, crdt)
        await a.send([CLIENT_DELTA, rm, crdt, a.replica, 1, enc(v)])
        f = await a.expect(lambda f: f[0] in (ACK, REJECT), 5, f"answer to {what}")
        if f[0] != REJECT or f[1:4] != [R_MALFORMED, rm, 1]:
            bad.append(f"{what}: {short(f)}, expected Reject malformed")
        await a.send([LEAVE, rm])
    want(not bad, "; ".join(bad))


@test("9.undocumented_hub_wide_limits_recorded", server="small")
async def _(srv):
    """max_sessions / max_loaded_rooms (syncwire serve --help) are not in PROTOCOL.md;
    this only records what a client sees (it passes unless the hub misbehaves grossly)."""
    a = await session(srv.port, name="a")
    b = await session(srv.port, name="b")
    c = await connect(srv.port, "c")
    await c.send([HELLO, [2], rid(), None, None])
    f = await c.next(5)
    rest = f if isinstance(f, Closed) else (await c.expect_close(5))[0]
    Notes.add("9.limits", f"3rd session with --max-sessions 2: {short(f) if isinstance(f, list) else f}; end {rest}")
    want(not (isinstance(f, list) and f[0] == WELCOME), "a session beyond max_sessions was welcomed")
    for i in range(2):
        await join(a, room(f"lr{i}"))
    rm = room("lr-extra")
    await a.send([JOIN, rm, "gcounter", None])
    f = await a.expect(lambda f: f[0] in (REJECT, JOINED), 5, "answer to a Join beyond max_loaded_rooms")
    Notes.add("9.limits", f"Join beyond --max-loaded-rooms 2: {short(f)}")
    want(f[0] == REJECT and f[2] == rm, f"Join beyond max_loaded_rooms answered {short(f)}")


@test("3.crdts_md_example_payloads_accepted")
async def _(srv):
    """Every encoding example of CRDTS.md is a valid delta of its type for the hub,
    and junk (a CBOR text string) is not."""
    examples = [("gcounter", "81820103"), ("pncounter", "828182010581820202"),
                ("lww", "831903e801626869"), ("lww", "f6"), ("mvreg", "828183010107828182010180"),
                ("orset", "828182617881820101828182010180"), ("orset", "8280828182010180"),
                ("map", "828182657469746c658183010182636c7777831903e801646d696c6b828182010180"),
                ("any", "8265656d707479f6")]
    a = await session(srv.port, name="a")
    bad = []
    for crdt, hx in examples:
        rm = room("ex-" + crdt)
        await join(a, rm, crdt)
        await a.send([CLIENT_DELTA, rm, crdt, a.replica, 1, bytes.fromhex(hx)])
        f = await a.expect(lambda f: f[0] in (ACK, REJECT), 5, f"answer to the {crdt} example")
        if f[0] != ACK:
            bad.append(f"{crdt} example {hx}: {short(f)}")
        await a.send([CLIENT_DELTA, rm, crdt, a.replica, 2, enc("junk")])
        f = await a.expect(lambda f: f[0] in (ACK, REJECT), 5, f"answer to junk in {crdt}")
        if f[0] != REJECT or f[1] != R_MALFORMED:
            bad.append(f"{crdt}: junk payload answered {short(f)}")
        await a.send([LEAVE, rm])
    want(not bad, "; ".join(bad))


@test("9.ambiguities_recorded")
async def _(srv):
    """Points the documents leave open; this records what the hub does (see the report)."""
    # a client Reject whose message is over 1024 bytes: "ignored, never answered" (3.3)
    # or "message length -> malformed, 4006" (7)?
    a = await session(srv.port, name="a")
    await a.send([REJECT, 6, None, None, "m" * 1025])
    await a.send([PING, 1])
    f = await a.next(5)
    rest = "" if not isinstance(f, list) or f[0] == PONG else f" then {(await a.expect_close(5))[0]}"
    Notes.add("9.ambig", f"client Reject with a 1025-byte message -> {short(f) if isinstance(f, list) else f}{rest}")
    # Join immediately followed by Leave, room not loaded yet (3.4/3.6 say nothing)
    a = await session(srv.port, name="a")
    rm = room("joinleave")
    await a.send([JOIN, rm, "gcounter", None])
    await a.send([LEAVE, rm])
    await a.send([PING, 2])
    got = []
    while True:
        f = await a.expect(lambda f: True, 5, "frames after Join+Leave", skip=())
        if f[0] == PONG:
            break
        got.append(short(f, 80))
    # the Pong proves nothing else is queued from the Join's turn; Joined could come later
    x = await a.next(1.0)
    if x is not None:
        got.append(short(x, 80) if isinstance(x, list) else str(x))
    Notes.add("9.ambig", f"Join then Leave of a room not loaded: {got or 'no answer at all (no Joined, no Reject)'}")
    # a Join position with epoch 0 (epochs are 1..2^53-1)
    j, _, _ = await join(a, room("epoch0"), pos=[0, 0])
    Notes.add("9.ambig", f"Join with position [0, 0] of a new room -> {short(j)}")
