//! Serving requests on the bound socket: every connection bounded in time and size, at
//! most [`MAX_CONNECTIONS`] at once, peers of another uid refused (`listen::peer_is`);
//! each request answered from the engine's snapshot (prompt, status) or by a command to
//! the engine (check, doctor, reload, submitted environment credentials).

use crate::report::badge;
use crate::report::render::{self, Style, View};
use crate::run::engine::{Command, Shared, Snapshot};
use crate::run::{feed, listen};
use crate::verdict::Report;
use crate::world::Clock;
use credguard_client::proto::{
    self, BadgeState, FrameReader, MAX_REQUEST, PROTOCOL_VERSION, PromptQuery, ProtoError, Request,
    Response, Validation, decode_request, encode_response,
};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use time::OffsetDateTime;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{Semaphore, mpsc, oneshot};

/// Connections served at once; more wait in the kernel's backlog.
pub const MAX_CONNECTIONS: usize = 256;
/// Live feeds (`credguard watch`) open at once; each holds one of the connections.
pub const MAX_FEEDS: usize = 64;
/// A client must send its request within this time.
pub const READ_TIMEOUT: Duration = Duration::from_secs(2);
/// Longest wait for a check the engine runs (STS timeouts and the confirmation delay).
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(60);

/// What a connection handler needs.
pub struct Ctx {
    pub shared: Arc<Shared>,
    /// The daemon's clock (the prompt's countdown).
    pub clock: Clock,
    pub commands: mpsc::Sender<Command>,
    pub uid: u32,
    pub refused: AtomicU64,
    pub bad_requests: AtomicU64,
    /// Live feeds open at once (each holds a connection).
    pub feeds: Semaphore,
}

/// Accept connections until the listener fails for good.
pub async fn serve(listener: UnixListener, ctx: Arc<Ctx>) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let Ok(permit) = slots.clone().acquire_owned().await else {
            return;
        };
        let stream = match listener.accept().await {
            Ok((s, _)) => s,
            Err(e) => {
                // EMFILE and the like: back off instead of spinning
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let ctx = ctx.clone();
        tokio::spawn(async move {
            handle(stream, &ctx).await;
            drop(permit);
        });
    }
}

async fn handle(mut stream: UnixStream, ctx: &Ctx) {
    if !listen::peer_is(&stream, ctx.uid, &ctx.refused) {
        return;
    }
    let response = match tokio::time::timeout(READ_TIMEOUT, read_request(&mut stream)).await {
        Err(_) => return note_bad(ctx, "no request within the time limit"),
        Ok(Err(ProtoError::Closed)) => return,
        Ok(Err(ProtoError::Version(n))) => {
            note_bad(ctx, &format!("client speaks protocol {n}"));
            Response::VersionMismatch {
                daemon_protocol: PROTOCOL_VERSION,
            }
        }
        Ok(Err(e @ (ProtoError::Io(_) | ProtoError::Truncated { .. }))) => {
            return note_bad(ctx, &e.to_string());
        }
        Ok(Err(e)) => {
            note_bad(ctx, &e.to_string());
            Response::Error {
                message: format!("bad request: {e}"),
            }
        }
        Ok(Ok(Request::Watch(q))) => return feed::serve(stream, ctx, q).await,
        Ok(Ok(req)) => answer(req, ctx).await,
    };
    let Ok(frame) = proto::encode_frame(&encode_response(&response)) else {
        return;
    };
    let _ = tokio::time::timeout(READ_TIMEOUT, stream.write_all(&frame)).await;
}

fn note_bad(ctx: &Ctx, why: &str) {
    let n = ctx.bad_requests.fetch_add(1, Ordering::Relaxed) + 1;
    if n.is_power_of_two() {
        tracing::warn!(bad_requests = n, "bad request on the socket: {why}");
    }
}

/// One request frame, read through the protocol's own frame decoder.
async fn read_request(stream: &mut UnixStream) -> Result<Request, ProtoError> {
    let mut frame = FrameReader::new(MAX_REQUEST);
    while let Some(buf) = frame.buf() {
        let n = stream.read(buf).await?;
        frame.filled(n)?;
    }
    decode_request(&frame.into_payload())
}

