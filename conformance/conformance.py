#!/usr/bin/env python3
"""syncwire wire-protocol conformance suite (docs/PROTOCOL.md v2), stdlib only.

usage: conformance.py BINARY [--only SUBSTR ...] [--workdir DIR]
"""
import argparse
import asyncio
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from harness import Server, Notes  # noqa: E402
import swlib  # noqa: E402

TOKEN = "conformance-secret"

# Servers the tests run against. "tight" announces non-default limits in Welcome,
# which a client MUST use (section 7).
TIGHT = {
    "max_frame_bytes": 4096, "max_rooms": 2, "max_payload_bytes": 3072,
    "max_presence_bytes": 64, "max_user_info_bytes": 16, "heartbeat_ms": 500,
    "heartbeat_timeout_ms": 1500, "handshake_timeout_ms": 1500,
}
RATE = {"rate_frame_burst": 10, "rate_frames_per_sec": 1, "rate_strikes": 3}


def flags(d):
    out = []
    for k, v in d.items():
        out += ["--" + k.replace("_", "-"), str(v)]
    return out


def _term(signum, frame):
    raise KeyboardInterrupt


def main():
    import signal
    signal.signal(signal.SIGTERM, _term)
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--only", nargs="*")
    ap.add_argument("--workdir")
    a = ap.parse_args()
    workdir = a.workdir or tempfile.mkdtemp(prefix="sw-conformance-")
    os.makedirs(workdir, exist_ok=True)
    print(f"conformance: binary {a.binary}, logs in {workdir}", flush=True)

    import t_spec  # noqa: F401  (registers tests)
    import t_handshake  # noqa: F401
    import t_delivery  # noqa: F401
    import t_limits  # noqa: F401
    import t_presence  # noqa: F401
    import t_durability  # noqa: F401
    import t_more  # noqa: F401
    import t_auth  # noqa: F401
    import t_slow  # noqa: F401
    import t_final  # noqa: F401

    servers = {
        "main": Server(a.binary, "main", ["--open"], workdir=workdir),
        "tight": Server(a.binary, "tight", flags(TIGHT) + ["--allow-origin", "https://good.example"],
                        env={"SYNCWIRE_TOKEN": TOKEN}, workdir=workdir),
        "rate": Server(a.binary, "rate", ["--open"] + flags(RATE), workdir=workdir),
    }
    secret = os.path.join(workdir, "jwt-secret")
    import t_final
    with open(secret, "wb") as f:
        f.write(t_final.JWT_SECRET + b"\n")
    servers["jwt"] = Server(a.binary, "jwt", ["--jwt-hs256-secret-file", secret], workdir=workdir)
    servers["compact"] = Server(a.binary, "compact", ["--open", "--max-tail-entries", "8",
                                                            "--max-presence-members", "2",
                                                            "--presence-summary-interval-ms", "300"], workdir=workdir)
    import t_auth
    t_auth.AUTH_PORT = harness.free_port()
    servers["authurl"] = Server(a.binary, "authurl", [
        "--auth-url", f"http://127.0.0.1:{t_auth.AUTH_PORT}/auth", "--auth-timeout-ms", "800",
        "--handshake-timeout-ms", "4000"], workdir=workdir)
    servers["small"] = Server(a.binary, "small", ["--open", "--max-sessions", "2", "--max-loaded-rooms", "2"],
                              workdir=workdir)
    servers["slow"] = Server(a.binary, "slow", ["--open", "--max-backlog-bytes", "65536",
                                                "--max-presence-bytes", "4096"], workdir=workdir)
    servers["slowcompact"] = Server(a.binary, "slowcompact", ["--open", "--max-backlog-bytes", "65536",
                                                              "--max-tail-entries", "64"], workdir=workdir)
    servers["tight"].token = TOKEN
    servers["tight"].conf = TIGHT
    # The durability test starts (and kill -9s) its own server.
    servers["dur"] = Server(a.binary, "dur", ["--open"], workdir=workdir)
    t0 = time.monotonic()
    try:
        for name in ("main", "tight", "rate", "jwt", "compact", "authurl", "small", "slow", "slowcompact"):
            servers[name].start()
        results = asyncio.run(harness.run_all({**servers, None: servers}, a.only))
    finally:
        for s in servers.values():
            try:
                s.cleanup()
            except Exception as e:  # noqa: BLE001
                print(f"cleanup of {s.name}: {e}")
        harness.kill_all_started()
    failed = [r for r in results if not r[1]]
    if Notes.items:
        print("\nobservations:")
        for t, n in Notes.items:
            print(f"  [{t}] {n}")
    print(f"\n{len(results) - len(failed)} passed, {len(failed)} failed, {time.monotonic() - t0:.0f}s")
    for name, _, why in failed:
        print(f"  FAIL {name}: {why.splitlines()[0] if why else ''}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
