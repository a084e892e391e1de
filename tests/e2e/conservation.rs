//! Nothing is lost silently: every frame is delivered, forwarded, dropped with a reason,
//! or still on a link; every packet queued for ARP is released, dropped, or still queued.
use crate::common::assert_conserved;
use lvsim::sim::{SimDuration, SimTime};

#[test]
fn frames_add_up_at_every_instant_in_every_mode() {
    // Checking at many instants mid-run (with frames in flight) and at the end proves the
    // counters account for every frame, not just that they balance once everything settles.
    for name in ["dr", "nat", "tun"] {
        let l = lvsim::scenario::load(name).unwrap();
        let mut e = l.build().unwrap();
        let mut t = SimTime::ZERO;
        while t < e.end {
            t += SimDuration::from_micros(137);
            e.run_until(t);
            assert_conserved(&e);
        }
        e.run();
        assert_conserved(&e);
        assert!(e.metrics.frames.sent > 50, "{name} moved frames");
    }
}

#[test]
fn every_embedded_scenario_conserves_frames_and_drops_mid_run() {
    // The invariants at 40 instants of each embedded scenario's run (frames in flight,
    // packets in neighbour queues) and at the end, with tracing on: the trace's drop
    // steps at each host and reason must be exactly the counted drops there (each drop is
    // traced once, and counted once), so the trace, hosts.csv (`dropped`, drops by reason)
    // and summary.json (`frames.dropped`) agree.
    for (name, _) in lvsim::scenario::EMBEDDED {
        let l = lvsim::scenario::load(name).unwrap();
        let mut e = l.build().unwrap();
        let rec = std::rc::Rc::new(std::cell::RefCell::new(lvsim::trace::VecRecorder::default()));
        e.set_recorder(Box::new(rec.clone()));
        let step = SimDuration((e.end.0 / 40).max(1));
        let mut t = SimTime::ZERO;
        while t < e.end {
            t += step;
            e.run_until(t);
            assert_conserved(&e);
        }
        e.run();
        assert_conserved(&e);
        let steps = std::mem::take(&mut rec.borrow_mut().steps);
        let mut traced = vec![[0u64; lvsim::why::DropReason::ALL.len()]; e.hosts.len()];
        for s in &steps {
            if let lvsim::trace::Action::Drop(r) = s.action {
                traced[s.host as usize][r as usize] += 1;
            }
        }
        assert_eq!(traced, e.metrics.host_drops, "{name}: traced drops vs counted drops per host and reason");
    }
}

#[test]
fn drops_are_counted_with_reasons() {
    // A client sending to an address nobody has: the router's ARP fails, the queued
    // packets are dropped with `neigh_failed`, and the counts still add up.
    let text = lvsim::scenario::EMBEDDED
        .iter()
        .find(|(n, _)| *n == "dr")
        .unwrap()
        .1
        .replace("to: \"10.0.0.100:80\"", "to: \"10.0.0.99:80\"")
        .replace("duration: \"1s\"", "duration: \"5s\"");
    let l = lvsim::scenario::parse("dr-bad", &text).unwrap();
    let mut e = l.build().unwrap();
    e.run();
    assert_conserved(&e);
    let reasons: Vec<_> = e.metrics.drops_by_reason().map(|(r, _)| r.key()).collect();
    assert!(reasons.contains(&"neigh_failed"), "{reasons:?}");
    assert_eq!(e.metrics.clients[0].completed, 0);
}
