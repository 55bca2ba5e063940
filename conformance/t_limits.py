"""Sections 3.1, 4, 7, 9 on a hub with non-default limits ("tight"), and the rate limit."""
import time

from harness import test, connect, session, join, collect_entries, rid, room, Notes
from swlib import *  # noqa: F401,F403
from swlib import CheckFailed, Closed
from t_handshake import want, reject_then_close
from t_delivery import send_deltas, wait_acks, gc_value


def tsession(srv, replica=None, name="c", user_info=None):
    return session(srv.port, replica, name, token=srv.token, user_info=user_info)


@test("7.welcome_announces_configured_limits", server="tight")
async def _(srv):
    c = srv.conf
    a = await tsession(srv, name="a")
    w = a.welcome
    exp = [c["max_frame_bytes"], c["max_rooms"], 10000, 4194304, 20000, 8388608,
           c["max_payload_bytes"], c["max_presence_bytes"], c["heartbeat_timeout_ms"]]
    want(w[3] == c["heartbeat_ms"], f"heartbeat_ms {w[3]} != configured {c['heartbeat_ms']}")
    want(w[4] == exp, f"limits {w[4]} != configured {exp}")


@test("1.unauthorized_token_4002", server="tight")
async def _(srv):
    for tok in ("wrong", None):
        ws = await connect(srv.port, "a")
        await ws.send([HELLO, [2], rid(), tok, None])
        await reject_then_close(ws, R_UNAUTHORIZED, 4002, f"token {tok!r}")


@test("1.origin_allow_list_403", server="tight")
async def _(srv):
    from swlib import WS
    for origin, exp in (("https://evil.example", 403), ("https://good.example", 101),
                        ("HTTPS://GOOD.EXAMPLE/", 101), (None, 101)):
        ws = WS("o")
        st = await ws.connect(srv.port, headers={"Origin": origin} if origin else None)
        want(st == exp, f"upgrade with Origin {origin!r} answered {st}, expected {exp}")
        ws.abort()


@test("1.user_info_too_large_1009", server="tight")
async def _(srv):
    lim = srv.conf["max_user_info_bytes"]
    ok = await tsession(srv, name="ok", user_info=b"u" * lim)
    ws = await connect(srv.port, "a")
    await ws.send([HELLO, [2], rid(), srv.token, b"u" * (lim + 1)])
    await reject_then_close(ws, R_PAYLOAD_TOO_LARGE, 1009, "user_info over the limit")


@test("1.handshake_timeout_4012", server="tight")
async def _(srv):
    lim = srv.conf["handshake_timeout_ms"] / 1000
    ws = await connect(srv.port, "a")
    t0 = time.monotonic()
    # Pings before Hello are answered but do not extend the handshake time (section 4.7)
    for i in range(3):
        await ws.send([PING, i])
        await ws.expect(lambda f: f[0] == PONG, 2, "Pong before Hello", skip=())
    closed, frames = await ws.expect_close(lim + 3)
    dt = closed.at - t0
    want(closed.code == 4012, f"no Hello: closed with {closed} after {dt:.2f}s, expected 4012")
    want(lim - 0.1 <= dt <= lim + 1.0, f"closed after {dt:.2f}s, handshake_timeout is {lim}s")
    Notes.add("1.handshake_timeout", f"closed 4012 after {dt:.3f}s (timeout {lim}s); frames before: {[short(f) for f in frames if isinstance(f, list)]}")


@test("6.ping_pong", server="tight")
async def _(srv):
    a = await tsession(srv, name="a")
    for n in (0, 1, 23, 24, 255, 65536, 2**32, 2**53 + 1, 2**64 - 1):
        await a.send([PING, n])
        f = await a.expect(lambda f: f[0] == PONG, 3, f"Pong {n}", skip=())
        want(f == [PONG, n], f"Ping {n} answered {short(f)}")


