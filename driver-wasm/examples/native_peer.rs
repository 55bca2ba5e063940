//! A native (tokio) peer for the browser tests (scripts/browser-test): it
//! increments the counter room `from-native` once every 100 ms (50 times) and
//! waits until the counter room `from-browser` reaches 3, then exits 0. Exits 1
//! after 60 s. Usage: `cargo run -p syncwire-wasm --example native_peer -- ws://127.0.0.1:PORT/sync`

#[cfg(not(target_arch = "wasm32"))]
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    use std::time::Duration;
    use syncwire_tokio::client::{ClientConfig, SyncClient};
    use syncwire_tokio::proto::crdt::{GCounter, GCounterOp};
    use syncwire_tokio::proto::wire::ReplicaId;

    let url = std::env::args()
        .nth(1)
        .ok_or("usage: native_peer ws://127.0.0.1:PORT/sync")?;
    let client = SyncClient::connect(&url, ClientConfig::new(ReplicaId(424_242)))?;
    let mine = client.join::<GCounter>("from-native")?;
    let theirs = client.join::<GCounter>("from-browser")?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let mut sent = 0;
    loop {
        if sent < 50 {
            mine.apply(GCounterOp::Increment(1))?;
            sent += 1;
        }
        let seen = theirs.read(|c| c.value())?;
        if seen >= 3 && sent == 50 {
            println!("native peer: browser counter = {seen}");
            break;
        }
        if tokio::time::Instant::now() > deadline {
            eprintln!("native peer: timed out (browser counter = {seen})");
            std::process::exit(1);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    client.close(Duration::from_secs(5)).await;
    Ok(())
}

#[cfg(target_arch = "wasm32")]
fn main() {}
