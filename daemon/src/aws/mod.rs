//! Reading what the AWS tools read, as they read it: the account an access key id encodes
//! and the known canary-token accounts ([`account`]), where the shared files are and which
//! profile is selected ([`locate`]), the raw line scanner ([`scan`]), the profile files as
//! the SDK parses them ([`files`]), the three readers
//! (AWS CLI, SDKs, JS SDK) each with its own reading of the same files ([`readers`]), the credential chain of a profile ([`chain`]), the SSO,
//! CLI and console-login caches ([`sso`], [`clicache`], [`login`]), `credential_process`
//! ([`process`]) and expiry timestamps ([`expiry`]). [`fsread`] reads a file someone else
//! wrote without ever hanging.

pub mod account;
pub mod chain;
pub mod clicache;
pub mod expiry;
pub mod files;
pub mod fsread;
pub mod locate;
pub mod login;
pub mod process;
pub mod readers;
pub mod scan;
pub mod sso;
