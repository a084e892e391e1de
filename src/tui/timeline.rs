//! The tables at any step, without a copy of them per step: snapshots plus replay.
//!
//! While the run is recorded, [`Timeline`] notes after every event how many steps have
//! been recorded, and every [`SNAPSHOT_EVERY`] events keeps a [`Engine::fork`] of the
//! whole simulation. The tables at step `i` are those after the event that made step `i`:
//! the nearest snapshot at or before that event is forked again and run forward, tracing
//! off, for at most `SNAPSHOT_EVERY` events (tens of microseconds). The last state built
//! is kept, so stepping forward only runs the events in between.
//!
//! Replay gives exactly the recorded run's state because the engine is deterministic and
//! tracing changes nothing but the recorder's input (a test checks both).

use crate::engine::Engine;
use crate::ipvs::listing;
use crate::sim::SimTime;
use crate::stack::show;
use crate::topology::HostId;
use std::cell::RefCell;

/// Events between two snapshots.
pub const SNAPSHOT_EVERY: u32 = 256;

/// A host's tables as `ip` and `ipvsadm` print them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tables {
    /// When the tables were taken: after the event of the selected step.
    pub time: SimTime,
    pub neigh: String,
    pub route: String,
    /// `ipvsadm -Ln` and `-Lnc`, when the host runs IPVS.
    pub ipvs: Option<(String, String)>,
}

pub struct Timeline {
    /// `ends[e]`: the number of steps recorded once event `e` (0-based) was done.
    ends: Vec<u32>,
    /// `(events done, state)`, every `SNAPSHOT_EVERY` events from 0.
    snapshots: Vec<(u32, Engine)>,
    /// The last state rebuilt, with its number of events done.
    cache: RefCell<Option<(u32, Engine)>>,
    /// Names of hosts and whose each MAC is (they never change during a run).
    names: crate::trace::Names,
}

impl std::fmt::Debug for Timeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Timeline {{ events: {}, snapshots: {} }}", self.ends.len(), self.snapshots.len())
    }
}

impl Timeline {
    /// Runs `engine` (with its recorder attached) to the end; `recorded()` tells how many
    /// steps the recorder holds so far.
    pub fn record(engine: &mut Engine, recorded: impl Fn() -> usize) -> Timeline {
        let mut ends = Vec::new();
        let mut snapshots = vec![(0, engine.fork())];
        while engine.step().is_some() {
            ends.push(recorded() as u32);
            let done = ends.len() as u32;
            if done.is_multiple_of(SNAPSHOT_EVERY) {
                snapshots.push((done, engine.fork()));
            }
        }
        Timeline { ends, snapshots, cache: RefCell::new(None), names: engine.names() }
    }

    /// Events run.
    pub fn events(&self) -> usize {
        self.ends.len()
    }

    /// Snapshots kept.
    pub fn snapshots(&self) -> usize {
        self.snapshots.len()
    }

    /// The event (0-based) that recorded step `i`.
    pub fn event_of(&self, step: usize) -> usize {
        self.ends.partition_point(|&end| end as usize <= step)
    }

    /// The steps `[first, end)` recorded by event `e`.
    pub fn steps_of(&self, e: usize) -> std::ops::Range<usize> {
        let first = if e == 0 { 0 } else { self.ends[e - 1] as usize };
        first..self.ends.get(e).map_or(first, |&x| x as usize)
    }

    /// Runs `f` on the simulation state right after the event of step `step`.
    pub fn with_state<T>(&self, step: usize, f: impl FnOnce(&Engine) -> T) -> T {
        let want = (self.event_of(step) + 1).min(self.ends.len()) as u32;
        let mut cache = self.cache.borrow_mut();
        let reuse =
            cache.as_ref().is_some_and(|(done, _)| *done <= want && want - *done < SNAPSHOT_EVERY || *done == want);
        if !reuse {
            let k = self.snapshots.partition_point(|(done, _)| *done <= want) - 1;
            let (done, e) = &self.snapshots[k];
            *cache = Some((*done, e.fork()));
        }
        let (done, engine) = cache.as_mut().expect("cache filled above");
        while *done < want && engine.step().is_some() {
            *done += 1;
        }
        f(engine)
    }

    /// Host `h`'s tables after the event of step `step`.
    /// `ip neigh` ends each line with whose the MAC is (`# rs1`).
    pub fn tables(&self, step: usize, h: HostId) -> Tables {
        self.with_state(step, |e| {
            let host = &e.hosts[h as usize];
            let ip = |what: &str| show::show(host, &[what.to_string()]).unwrap_or_else(|e| e.to_string());
            let owner = |m| self.names.mac_owner(m);
            let neigh = show::parse_show(&["neigh".to_string()])
                .and_then(|c| show::run_named(host, &c, Some(&owner)))
                .unwrap_or_else(|e| e.to_string());
            Tables {
                time: e.now(),
                neigh,
                route: ip("route"),
                ipvs: host
                    .ipvs
                    .as_deref()
                    .map(|v| (listing::list_all(v, listing::Format::default()), listing::list_conns(v, e.now()))),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::VecRecorder;
    use std::rc::Rc;

    fn recorded(name: &str) -> (Timeline, usize, crate::scenario::Loaded) {
        let l = crate::scenario::load(name).unwrap();
        let mut e = l.build().unwrap();
        let rec = Rc::new(RefCell::new(VecRecorder::default()));
        e.set_recorder(Box::new(rec.clone()));
        let t = Timeline::record(&mut e, || rec.borrow().steps.len());
        let n = rec.borrow().steps.len();
        (t, n, l)
    }

    // Every step belongs to exactly one event and the events' ranges tile the trace in
    // order: event_of and steps_of are inverse.
    #[test]
    fn events_tile_the_steps() {
        let (t, n, _) = recorded("dr");
        let mut next = 0;
        for e in 0..t.events() {
            let r = t.steps_of(e);
            assert_eq!(r.start, next);
            for i in r.clone() {
                assert_eq!(t.event_of(i), e);
            }
            next = r.end;
        }
        assert_eq!(next, n);
    }

    // The tables rebuilt from a snapshot equal those of a fresh run stopped after the same
    // number of events, at many points, forward and backward (so the cache and the
    // snapshots both serve): replay is exact, whatever order the steps are visited in.
    #[test]
    fn replay_equals_a_direct_run() {
        let (t, n, l) = recorded("dr-quiesce");
        assert!(t.snapshots() > 1, "the scenario must span several snapshots");
        let director = l.build().unwrap().hosts.iter().position(|h| h.name == "director").unwrap() as HostId;
        let mut order: Vec<usize> = (0..n).step_by(97).collect();
        order.extend((0..n).step_by(131).rev());
        for i in order {
            let got = t.tables(i, director);
            let mut direct = l.build().unwrap();
            for _ in 0..=t.event_of(i) {
                direct.step();
            }
            let h = &direct.hosts[director as usize];
            let names = direct.names();
            let owner = |m| names.mac_owner(m);
            let c = show::parse_show(&["neigh".into()]).unwrap();
            assert_eq!(got.neigh, show::run_named(h, &c, Some(&owner)).unwrap(), "step {i}");
            let v = h.ipvs.as_deref().unwrap();
            assert_eq!(got.ipvs.as_ref().unwrap().1, listing::list_conns(v, direct.now()), "step {i}");
        }
    }
}
