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
