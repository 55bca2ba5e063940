"""Section 1, 3.1-3.3, 4, 6: transport, handshake, versioning."""
import time

from harness import test, connect, session, rid, Notes
from swlib import *  # noqa: F401,F403
from swlib import CheckFailed, enc, Raw, Closed

DEFAULT_LIMITS = [1048576, 64, 10000, 4194304, 20000, 8388608, 1047552, 4096, 45000]


def is_reject(code, room=None, seq=None):
    return lambda f: f[0] == REJECT and f[1] == code and f[2] == room and f[3] == seq


def want(cond, msg):
    if not cond:
        raise CheckFailed(msg)


async def reject_then_close(ws, code, close_code, what, timeout=5.0, room=None, seq=None):
    closed, frames = await ws.expect_close(timeout)
    rejects = [f for f in frames if isinstance(f, list) and f[0] == REJECT]
    want(rejects, f"{what}: no Reject before close (frames {[short(f) if isinstance(f, list) else f for f in frames]}, {closed})")
    r = rejects[-1]
    want(r[1] == code and r[2] == room and r[3] == seq,
         f"{what}: expected Reject [{code}, {room}, {seq}], got {short(r)}")
    want(isinstance(r[4], str), f"{what}: Reject message not text: {short(r)}")
    want(closed.code == close_code, f"{what}: expected close {close_code}, got {closed}")
    return r, closed


@test("1.hello_welcome_defaults")
async def _(srv):
    ws = await session(srv.port, name="a")
    w = ws.welcome
    want(len(w) == 5, f"Welcome has {len(w)} elements")
    want(w[1] == 2, f"Welcome version {w[1]} != 2")
    want(isinstance(w[2], int) and 1 <= w[2] <= 2**53 - 1, f"session id {w[2]} out of 1..2^53-1")
    want(w[3] == 15000, f"heartbeat_ms {w[3]} != 15000 (section 7 default)")
    want(w[4] == DEFAULT_LIMITS, f"limits {w[4]} != section 3.2/7 defaults {DEFAULT_LIMITS}")
    await ws.close()
    ws.abort()


@test("1.version_negotiation_highest_common")
async def _(srv):
    ws = await session(srv.port, name="a", versions=(1, 2, 3, 7))
    want(ws.welcome[1] == 2, f"chose version {ws.welcome[1]}")
    ws.abort()


@test("1.session_ids_sequential")
async def _(srv):
    a = await session(srv.port, name="a")
    b = await session(srv.port, name="b")
    want(b.session == a.session + 1,
         f"sessions {a.session} then {b.session}: not sequential (section 2: assigned sequentially)")
    a.abort()
    b.abort()


@test("1.unsupported_version_reject_4001")
async def _(srv):
    for versions in ([1], [3, 99], []):
        ws = await connect(srv.port, "a")
        await ws.send([HELLO, versions, rid(), None, None])
        await reject_then_close(ws, R_UNSUPPORTED_VERSION, 4001, f"Hello versions {versions}")
        ws.abort()


@test("1.malformed_first_frame_reject_4006")
async def _(srv):
    cases = [
        ("not CBOR (0xff)", b"\xff"),
        ("truncated array", bytes.fromhex("85 01 81 02")),
        ("Hello with 4 elements", enc([HELLO, [2], 1, None])),
        ("Hello with 6 elements", enc([HELLO, [2], 1, None, None, None])),
        ("frame type 13 (v1 PeerJoined)", enc([13, "r", 1])),
        ("a map", enc({1: 2})),
        ("Hello replica negative", enc([HELLO, [2], -5, None, None])),
        ("Hello with 17 versions", enc([HELLO, [2] * 17, 1, None, None])),
        ("indefinite-length array", bytes.fromhex("9f 01 81 02 01 f6 f6 ff")),
        ("Hello versions tagged", enc([HELLO, Tag(1, [2]), 1, None, None])),
        ("token over 4096 bytes", enc([HELLO, [2], 1, "t" * 4097, None])),
    ]
    bad = []
    for what, raw in cases:
        ws = await connect(srv.port, "a")
        await ws.send_raw(raw)
        try:
            await reject_then_close(ws, R_MALFORMED, 4006, what)
        except CheckFailed as e:
            bad.append(str(e))
        ws.abort()
    want(not bad, "; ".join(bad))


@test("1.text_message_close_1002")
async def _(srv):
    for phase in ("before Hello", "after Welcome"):
        if phase == "before Hello":
            ws = await connect(srv.port, "a")
        else:
            ws = await session(srv.port, name="a")
        await ws.send_raw(b"hello", opcode=1)
        closed, frames = await ws.expect_close(5.0)
        want(closed.code == 1002, f"text message {phase}: close {closed} (frames {[short(f) for f in frames if isinstance(f, list)]}), expected 1002")
        ws.abort()


