//! The daemon's integration tests, gathered into one test binary: each test binary links
//! the AWS SDK again, so one binary builds several minutes faster than one per file. Every
//! file beside this one is a module named for what it tests; `support/` holds their helpers.
//! Run one module with `bash scripts/test.sh -E 'test(/^moto_canary::/)'`.

mod support;

mod account;
mod account_memory;
mod audit_schedule;
mod botocore;
mod cli;
mod clock;
mod completions;
mod conformance;
mod context;
mod context_verdicts;
mod daemon;
mod divergences;
mod divergences_json;
mod env_readers;
mod env_verdicts;
mod expiry;
mod fake_sts;
mod fixes;
mod guard;
mod guard_files;
mod in_process;
mod install;
mod moto;
mod moto_canary;
mod notifications;
mod offline;
mod readers;
mod report;
mod security;
mod shells;
mod statusbars;
mod systemd;
mod usage;
mod watch;
