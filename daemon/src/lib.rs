//! credguard's engine: files → diagnosis → STS → cache → scheduler/notifications → socket.

pub mod badge;
pub mod cache;
pub mod chain;
pub mod check;
pub mod clicache;
pub mod config;
pub mod credcheck;
pub mod daemon;
pub mod desktop;
pub mod diagnose;
pub mod engine;
pub mod expiry;
pub mod files;
pub mod locate;
pub mod paths;
pub mod process;
pub mod render;
pub mod scan;
pub mod sdnotify;
pub mod server;
pub mod sso;
pub mod sts;
pub mod validate;
pub mod verdict;
pub mod watch;
pub mod world;
