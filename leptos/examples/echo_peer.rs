//! A native (tokio) peer for the Leptos browser tests (scripts/browser-test,
//! stage `leptos`): it keeps the counter room `leptos-echo` equal to the counter
//! room `leptos-ask` (which the browser increments by clicks), so the browser sees
//! changes it did not make. Exits 0 once it has echoed 3 clicks and the hub
//! acknowledged them; exits 1 after 120 s.
//! Usage: `cargo run -p syncwire-leptos --example echo_peer -- ws://127.0.0.1:PORT/sync`

#[cfg(not(target_arch = "wasm32"))]
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    use std::time::Duration;

    use futures_util::StreamExt;
    use syncwire_tokio::client::{ClientConfig, SyncClient};
    use syncwire_tokio::proto::crdt::{GCounter, GCounterOp};

    let url = std::env::args()
        .nth(1)
        .ok_or("usage: echo_peer ws://127.0.0.1:PORT/sync")?;
    let client = SyncClient::connect(&url, ClientConfig::default())?;
    let ask = client.join::<GCounter>("leptos-ask")?;
    let echo = client.join::<GCounter>("leptos-echo")?;
    let mut asked = ask.changes();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        let wanted = ask.read(|c| c.value())?;
        let echoed = echo.read(|c| c.value())?;
        if echoed < wanted {
            echo.apply(GCounterOp::Increment(wanted - echoed))?;
        }
        if wanted >= 3 && client.outbox_len() == 0 {
            println!("echo peer: echoed {wanted}");
            break;
        }
        // The next change of `leptos-ask`, or a look at the outbox every 100 ms.
        let tick = tokio::time::Instant::now() + Duration::from_millis(100);
        match tokio::time::timeout_at(tick, asked.next()).await {
            Ok(Some(())) | Err(_) => {}
            Ok(None) => return Err("the session closed".into()),
        }
        if tokio::time::Instant::now() > deadline {
            eprintln!("echo peer: timed out (asked {wanted}, echoed {echoed})");
            std::process::exit(1);
        }
    }
    client.close(Duration::from_secs(5)).await;
    Ok(())
}

#[cfg(target_arch = "wasm32")]
fn main() {}
