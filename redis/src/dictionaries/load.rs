//! The dictionary cache's operations, with no I/O: [`Load`] checks a dictionary's header and
//! fetches it when its digest changed (or at once), driven by the blocking and async shells
//! like the store's and the session cache's operations; [`Lead`] is the load one caller makes
//! for everyone waiting on it; [`Call`] says what a shell's call does (a use or a refresh).

use std::sync::Arc;

use redis::Value;

use super::state::{DictState, Flight, Outcome, Plan, Purpose, Seen};
use super::CachedDictionary;
use crate::link::{self, Fetched};
use crate::op::{read, Op, Reply, Request, Step};
use crate::otel::Started;
use crate::Error;

/// A call of a shell: a use of the dictionary under `key`, or a refresh for a key `held`
/// (the caller's copy) lacks.
pub(crate) struct Call<'a> {
    pub(crate) key: &'a str,
    pub(crate) purpose: Purpose,
    pub(crate) held: Option<&'a Arc<CachedDictionary>>,
}

impl<'a> Call<'a> {
    /// A use of the dictionary at `key`: the kept copy when it is fresh.
    pub(crate) fn use_of(key: &'a str) -> Call<'a> {
        Call {
            key,
            purpose: Purpose::Use,
            held: None,
        }
    }

    /// A refresh of the dictionary at `key` for a key `held` (the copy at hand) lacks.
    pub(crate) fn refresh(key: &'a str, held: Option<&'a Arc<CachedDictionary>>) -> Call<'a> {
        Call {
            key,
            purpose: Purpose::Refresh,
            held,
        }
    }
}

/// What a shell does next for a call.
pub(crate) enum Next<'a> {
    /// The answer.
    Done(Outcome),
    /// Wait for another caller's load; `None` from it: plan again.
    Wait(Arc<Flight>),
    /// Drive this load, then [`Lead::land`] its outcome.
    Drive(Lead<'a>),
}

impl<'a> Call<'a> {
    /// What to do next, and what a use saw (for its metrics: [`counted`](Self::counted)).
    pub(crate) fn plan(&self, state: &'a DictState) -> (Next<'a>, Seen) {
        let (plan, seen) = match self.purpose {
            Purpose::Use => state.plan_use(self.key),
            Purpose::Refresh => (state.plan_refresh(self.key, self.held), Seen::default()),
        };
        (Self::next(self, state, plan), seen)
    }

    /// The call ended with `out` after waiting for the server (a load it led or joined),
    /// since `started` (its first plan), having `seen` what its first plan saw: a use is
    /// counted as a read (a hit when answered with the copy kept then), an error as a refusal
    /// (METRICS.md). A use answered without the server was counted when planned.
    pub(crate) fn counted(
        &self,
        state: &DictState,
        seen: &Seen,
        started: Started,
        out: Outcome,
    ) -> Outcome {
        let recorder = state.recorder();
        let refused = out.as_ref().err().map(Error::kind);
        match self.purpose {
            Purpose::Use => {
                let hit = matches!((&out, &seen.kept), (Ok(Some(c)), Some(k)) if Arc::ptr_eq(c, k));
                recorder.read(seen.tracking, hit, started, refused);
            }
            Purpose::Refresh => {
                if let Some(kind) = refused {
                    recorder.refusal(kind);
                }
            }
        }
        out
    }

    fn next(&self, state: &'a DictState, plan: Plan) -> Next<'a> {
        match plan {
            Plan::Ready(copy) => Next::Done(Ok(copy)),
            Plan::Join(flight) => Next::Wait(flight),
            Plan::Lead {
                flight,
                fetch_first,
            } => Next::Drive(Lead {
                state,
                key: self.key,
                purpose: self.purpose,
                flight,
                fetch_first,
                landed: false,
            }),
        }
    }
}

/// A load one caller makes for all: landed when done, and given up (its waiters plan again)
/// when dropped before.
pub(crate) struct Lead<'a> {
    state: &'a DictState,
    key: &'a str,
    purpose: Purpose,
    flight: Arc<Flight>,
    fetch_first: bool,
    landed: bool,
}

impl Lead<'_> {
    /// The operation to drive.
    pub(crate) fn op(&self) -> Load<'_> {
        Load {
            state: self.state,
            key: self.key,
            stage: if self.fetch_first {
                Stage::Fetch
            } else {
                Stage::Header
            },
        }
    }

    /// Hands `out` to every caller waiting, and returns it.
    pub(crate) fn land(mut self, out: Outcome) -> Outcome {
        self.landed = true;
        self.state
            .land(self.key, self.purpose, &self.flight, Some(out.clone()));
        out
    }
}

