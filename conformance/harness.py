"""Server processes and the test registry of the conformance suite."""
import asyncio
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

import swlib

from swlib import CheckFailed, Closed, WS, HELLO, WELCOME, JOIN, JOINED, HUB_DELTA, DELTA_BATCH, \
    PEERS, PRESENCE, entries_of, short


_HANDED_OUT = set()   # ports given out in this run (a hub or the suite's authorizer will bind them)


def free_port():
    """A free TCP port in 18100..18999 on 127.0.0.1 (bounded number of tries)."""
    for _ in range(200):
        p = random.randint(18100, 18999)
        if p in _HANDED_OUT:
            continue
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", p))
            _HANDED_OUT.add(p)
            return p
        except OSError:
            continue
        finally:
            s.close()
    raise RuntimeError("no free port in 18100..18999")


class Server:
    def __init__(self, binary, name, args=(), env=None, data_dir=None, workdir=None):
        self.binary, self.name, self.args = binary, name, list(args)
        self.env_extra = dict(env or {})
        self.workdir = workdir
        self.data_dir = data_dir or tempfile.mkdtemp(prefix=f"sw-{name}-", dir=workdir)
        self.proc = None
        self.port = None
        self.log_path = os.path.join(workdir or tempfile.gettempdir(), f"server-{name}.log")

    def start(self, port=None, timeout=30.0):
        self.port = port or free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("SYNCWIRE_")}
        env.update(self.env_extra)
        cmd = [self.binary, "serve", "--addr", f"127.0.0.1:{self.port}",
               "--data-dir", self.data_dir] + self.args
        self.log = open(self.log_path, "ab")
        self.log.write(f"\n=== start {' '.join(cmd)}\n".encode())
        self.log.flush()
        self.proc = subprocess.Popen(cmd, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        PIDS.add(self.proc.pid)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server {self.name} exited with {self.proc.returncode}; see {self.log_path}")
            if self._health():
                return
            time.sleep(0.05)   # polling for readiness, bounded by the deadline
        raise RuntimeError(f"server {self.name} not healthy within {timeout}s; see {self.log_path}")

    def _health(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.settimeout(1.0)
                s.sendall(f"GET /health HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\nConnection: close\r\n\r\n".encode())
                data = s.recv(64)
                return data.startswith(b"HTTP/1.1 200")
        except OSError:
            return False

    def kill9(self):
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        PIDS.discard(self.proc.pid)

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=12)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        PIDS.discard(self.proc.pid)

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.data_dir, ignore_errors=True)


PIDS = set()


def kill_all_started():
    for pid in list(PIDS):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
        PIDS.discard(pid)


# ---------------------------------------------------------------- session helpers

def rid():
    return random.randint(1, 2**53 - 1)


def room(prefix):
    return f"{prefix}-{random.getrandbits(40):010x}"


async def connect(port, name="c", headers=None, rcvbuf=None):
    ws = WS(name)
    st = await ws.connect(port, headers=headers, rcvbuf=rcvbuf)
    if st != 101:
        raise CheckFailed(f"{name}: upgrade answered HTTP {st}")
    return ws


async def session(port, replica=None, name="c", token=None, user_info=None, versions=(2,), rcvbuf=None):
    """Connect and complete the handshake; returns the WS with .welcome and .replica set."""
    ws = await connect(port, name, rcvbuf=rcvbuf)
    ws.replica = replica if replica is not None else rid()
    await ws.send([HELLO, list(versions), ws.replica, token, user_info])
    w = await ws.expect(lambda f: f[0] == WELCOME, 5.0, "Welcome", skip=())
    ws.welcome = w
    ws.session = w[2]
    return ws


