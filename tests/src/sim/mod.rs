//! The simulator: the world, its virtual network, the fault plan and the workload.

pub mod client;
pub mod faults;
pub mod net;
pub mod workload;
pub mod world;
pub mod world_auth;
mod world_check;
mod world_client;
mod world_faults;
mod world_hub;
mod world_identity;
mod world_nodes;

pub use world::{Coverage, Stats, World};
pub use world_faults::ROGUE_CLOSE_BOUND;
