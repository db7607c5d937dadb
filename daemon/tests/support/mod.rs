//! Shared helpers for the daemon's integration tests: `mod support;` in a test crate.
//! Each test crate uses only part of it, hence the `dead_code` allowance.
#![allow(dead_code, clippy::unwrap_used)]

pub mod daemon;
pub mod login;
pub mod moto;
