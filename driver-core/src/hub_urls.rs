//! [`HubUrls`]: the hub node(s) a client connects to. One URL is the usual case; with
//! several, the client tries them in turn: the first attempt goes to the first URL,
//! and every new attempt after a failed or lost connection goes to the next one,
//! round-robin. The client resumes with its position wherever it lands: offsets
//! belong to the room's log, not to a node.
//!
//! Every URL must serve the same rooms from the same storage: a standby node that
//! takes over the data directory or the Redis database of a node that died
//! (docs/DEPLOYMENT.md), or nodes of one deployment (docs/MULTINODE.md). URLs that
//! serve different storage would each have their own history: the client would
//! resync at every switch.

use crate::error::DriverError;

/// One or more hub URLs (never empty), tried in turn.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HubUrls(Vec<String>);

impl HubUrls {
    /// The URLs in the order to try them; an empty list is a [`DriverError::Config`].
    pub fn new<I, S>(urls: I) -> Result<Self, DriverError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let urls: Vec<String> = urls.into_iter().map(Into::into).collect();
        if urls.is_empty() {
            return Err(DriverError::Config("no hub URL given".to_owned()));
        }
        Ok(HubUrls(urls))
    }

    /// Every URL, in order.
    pub fn as_slice(&self) -> &[String] {
        &self.0
    }

    /// The URL of connection attempt `attempt` (0-based): round-robin.
    pub fn for_attempt(&self, attempt: usize) -> &str {
        let i = attempt % self.0.len().max(1);
        self.0.get(i).map_or("", String::as_str)
    }
}

impl From<&str> for HubUrls {
    fn from(url: &str) -> Self {
        HubUrls(vec![url.to_owned()])
    }
}

impl From<String> for HubUrls {
    fn from(url: String) -> Self {
        HubUrls(vec![url])
    }
}

impl From<&String> for HubUrls {
    fn from(url: &String) -> Self {
        HubUrls(vec![url.clone()])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attempts_go_round_robin_from_the_first_url() {
        let urls = HubUrls::new(["ws://a/sync", "ws://b/sync", "ws://c/sync"]).unwrap();
        let order: Vec<&str> = (0..5).map(|i| urls.for_attempt(i)).collect();
        assert_eq!(
            order,
            [
                "ws://a/sync",
                "ws://b/sync",
                "ws://c/sync",
                "ws://a/sync",
                "ws://b/sync"
            ]
        );
        let one = HubUrls::from("ws://a/sync");
        assert_eq!(
            (one.for_attempt(0), one.for_attempt(7)),
            ("ws://a/sync", "ws://a/sync")
        );
    }

    #[test]
    fn an_empty_list_is_a_config_error() {
        let none: [&str; 0] = [];
        assert!(matches!(HubUrls::new(none), Err(DriverError::Config(_))));
    }
}
