//! credguard's engine: files → diagnosis → STS → cache → scheduler/notifications → socket.

pub mod chain;
pub mod check;
pub mod config;
pub mod credcheck;
pub mod diagnose;
pub mod expiry;
pub mod files;
pub mod locate;
pub mod render;
pub mod scan;
pub mod sso;
pub mod verdict;
pub mod world;
