//! The JavaScript side of [`SyncClient::open`] and of the client options: the
//! options object both `new SyncwireClient(...)` and `SyncwireClient.open(...)`
//! read (`token`, `getToken`; for `open` also `storageKey`, `replicaId`, `name`),
//! the hub URL list (`string | string[]`), and the storage events passed to
//! `onEvent` (`storageFailed`, `storageRecovered`).

use std::rc::Rc;

use bytes::Bytes;
use js_sys::{Array, Function, Object, Reflect};
use syncwire_proto::wire::ReplicaId;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::js::JsClient;
use crate::{ClientConfig, HubUrls, StorageEvent, SyncClient};

/// `options[key]`, unless absent, `undefined` or `null`.
fn option(options: Option<&Object>, key: &str) -> Option<JsValue> {
    let value = Reflect::get(options?, &JsValue::from_str(key)).ok()?;
    (!value.is_undefined() && !value.is_null()).then_some(value)
}

/// Applies `token` to `config`; the `getToken` function, if any.
pub(crate) fn read_options(
    config: &mut ClientConfig,
    options: Option<&Object>,
) -> Result<Option<Function>, JsError> {
    if let Some(token) = option(options, "token") {
        let token = token
            .as_string()
            .ok_or_else(|| JsError::new("token must be a string"))?;
        config.token = Some(token);
    }
    option(options, "getToken")
        .map(|f| {
            f.dyn_into::<Function>()
                .map_err(|_| JsError::new("getToken must be a function"))
        })
        .transpose()
}

/// A replica id of the page's choosing (a positive integer below 2^53).
pub(crate) fn replica_id(replica: f64) -> Result<ReplicaId, JsError> {
    let max = ReplicaId::MAX_FRESH as f64;
    if (1.0..=max).contains(&replica) && replica.fract() == 0.0 {
        Ok(ReplicaId(replica as u64))
    } else {
        Err(JsError::new(
            "replica must be a positive integer below 2^53",
        ))
    }
}

#[wasm_bindgen(js_class = SyncwireClient)]
impl JsClient {
    /// Connects to one hub URL or several (tried round-robin after a failed or
    /// lost connection), all serving the same storage. With `options.storageKey`
    /// the session is saved in IndexedDB and restored from it before connecting,
    /// under a replica id of this tab's own (a reload continues it; a duplicated
    /// tab or another window gets another one: driver-wasm/README.md); without, it
    /// is kept in memory only. `options.replicaId` chooses the id (an error if
    /// another tab holds it), `options.name` is shown to peers, `token` and
    /// `getToken` as for the constructor. Rejects if IndexedDB cannot be opened.
    pub async fn open(
        #[wasm_bindgen(unchecked_param_type = "string | string[]")] urls: JsValue,
        #[wasm_bindgen(unchecked_param_type = "SyncwireOpenOptions | null")] options: Option<
            Object,
        >,
    ) -> Result<JsClient, JsError> {
        let urls: Vec<String> = if urls.is_array() {
            Array::from(&urls)
                .iter()
                .filter_map(|u| u.as_string())
                .collect()
        } else {
            urls.as_string().into_iter().collect()
        };
        let urls = HubUrls::new(urls).map_err(|e| JsError::new(&e.to_string()))?;
        let mut config = ClientConfig::default();
        let get_token = read_options(&mut config, options.as_ref())?;
        let opts = options.as_ref();
        if let Some(r) = option(opts, "replicaId") {
            config.replica = Some(replica_id(r.as_f64().unwrap_or(0.0))?);
        }
        config.user_info = option(opts, "name")
            .and_then(|n| n.as_string())
            .map(|n| Bytes::from(n.into_bytes()));
        let client = match option(opts, "storageKey").and_then(|k| k.as_string()) {
            Some(key) => SyncClient::open(urls, config, &key).await,
            None => SyncClient::connect_to(urls, config),
        }
        .map_err(|e| JsError::new(&e.to_string()))?;
        client.set_token_getter(get_token);
        Ok(JsClient {
            client: Rc::new(client),
        })
    }
}

/// A storage event as a plain object with a `type` field.
pub(crate) fn storage_event_to_js(ev: &StorageEvent) -> JsValue {
    let o = Object::new();
    let set = |k: &str, v: JsValue| {
        let _ = Reflect::set(&o, &k.into(), &v);
    };
    match ev {
        StorageEvent::WriteFailed {
            error,
            attempt,
            retry_in,
        } => {
            set("type", "storageFailed".into());
            set("kind", error.kind().into());
            set("message", error.to_string().into());
            set("attempt", (*attempt).into());
            set("retryInMs", (retry_in.as_millis() as f64).into());
        }
        StorageEvent::Recovered { attempts } => {
            set("type", "storageRecovered".into());
            set("attempts", (*attempts).into());
        }
    }
    o.into()
}
