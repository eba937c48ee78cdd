//! Typed views over documents: thin wrappers that know where things live in a workflow or an
//! action and hand rules both the node and the route that leads to it.

pub mod contexts;
pub mod deploy;
pub mod environment;
pub mod events;
pub mod expr;
pub mod federation;
pub mod iam;
pub mod principals;
pub mod repo;
pub mod roles;
pub mod terraform;
pub mod vault;
pub mod workflow;

pub use workflow::{Action, Job, Step, Workflow};
