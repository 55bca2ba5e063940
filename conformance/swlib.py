"""Minimal, standard-library-only client side of the syncwire wire protocol v2.

Written from docs/PROTOCOL.md alone: an RFC 8949 CBOR subset (the types of
PROTOCOL.md section 2, plus a few extra ones only used to build malformed frames)
and an RFC 6455 WebSocket client over asyncio streams.
"""
import asyncio
import base64
import hashlib
import os
import struct
import time

# ---------------------------------------------------------------- CBOR

class Raw:
    """Bytes spliced verbatim into an encoding (to build malformed frames)."""
    def __init__(self, b):
        self.b = bytes(b)


class Tag:
    def __init__(self, tag, value):
        self.tag, self.value = tag, value

    def __eq__(self, o):
        return isinstance(o, Tag) and (o.tag, o.value) == (self.tag, self.value)

    def __repr__(self):
        return f"Tag({self.tag}, {self.value!r})"


def _head(major, n):
    if n < 24:
        return bytes([(major << 5) | n])
    if n < 0x100:
        return bytes([(major << 5) | 24, n])
    if n < 0x10000:
        return bytes([(major << 5) | 25]) + struct.pack(">H", n)
    if n < 0x100000000:
        return bytes([(major << 5) | 26]) + struct.pack(">I", n)
    return bytes([(major << 5) | 27]) + struct.pack(">Q", n)


def enc(v):
    if isinstance(v, Raw):
        return v.b
    if v is None:
        return b"\xf6"
    if v is True:
        return b"\xf5"
    if v is False:
        return b"\xf4"
    if isinstance(v, int):
        if v >= 0:
            return _head(0, v)
        return _head(1, -1 - v)
    if isinstance(v, (bytes, bytearray)):
        return _head(2, len(v)) + bytes(v)
    if isinstance(v, str):
        b = v.encode()
        return _head(3, len(b)) + b
    if isinstance(v, (list, tuple)):
        return _head(4, len(v)) + b"".join(enc(x) for x in v)
    if isinstance(v, dict):
        return _head(5, len(v)) + b"".join(enc(k) + enc(x) for k, x in v.items())
    if isinstance(v, float):
        return b"\xfb" + struct.pack(">d", v)
    if isinstance(v, Tag):
        return _head(6, v.tag) + enc(v.value)
    raise TypeError(f"cannot encode {type(v)}")


class CborError(Exception):
    pass


def dec(b):
    """Decode one complete CBOR item. Returns (value, canonical) where canonical
    is False if any integer/length was not in its shortest form."""
    state = {"canonical": True}
    v, i = _dec(memoryview(bytes(b)), 0, state, 0)
    if i != len(b):
        raise CborError(f"{len(b) - i} trailing bytes")
    return v, state["canonical"]


def _arg(b, i, ai, state):
    if ai < 24:
        return ai, i
    sizes = {24: 1, 25: 2, 26: 4, 27: 8}
    if ai not in sizes:
        raise CborError(f"unsupported additional info {ai}")
    n = sizes[ai]
    if i + n > len(b):
        raise CborError("truncated")
    v = int.from_bytes(b[i:i + n], "big")
    minimal = {1: 24, 2: 0x100, 4: 0x10000, 8: 0x100000000}[n]
    if v < minimal:
        state["canonical"] = False
    return v, i + n


def _dec(b, i, state, depth):
    if depth > 64:
        raise CborError("too deep")
    if i >= len(b):
        raise CborError("truncated")
    ib = b[i]
    i += 1
    major, ai = ib >> 5, ib & 31
    if major == 7:
        if ai == 20:
            return False, i
        if ai == 21:
            return True, i
        if ai == 22:
            return None, i
        if ai == 27:
            return struct.unpack(">d", bytes(b[i:i + 8]))[0], i + 8
        raise CborError(f"unsupported simple/float {ib:#x}")
    n, i = _arg(b, i, ai, state)
    if major == 0:
        return n, i
    if major == 1:
        return -1 - n, i
    if major in (2, 3):
        if i + n > len(b):
            raise CborError("length beyond end")
        s = bytes(b[i:i + n])
        return (s if major == 2 else s.decode()), i + n
    if major == 4:
        out = []
        for _ in range(n):
            x, i = _dec(b, i, state, depth + 1)
            out.append(x)
        return out, i
    if major == 5:
        out = {}
        for _ in range(n):
            k, i = _dec(b, i, state, depth + 1)
            x, i = _dec(b, i, state, depth + 1)
            out[k if not isinstance(k, list) else tuple(k)] = x
        return out, i
    if major == 6:
        x, i = _dec(b, i, state, depth + 1)
        return Tag(n, x), i
    raise CborError("unreachable")