@test("1.before_hello_ping_pong_and_unexpected_frame")
async def _(srv):
    ws = await connect(srv.port, "a")
    await ws.send([PING, 77])
    await ws.expect(lambda f: f[0] == PONG and f[1] == 77, 5, "Pong 77 before Hello", skip=())
    await ws.send([PONG, 5])                          # ignored
    await ws.send([REJECT, 6, None, None, "x"])       # ignored
    await ws.send([JOIN, "r1", "gcounter", None])     # unexpected_frame, stays open
    f = await ws.expect(lambda f: f[0] == REJECT, 5, "Reject for Join before Hello", skip=())
    want(f[1] == R_UNEXPECTED_FRAME, f"Join before Hello answered {short(f)}, expected code 12")
    Notes.add("1.before_hello", f"Join before Hello -> {short(f)}")
    await ws.ping_sync(78, skip=())                   # nothing else came (Pong, Reject ignored)
    await ws.send([HELLO, [2], rid(), None, None])
    await ws.expect(lambda f: f[0] == WELCOME, 5, "Welcome after the rejected frames", skip=())
    await ws.send([HELLO, [2], rid(), None, None])    # second Hello: wrong state
    f = await ws.expect(lambda f: f[0] == REJECT, 5, "Reject for a second Hello", skip=())
    want(f[1] == R_UNEXPECTED_FRAME, f"second Hello answered {short(f)}, expected code 12")
    await ws.ping_sync(79, skip=())
    ws.abort()


@test("1.wrong_direction_frames_unexpected_frame")
async def _(srv):
    ws = await session(srv.port, name="a")
    bad = []
    for fr in ([WELCOME, 2, 1, 15000, DEFAULT_LIMITS], [ACK, "r", 1, None],
               [HUB_DELTA, "r", "gcounter", 1, 0, 1, 1, b"\x80"], [PRESENCE, "r", 1, b""],
               [PEERS, "r", 0, 1, [], []], [JOINED, "r", "gcounter", 1, 0, 0, 0, True, False, None],
               [DELTA_BATCH, "r", "gcounter", 1, 0, []]):
        await ws.send(fr)
        f = await ws.next(5)
        if not (isinstance(f, list) and f[0] == REJECT and f[1] == R_UNEXPECTED_FRAME):
            bad.append(f"{FRAME_NAMES[fr[0]]} -> {short(f) if isinstance(f, list) else f}")
            if isinstance(f, Closed):
                break
    want(not bad, "; ".join(bad))
    await ws.ping_sync(skip=())
    ws.abort()


@test("1.client_reject_and_pong_ignored")
async def _(srv):
    ws = await session(srv.port, name="a")
    await ws.send([REJECT, 6, "r", 3, "client says no"])
    await ws.send([REJECT, 200, None, None, "unknown code"])
    await ws.send([PONG, 12345])
    await ws.ping_sync(99, skip=())      # the Pong must be the next frame
    ws.abort()


@test("1.client_close_is_echoed")
async def _(srv):
    ws = await session(srv.port, name="a")
    await ws.close(1000, b"bye now")
    closed, frames = await ws.expect_close(5)
    want(closed.clean and closed.code == 1000 and closed.reason == b"bye now",
         f"hub answered client Close 1000 'bye now' with {closed} (section 1: echo code and reason)")
    ws2 = await session(srv.port, name="b")
    await ws2.close(4321, b"app")
    closed, _ = await ws2.expect_close(5)
    want(closed.clean and closed.code == 4321 and closed.reason == b"app",
         f"hub answered client Close 4321 'app' with {closed}")


@test("1.noncanonical_input_accepted_output_canonical")
async def _(srv):
    ws = await connect(srv.port, "a")
    # Ping [11, 5] with the nonce in a 2-byte and an 8-byte head: decoders accept longer forms.
    await ws.send_raw(bytes.fromhex("82 0b 19 00 05"))
    await ws.expect(lambda f: f[0] == PONG and f[1] == 5, 5, "Pong 5 (long-form nonce)", skip=())
    await ws.send_raw(bytes.fromhex("82 0b 1b 00 00 00 00 00 00 00 06"))
    await ws.expect(lambda f: f[0] == PONG and f[1] == 6, 5, "Pong 6 (8-byte nonce)", skip=())
    await ws.send([PING, 2**64 - 1])
    await ws.expect(lambda f: f[0] == PONG and f[1] == 2**64 - 1, 5, "Pong 2^64-1", skip=())
    # The Hello in a non-preferred serialization (array length 0x98 0x05) is accepted too.
    await ws.send_raw(bytes.fromhex("98 05 01 81 02 18 2a f6 f6"))
    w = await ws.expect(lambda f: f[0] == WELCOME, 5, "Welcome for long-form Hello", skip=())
    ws.abort()


@test("1.replica_in_use_replaces_4013")
async def _(srv):
    from harness import join, room
    rm = room("replace")
    r = rid()
    a1 = await session(srv.port, r, "a1")
    await join(a1, rm)
    b = await session(srv.port, name="b")
    await join(b, rm)
    a2 = await session(srv.port, r, "a2")
    rj, closed = await reject_then_close(a1, R_REPLICA_IN_USE, 4013, "replaced session")
    # b is told a1 left (Peers changes with a1's session in the removed list)
    f = await b.expect(lambda f: f[0] == PEERS and a1.session in f[5], 5, "Peers removing the replaced session",
                       skip=(PEERS, PRESENCE))
    want(f[2] == 1, f"Peers for the replaced session has mode {f[2]}")
    j, _, _ = await join(a2, rm)
    for x in (a2, b):
        x.abort()
