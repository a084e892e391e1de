//! JSON Lines: one object per step, keys in a fixed order, frame fields under their
//! Wireshark names (`eth.src`, `ip.dst`, `inner.ip.dst`, `tcp.flags`...). `reason` is the
//! English sentence; `why` the same reason as data: its `key` (`ipvs.schedule`) and its
//! fields (`"sched":"rr"`, `"server":"10.0.0.12"`), as `why.FIELD` filters see them.

use super::{Action, Names, Step};
use crate::why::Value;
use std::fmt::Write as _;

fn push_str(out: &mut String, s: &str) {
    out.push_str(&serde_json::to_string(s).expect("strings serialize"));
}

/// Formats one step as a JSON object (no newline).
pub fn line(step: &Step, names: &Names) -> String {
    let mut o = String::with_capacity(400);
    let _ =
        write!(o, "{{\"index\":{},\"t_ns\":{},\"time\":\"{}\",\"host\":", step.index, step.time.as_nanos(), step.time);
    push_str(&mut o, names.host(step.host));
    o.push_str(",\"iface\":");
    match step.iface {
        Some(_) => push_str(&mut o, names.iface(step.host, step.iface)),
        None => o.push_str("null"),
    }
    let _ = write!(o, ",\"stage\":\"{}\",\"action\":\"{}\"", step.stage.name(), step.action.name());
    if let Action::Drop(r) = step.action {
        let _ = write!(o, ",\"drop_reason\":\"{}\"", r.key());
    }
    o.push_str(",\"reason\":");
    push_str(&mut o, &step.reason(names, crate::lang::Lang::En));
    o.push_str(",\"why\":{\"key\":");
    push_str(&mut o, step.why.key());
    step.why.fields(&mut |name, v| {
        let _ = write!(o, ",\"{name}\":");
        match v {
            Value::Num(n) => {
                let _ = write!(o, "{n}");
            }
            Value::Bool(b) => {
                let _ = write!(o, "{b}");
            }
            Value::None => o.push_str("null"),
            other => push_str(&mut o, &other.text(names, step.host)),
        }
        if let Value::Mac(m) = v {
            let _ = write!(o, ",\"{name}_host\":");
            match names.mac_owner(m) {
                Some(h) => push_str(&mut o, h),
                None => o.push_str("null"),
            }
        }
    });
    o.push('}');
    if let Some(sub) = &step.subject {
        o.push_str(",\"summary\":");
        push_str(&mut o, &sub.frame.to_string());
        sub.frame.for_each_field(&mut |name, value| {
            if !sub.l2 && name.starts_with("eth.") {
                return;
            }
            o.push_str(",\"");
            o.push_str(name);
            o.push_str("\":");
            o.push_str(&value.to_json().to_string());
            // Next to each MAC, whose it is: `eth.dst_host`, `arp.src.hw_mac_host`.
            if let crate::packet::fields::Value::Mac(m) = value {
                let _ = write!(o, ",\"{name}_host\":");
                match names.mac_owner(m) {
                    Some(h) => push_str(&mut o, h),
                    None => o.push_str("null"),
                }
            }
        });
    }
    o.push('}');
    o
}

#[cfg(test)]
mod tests {
    use crate::trace::VecRecorder;
    use crate::why::Why;
    use std::cell::RefCell;
    use std::rc::Rc;

    // Each JSON line carries the step's typed reason: its key, and for a scheduling step
    // the scheduler as a string and the weight as a number, read back from the JSON and
    // compared with the step's `Why` itself (the dr scenario: rr, weight 1, 4 picks).
    #[test]
    fn why_object_matches_the_step() {
        let l = crate::scenario::load("dr").unwrap();
        let mut e = l.build().unwrap();
        let rec = Rc::new(RefCell::new(VecRecorder::default()));
        e.set_recorder(Box::new(rec.clone()));
        e.run();
        let names = e.names();
        let mut picks = 0;
        for s in &rec.borrow().steps {
            let v: serde_json::Value = serde_json::from_str(&super::line(s, &names)).unwrap();
            assert_eq!(v["why"]["key"], s.why.key());
            if let Why::IpvsSchedule { sched, weight, server, .. } = &s.why {
                assert_eq!(v["why"]["sched"], *sched);
                assert_eq!(v["why"]["weight"], u64::from(*weight));
                assert_eq!(v["why"]["server"], server.to_string());
                picks += 1;
            }
        }
        assert_eq!(picks, 4);
    }

    // Every MAC field has its owner next to it. A frame leaving a host (TX) carries that
    // host's own MAC as eth.src, so `eth.src_host` must be the step's host; an ARP request
    // goes to ff:ff:ff:ff:ff:ff (`broadcast`) and asks for the all-zero MAC no host has
    // (null); the router's cache update for the VIP names the host that answered first:
    // rs2 in the kernel capture (tests/kernel/dr-no-arp-fix.kernel.txt).
    #[test]
    fn mac_fields_name_their_owner() {
        use crate::trace::{Action, Stage};
        let l = crate::scenario::load("dr-no-arp-fix").unwrap();
        let mut e = l.build().unwrap();
        let rec = Rc::new(RefCell::new(VecRecorder::default()));
        e.set_recorder(Box::new(rec.clone()));
        e.run();
        let names = e.names();
        let (mut tx, mut requests, mut vip) = (0, 0, 0);
        for s in &rec.borrow().steps {
            let v: serde_json::Value = serde_json::from_str(&super::line(s, &names)).unwrap();
            if s.stage == Stage::Tx && s.action == Action::Send {
                assert_eq!(v["eth.src_host"], names.host(s.host));
                tx += 1;
            }
            if let Some(a) = s.subject.and_then(|x| x.frame.arp().copied())
                && a.operation == crate::packet::arp::Operation::Request
                && s.stage == Stage::Tx
            {
                assert_eq!(v["eth.dst_host"], "broadcast");
                assert!(v["arp.dst.hw_mac_host"].is_null());
                requests += 1;
            }
            if let Why::ArpCache { ip, .. } = s.why
                && names.host(s.host) == "router"
                && ip == std::net::Ipv4Addr::new(10, 0, 0, 100)
            {
                assert_eq!(v["why"]["mac_host"], "rs2");
                vip += 1;
            }
        }
        assert!(tx > 0 && requests > 0);
        assert_eq!(vip, 1);
    }
}
