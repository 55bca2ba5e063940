'use strict'
// Peer adapter for ../shared/peers: syncwire, spoken from docs/PROTOCOL.md (version 2)
// with a hand-written CBOR encoder and cbor-x for decoding, like any third-party
// client would. Server: the `syncwire serve` binary (SYNCWIRE_BIN), `--open`, memory
// storage (`syncwire`) or the embedded durable store in a fresh directory
// (`syncwire-redb`). Every client joins room "bench" of CRDT type `lww`: the
// publisher writes the 64-byte payload as the register's value (the hub validates
// every delta, logs it and fans it out), subscribers read the value of each delivered
// delta. Copied into peers/adapters/ by scripts/peers-bench.
const fs = require('fs')
const os = require('os')
const path = require('path')
const WS = require('ws')
const { decode } = require('cbor-x')

const ROOM = 'bench'
const CRDT = 'lww'

// --- CBOR encoding (preferred serialization, PROTOCOL.md §2)
function head (major, n) {
  const m = major << 5
  if (n < 24) return Buffer.from([m | n])
  if (n < 0x100) return Buffer.from([m | 24, n])
  if (n < 0x10000) return Buffer.from([m | 25, n >> 8, n & 0xff])
  if (n < 0x100000000) {
    const b = Buffer.alloc(5); b[0] = m | 26; b.writeUInt32BE(n, 1); return b
  }
  const b = Buffer.alloc(9); b[0] = m | 27; b.writeBigUInt64BE(BigInt(n), 1); return b
}
const uint = (n) => head(0, n)
const bytes = (buf) => Buffer.concat([head(2, buf.length), buf])
const text = (s) => { const b = Buffer.from(s, 'utf8'); return Buffer.concat([head(3, b.length), b]) }
const array = (...items) => Buffer.concat([head(4, items.length), ...items])
const NULL = Buffer.from([0xf6])

const hello = (replica) => array(uint(1), array(uint(2)), uint(replica), NULL, NULL)
const join = () => array(uint(4), text(ROOM), text(CRDT), NULL)
const pong = (nonce) => array(uint(12), uint(nonce))
const ping = (nonce) => array(uint(11), uint(nonce))
// An LWW register write (docs/CRDTS.md): [millis, replica, value].
const lwwSet = (replica, value) => array(uint(Date.now()), uint(replica), text(value))
const clientDelta = (replica, seq, payload) =>
  array(uint(7), text(ROOM), text(CRDT), uint(replica), uint(seq), bytes(payload))

function withTimeout (p, ms, what) {
  let t
  return Promise.race([
    p,
    new Promise((_resolve, reject) => { t = setTimeout(() => reject(new Error(`${what}: timeout after ${ms} ms`)), ms) })
  ]).finally(() => clearTimeout(t))
}

function randomReplica () {
  return 1 + Math.floor(Math.random() * 0x7fffffff)
}

// Opens a session, joins the room; `onValue` gets the register value of each delta.
function open (host, port, onValue, onDisconnect) {
  const replica = randomReplica()
  const ws = new WS(`ws://${host}:${port}/sync`, { perMessageDeflate: false })
  let beat = null
  let nonce = 0
  let closing = false
  const ready = new Promise((resolve, reject) => {
    ws.once('open', () => { ws.send(hello(replica)); ws.send(join()) })
    ws.once('error', reject)
    ws.on('message', (data) => {
      const f = decode(data)
      switch (f[0]) {
        case 2: // Welcome: keep the session alive (PROTOCOL.md §9)
          beat = setInterval(() => ws.send(ping(++nonce)), Math.max(1000, f[3] / 2))
          break
        case 5: resolve(); break // Joined
        case 3: reject(new Error(`rejected ${f[1]}: ${f[4]}`)); break // only matters before Joined
        case 8: onValue(decode(f[7])[2]); break // HubDelta
        case 9: for (const e of f[5]) onValue(decode(e[2])[2]); break // DeltaBatch
        case 11: ws.send(pong(f[1])); break // Ping
        default: break // Ack, Pong, Peers, Presence
      }
    })
  })
  ws.on('close', (code) => {
    if (beat) clearInterval(beat)
    if (!closing && onDisconnect) onDisconnect(`close ${code}`)
  })
  const close = () => { closing = true; if (beat) clearInterval(beat); ws.terminate() }
  return withTimeout(ready, 30000, 'syncwire join').then(
    () => ({ ws, replica, close }),
    (e) => { close(); throw e }
  )
}

function variant (storage) {
  return {
    name: storage === 'memory' ? 'syncwire' : 'syncwire-redb',
    server (port) {
      const bin = process.env.SYNCWIRE_BIN
      if (!bin) throw new Error('SYNCWIRE_BIN is not set (run scripts/peers-bench)')
      const args = ['serve', '--addr', `127.0.0.1:${port}`, '--open']
      if (storage === 'memory') {
        args.push('--memory')
      } else {
        args.push('--data-dir', fs.mkdtempSync(path.join(os.tmpdir(), 'syncwire-peers-')))
      }
      return { cmd: bin, args, env: { RUST_LOG: 'warn' } }
    },
    async subscriber ({ host, port, onPayload, onDisconnect }) {
      const s = await open(host, port, onPayload, onDisconnect)
      return { close: s.close }
    },
    async publisher ({ host, port, onDisconnect }) {
      const s = await open(host, port, () => {}, onDisconnect)
      let seq = 0
      return {
        send (payload) { s.ws.send(clientDelta(s.replica, ++seq, lwwSet(s.replica, payload))) },
        close: s.close
      }
    }
  }
}

module.exports = variant('memory')
module.exports.variant = variant
