//! Adds 1 to the shared counter "counter" and prints what this replica sees.
use syncwire_tokio::client::{ClientConfig, SyncClient};
use syncwire_tokio::proto::crdt::{GCounter, GCounterOp};

#[tokio::main]
pub(crate) async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("SYNCWIRE_URL").unwrap_or("ws://127.0.0.1:8080/sync".into());
    // No replica id given: a fresh random one for this instance.
    let client = SyncClient::connect(&url, ClientConfig::default())?;
    let counter = client.join::<GCounter>("counter")?;
    counter.apply(GCounterOp::Increment(1))?; // applied locally at once, queued for the hub
    counter.synced().await?; // the room caught up: what other replicas stored is in
    println!("counter = {}", counter.read(|c| c.value())?);
    client.close(std::time::Duration::from_secs(2)).await; // waits for the hub's acks
    Ok(())
}
