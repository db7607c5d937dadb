//! credguard's engine, as a library the `credguardd` binary wraps.
//!
//! The folders read in pipeline order; each stage uses only the stages listed before it:
//!
//! * [`aws`]: reading what the AWS tools read: where the files are, the line scanner, the
//!   profile reading, the credential chain, the SSO/CLI/login caches, `credential_process`,
//!   expiry timestamps;
//! * [`diagnose`]: the offline problems, one file per credential source, plus the value
//!   checks and the file faults;
//! * [`validate`]: the STS call, the classification of its answers, the verdict cache;
//! * [`report`]: text and JSON renderers, the badge;
//! * [`run`]: the one-shot check, the engine (actor), the watcher, notifications, the
//!   socket, `sd_notify`, the daemon itself.
//!
//! Beside them: [`verdict`] (the contract types), [`world`] (the injected environment and
//! clock), [`config`] (`config.toml`) and [`paths`] (credguard's own files).

pub mod aws;
pub mod config;
pub mod diagnose;
pub mod paths;
pub mod report;
pub mod run;
pub mod validate;
pub mod verdict;
pub mod world;