@test("6.heartbeat_timeout_4010", server="tight")
async def _(srv):
    tmo = srv.conf["heartbeat_timeout_ms"] / 1000
    hb = srv.conf["heartbeat_ms"] / 1000
    rm = room("hb")
    b = await tsession(srv, name="b")
    t_welcome = time.monotonic()
    await join(b, rm)
    # a is silent from its Welcome on
    a = await tsession(srv, name="a")
    ta = time.monotonic()
    await a.send([JOIN, rm, "gcounter", None])
    ta = time.monotonic()   # the Join is a message: the silence starts here
    closed_a = None
    # b keeps alive with pings every heartbeat_ms (its own loop, bounded)
    deadline = time.monotonic() + tmo + 3
    peer_left = None
    nonce = 0
    while time.monotonic() < deadline and (closed_a is None or peer_left is None):
        nonce += 1
        await b.send([PING, nonce])
        while True:
            f = await b.next(hb / 2)
            if f is None:
                break
            if isinstance(f, Closed):
                raise CheckFailed(f"b (pinging every {hb}s) was closed: {f}")
            if f[0] == PEERS and a.session in f[5]:
                peer_left = f
        if a.closed is not None and closed_a is None:
            closed_a = a.closed
        # read a's queue without blocking to see its close
        while closed_a is None:
            x = await a.next(0.001)
            if x is None:
                break
            if isinstance(x, Closed):
                closed_a = x
    want(closed_a is not None, f"silent session not closed within {tmo + 3:.1f}s")
    dt = closed_a.at - ta
    want(closed_a.code == 4010, f"silent session closed with {closed_a}, expected 4010")
    want(tmo - 0.05 <= dt <= tmo + 0.75, f"silent session closed {dt:.3f}s after its last message, timeout {tmo}s")
    want(peer_left is not None, "the other member was not told in Peers that the silent one left")
    want(b.closed is None, "pinging session was closed")
    Notes.add("6.heartbeat", f"silent session closed 4010 {dt:.3f}s after its last message (timeout {tmo}s)")


@test("6.any_message_is_sign_of_life", server="tight")
async def _(srv):
    tmo = srv.conf["heartbeat_timeout_ms"] / 1000
    a = await tsession(srv, name="a")
    t_end = time.monotonic() + tmo * 2
    i = 0
    while time.monotonic() < t_end:
        i += 1
        # a rejected frame (Leave of a room not joined) counts as a sign of life
        await a.send([LEAVE, f"nope-{i}"])
        f = await a.expect(lambda f: f[0] == REJECT, 2, "Reject unknown_room", skip=())
        want(f[1] == R_UNKNOWN_ROOM, f"Leave of a room not joined answered {short(f)}")
        x = await a.next(tmo / 3)
        want(x is None, f"unexpected {x}")


@test("7.oversized_frame_and_payload", server="tight")
async def _(srv):
    c = srv.conf
    rm = room("big")
    a = await tsession(srv, name="a")
    b = await tsession(srv, name="b")
    await join(a, rm)
    await join(b, rm)
    await send_deltas(a, rm, [1, 2, 3])
    await wait_acks(a, rm, 3, 0, 1)
    # a frame over max_frame_bytes (under twice it): payload_too_large with room and seq
    big = enc([CLIENT_DELTA, rm, "gcounter", a.replica, 4, b"\x00" * (c["max_frame_bytes"] + 100)])
    assert c["max_frame_bytes"] < len(big) < 2 * c["max_frame_bytes"]
    await a.send_raw(big)
    f = await a.expect(lambda f: f[0] == REJECT, 5, "Reject for an oversized frame")
    want(f[1:4] == [R_PAYLOAD_TOO_LARGE, rm, 4], f"oversized frame ({len(big)} bytes) answered {short(f)}")
    # a payload over max_payload_bytes in a frame under max_frame_bytes
    fr = enc([CLIENT_DELTA, rm, "gcounter", a.replica, 4, b"\x00" * (c["max_payload_bytes"] + 1)])
    assert len(fr) <= c["max_frame_bytes"]
    await a.send_raw(fr)
    f = await a.expect(lambda f: f[0] == REJECT, 5, "Reject for an oversized payload")
    want(f[1:4] == [R_PAYLOAD_TOO_LARGE, rm, 4], f"oversized payload answered {short(f)}")
    # a payload of exactly max_payload_bytes passes the size check (then fails the CRDT check)
    fr = enc([CLIENT_DELTA, rm, "gcounter", a.replica, 4, b"\x00" * c["max_payload_bytes"]])
    await a.send_raw(fr)
    f = await a.expect(lambda f: f[0] == REJECT, 5, "Reject for a max-size junk payload")
    want(f[1:4] == [R_MALFORMED, rm, 4], f"max-size junk payload answered {short(f)}, expected malformed")
    # the session is open and nothing was logged: seq 4 is still next
    await send_deltas(a, rm, [4])
    await wait_acks(a, rm, 4, 3, 4)
    got = await collect_entries(b, rm, 0, 4)
    want([e[3] for e in got] == [1, 2, 3, 4], f"b got seqs {[e[3] for e in got]}")
    # a message over twice the frame limit: the connection is dropped
    await a.send_raw(b"\x00" * (2 * c["max_frame_bytes"] + 10))
    closed, frames = await a.expect_close(5)
    Notes.add("7.frame", f"message over 2x max_frame_bytes -> {closed}, frames {[short(f) for f in frames if isinstance(f, list)]}")
    # nothing accepted was lost
    d = await tsession(srv, name="d")
    j, got, _ = await join(d, rm)
    want(j[5] == 4 and gc_value(j[9], got) == 4, f"after the limits: head {j[5]}, value {gc_value(j[9], got)}, expected 4/4")