impl Drop for Lead<'_> {
    fn drop(&mut self) {
        if !self.landed {
            self.state.land(self.key, self.purpose, &self.flight, None);
        }
    }
}

/// A header check (`GETRANGE key 0 39`), then a fetch (`GET` and `PTTL`, one script) when
/// the digest is not the kept copy's.
pub(crate) struct Load<'a> {
    state: &'a DictState,
    key: &'a str,
    stage: Stage,
}

enum Stage {
    /// Next: the header.
    Header,
    /// `GETRANGE` sent at `started` (the cache's clock).
    Checking {
        started: u64,
    },
    /// Next: the fetch.
    Fetch,
    /// The fetch sent under `ticket` at `sent` (`timer` for its histogram), kept fresh by
    /// tracking or not.
    Fetching {
        ticket: u64,
        sent: u64,
        timer: Started,
        tracking: bool,
    },
    Done,
}

impl Load<'_> {
    fn fetch(&mut self) -> Step<'_, Option<Arc<CachedDictionary>>> {
        let ticket = self.state.begin(self.key);
        let sent = self.state.clock_ms();
        self.stage = Stage::Fetching {
            ticket,
            sent,
            timer: Started::now(),
            tracking: self.state.tracked(self.key),
        };
        Step::Send(Request {
            key: self.key,
            cmd: link::fetch(self.key, self.state.is_cluster()),
        })
    }

    /// The fetch's reply, opened and kept.
    fn fetched(
        &self,
        ticket: u64,
        sent: u64,
        reply: Option<Reply>,
        (timer, tracking): (Started, bool),
    ) -> Outcome {
        let (state, key) = (self.state, self.key);
        let fetched = match read::<Value>(key, reply).and_then(|v| Fetched::from_value(v, key)) {
            Ok(f) => f,
            Err(e) => {
                state.abandon(key, ticket);
                return Err(e);
            }
        };
        let Some(bytes) = fetched.value else {
            state.remove(key);
            return Ok(None);
        };
        let opened = state.open(key, &bytes);
        state.recorder().fetch(tracking, bytes.len(), timer);
        let copy = match opened {
            Ok(c) => Arc::new(c),
            Err(e) => {
                state.remove(key);
                return Err(e);
            }
        };
        if state.answered_by(fetched.node.as_deref()) {
            state.finish(key, ticket, &copy, sent, fetched.ttl_ms);
        } else {
            state.abandon(key, ticket);
        }
        Ok(Some(copy))
    }
}

impl Op for Load<'_> {
    type Out = Option<Arc<CachedDictionary>>;

    fn step(&mut self, reply: Option<Reply>) -> Step<'_, Self::Out> {
        let key = self.key;
        match std::mem::replace(&mut self.stage, Stage::Done) {
            Stage::Header => {
                self.stage = Stage::Checking {
                    started: self.state.clock_ms(),
                };
                Step::Send(Request {
                    key,
                    cmd: link::get_header(key),
                })
            }
            Stage::Checking { started } => {
                let prefix: Vec<u8> = match read(key, reply) {
                    Ok(p) => p,
                    Err(e) => return Step::Done(Err(e)),
                };
                self.state.count_header_check();
                if prefix.is_empty() {
                    // Missing, or an empty string (the fetch tells them apart).
                    self.state.remove(key);
                    return self.fetch();
                }
                match crate::codec::read_dict_header(key, &prefix) {
                    Err(e) => {
                        self.state.remove(key);
                        Step::Done(Err(e))
                    }
                    Ok(h) => match self.state.current(key, h.digest, started) {
                        Some(copy) => Step::Done(Ok(Some(copy))),
                        None => self.fetch(),
                    },
                }
            }
            Stage::Fetch => self.fetch(),
            Stage::Fetching {
                ticket,
                sent,
                timer,
                tracking,
            } => Step::Done(self.fetched(ticket, sent, reply, (timer, tracking))),
            Stage::Done => Step::Done(Err(Error::unexpected("stepped when done", Some(key)))),
        }
    }
}

impl Drop for Load<'_> {
    /// A fetch abandoned before its reply frees its pending mark at once.
    fn drop(&mut self) {
        if let Stage::Fetching { ticket, .. } = self.stage {
            self.state.abandon(self.key, ticket);
        }
    }
}
