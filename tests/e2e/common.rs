use lvsim::engine::Engine;
use lvsim::packet::Value;
use lvsim::trace::{Action, Names, Stage, Step, VecRecorder};
use std::cell::RefCell;
use std::net::Ipv4Addr;
use std::rc::Rc;

/// A finished run: the engine and every trace step.
pub struct Run {
    pub engine: Engine,
    pub steps: Vec<Step>,
    pub names: Names,
}

pub fn run(name: &str) -> Run {
    let l = lvsim::scenario::load(name).unwrap_or_else(|e| panic!("{}", e.render()));
    run_loaded(&l)
}

/// Runs a scenario given as RON text (`origin` names it in errors).
pub fn run_text(origin: &str, text: &str) -> Run {
    let l = lvsim::scenario::parse(origin, text).unwrap_or_else(|e| panic!("{}", e.render()));
    run_loaded(&l)
}

fn run_loaded(l: &lvsim::scenario::Loaded) -> Run {
    let mut engine = l.build().unwrap_or_else(|e| panic!("{}", e.render()));
    let rec = Rc::new(RefCell::new(VecRecorder::default()));
    engine.set_recorder(Box::new(rec.clone()));
    engine.run();
    let names = engine.names();
    let steps = std::mem::take(&mut rec.borrow_mut().steps);
    Run { engine, steps, names }
}

impl Run {
    /// Steps at `host` of `stage` whose frame is an Ethernet frame (received or sent).
    pub fn frames<'a>(&'a self, host: &'a str, stage: Stage) -> impl Iterator<Item = &'a Step> + 'a {
        self.steps.iter().filter(move |s| {
            s.stage == stage
                && self.names.host(s.host) == host
                && matches!(s.action, Action::Recv | Action::Send)
                && s.subject.is_some_and(|x| x.l2)
        })
    }

    pub fn host(&self, name: &str) -> &lvsim::stack::Host {
        self.engine.hosts.iter().find(|h| h.name == name).expect("host exists")
    }
}

pub fn field(s: &Step, name: &str) -> Option<Value> {
    s.subject.and_then(|x| x.frame.field(name))
}

pub fn ip(s: &str) -> Value {
    Value::Ip(s.parse::<Ipv4Addr>().unwrap())
}

/// The frame-conservation invariant at this instant.
pub fn assert_conserved(e: &Engine) {
    let f = e.metrics.frames;
    let in_flight = e.frames_in_flight();
    assert_eq!(
        f.sent + f.replicated + f.late,
        f.delivered + f.forwarded + f.dropped + in_flight,
        "frames: sent {} + replicated {} + late {} != delivered {} + forwarded {} + dropped {} + in flight {}",
        f.sent,
        f.replicated,
        f.late,
        f.delivered,
        f.forwarded,
        f.dropped,
        in_flight
    );
    // Every drop is counted once: the total, the sum by reason, and the hosts' counters
    // (plus the switches', which have no host) are three views of the same drops.
    let m = &e.metrics;
    let by_reason: u64 = m.drops.iter().sum();
    assert_eq!(f.dropped, by_reason, "frames.dropped vs drops by reason");
    let at_hosts: u64 = m.host_drops.iter().flatten().sum();
    for (h, hc) in m.hosts.iter().enumerate() {
        assert_eq!(hc.dropped, m.host_drops[h].iter().sum::<u64>(), "host {h}: dropped vs its drops by reason");
    }
    assert_eq!(m.hosts.iter().map(|h| h.dropped).sum::<u64>(), at_hosts);
    assert!(at_hosts <= by_reason, "switch drops are the rest");
    let q = e.metrics.neigh_queue;
    assert_eq!(q.queued, q.released + q.dropped + e.packets_queued(), "neighbour queue: {q:?}");
}

/// Every file of `dir` (not recursive), name and bytes, sorted by name: two output
/// directories compare equal only if every byte of every file does.
pub fn files(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|f| {
            let p = f.unwrap().path();
            (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap())
        })
        .collect();
    v.sort();
    v
}