@test("7.oversized_undecodable_is_malformed_4006", server="tight")
async def _(srv):
    a = await tsession(srv, name="a")
    await a.send_raw(b"\xff" * (srv.conf["max_frame_bytes"] + 10))
    closed, frames = await a.expect_close(5)
    rej = [f for f in frames if isinstance(f, list) and f[0] == REJECT]
    want(rej and rej[-1][1] == R_MALFORMED and closed.code == 4006,
         f"undecodable oversized message -> {[short(f) for f in rej]}, {closed}; expected Reject malformed + 4006")


@test("7.presence_too_large", server="tight")
async def _(srv):
    lim = srv.conf["max_presence_bytes"]
    rm = room("pres")
    a = await tsession(srv, name="a")
    b = await tsession(srv, name="b")
    await join(a, rm)
    await join(b, rm)
    await a.send([SET_PRESENCE, rm, b"x" * (lim + 1)])
    f = await a.expect(lambda f: f[0] == REJECT, 5, "Reject for oversized presence")
    want(f[1:4] == [R_PAYLOAD_TOO_LARGE, rm, None], f"oversized presence answered {short(f)}")
    await a.send([SET_PRESENCE, rm, b"y" * lim])
    p = await b.expect(lambda f: f[0] == PRESENCE, 5, "Presence of the max-size state", skip=(PEERS,))
    want(p == [PRESENCE, rm, a.session, b"y" * lim], f"b got {short(p)}: the oversized state was relayed?")
    await a.ping_sync()


@test("7.max_rooms", server="tight")
async def _(srv):
    n = srv.conf["max_rooms"]
    a = await tsession(srv, name="a")
    for i in range(n):
        await join(a, room(f"mr{i}"))
    extra = room("mr-extra")
    await a.send([JOIN, extra, "gcounter", None])
    f = await a.expect(lambda f: f[0] == REJECT, 5, "Reject too_many_rooms")
    want(f[1:4] == [R_TOO_MANY_ROOMS, extra, None], f"join beyond max_rooms answered {short(f)}")
    await a.ping_sync()


@test("7.name_and_token_length_limits_4006")
async def _(srv):
    from t_handshake import reject_then_close as rtc
    bad = []
    for what, fr in (("room of 257 bytes", [JOIN, "r" * 257, "gcounter", None]),
                     ("empty room", [JOIN, "", "gcounter", None]),
                     ("crdt tag of 65 bytes", [JOIN, "r", "g" * 65, None]),
                     ("empty crdt tag", [JOIN, "r", "", None])):
        a = await session(srv.port, name="a")
        await a.send(fr)
        try:
            await rtc(a, R_MALFORMED, 4006, what)
        except CheckFailed as e:
            bad.append(str(e))
    a = await session(srv.port, name="a")
    j, _, _ = await join(a, "r" * 256)     # 256 bytes is allowed
    want(not bad, "; ".join(bad))


@test("7.rate_limit_reject_and_4004", server="rate")
async def _(srv):
    from conformance import RATE
    a = await session(srv.port, name="a")    # Hello took one frame token
    n = RATE["rate_frame_burst"] + RATE["rate_strikes"] + 2
    for i in range(n):
        await a.send([PING, i])
    closed, frames = await a.expect_close(5)
    pongs = [f for f in frames if isinstance(f, list) and f[0] == PONG]
    rejects = [f for f in frames if isinstance(f, list) and f[0] == REJECT]
    want(all(r[1:4] == [R_RATE_LIMITED, None, None] for r in rejects), f"rejects {[short(r) for r in rejects]}")
    want(len(rejects) == RATE["rate_strikes"], f"{len(rejects)} rate_limited Rejects before close, expected {RATE['rate_strikes']} (the strike that closes is answered too)")
    want(RATE["rate_frame_burst"] - 1 <= len(pongs) <= RATE["rate_frame_burst"] + 1,
         f"{len(pongs)} Pongs for a burst of {RATE['rate_frame_burst']} (Hello included)")
    want(closed.code == 4004, f"closed {closed}, expected 4004")
    Notes.add("7.rate", f"{len(pongs)} Pongs, {len(rejects)} Rejects, then {closed}")
