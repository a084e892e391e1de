//! keepalived's VRRP between two directors: election at start, failover when the master
//! crashes, the router's ARP cache following the gratuitous ARP. Times are derived by hand
//! from RFC 3768's timers with keepalived's defaults (VRRPv2: skew = (256 − priority)/256 s,
//! master down = 3 × advert_int + skew).
use crate::common::{Run, assert_conserved};
use lvsim::sim::{SimDuration, SimTime};
use lvsim::why::Why;
use std::cell::RefCell;
use std::rc::Rc;

const PAIR: &str = include_str!("vrrp-pair.ron");

fn conf(state: &str, priority: u8) -> String {
    format!(
        "vrrp_instance VI_1 {{\n    state {state}\n    interface eth0\n    virtual_router_id 51\n    priority {priority}\n    advert_int 1\n    virtual_ipaddress {{\n        10.0.0.100/32 dev eth0\n    }}\n}}\n"
    )
}

/// The pair with keepalived on both directors (director1 MASTER 150, director2 BACKUP 100).
fn run_pair(src: &str) -> Run {
    let l = lvsim::scenario::parse("vrrp-pair.ron", src).unwrap_or_else(|e| panic!("{}", e.render()));
    let mut engine = l.build().unwrap();
    for (host, state, prio) in [("director1", "MASTER", 150), ("director2", "BACKUP", 100)] {
        let h = engine.hosts.iter().position(|x| x.name == host).unwrap() as u16;
        let c = lvsim::cmdline::keepalived::parse(&conf(state, prio)).unwrap();
        engine.start_vrrp(h, &c.vrrp_instances).unwrap();
    }
    let rec = Rc::new(RefCell::new(lvsim::trace::VecRecorder::default()));
    engine.set_recorder(Box::new(rec.clone()));
    engine.run();
    assert_conserved(&engine);
    let names = engine.names();
    let steps = std::mem::take(&mut rec.borrow_mut().steps);
    Run { engine, steps, names }
}

/// (time, host, from, to) of every VRRP state change.
fn changes(r: &Run) -> Vec<(SimTime, String, &'static str, &'static str)> {
    r.steps
        .iter()
        .filter_map(|s| match s.why {
            Why::VrrpState { from, to, .. } => Some((s.time, r.names.host(s.host).to_owned(), from, to)),
            _ => None,
        })
        .collect()
}

fn secs(s: f64) -> SimTime {
    SimTime::ZERO + SimDuration::from_nanos((s * 1e9).round() as u64)
}

#[test]
fn the_higher_priority_becomes_master_and_the_backup_takes_over_after_a_crash() {
    // Both start BACKUP (neither owns the address, priority 255). keepalived counts in
    // whole microseconds (TIMER_HZ), so director1's skew is (256 − 150) × 10⁶ / 256 =
    // 414,062 µs (rounded down) and its master-down interval 3.414062 s; director2's is
    // 3 + 156/256 = 3.609375 s. director1's runs out first: it becomes MASTER and
    // advertises every second (3.414062, 4.414062, 5.414062 s), each advertisement
    // restarting director2's 3.609375 s once it has crossed the lan. director1 crashes at
    // 6 s, so director2 takes over 3.609375 s after hearing the 5.414062 s one.
    let r = run_pair(PAIR);
    let c = changes(&r);
    let names: Vec<_> = c.iter().map(|(_, h, f, t)| (h.as_str(), *f, *t)).collect();
    assert_eq!(
        names,
        [
            ("director1", "INIT", "BACKUP"),
            ("director2", "INIT", "BACKUP"),
            ("director1", "BACKUP", "MASTER"),
            ("director2", "BACKUP", "MASTER"),
        ]
    );
    assert_eq!(c[2].0, secs(3.414_062));
    let heard = r
        .steps
        .iter()
        .rev()
        .find(|s| r.names.host(s.host) == "director2" && matches!(s.why, Why::VrrpRecv { .. }))
        .map(|s| s.time)
        .expect("director2 heard director1");
    assert!(heard > secs(5.414_062) && heard < secs(5.415), "last advertisement heard at {heard:?}");
    assert_eq!(c[3].0, heard + SimDuration::from_nanos(3_609_375_000));

    // The router's cache for the VIP ends on director2's MAC: the gratuitous ARP moved it.
    let router = r.engine.hosts.iter().find(|h| h.name == "router").unwrap();
    let d2 = r.engine.hosts.iter().find(|h| h.name == "director2").unwrap();
    let vip: std::net::Ipv4Addr = "10.0.0.100".parse().unwrap();
    let e = router.neigh.entries.iter().find(|e| e.ip == vip).expect("router knows the VIP");
    assert_eq!(e.mac, d2.ifaces[1].mac, "the router follows the gratuitous ARP");
    // The VIP is on director2 now (added by keepalived), and nowhere else on the directors.
    assert!(d2.ifaces[1].has_addr(vip));

    // Connections started between the crash and the takeover first lose their SYNs at the
    // dead director1 (the router still sends the VIP's frames to its MAC).
    let cs = &r.engine.metrics.clients[0];
    assert_eq!(cs.started, 40);
    let lost_syns = r.engine.metrics.host_drops[r.engine.hosts.iter().position(|h| h.name == "director1").unwrap()]
        [lvsim::why::DropReason::HostDown as usize];
    assert!(lost_syns > 0);
    // Every connection completes in the end: one started at t in [6 s, 9.03 s) resends
    // its SYN at t + 1, t + 3 and t + 7 s (TCP_TIMEOUT_INIT doubling), and one of those
    // falls after the takeover and before the 14 s end (t = 6: the one at 13 s).
    assert_eq!(cs.completed, 40);
}
