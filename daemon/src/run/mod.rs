//! Running the pipeline: once ([`check`]), or as the daemon ([`daemon`]): the engine actor
//! ([`engine`]) and which profiles shells use ([`usage`]), the badge files it keeps for the
//! prompt hooks ([`badges`]) with the pre-command guard's ([`guard`]), file watching
//! ([`watch`]), desktop notifications ([`desktop`], held in [`quiet`] hours), the socket
//! (set up in [`listen`], served in [`serve`], live feeds in [`feed`]) and systemd's readiness protocol
//! ([`sdnotify`]).

pub mod badges;
pub mod check;
pub mod daemon;
pub mod desktop;
pub mod engine;
pub mod feed;
pub mod guard;
pub mod listen;
pub mod quiet;
pub mod sdnotify;
pub mod serve;
pub mod usage;
pub mod watch;