def hexs(b, limit=80):
    h = bytes(b).hex(" ")
    return h if len(h) <= limit * 3 else h[:limit * 3] + f"... ({len(b)} bytes)"


# ---------------------------------------------------------------- frames

HELLO, WELCOME, REJECT, JOIN, JOINED, LEAVE, CLIENT_DELTA, HUB_DELTA, DELTA_BATCH, ACK, \
    PING, PONG = range(1, 13)
SET_PRESENCE, PRESENCE, PEERS = 15, 16, 17

FRAME_NAMES = {1: "Hello", 2: "Welcome", 3: "Reject", 4: "Join", 5: "Joined", 6: "Leave",
               7: "ClientDelta", 8: "HubDelta", 9: "DeltaBatch", 10: "Ack", 11: "Ping",
               12: "Pong", 15: "SetPresence", 16: "Presence", 17: "Peers"}
# hub -> client frame type -> number of array elements (PROTOCOL.md section 3)
HUB_FRAME_LEN = {2: 5, 3: 5, 5: 10, 8: 8, 9: 6, 10: 4, 11: 2, 12: 2, 16: 4, 17: 6}

R_UNSUPPORTED_VERSION, R_UNAUTHORIZED, R_FORBIDDEN, R_RATE_LIMITED, R_PAYLOAD_TOO_LARGE, \
    R_MALFORMED, R_UNKNOWN_ROOM, R_INTERNAL, R_CRDT_MISMATCH, R_TOO_MANY_ROOMS, \
    R_REPLICA_MISMATCH, R_UNEXPECTED_FRAME, R_SEQ_GAP, R_REPLICA_IN_USE, \
    R_REPLICA_FORBIDDEN = range(1, 16)


def fname(f):
    if isinstance(f, list) and f and isinstance(f[0], int):
        return FRAME_NAMES.get(f[0], f"type{f[0]}")
    return repr(f)[:40]


def short(f, limit=200):
    def sh(x):
        if isinstance(x, bytes):
            return ("h'" + x.hex() + "'") if len(x) <= 24 else f"<{len(x)} bytes>"
        if isinstance(x, list):
            if len(x) > 12:
                return "[" + ", ".join(sh(y) for y in x[:12]) + f", ...({len(x)})]"
            return "[" + ", ".join(sh(y) for y in x) + "]"
        return repr(x)
    s = f"{fname(f)}{sh(f)}"
    return s if len(s) <= limit else s[:limit] + "..."


def gcounter(entries):
    """gcounter payload (CRDTS.md): [[replica, count], ...], sorted."""
    return enc(sorted([list(e) for e in entries]))


def gcounter_merge(state, payload):
    v, _ = dec(payload)
    for rep, cnt in v:
        state[rep] = max(state.get(rep, 0), cnt)
    return state


def pncounter(inc, dec_):
    return enc([sorted([list(e) for e in inc]), sorted([list(e) for e in dec_])])


def entries_of(f):
    """Log entries (epoch, offset, replica, seq, payload) of a HubDelta/DeltaBatch."""
    if f[0] == HUB_DELTA:
        return [(f[3], f[4], f[5], f[6], f[7])]
    if f[0] == DELTA_BATCH:
        return [(f[3], f[4] + i, e[0], e[1], e[2]) for i, e in enumerate(f[5])]
    return []


# ---------------------------------------------------------------- WebSocket client

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class CheckFailed(Exception):
    pass


class Closed:
    def __init__(self, code, reason, at, clean):
        self.code, self.reason, self.at, self.clean = code, reason, at, clean

    def __repr__(self):
        return f"Closed(code={self.code}, reason={self.reason!r}, clean={self.clean})"


# Frames whose encoding was not the preferred serialization (PROTOCOL.md section 2),
# collected over the whole run.
NONCANONICAL = []
ALL_WS = []


async def abort_all():
    """Drop every connection opened so far (end of a test)."""
    tasks = []
    for w in ALL_WS:
        w.abort()
        if w.task is not None:
            tasks.append(w.task)
    ALL_WS.clear()
    if tasks:
        await asyncio.wait(tasks, timeout=2)
BADSHAPE = []
HUB_PINGS = []


