//! The readers pass: where the AWS CLI (botocore), the conformance-suite SDKs and the JS
//! SDK take different keys from the same profile (DESIGN.md, "Readers"). The offline
//! diagnosis is the `sdk` reading (`aws_config`); this pass reads the files as the `cli`
//! and `js` readers do ([`crate::aws::readers`]) and, for a profile where one of them takes
//! other credentials than the SDK:
//!
//! * marks each problem of the SDK's reading with the readers it breaks (`affects`);
//! * adds the problems only the other readings have (a file the reader refuses, no
//!   credentials, the value checks of [`super::values`]), naming the tools on both sides;
//! * hands each other reading that passes the offline checks to validation, beside the
//!   SDK's ([`super::Readings`]): a fingerprint each, so STS is asked only where they differ.
//!
//! Only keys written in the files are compared: roles, SSO, `credential_process` and the
//! environment are read the same way by all three as far as credguard knows.

use super::context::Ctx;
use super::values::{self, Origin, Values};
use super::{Diagnosis, ENV_PROFILE, Material};
use crate::aws::files::{FileFault, Loaded};
use crate::aws::locate::FileKind;
use crate::aws::readers::{Creds, FileParse, Found, Reader, Taken};
use crate::config::Config;
use crate::verdict::{Code, Problem, SourceKind, mask_key_id};
use crate::world::World;
use credguard_client::rules;

/// Codes whose problems depend on which keys a reader takes.
const READING_CODES: [Code; 10] = [
    Code::HiddenCharacter,
    Code::MalformedKeyId,
    Code::MalformedSecret,
    Code::MissingKeyId,
    Code::MissingSecret,
    Code::MissingSessionToken,
    Code::StraySessionToken,
    Code::ProfileNotFound,
    Code::ParseError,
    Code::NoCredentials,
];

/// The key id, secret and token a reader takes, or None when it refuses a file.
type Key = Option<[Option<String>; 3]>;

/// Both files as one reader parses them.
struct Parsed {
    reader: Reader,
    config: FileParse,
    credentials: FileParse,
}

/// Run the pass over every diagnosis; every verdict learns which readers config `tools`
/// names.
pub fn compare(world: &World, loaded: &Loaded, config: &Config, diags: &mut [Diagnosis]) {
    for d in diags.iter_mut() {
        d.verdict.judging.chosen = config.tools.clone();
    }
    let ctx = Ctx::new(world, loaded, config);
    let parsed: Vec<Parsed> = [Reader::Cli, Reader::Js]
        .into_iter()
        .map(|reader| Parsed {
            reader,
            config: reader.parse(FileKind::Config, &bytes(loaded, FileKind::Config)),
            credentials: reader.parse(FileKind::Credentials, &bytes(loaded, FileKind::Credentials)),
        })
        .collect();
    for d in diags.iter_mut() {
        let compared = matches!(
            d.verdict.source,
            SourceKind::Static | SourceKind::Session | SourceKind::None
        );
        if d.verdict.profile != ENV_PROFILE && compared {
            ctx.compare_profile(&parsed, d);
        }
    }
}

/// A file's bytes as the tools read them: the text, or for a file that is not UTF-8 (the
/// SDK reads it as empty) its bytes read again.
fn bytes(loaded: &Loaded, kind: FileKind) -> Vec<u8> {
    let file = loaded.file(kind);
    let not_utf8 = file
        .faults
        .iter()
        .any(|f| matches!(f, FileFault::NotUtf8 { .. }));
    if not_utf8 {
        let max = crate::aws::files::MAX_FILE_BYTES;
        return crate::aws::fsread::read_limited(&file.located.path, max).unwrap_or_default();
    }
    file.text.as_bytes().to_vec()
}

fn key_of(taken: &Taken) -> Key {
    let Taken::Creds(c) = taken else { return None };
    let v = |f: &Option<Found>| f.as_ref().map(|f| f.value.clone());
    Some([v(&c.key_id), v(&c.secret), v(&c.token)])
}

/// One group of readers that take the same keys, and what they take.
struct Group {
    readers: Vec<Reader>,
    taken: Taken,
}

