//! Each reader's verdict on a profile (`tools` in the JSON): the problems that break that
//! reader, and whether STS accepted its reading; the profile's `state` is the worst over
//! the readers config `tools` names (DESIGN.md, "Readers").

use super::{Problem, ProfileVerdict, Severity, State, state_of};
use crate::aws::readers::Reader;
use serde::{Deserialize, Serialize};

impl State {
    /// How bad a state is, to take the worst over the readers: invalid, expired, unknown,
    /// expiring, skipped, ok.
    fn badness(self) -> u8 {
        match self {
            State::Ok => 0,
            State::Skipped => 1,
            State::Expiring => 2,
            State::Unknown => 3,
            State::Expired => 4,
            State::Invalid => 5,
        }
    }
}

/// A state per reader (DESIGN.md, "Readers").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tools {
    pub cli: State,
    pub sdk: State,
    pub js: State,
}

impl Tools {
    pub fn get(&self, r: Reader) -> State {
        match r {
            Reader::Cli => self.cli,
            Reader::Sdk => self.sdk,
            Reader::Js => self.js,
        }
    }

    fn set(&mut self, r: Reader, s: State) {
        match r {
            Reader::Cli => self.cli = s,
            Reader::Sdk => self.sdk = s,
            Reader::Js => self.js = s,
        }
    }

    /// Do all three readers come to the same state?
    pub fn agree(&self) -> bool {
        self.cli == self.sdk && self.sdk == self.js
    }
}

/// What decides `tools` and `state` beside the problems.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Judging {
    /// The readers config `tools` names; empty: all three.
    pub chosen: Vec<Reader>,
    /// The readers whose credentials STS accepted.
    pub accepted: Vec<Reader>,
}

impl ProfileVerdict {
    /// Set `tools` and `state` from the problems and what STS accepted: each reader's state
    /// from the problems that break it, `state` the worst over the chosen readers. An error
    /// that breaks none of the chosen readers is reported as a warning. Settling twice
    /// changes nothing.
    pub fn settle(&mut self) {
        let chosen: &[Reader] = if self.judging.chosen.is_empty() {
            &Reader::ALL
        } else {
            &self.judging.chosen
        };
        for p in &mut self.problems {
            if p.severity == Severity::Error && !chosen.iter().any(|r| p.breaks(*r)) {
                p.severity = Severity::Warning;
                p.demoted = true;
                p.message
                    .push_str(" (a warning: config `tools` leaves out the tools it breaks)");
            }
        }
        for r in Reader::ALL {
            let state = tool_state(&self.problems, r, self.judging.accepted.contains(&r));
            self.tools.set(r, state);
        }
        self.state = chosen
            .iter()
            .map(|r| self.tools.get(*r))
            .max_by_key(|s| s.badness())
            .unwrap_or(State::Unknown);
    }
}

/// One reader's state: the problems that break it (a demoted error counting as the error
/// it is for that reader), and whether STS accepted what it reads.
pub fn tool_state(problems: &[Problem], reader: Reader, accepted: bool) -> State {
    let mine: Vec<Problem> = problems
        .iter()
        .filter(|p| p.breaks(reader))
        .map(|p| {
            let mut p = p.clone();
            if p.demoted {
                p.severity = Severity::Error;
            }
            p
        })
        .collect();
    state_of(&mine, accepted)
}
