//! Every scheduler works end to end from a scenario written with ipvsadm's syntax.

#[test]
fn every_scheduler_serves_the_dr_scenario() {
    // Replacing `-s rr` in the DR scenario by each scheduler (with its flags where it has
    // some) must still give four completed connections, each scheduled by that scheduler:
    // the name in the trace proves the factory and the flags reached the kernel code.
    let src = lvsim::scenario::EMBEDDED.iter().find(|(n, _)| *n == "dr").unwrap().1;
    for s in lvsim::ipvs::Sched::ALL {
        let opts = match s.name() {
            "sh" => "-s sh -b sh-port,sh-fallback".to_string(),
            "mh" => "-s mh -b mh-port".to_string(),
            n => format!("-s {n}"),
        };
        let text = src.replace("-s rr\"", &format!("{opts}\""));
        let l = lvsim::scenario::parse("dr-sched", &text).unwrap_or_else(|e| panic!("{}", e.render()));
        let mut e = l.build().unwrap_or_else(|e| panic!("{}", e.render()));
        let rec = std::rc::Rc::new(std::cell::RefCell::new(lvsim::trace::VecRecorder::default()));
        e.set_recorder(Box::new(rec.clone()));
        e.run();
        assert_eq!(e.metrics.clients[0].completed, 4, "{}", s.name());
        assert!(
            rec.borrow().steps.iter().any(|st| matches!(
                st.why,
                lvsim::why::Why::IpvsSchedule { sched, template: false, .. } if sched == s.name()
            )),
            "{}: no scheduling step by it in the trace",
            s.name()
        );
    }
}

/// LVS-DR as `kernel/facts/wrr-432.sh` sets it up: three real servers added in the order
/// rs1 (weight 4), rs2 (3), rs3 (2) to one wrr service, and 18 connections that each end
/// before the next starts.
const WRR_432: &str = r#"Scenario(
    about: "wrr 4,3,2, 18 closed connections",
    seed: 1,
    duration: "3s",
    segments: [Segment(name: "wan", latency: "100us"), Segment(name: "lan", latency: "10us")],
    hosts: [
        Host(name: "client1", ifaces: {"eth0": "wan"}, run: [
            "ip addr add 203.0.113.10/24 dev eth0", "ip route add default via 203.0.113.1"]),
        Host(name: "router", ifaces: {"eth0": "wan", "eth1": "lan"}, run: [
            "ip addr add 203.0.113.1/24 dev eth0", "ip addr add 10.0.0.1/24 dev eth1",
            "sysctl -w net.ipv4.ip_forward=1"]),
        Host(name: "director", ifaces: {"eth0": "lan"}, run: [
            "ip addr add 10.0.0.2/24 dev eth0", "ip addr add 10.0.0.100/32 dev eth0",
            "ip route add default via 10.0.0.1",
            "ipvsadm -A -t 10.0.0.100:80 -s wrr",
            "ipvsadm -a -t 10.0.0.100:80 -r 10.0.0.11:80 -g -w 4",
            "ipvsadm -a -t 10.0.0.100:80 -r 10.0.0.12:80 -g -w 3",
            "ipvsadm -a -t 10.0.0.100:80 -r 10.0.0.13:80 -g -w 2"]),
        Host(name: "rs1", ifaces: {"eth0": "lan"}, run: RS("10.0.0.11")),
        Host(name: "rs2", ifaces: {"eth0": "lan"}, run: RS("10.0.0.12")),
        Host(name: "rs3", ifaces: {"eth0": "lan"}, run: RS("10.0.0.13")),
    ],
    apps: [
        Server(host: "rs1", proto: tcp, port: 80, response: 100),
        Server(host: "rs2", proto: tcp, port: 80, response: 100),
        Server(host: "rs3", proto: tcp, port: 80, response: 100),
        Client(host: "client1", proto: tcp, to: "10.0.0.100:80", count: 18, every: "100ms"),
    ],
)"#;

fn wrr_432_text() -> String {
    let mut text = WRR_432.to_string();
    for rip in ["10.0.0.11", "10.0.0.12", "10.0.0.13"] {
        let run = format!(
            r#"["ip addr add {rip}/24 dev eth0", "ip addr add 10.0.0.100/32 dev lo",
            "sysctl -w net.ipv4.conf.all.arp_ignore=1", "sysctl -w net.ipv4.conf.all.arp_announce=2",
            "ip route add default via 10.0.0.1"]"#
        );
        text = text.replace(&format!(r#"RS("{rip}")"#), &run);
    }
    text
}

#[test]
fn wrr_432_matches_the_kernel_pick_order() {
    // kernel/facts/wrr-432.out (Linux 6.1.192), same servers, weights and order:
    //   order: rs3 rs2 rs1 rs1 rs2 rs1 rs3 rs2 rs1 rs3 rs2 rs1 rs1 rs2 rs1 rs3 rs2 rs1
    //   -> 10.0.0.11:80  Route 4  0  8 / 10.0.0.12:80  Route 3  0  6 / 10.0.0.13:80  Route 2  0  4
    // A connection's server is the real server that receives its SYN (DR leaves ip.dst =
    // VIP, so only the frame's arrival host tells), taken in time order: that is the
    // scheduler's pick sequence, not a count that several orders could give. The counters
    // at the end check that every connection was closed and counted inactive, as there.
    let r = crate::common::run_text("wrr-432", &wrr_432_text());
    let mut syns: Vec<(lvsim::sim::SimTime, &str)> = Vec::new();
    for rs in ["rs1", "rs2", "rs3"] {
        for s in r.frames(rs, lvsim::trace::Stage::Rx) {
            if crate::common::field(s, "tcp.flags") == Some(lvsim::packet::Value::Hex16(0x002)) {
                syns.push((s.time, rs));
            }
        }
    }
    syns.sort();
    let order: Vec<&str> = syns.iter().map(|(_, rs)| *rs).collect();
    let pass = ["rs3", "rs2", "rs1", "rs1", "rs2", "rs1", "rs3", "rs2", "rs1"];
    assert_eq!(order, [pass, pass].concat());
    let ipvs = r.host("director").ipvs.as_deref().expect("director runs IPVS");
    let counts: Vec<(String, u32, u32)> = {
        let mut v: Vec<_> =
            ipvs.services[0].dests.iter().map(|d| (d.addr.to_string(), d.activeconns, d.inactconns)).collect();
        v.sort();
        v
    };
    assert_eq!(
        counts,
        [("10.0.0.11".to_string(), 0, 8), ("10.0.0.12".to_string(), 0, 6), ("10.0.0.13".to_string(), 0, 4)]
    );
}