async fn answer(req: Request, ctx: &Ctx) -> Response {
    match req {
        Request::Ping => Response::Pong {
            daemon_version: env!("CARGO_PKG_VERSION").into(),
        },
        Request::Prompt(q) => {
            let snap = ctx.shared.snapshot();
            let now = (ctx.clock)();
            if q.env_fingerprint.is_none() {
                let name = q.profile.as_deref().unwrap_or("default");
                ctx.shared.note_asked(name, now.unix_timestamp());
            }
            prompt(&snap, &q, now)
        }
        Request::Status { json } => text_report(&ctx.shared.snapshot().report, json, View::Status),
        Request::Doctor {
            profile,
            shell_profile,
            env,
        } => match run_check(ctx, profile, Validation::Cached, env).await {
            Ok(r) => {
                let shell_profile = shell_profile.as_deref();
                text_report(&r, false, View::Doctor { shell_profile })
            }
            Err(e) => e,
        },
        Request::Check {
            profile,
            json,
            validation,
            env,
        } => match run_check(ctx, profile, validation, env).await {
            Ok(r) => text_report(&r, json, View::Check),
            Err(e) => e,
        },
        Request::Reload => {
            let (tx, rx) = oneshot::channel();
            if ctx
                .commands
                .send(Command::Reload { reply: Some(tx) })
                .await
                .is_err()
            {
                return engine_gone();
            }
            match rx.await {
                Ok(msg) => Response::Text {
                    body: msg,
                    exit_code: 0,
                },
                Err(_) => engine_gone(),
            }
        }
        Request::SubmitEnv(creds) => {
            if ctx
                .commands
                .send(Command::SubmitEnv {
                    creds: Box::new(creds),
                })
                .await
                .is_err()
            {
                return engine_gone();
            }
            Response::Badge {
                text: String::new(),
                state: BadgeState::Submitted,
            }
        }
        // served by `feed::serve` before it gets here
        Request::Watch(_) => Response::Error {
            message: "watch is a feed, not a request".into(),
        },
    }
}

fn engine_gone() -> Response {
    Response::Error {
        message: "the daemon is shutting down".into(),
    }
}

async fn run_check(
    ctx: &Ctx,
    only: Option<String>,
    validation: Validation,
    env: Option<credguard_client::EnvCredentials>,
) -> Result<Report, Response> {
    let (tx, rx) = oneshot::channel();
    let cmd = Command::Check {
        only,
        validation,
        env: env.map(Box::new),
        reply: tx,
    };
    if ctx.commands.send(cmd).await.is_err() {
        return Err(engine_gone());
    }
    match tokio::time::timeout(CHECK_TIMEOUT, rx).await {
        Ok(Ok(r)) => Ok(r),
        Ok(Err(_)) => Err(engine_gone()),
        Err(_) => Err(Response::Error {
            message: format!(
                "the check did not finish within {} s",
                CHECK_TIMEOUT.as_secs()
            ),
        }),
    }
}

/// JSON, or the human report in colour: the client takes the colour out unless its
/// stdout is a terminal (or `--color`, `NO_COLOR`, `CLICOLOR_FORCE` say otherwise).
fn text_report(r: &Report, json: bool, view: View) -> Response {
    let body = if json {
        serde_json::to_string_pretty(r).unwrap_or_default()
    } else {
        render::report(r, view, &Style { color: true })
    };
    Response::Text {
        body,
        exit_code: r.exit_code(),
    }
}

/// The badge for a shell: its environment credentials when it has some, else its
/// profile (`default` when it names none).
pub fn prompt(snap: &Snapshot, q: &PromptQuery, now: OffsetDateTime) -> Response {
    if let Some(fp) = &q.env_fingerprint {
        return match snap.env.get(fp) {
            Some(v) => {
                let (text, state) = badge::for_verdict(
                    &v.verdict,
                    credguard_client::badge::ENV_LABEL,
                    v.checking,
                    now,
                    q.ascii,
                );
                Response::Badge { text, state }
            }
            None => Response::Badge {
                text: String::new(),
                state: BadgeState::NeedEnv,
            },
        };
    }
    let name = q.profile.as_deref().unwrap_or("default");
    match snap.profile(name) {
        Some(v) => {
            let (text, state) =
                badge::for_verdict(v, name, snap.checking.contains(name), now, q.ascii);
            Response::Badge { text, state }
        }
        // a shell that names no profile and has no default: nothing to say
        None if q.profile.is_none() || snap.ignored.iter().any(|p| p == name) => Response::Badge {
            text: String::new(),
            state: BadgeState::None,
        },
        None => Response::Badge {
            text: badge::not_found(name, q.ascii),
            state: BadgeState::Invalid,
        },
    }
}
