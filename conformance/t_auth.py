"""docs/AUTH.md section 4 and PROTOCOL.md section 4: a deferred (HTTP) authorizer."""
import asyncio
import json
import time

from harness import test, connect, session, join, rid, room, Notes, free_port
from swlib import *  # noqa: F401,F403
from swlib import CheckFailed, Closed
from t_handshake import want, reject_then_close

AUTH_PORT = None     # set by conformance.py before the hub starts
REQUESTS = []


async def _handle(reader, writer):
    try:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        lines = head.decode("latin-1").split("\r\n")
        n = 0
        for ln in lines[1:]:
            if ln.lower().startswith("content-length:"):
                n = int(ln.split(":", 1)[1])
        body = json.loads(await asyncio.wait_for(reader.readexactly(n), 5)) if n else {}
        REQUESTS.append({"line": lines[0], "body": body})
        tok = body.get("token") or ""
        if tok == "hang":
            # never answers; returns when the hub gives up on the request
            try:
                await asyncio.wait_for(reader.read(), 10)
            except (asyncio.TimeoutError, asyncio.CancelledError, ConnectionError):
                pass
            return
        if tok.startswith("slow:"):
            await EVENTS[tok].wait()     # answers when the test says so
            tok = "allow"
        status, out = 200, {"allow": True, "name": "t", "grant": {"rooms": [{"prefix": "", "access": "write"}]}}
        if tok == "deny":
            out = {"allow": False, "reason": "no such user"}
        elif tok == "e500":
            status, out = 500, {}
        elif tok == "e403":
            status, out = 403, {}
        elif tok == "grant7":
            out["grant"]["replicas"] = [7]
        data = json.dumps(out).encode()
        writer.write(f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {len(data)}\r\n"
                     f"Connection: close\r\n\r\n".encode() + data)
        await writer.drain()
    except (Exception, asyncio.CancelledError):
        pass
    finally:
        writer.close()


EVENTS = {}


async def auth_server():
    return await asyncio.start_server(_handle, "127.0.0.1", AUTH_PORT)


@test("1.http_authorizer_decisions", server="authurl")
async def _(srv):
    s = await auth_server()
    try:
        ok = await session(srv.port, name="ok", token="allow")
        want(REQUESTS and REQUESTS[-1]["body"].get("replica") == ok.replica and REQUESTS[-1]["body"].get("path") == "/sync",
             f"authorizer request body {REQUESTS[-1] if REQUESTS else None}")
        for tok, code, close, what in (("deny", R_UNAUTHORIZED, 4002, "allow=false"),
                                       ("e403", R_UNAUTHORIZED, 4002, "HTTP 403"),
                                       ("e500", R_INTERNAL, 1011, "HTTP 500"),
                                       ("grant7", R_REPLICA_FORBIDDEN, 4014, "replica outside grant")):
            ws = await connect(srv.port, "x")
            await ws.send([HELLO, [2], 8, tok, None])
            await reject_then_close(ws, code, close, f"authorizer {what}")
        ws = await session(srv.port, 7, "seven", token="grant7")
    finally:
        s.close()


@test("1.authorizer_timeout_1011_and_frames_while_authorizing", server="authurl")
async def _(srv):
    s = await auth_server()
    try:
        ws = await connect(srv.port, "x")
        t0 = time.monotonic()
        await ws.send([HELLO, [2], rid(), "hang", None])
        await ws.send([PING, 5])
        await ws.expect(lambda f: f[0] == PONG and f[1] == 5, 3, "Pong while authorizing", skip=())
        await ws.send([JOIN, "r", "gcounter", None])
        f = await ws.expect(lambda f: f[0] == REJECT, 3, "Reject for Join while authorizing", skip=())
        want(f[1] == R_UNEXPECTED_FRAME, f"Join while authorizing answered {short(f)}")
        r, closed = await reject_then_close(ws, R_INTERNAL, 1011, "authorizer not answering", timeout=5)
        dt = closed.at - t0
        want(0.7 <= dt <= 1.6, f"closed {dt:.2f}s after Hello, auth_timeout is 0.8s")
        Notes.add("1.auth_timeout", f"authorizer silent: {short(r)} and close 1011 after {dt:.2f}s")
        # a slow authorizer: the session is not replaced while it waits (section 4.5)
        r7 = rid()
        a = await session(srv.port, r7, "a", token="allow")
        EVENTS["slow:1"] = asyncio.Event()
        b = await connect(srv.port, "b")
        await b.send([HELLO, [2], r7, "slow:1", None])
        await b.send([PING, 1])
        await b.expect(lambda f: f[0] == PONG, 3, "Pong while authorizing", skip=())
        await a.ping_sync(skip=())                  # a is still live
        EVENTS["slow:1"].set()
        await b.expect(lambda f: f[0] == WELCOME, 3, "Welcome after the slow authorizer", skip=())
        await reject_then_close(a, R_REPLICA_IN_USE, 4013, "replaced after b's authorization")
    finally:
        s.close()