class WS:
    """One WebSocket connection to the hub. Incoming binary messages are decoded as
    CBOR frames and queued; the hub's Close ends the queue with a Closed item."""

    def __init__(self, name="c"):
        self.name = name
        self.q = asyncio.Queue()
        self.history = []          # every item received, in order
        self.closed = None         # Closed once the connection ended
        self.reader = self.writer = None
        self.task = None
        self.sent_close = False
        self.http_status = None
        self.welcome = None
        self.pushback = []         # items handed back by unread(), read before the queue
        self.reading = asyncio.Event()   # cleared by pause(): stop reading the socket
        self.reading.set()
        ALL_WS.append(self)

    def unread(self, items):
        self.pushback = list(items) + self.pushback

    async def connect(self, port, path="/sync", headers=None, timeout=5.0, rcvbuf=None):
        if rcvbuf:
            import socket
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)   # no autotuning
            sock.setblocking(False)
            await asyncio.wait_for(asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port)), timeout)
            self.reader, self.writer = await asyncio.open_connection(sock=sock, limit=16384)
        else:
            self.reader, self.writer = await asyncio.wait_for(
                asyncio.open_connection("127.0.0.1", port), timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        req = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
               f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n")
        for k, v in (headers or {}).items():
            req += f"{k}: {v}\r\n"
        self.writer.write((req + "\r\n").encode())
        await self.writer.drain()
        head = await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), timeout)
        lines = head.decode("latin-1").split("\r\n")
        self.http_status = int(lines[0].split()[1])
        if self.http_status != 101:
            self.writer.close()
            return self.http_status
        hdrs = {}
        for ln in lines[1:]:
            if ":" in ln:
                k, v = ln.split(":", 1)
                hdrs[k.strip().lower()] = v.strip()
        want = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
        if hdrs.get("sec-websocket-accept") != want:
            raise CheckFailed(f"{self.name}: bad Sec-WebSocket-Accept {hdrs.get('sec-websocket-accept')!r}")
        self.task = asyncio.create_task(self._read_loop())
        return 101

    # -- sending

    def _frame(self, opcode, payload, fin=True):
        b0 = (0x80 if fin else 0) | opcode
        n = len(payload)
        if n < 126:
            hdr = bytes([b0, 0x80 | n])
        elif n < 65536:
            hdr = bytes([b0, 0x80 | 126]) + struct.pack(">H", n)
        else:
            hdr = bytes([b0, 0x80 | 127]) + struct.pack(">Q", n)
        mask = os.urandom(4)
        if n:
            # XOR with the mask via big ints (fast enough for a few MiB)
            m = (mask * (n // 4 + 1))[:n]
            masked = (int.from_bytes(payload, "big") ^ int.from_bytes(m, "big")).to_bytes(n, "big")
        else:
            masked = b""
        return hdr + mask + masked

    async def send_raw(self, data, opcode=2):
        if self.writer is None or self.writer.is_closing():
            return False
        try:
            self.writer.write(self._frame(opcode, bytes(data)))
            await self.writer.drain()
            return True
        except (ConnectionError, OSError):
            return False

    async def send(self, frame):
        return await self.send_raw(enc(frame))

    async def close(self, code=1000, reason=b""):
        self.sent_close = True
        return await self.send_raw(struct.pack(">H", code) + reason, opcode=8)

    def pause(self):
        """Stop reading the socket (the hub's output then backs up)."""
        self.reading.clear()

    def resume(self):
        self.reading.set()

    def abort(self):
        if self.writer is not None:
            try:
                self.writer.transport.abort()
            except Exception:
                pass
        if self.task is not None:
            self.task.cancel()

    # -- receiving

    async def _read_loop(self):
        buf = b""
        msg_op = None
        try:
            while True:
                await self.reading.wait()
                h = await self.reader.readexactly(2)
                fin, op = h[0] & 0x80, h[0] & 0x0F
                masked, n = h[1] & 0x80, h[1] & 0x7F
                if n == 126:
                    n = struct.unpack(">H", await self.reader.readexactly(2))[0]
                elif n == 127:
                    n = struct.unpack(">Q", await self.reader.readexactly(8))[0]
                mask = await self.reader.readexactly(4) if masked else None
                data = await self.reader.readexactly(n)
                if mask:
                    data = bytes(x ^ mask[i % 4] for i, x in enumerate(data))
                if op == 8:
                    code = struct.unpack(">H", data[:2])[0] if len(data) >= 2 else 1005
                    reason = data[2:]
                    echo = not self.sent_close
                    if echo:
                        self.sent_close = True
                        try:
                            self.writer.write(self._frame(8, data[:2]))
                            await self.writer.drain()
                        except (ConnectionError, OSError):
                            pass
                    self._end(Closed(code, reason, time.monotonic(), True), close_writer=echo)
                    return
                if op == 9:
                    self.writer.write(self._frame(10, data))
                    await self.writer.drain()
                    continue
                if op == 10:
                    continue
                if op in (1, 2):
                    msg_op, buf = op, data
                elif op == 0:
                    buf += data
                if not fin:
                    continue
                if msg_op == 1:
                    self._put(("text", buf))
                    continue
                try:
                    v, canonical = dec(buf)
                except Exception as e:  # noqa: BLE001
                    self._put(("undecodable", buf, str(e)))
                    continue
                if not canonical:
                    NONCANONICAL.append((self.name, hexs(buf)))
                if isinstance(v, list) and v and v[0] == PING:
                    HUB_PINGS.append((self.name, short(v)))
                if isinstance(v, list) and v and isinstance(v[0], int) and v[0] in HUB_FRAME_LEN \
                        and len(v) != HUB_FRAME_LEN[v[0]]:
                    BADSHAPE.append((self.name, short(v)))
                self._put(v)
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            self._end(Closed(None, b"", time.monotonic(), False))
        except asyncio.CancelledError:
            self._end(Closed(None, b"", time.monotonic(), False))
            raise

    def _put(self, item):
        self.history.append(item)
        self.q.put_nowait(item)

    def _end(self, c, close_writer=True):
        if self.closed is None:
            self.closed = c
            self.history.append(c)
            self.q.put_nowait(c)
        if close_writer:
            try:
                self.writer.close()
            except Exception:
                pass

    async def next(self, timeout):
        """Next item (frame list, ('text', b), ('undecodable', ...), Closed) or None on timeout."""
        if self.pushback:
            return self.pushback.pop(0)
        try:
            return await asyncio.wait_for(self.q.get(), timeout)
        except asyncio.TimeoutError:
            return None

    async def expect(self, pred, timeout=5.0, what="frame", skip=(PEERS, PRESENCE), seen=None):
        """Wait for a frame matching pred. Frames of the types in `skip` that do not
        match are passed over (and appended to the list `seen`, if given); anything
        else is a failure."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise CheckFailed(f"{self.name}: no {what} within {timeout}s")
            item = await self.next(left)
            if item is None:
                raise CheckFailed(f"{self.name}: no {what} within {timeout}s")
            if isinstance(item, list) and pred(item):
                return item
            if isinstance(item, list) and item and item[0] in skip:
                if seen is not None:
                    seen.append(item)
                continue
            raise CheckFailed(f"{self.name}: expected {what}, got {short(item) if isinstance(item, list) else item}")

    async def expect_close(self, timeout=5.0, allow=None):
        """Wait for the end of the connection; frames before it are returned too.
        allow(frame) -> bool says which frames may come first (default: any)."""
        deadline = time.monotonic() + timeout
        frames = []
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise CheckFailed(f"{self.name}: connection not closed within {timeout}s "
                                  f"(got {[short(f) for f in frames]})")
            item = await self.next(left)
            if item is None:
                continue
            if isinstance(item, Closed):
                return item, frames
            if allow is not None and not allow(item):
                raise CheckFailed(f"{self.name}: unexpected {short(item) if isinstance(item, list) else item} before close")
            frames.append(item)

    async def quiet(self, duration, skip=(PEERS, PRESENCE)):
        """Assert nothing but frames of `skip` arrives for `duration` seconds.
        Used only to confirm an absence, after the positive sync point."""
        deadline = time.monotonic() + duration
        got = []
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return got
            item = await self.next(left)
            if item is None:
                return got
            if isinstance(item, list) and item and item[0] in skip:
                got.append(item)
                continue
            raise CheckFailed(f"{self.name}: unexpected {short(item) if isinstance(item, list) else item}")

    async def ping_sync(self, nonce=None, timeout=5.0, skip=(PEERS, PRESENCE), seen=None):
        """Ping and wait for the matching Pong: everything the hub queued for this
        session in earlier turns has arrived once the Pong is here. Frames passed
        over on the way go to the list `seen`, if given."""
        nonce = nonce if nonce is not None else int.from_bytes(os.urandom(4), "big")
        await self.send([PING, nonce])
        return await self.expect(lambda f: f[0] == PONG and f[1] == nonce, timeout,
                                 f"Pong {nonce}", skip=skip, seen=seen)