impl Ctx<'_> {
    fn compare_profile(&self, parsed: &[Parsed], d: &mut Diagnosis) {
        let name = d.verdict.profile.clone();
        let props = self.loaded.profiles.profiles.get(&name);
        let get = |k: &str| props.and_then(|p| p.get(k)).cloned();
        let sdk_key: Key = Some([
            get("aws_access_key_id"),
            get("aws_secret_access_key"),
            get("aws_session_token"),
        ]);
        let mut same = vec![Reader::Sdk];
        let mut groups: Vec<Group> = Vec::new();
        for p in parsed {
            let taken = p.reader.credentials(&p.config, &p.credentials, &name);
            let key = key_of(&taken);
            if key == sdk_key {
                same.push(p.reader);
            } else if let Some(g) = groups.iter_mut().find(|g| key_of(&g.taken) == key) {
                g.readers.push(p.reader);
            } else {
                groups.push(Group {
                    readers: vec![p.reader],
                    taken,
                });
            }
        }
        if groups.is_empty() {
            return;
        }
        same.sort();
        let found: Vec<(Vec<Reader>, Vec<Problem>)> = groups
            .iter()
            .map(|g| (g.readers.clone(), self.reading_problems(&name, &g.taken)))
            .collect();
        self.mark_sdk_problems(d, &same, &found);
        self.add_other_problems(d, &found);
        d.readings.primary = Some(same);
        for (g, (_, problems)) in groups.iter().zip(&found) {
            if let Some(m) = self.usable(&name, g, problems) {
                if d.verdict.key_id.is_none() {
                    d.verdict.key_id = Some(mask_key_id(&rules::without_hidden(&m.key_id)));
                    d.verdict.source = match m.token {
                        Some(_) => SourceKind::Session,
                        None => SourceKind::Static,
                    };
                }
                d.readings.others.push((g.readers.clone(), m));
            }
        }
    }

    /// The SDK's problems that depend on its reading break the readers that read as it
    /// does, and those of the others that have the same problem at the same place.
    pub(super) fn mark_sdk_problems(
        &self,
        d: &mut Diagnosis,
        same: &[Reader],
        found: &[(Vec<Reader>, Vec<Problem>)],
    ) {
        for p in &mut d.verdict.problems {
            if !READING_CODES.contains(&p.code) || p.affects.is_some() {
                continue;
            }
            let mut readers = same.to_vec();
            for (rs, problems) in found {
                if problems.iter().any(|q| same_problem(p, q)) {
                    readers.extend(rs);
                }
            }
            *p = explain(p.clone().affecting(&readers));
        }
    }

    /// The other readings' problems that the SDK's reading does not have.
    pub(super) fn add_other_problems(
        &self,
        d: &mut Diagnosis,
        found: &[(Vec<Reader>, Vec<Problem>)],
    ) {
        let mut added: Vec<Problem> = Vec::new();
        for (rs, problems) in found {
            for q in problems {
                if d.verdict.problems.iter().any(|p| same_problem(p, q)) {
                    continue;
                }
                match added.iter_mut().find(|a| same_problem(a, q)) {
                    Some(a) => {
                        let mut all = a.affects.clone().unwrap_or_default();
                        all.extend(rs);
                        a.affects = Some(all);
                    }
                    None => added.push(q.clone().affecting(rs)),
                }
            }
        }
        for p in added {
            let readers = p.affects.clone().unwrap_or(Reader::ALL.to_vec());
            d.verdict.problems.push(explain(p.affecting(&readers)));
        }
    }

    /// What a reading's keys get from the offline checks.
    fn reading_problems(&self, name: &str, taken: &Taken) -> Vec<Problem> {
        let c = match taken {
            Taken::Refused { file, refusal } => return vec![self.refused(*file, refusal)],
            Taken::Creds(c) => c,
        };
        let Some(key_id) = &c.key_id else {
            return vec![self.no_keys(name, c)];
        };
        let Some(secret) = &c.secret else {
            return vec![Problem::error(
                Code::MissingSecret,
                Some(self.found_at(key_id)),
                format!(
                    "profile {name} has aws_access_key_id in this file but no aws_secret_access_key beside it"
                ),
                format!(
                    "put aws_access_key_id and aws_secret_access_key of profile {name} in the same file, with its aws_session_token if it has one"
                ),
            )];
        };
        let mut out = Vec::new();
        let values = Values {
            key_id: Some(&key_id.value),
            secret: Some(&secret.value),
            token: c.token.as_ref().map(|t| t.value.as_str()),
        };
        values::check(
            &Origin::File {
                ctx: self,
                profile: name,
            },
            &values,
            &mut out,
        );
        out
    }

    fn refused(&self, file: FileKind, refusal: &crate::aws::readers::Refusal) -> Problem {
        let shown = self.display(self.loaded.file(file));
        let location = match refusal.line {
            0 => shown.clone(),
            n => format!("{shown}:{n}"),
        };
        Problem::error(
            Code::ParseError,
            Some(location),
            format!("{shown} cannot be read: {}", refusal.message),
            "fix the line so that every tool reads the file (one [section] and one key each, no stray lines)",
        )
    }

    /// A reading with no key id: nothing at all, or a secret without its key id.
    fn no_keys(&self, name: &str, c: &Creds) -> Problem {
        match &c.secret {
            Some(secret) => Problem::error(
                Code::MissingKeyId,
                Some(self.found_at(secret)),
                format!(
                    "profile {name} has aws_secret_access_key in this file but no aws_access_key_id beside it"
                ),
                format!(
                    "put aws_access_key_id and aws_secret_access_key of profile {name} in the same file"
                ),
            ),
            None => Problem::error(
                Code::NoCredentials,
                self.header_loc(name),
                format!(
                    "no credentials in profile {name} as these tools read the files (\"Unable to locate credentials\")"
                ),
                format!(
                    "write the header as [{name}] in the credentials file or [profile {name}] in the config file, without quotes or inner spaces"
                ),
            ),
        }
    }

    fn found_at(&self, f: &Found) -> String {
        format!("{}:{}", self.display(self.loaded.file(f.file)), f.line)
    }

    /// A reading's credentials to validate, when its offline checks found no error and the
    /// key is not one never to send.
    fn usable(&self, name: &str, g: &Group, problems: &[Problem]) -> Option<Material> {
        let Taken::Creds(c) = &g.taken else {
            return None;
        };
        let fatal = problems
            .iter()
            .any(|p| p.severity == crate::verdict::Severity::Error);
        let key_id = c.key_id.as_ref()?.value.clone();
        if fatal || self.never_send(&key_id) {
            return None;
        }
        let token = c.token.as_ref().map(|t| t.value.clone());
        Some(Material::of_profile(
            key_id,
            c.secret.as_ref()?.value.clone(),
            token,
            name,
        ))
    }

    /// A key of a canary-token account, or of one config says never to validate.
    pub(super) fn never_send(&self, key_id: &str) -> bool {
        crate::aws::account::decode(key_id)
            .account()
            .is_some_and(|a| {
                crate::aws::account::canary(a).is_some() || self.config.never_validate(a)
            })
    }
}

/// The same cause at the same place.
fn same_problem(a: &Problem, b: &Problem) -> bool {
    a.code == b.code && a.location == b.location
}

/// A problem that breaks only some readers says which tools fail and which do not.
pub fn explain(mut p: Problem) -> Problem {
    let Some(broken) = p.affects.clone() else {
        return p;
    };
    if p.code == Code::EnvNotRead {
        // its message names the tools on both sides already
        return p;
    }
    let fine: Vec<Reader> = Reader::ALL
        .into_iter()
        .filter(|r| !broken.contains(r))
        .collect();
    let (b, f) = (Reader::names(&broken), Reader::names(&fine));
    // the SDK's own message may quote the AWS CLI, which reads this profile fine
    if !broken.contains(&Reader::Cli)
        && let Some(i) = p.message.find(": the AWS CLI says")
    {
        p.message.truncate(i);
    }
    let tail = match p.code {
        Code::HiddenCharacter => format!(
            "{b} send it, and AWS answers InvalidClientTokenId; {f} read the value without it"
        ),
        _ => format!("{b} fail on this; {f} do not"),
    };
    p.message = format!("{}: {tail}", p.message);
    p
}
