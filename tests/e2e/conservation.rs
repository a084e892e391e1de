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
