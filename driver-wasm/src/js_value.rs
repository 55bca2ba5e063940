//! Conversions between JavaScript values and syncwire [`Value`]s and events.

use js_sys::{Array, Object, Reflect};
use syncwire_proto::client::{ClientEvent, ClientState, DisconnectReason};
use syncwire_proto::crdt::Value;
use wasm_bindgen::prelude::*;

/// Deepest JavaScript nesting converted (deeper values are refused).
const MAX_DEPTH: usize = 16;

/// A JavaScript value as a [`Value`]: strings, numbers (integers become `Int`),
/// booleans, null/undefined, arrays and plain objects.
pub(crate) fn from_js(v: &JsValue) -> Result<Value, JsError> {
    from_js_depth(v, 0)
}

fn from_js_depth(v: &JsValue, depth: usize) -> Result<Value, JsError> {
    if depth > MAX_DEPTH {
        return Err(JsError::new("value nested too deeply"));
    }
    if v.is_null() || v.is_undefined() {
        return Ok(Value::Null);
    }
    if let Some(b) = v.as_bool() {
        return Ok(Value::Bool(b));
    }
    if let Some(s) = v.as_string() {
        return Ok(Value::Text(s));
    }
    if let Some(n) = v.as_f64() {
        let int = n.fract() == 0.0 && n.abs() <= 9_007_199_254_740_991.0;
        return Ok(if int {
            Value::Int(n as i64)
        } else {
            Value::Float(n)
        });
    }
    if Array::is_array(v) {
        let mut items = Vec::new();
        for x in Array::from(v).iter() {
            items.push(from_js_depth(&x, depth + 1)?);
        }
        return Ok(Value::List(items));
    }
    if v.is_object() {
        let mut map = Vec::new();
        for entry in Object::entries(v.unchecked_ref()).iter() {
            let pair = Array::from(&entry);
            let key = pair.get(0).as_string().unwrap_or_default();
            map.push((key, from_js_depth(&pair.get(1), depth + 1)?));
        }
        // Sorted once by key.
        return Ok(Value::Map(map.into_iter().collect()));
    }
    Err(JsError::new("unsupported value type"))
}

/// A [`Value`] as a plain JavaScript value (bytes become a `Uint8Array`).
pub(crate) fn to_js(v: &Value) -> JsValue {
    match v {
        Value::Null => JsValue::NULL,
        Value::Bool(b) => JsValue::from_bool(*b),
        Value::Int(i) => JsValue::from_f64(*i as f64),
        Value::Float(f) => JsValue::from_f64(*f),
        Value::Text(s) => JsValue::from_str(s),
        Value::Bytes(b) => js_sys::Uint8Array::from(&b[..]).into(),
        Value::List(items) => items.iter().map(to_js).collect::<Array>().into(),
        Value::Map(map) => {
            let obj = Object::new();
            for (k, v) in map {
                set(&obj, k, to_js(v));
            }
            obj.into()
        }
    }
}

fn set(obj: &Object, key: &str, value: impl Into<JsValue>) {
    let _ = Reflect::set(obj, &JsValue::from_str(key), &value.into());
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A lifecycle state's name (`SyncwireState`), without `Debug` formatting (which
/// would pull the formatting of every nested type into the bundle).
pub(crate) fn state_name(state: ClientState) -> &'static str {
    match state {
        ClientState::Disconnected => "Disconnected",
        ClientState::Connecting => "Connecting",
        ClientState::Handshaking => "Handshaking",
        ClientState::Connected => "Connected",
        ClientState::Backoff => "Backoff",
        ClientState::Closed => "Closed",
        ClientState::Failed => "Failed",
    }
}

/// Why a connection ended, as text for the page.
fn reason_text(reason: &DisconnectReason) -> String {
    match reason {
        DisconnectReason::ClosedByApp => "closed by the application".into(),
        DisconnectReason::Transport(t) => match t.code {
            Some(code) => format!("closed with code {}: {}", code.0, t.reason),
            None => format!("transport failed: {}", t.reason),
        },
        DisconnectReason::Fault(e) => e.to_string(),
        DisconnectReason::Replaced => "replaced by a newer session of this replica".into(),
        DisconnectReason::ReplicaForbidden => "this replica id is forbidden".into(),
        DisconnectReason::MaxAttemptsReached { attempts } => {
            format!("gave up after {attempts} attempts")
        }
    }
}

/// A session event as a plain object with a `type` field.
pub(crate) fn event_to_js(ev: &ClientEvent) -> JsValue {
    let o = Object::new();
    let room = |o: &Object, r: &syncwire_proto::wire::RoomId| set(o, "room", r.as_str());
    match ev {
        ClientEvent::StateChanged { from, to, reason } => {
            set(&o, "type", "state");
            set(&o, "from", state_name(*from));
            set(&o, "to", state_name(*to));
            if let Some(r) = reason {
                set(&o, "reason", reason_text(r));
            }
        }
        ClientEvent::Joined {
            room: r,
            offset,
            head,
            resync,
            ..
        } => {
            set(&o, "type", "joined");
            room(&o, r);
            set(&o, "offset", *offset as f64);
            set(&o, "head", *head as f64);
            set(&o, "resync", *resync);
        }
        ClientEvent::Resync { room: r, .. } => {
            set(&o, "type", "resync");
            room(&o, r);
        }
        ClientEvent::CaughtUp { room: r, offset } => {
            set(&o, "type", "caughtUp");
            room(&o, r);
            set(&o, "offset", *offset as f64);
        }
        ClientEvent::Delta {
            room: r, offset, ..
        } => {
            set(&o, "type", "delta");
            room(&o, r);
            set(&o, "offset", *offset as f64);
        }
        ClientEvent::DeltaAcked { room: r, seq } => {
            set(&o, "type", "acked");
            room(&o, r);
            set(&o, "seq", *seq as f64);
        }
        ClientEvent::DeltaRejected {
            room: r, message, ..
        }
        | ClientEvent::JoinRejected {
            room: r, message, ..
        } => {
            set(&o, "type", "rejected");
            room(&o, r);
            set(&o, "message", message.as_str());
        }
        ClientEvent::PeerJoined {
            room: r,
            peer,
            replica,
            user_info,
        } => {
            set(&o, "type", "peerJoined");
            room(&o, r);
            set(&o, "peer", peer.0 as f64);
            set(&o, "replica", replica.0 as f64);
            set(&o, "name", text(user_info.as_deref().unwrap_or_default()));
        }
        ClientEvent::PeerLeft { room: r, peer } => {
            set(&o, "type", "peerLeft");
            room(&o, r);
            set(&o, "peer", peer.0 as f64);
        }
        ClientEvent::PeerCount { room: r, count } => {
            set(&o, "type", "peerCount");
            room(&o, r);
            set(&o, "count", *count as f64);
        }
        ClientEvent::Presence {
            room: r,
            peer,
            state,
        } => {
            set(&o, "type", "presence");
            room(&o, r);
            set(&o, "peer", peer.0 as f64);
            set(&o, "state", text(state));
        }
        ClientEvent::Error(e) => {
            set(&o, "type", "error");
            set(&o, "message", e.to_string());
        }
    }
    o.into()
}