async def join(ws, rm, crdt="gcounter", pos=None, timeout=5.0):
    """Join and collect the replay start..head. Returns (joined, entries, peers_frames)."""
    await ws.send([JOIN, rm, crdt, pos])
    peers = []

    def is_joined(f):
        return f[0] == JOINED and f[1] == rm
    j = await ws.expect(is_joined, timeout, f"Joined {rm}",
                        skip=(PEERS, PRESENCE))
    start, head = j[4], j[5]
    entries = await collect_entries(ws, rm, start, head, timeout, peers)
    # section 3.12: the answer ends with the room's Peers (full or summary)
    held = []
    deadline = time.monotonic() + timeout
    while not any(p[0] == PEERS and p[2] in (0, 2) for p in peers):
        left = deadline - time.monotonic()
        item = await ws.next(left) if left > 0 else None
        if item is None:
            raise CheckFailed(f"{ws.name}: no Peers full/summary after Joined {rm} within {timeout}s")
        if isinstance(item, list) and item[0] == PEERS and item[1] == rm:
            peers.append(item)
        elif isinstance(item, Closed):
            raise CheckFailed(f"{ws.name}: closed {item} while waiting for Peers after Joined {rm}")
        else:
            held.append(item)
    ws.unread(held)
    ws.joined_peers = [p for p in peers if p[0] == PEERS and p[2] in (0, 2)][0]
    return j, entries, peers


async def collect_entries(ws, rm, start, end, timeout=5.0, peers=None, epoch=None):
    """Read entries of room rm with offsets start..end (exclusive), which must arrive
    in order and gap-free. Peers/Presence frames in between are collected."""
    got = []
    nxt = start
    deadline = time.monotonic() + timeout
    while nxt < end:
        left = deadline - time.monotonic()
        if left <= 0:
            raise CheckFailed(f"{ws.name}: entries {nxt}..{end} of {rm} not received within {timeout}s")
        item = await ws.next(left)
        if item is None:
            continue
        if not isinstance(item, list):
            raise CheckFailed(f"{ws.name}: got {item} while waiting for entries {nxt}..{end}")
        if item[0] in (PEERS, PRESENCE) and item[1] == rm:
            if peers is not None:
                peers.append(item)
            continue
        if item[0] in (HUB_DELTA, DELTA_BATCH) and item[1] == rm:
            for e in entries_of(item):
                if epoch is not None and e[0] != epoch:
                    raise CheckFailed(f"{ws.name}: entry of epoch {e[0]}, expected {epoch}")
                if e[1] != nxt:
                    raise CheckFailed(f"{ws.name}: entry at offset {e[1]}, expected {nxt} (out of order/gap/duplicate)")
                got.append(e)
                nxt += 1
            continue
        raise CheckFailed(f"{ws.name}: unexpected {short(item)} while waiting for entries {nxt}..{end}")
    return got


# ---------------------------------------------------------------- registry

TESTS = []


def test(name, server="main"):
    def deco(fn):
        TESTS.append((name, server, fn))
        return fn
    return deco


class Notes:
    """Observations a passing test wants in the output (facts for the report)."""
    items = []

    @classmethod
    def add(cls, test, text):
        cls.items.append((test, text))


async def run_all(servers, only=None, per_test_timeout=40.0):
    results = []
    for name, sname, fn in TESTS:
        if only and not any(o in name for o in only):
            continue
        t0 = time.monotonic()
        try:
            await asyncio.wait_for(fn(servers[sname] if sname else servers), per_test_timeout)
            ok, why = True, ""
        except CheckFailed as e:
            ok, why = False, str(e)
        except asyncio.TimeoutError:
            ok, why = False, f"test exceeded {per_test_timeout}s"
        except Exception as e:  # noqa: BLE001
            ok, why = False, f"error: {e!r}\n" + traceback.format_exc(limit=4)
        await swlib.abort_all()
        dt = time.monotonic() - t0
        print(f"{'PASS' if ok else 'FAIL'} {name} ({dt:.1f}s){': ' + why if why else ''}", flush=True)
        results.append((name, ok, why))
    return results
