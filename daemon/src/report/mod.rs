//! What a person or a prompt reads: the human reports ([`render`], ending with the
//! [`summary`]) and the badge ([`badge`]). JSON is the contract types of
//! [`crate::verdict`] serialised as they are.

pub mod badge;
pub mod render;
mod summary;
