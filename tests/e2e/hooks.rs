//! Hook verdict chains run in kernel priority order: a filter rule on INPUT (priority 0)
//! sees requests before IPVS (99), and a rule's DROP ends the walk with a reason.
use lvsim::packet::{L4, Packet};
use lvsim::stack::hooks::priority;
use lvsim::stack::{HookFn, HookPoint, Verdict};
use lvsim::trace::{Action, VecRecorder};
use lvsim::why::Why;
use std::cell::RefCell;
use std::rc::Rc;

fn drop_port_80(p: &Packet) -> Option<Verdict> {
    match p.l4 {
        L4::Tcp(t) if t.dst_port == 80 => Some(Verdict::Drop),
        _ => None,
    }
}

fn run_with_rule(host: &str, point: HookPoint) -> (lvsim::engine::Engine, Vec<lvsim::trace::Step>) {
    let l = lvsim::scenario::load("dr").unwrap();
    let mut e = l.build().unwrap();
    let h = e.hosts.iter().position(|x| x.name == host).unwrap();
    e.hosts[h].hooks.register(
        point,
        priority::FILTER,
        HookFn::Rule { name: "drop-80".into(), rule: std::rc::Rc::new(drop_port_80) },
    );
    let rec = Rc::new(RefCell::new(VecRecorder::default()));
    e.set_recorder(Box::new(rec.clone()));
    e.run();
    let steps = std::mem::take(&mut rec.borrow_mut().steps);
    (e, steps)
}

#[test]
fn filter_input_runs_before_ipvs() {
    // If the chain were not ordered by priority, IPVS (99) would schedule the SYN before
    // the filter rule (0) could drop it. No scheduling step may appear.
    let (e, steps) = run_with_rule("director", HookPoint::Input);
    assert!(steps.iter().any(|s| matches!(&s.why, Why::HookDrop { hook: "INPUT", rule } if &**rule == "drop-80")));
    assert!(!steps.iter().any(|s| matches!(s.why, Why::IpvsSchedule { .. })), "IPVS ran before the filter rule");
    assert!(e.metrics.drops_by_reason().any(|(r, n)| r.key() == "hook_drop" && n >= 4));
    assert_eq!(e.metrics.clients[0].completed, 0);
    crate::common::assert_conserved(&e);
}

#[test]
fn forward_drop_on_the_router_stops_requests_there() {
    // A FORWARD rule on the router drops requests before they reach the lan: the director
    // receives no TCP frame at all.
    let (e, steps) = run_with_rule("router", HookPoint::Forward);
    let names = e.names();
    assert!(steps.iter().any(|s| matches!(s.action, Action::Drop(_))
        && matches!(&s.why, Why::HookDrop { hook: "FORWARD", rule } if &**rule == "drop-80")));
    assert!(!steps.iter().any(|s| names.host(s.host) == "director"
        && s.action == Action::Recv
        && s.subject.is_some_and(|x| x.frame.field("tcp.dstport").is_some())));
    crate::common::assert_conserved(&e);
}

/// Runs fwmark-http-https with its mangle rule moved from the director to `host`.
fn fwmark_with_mark_rule_on(host: &str) -> Vec<lvsim::trace::Step> {
    let src = lvsim::scenario::EMBEDDED.iter().find(|(n, _)| *n == "fwmark-http-https").unwrap().1;
    let rule = "\"iptables -t mangle -A PREROUTING -d 10.0.0.100/32 -p tcp -m multiport --dports 80,443 -j MARK --set-mark 1\",";
    assert!(src.contains(rule), "the scenario's mangle rule");
    let anchor = format!("Host(name: \"{host}\", ifaces: {{\"eth0\": \"wan\", \"eth1\": \"lan\"}}, run: [");
    assert!(src.contains(&anchor), "the {host} host");
    let moved = src.replacen(rule, "", 1).replacen(&anchor, &format!("{anchor}\n            {rule}"), 1);
    let l = lvsim::scenario::parse("moved.ron", &moved).unwrap_or_else(|e| panic!("{}", e.render()));
    let mut e = l.build().unwrap();
    let rec = Rc::new(RefCell::new(VecRecorder::default()));
    e.set_recorder(Box::new(rec.clone()));
    e.run();
    std::mem::take(&mut rec.borrow_mut().steps)
}

#[test]
fn a_mark_does_not_cross_the_wire() {
    // skb->mark is a field of the kernel's packet buffer, not of any header: a packet
    // marked on the router arrives at the director with mark 0 (ip_rcv of a new skb), so
    // __ip_vs_svc_fwm_find is not even tried and no -t service exists for 10.0.0.100:80:
    // the router marks, the director schedules nothing.
    let steps = fwmark_with_mark_rule_on("router");
    let router_marks = steps.iter().filter(|s| matches!(&s.why, Why::MarkSet { new: 1, .. })).count();
    assert!(router_marks >= 8, "the router marks the 8 SYNs at least: {router_marks}");
    assert!(!steps.iter().any(|s| matches!(s.why, Why::IpvsSchedule { .. })), "a mark crossed the wire");
}
