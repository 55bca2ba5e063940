"""Sections 3.12, 3.13, 8.5: Peers and Presence."""
from harness import test, session, join, room, Notes
from swlib import *  # noqa: F401,F403
from swlib import CheckFailed
from t_handshake import want


def peers_of(ws, rm):
    return lambda f: f[0] == PEERS and f[1] == rm


@test("8.peers_and_presence")
async def _(srv):
    rm = room("peers")
    a = await session(srv.port, name="a", user_info=b"ann")
    b = await session(srv.port, name="b", user_info=b"bob")
    c = await session(srv.port, name="c")
    await join(a, rm)
    want(a.joined_peers[2:] == [0, 1, [], []], f"a alone: {short(a.joined_peers)}")
    await join(b, rm)
    want(b.joined_peers[2:] == [0, 2, [[a.session, a.replica, b"ann", None]], []],
         f"b's Peers {short(b.joined_peers)}, expected full [[{a.session}, {a.replica}, h'616e6e', null]] count 2")
    p = await a.expect(peers_of(a, rm), 5, "Peers announcing b", skip=())
    want(p[2:] == [1, 2, [[b.session, b.replica, b"bob", None]], []], f"a told {short(p)}")
    # presence is relayed to the others, not echoed
    await a.send([SET_PRESENCE, rm, b"\x82\x03\x07"])
    f = await b.expect(lambda f: f[0] == PRESENCE, 5, "Presence of a", skip=())
    want(f == [PRESENCE, rm, a.session, b"\x82\x03\x07"], f"b got {short(f)}")
    await a.ping_sync(skip=())      # no Presence echo, nothing else
    # a late joiner gets the states in its full list; an empty state is a state too
    await b.send([SET_PRESENCE, rm, b""])
    await a.expect(lambda f: f[0] == PRESENCE and f[2] == b.session, 5, "Presence of b", skip=())
    await join(c, rm)
    lst = sorted(c.joined_peers[4])
    exp = sorted([[a.session, a.replica, b"ann", b"\x82\x03\x07"], [b.session, b.replica, b"bob", b""]])
    want(c.joined_peers[2] == 0 and c.joined_peers[3] == 3 and lst == exp and c.joined_peers[5] == [],
         f"c's Peers {short(c.joined_peers)}, expected full with both states, count 3")
    for ws in (a, b):
        p = await ws.expect(peers_of(ws, rm), 5, "Peers announcing c", skip=())
        want(p[2:] == [1, 3, [[c.session, c.replica, None, None]], []], f"{ws.name} told {short(p)}")
    # b leaves: the others get changes with b removed
    await b.send([LEAVE, rm])
    for ws in (a, c):
        p = await ws.expect(peers_of(ws, rm), 5, "Peers removing b", skip=())
        want(p[2:] == [1, 2, [], [b.session]], f"{ws.name} told {short(p)}")
    # presence in a room not joined
    await b.send([SET_PRESENCE, rm, b"z"])
    f = await b.expect(lambda f: f[0] == REJECT, 5, "Reject for presence in a room not joined", skip=())
    want(f[1] == R_UNKNOWN_ROOM and f[2] == rm, f"presence in a room not joined answered {short(f)}")
    Notes.add("8.presence", f"SetPresence in a room not joined -> {short(f)}")
    # c's transport is lost: a is told (section 8.5)
    c.abort()
    p = await a.expect(peers_of(a, rm), 5, "Peers removing c after its transport was lost", skip=())
    want(p[2:] == [1, 1, [], [c.session]], f"a told {short(p)}")
    # a closes cleanly while presence is set; a new member sees nobody
    await a.close(1000)
    await a.expect_close(5)
    d = await session(srv.port, name="d")
    await join(d, rm)
    want(d.joined_peers[2:] == [0, 1, [], []], f"d after everyone left: {short(d.joined_peers)}")


@test("8.presence_latest_value_wins")
async def _(srv):
    rm = room("pres-latest")
    a = await session(srv.port, name="a")
    b = await session(srv.port, name="b")
    await join(a, rm)
    await join(b, rm)
    for i in range(20):
        await a.send([SET_PRESENCE, rm, bytes([i])])
    await a.send([PING, 1])
    await a.expect(lambda f: f[0] == PONG, 5, "Pong")
    last = None
    while last != bytes([19]):
        f = await b.expect(lambda f: f[0] == PRESENCE, 5, "Presence updates of a ending with the latest", skip=(PEERS,))
        want(f[2] == a.session, f"Presence names {f[2]}")
        last = f[3]
