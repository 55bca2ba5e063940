"""Section 0 (no hub needed): the documents' own examples are consistent with the
encoding rules this client implements from section 2 and CRDTS.md."""
import os
import re

from harness import test, Notes
from swlib import enc, dec, hexs, CheckFailed

DOCS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "docs")


def parse_diag(s):
    """CBOR diagnostic notation subset used by PROTOCOL.md: ints, "text", h'hex', [..], null/true/false."""
    toks = re.findall(r"h'[0-9a-fA-F]*'|\"(?:[^\"\\]|\\.)*\"|\[|\]|,|-?\d+|null|true|false", s)
    pos = 0

    def val():
        nonlocal pos
        t = toks[pos]
        pos += 1
        if t == "[":
            out = []
            if toks[pos] == "]":
                pos += 1
                return out
            while True:
                out.append(val())
                t2 = toks[pos]
                pos += 1
                if t2 == "]":
                    return out
        if t.startswith("h'"):
            return bytes.fromhex(t[2:-1])
        if t.startswith('"'):
            return t[1:-1]
        if t == "null":
            return None
        if t == "true":
            return True
        if t == "false":
            return False
        return int(t)
    v = val()
    if pos != len(toks):
        raise ValueError(f"trailing tokens in {s!r}")
    return v


FRAME_TYPES = {"Hello": 1, "Welcome": 2, "Reject": 3, "Join": 4, "Joined": 5, "Leave": 6,
               "ClientDelta": 7, "HubDelta": 8, "DeltaBatch": 9, "Ack": 10, "Ping": 11, "Pong": 12,
               "SetPresence": 15, "Presence": 16, "Peers": 17}
ARITY = {1: 5, 2: 5, 3: 5, 4: 4, 5: 10, 6: 2, 7: 6, 8: 8, 9: 6, 10: 4, 11: 2, 12: 2, 15: 3, 16: 4, 17: 6}


@test("0.protocol_md_hex_examples", server=None)
async def _(_servers):
    text = open(os.path.join(DOCS, "PROTOCOL.md"), encoding="utf-8").read()
    blocks = re.findall(r"```cbor-example\n(.*?)```", text, re.S)
    bad = []
    for b in blocks:
        frame = re.search(r"^frame: (\w+)", b, re.M).group(1)
        diag = re.search(r"^diag: (.*)$", b, re.M).group(1)
        hx = "".join(l[4:] for l in b.splitlines() if l.startswith("hex:"))
        raw = bytes.fromhex(hx.replace(" ", ""))
        v = parse_diag(diag)
        if enc(v) != raw:
            bad.append(f"{frame} {diag}: encodes to {hexs(enc(v))}, the document says {hexs(raw)}")
        d, canon = dec(raw)
        if d != v or not canon:
            bad.append(f"{frame}: hex decodes to {d!r} (canonical {canon})")
        if v[0] != FRAME_TYPES[frame] or len(v) != ARITY[v[0]]:
            bad.append(f"{frame} example {diag}: type/arity does not match section 3")
        # payloads of the gcounter examples are gcounter states (section 3.7)
        if frame in ("ClientDelta", "HubDelta"):
            p, _ = dec(v[-1])
            if not (isinstance(p, list) and all(isinstance(e, list) and len(e) == 2 for e in p)):
                bad.append(f"{frame} payload {p!r} is not a gcounter")
    want_n = 20
    if len(blocks) < want_n:
        bad.append(f"only {len(blocks)} examples found")
    Notes.add("0.examples", f"{len(blocks)} cbor-example blocks checked")
    if bad:
        raise CheckFailed("; ".join(bad))


@test("0.crdts_md_examples", server=None)
async def _(_servers):
    # the encoding table of CRDTS.md: hex example -> the value the prose describes
    exp = {
        "81820103": [[1, 3]],                                  # gcounter: replica 1 counted 3
        "828182010581820202": [[[1, 5]], [[2, 2]]],           # pncounter: +5 by 1, -2 by 2
        "831903e801626869": [1000, 1, "hi"],                   # lww "hi" at 1000 ms by 1
        "f6": None,                                            # lww empty
        "828183010107828182010180": [[[1, 1, 7]], [[[1, 1]], []]],   # mvreg: 7 written by 1
        "828182617881820101828182010180": [[["x", [[1, 1]]]], [[[1, 1]], []]],  # orset add "x" by 1
        "8280828182010180": [[], [[[1, 1]], []]],              # its remove
        "828182657469746c658183010182636c7777831903e801646d696c6b828182010180":
            [[["title", [[1, 1, ["lww", [1000, 1, "milk"]]]]]], [[[1, 1]], []]],  # map title := "milk"
        "8265656d707479f6": ["empty", None],                   # any: empty
    }
    text = open(os.path.join(DOCS, "CRDTS.md"), encoding="utf-8").read()
    bad = []
    for hx, v in exp.items():
        if hx not in text:
            bad.append(f"example {hx} not found in CRDTS.md")
            continue
        d, canon = dec(bytes.fromhex(hx))
        if d != v or not canon:
            bad.append(f"{hx} decodes to {d!r}, expected {v!r}")
    if bad:
        raise CheckFailed("; ".join(bad))
