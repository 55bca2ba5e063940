"""Sections 8.1, 8.3, 8.5: acknowledged deltas survive kill -9; restart keeps epochs."""
import asyncio
import time

from harness import test, session, join, rid, room, Notes
from swlib import *  # noqa: F401,F403
from swlib import CheckFailed, Closed
from t_handshake import want
from t_delivery import send_deltas, wait_acks, gc_value


def pn_value(snapshot, entries):
    inc, dec_ = {}, {}
    for p in ([snapshot] if snapshot else []) + [e[4] for e in entries]:
        v, _ = dec(p)
        for r, n in v[0]:
            inc[r] = max(inc.get(r, 0), n)
        for r, n in v[1]:
            dec_[r] = max(dec_.get(r, 0), n)
    return sum(inc.values()) - sum(dec_.values())


def check_log(what, j, entries, writers):
    """Each (replica, seq) once, seqs per replica 1..k without gaps, offsets start..head."""
    seen = {}
    for e in entries:
        want((e[2], e[3]) not in seen, f"{what}: ({e[2]}, seq {e[3]}) twice, at offsets {seen.get((e[2], e[3]))} and {e[1]}")
        seen[(e[2], e[3])] = e[1]
    highest = {}
    for w in writers:
        seqs = sorted(s for (r, s) in seen if r == w)
        want(seqs == list(range(1, len(seqs) + 1)), f"{what}: replica {w} seqs {seqs[:5]}... not 1..k")
        highest[w] = len(seqs)
    return highest


@test("5.durability_kill9_restart", server=None)
async def _(servers):
    srv = servers["dur"]
    await asyncio.get_running_loop().run_in_executor(None, srv.start)
    a = await session(srv.port, name="a")
    want(a.session == 1, f"first session of a fresh hub process has id {a.session}, expected 1 (section 2)")
    b = await session(srv.port, name="b")
    g, p = room("dur-g"), room("dur-pn")
    ja, _, _ = await join(a, g, "gcounter")
    jp, _, _ = await join(a, p, "pncounter")
    await join(b, g, "gcounter")
    n_g, n_p, n_b = 60, 30, 25
    await send_deltas(a, g, range(1, n_g + 1))
    for s in range(1, n_p + 1):
        await a.send([CLIENT_DELTA, p, "pncounter", a.replica, s,
                      pncounter([[a.replica, s]], [[a.replica, s // 3]] if s // 3 else [])])
    await send_deltas(b, g, range(1, n_b + 1))
    acked = {}
    sk = (PEERS, PRESENCE, HUB_DELTA, DELTA_BATCH, ACK)   # the other writer's entries, the other room's Acks
    acked["g"] = (await wait_acks(a, g, n_g, skip=sk))[-1][2]
    acked["p"] = (await wait_acks(a, p, n_p, skip=sk))[-1][2]
    acked["b"] = (await wait_acks(b, g, n_b, skip=sk))[-1][2]
    # more deltas in flight at the kill: they may or may not be stored, but never twice or with gaps
    await send_deltas(a, g, range(n_g + 1, n_g + 41))
    await send_deltas(b, g, range(n_b + 1, n_b + 21))
    # the acks seen until the kill (read whatever already arrived, without waiting)
    srv.kill9()
    for ws, key, rm in ((a, "g", g), (b, "b", g)):
        while True:
            f = await ws.next(2)
            if f is None or isinstance(f, Closed):
                break
            if isinstance(f, list) and f[0] == ACK and f[1] == rm:
                acked[key] = max(acked[key], f[2])
    Notes.add("5.durability", f"acked before kill -9: {acked}")
    await asyncio.get_running_loop().run_in_executor(None, lambda: srv.start(port=srv.port))
    f = await session(srv.port, name="fresh")
    want(f.session == 1, f"first session after restart has id {f.session}, expected 1")
    j, ents, _ = await join(f, g, "gcounter")
    want(j[3] == ja[3], f"epoch changed across a restart on the same storage: {ja[3]} -> {j[3]} (section 8.3)")
    hi = check_log("gcounter room after kill -9", j, ents, [a.replica, b.replica])
    want(hi[a.replica] >= acked["g"] and hi[b.replica] >= acked["b"],
         f"acknowledged deltas lost: stored {hi}, acked a {acked['g']} b {acked['b']}")
    want(j[4] + len(ents) == j[5], f"Joined start {j[4]} head {j[5]} but {len(ents)} entries")
    want(gc_value(j[9], ents) == hi[a.replica] + hi[b.replica],
         f"counter value {gc_value(j[9], ents)} != {hi[a.replica]} + {hi[b.replica]}")
    j2, ents2, _ = await join(f, p, "pncounter")
    hp = check_log("pncounter room", j2, ents2, [a.replica])
    k = hp[a.replica]
    want(k >= acked["p"], f"pncounter: stored {k} < acked {acked['p']}")
    want(pn_value(j2[9], ents2) == k - k // 3, f"pncounter value {pn_value(j2[9], ents2)} != {k - k // 3}")
    # the writers reconnect: acked_seq is what is stored, and they continue from there
    a2 = await session(srv.port, a.replica, "a2")
    j3, _, _ = await join(a2, g, "gcounter", pos=[ja[3], 0])
    want(j3[6] == hi[a.replica], f"a's acked_seq after restart {j3[6]}, stored {hi[a.replica]}")
    nxt = j3[6] + 1
    await send_deltas(a2, g, [nxt])
    await wait_acks(a2, g, nxt, skip=sk)
    Notes.add("5.durability", f"stored after restart: a {hi[a.replica]} (acked {acked['g']}), b {hi[b.replica]} (acked {acked['b']}), pncounter {k}")


@test("5.graceful_sigterm_acks_then_1001", server=None)
async def _(servers):
    """docs/DEPLOYMENT.md: SIGTERM is graceful, every accepted delta is durable and
    acked, sessions are closed with 1001 (going_away), clients resume."""
    import os
    import signal
    srv = servers["dur"]
    if srv.proc is None or srv.proc.poll() is not None:
        await asyncio.get_running_loop().run_in_executor(None, srv.start)
    rm = room("sigterm")
    a = await session(srv.port, name="a")
    ja, _, _ = await join(a, rm)
    n = 300
    await send_deltas(a, rm, range(1, n + 1))
    # The hub has read every delta once the Pong is here; acks may come before it
    # (every append already durable) or after it, and both count.
    early = []
    await a.ping_sync(skip=(PEERS, PRESENCE, ACK), seen=early)
    os.kill(srv.proc.pid, signal.SIGTERM)
    closed, frames = await a.expect_close(15, allow=lambda f: f[0] in (ACK, PEERS, PRESENCE))
    acks = [f for f in early + frames if f[0] == ACK]
    top = max((f[2] for f in acks), default=0)
    want(closed.code == 1001, f"graceful shutdown closed the session with {closed}, expected 1001")
    want(top == n, f"before the close the hub acked up to {top} of {n} deltas it had read")
    await asyncio.get_running_loop().run_in_executor(None, srv.proc.wait, 15)
    await asyncio.get_running_loop().run_in_executor(None, lambda: srv.start(port=srv.port))
    a2 = await session(srv.port, a.replica, "a2")
    j, ents, _ = await join(a2, rm, pos=[ja[3], 0])
    want(j[3] == ja[3] and j[6] == n and len(ents) == n, f"after restart: {short(j)}, {len(ents)} entries")
