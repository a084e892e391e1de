//! JSON Lines: one object per step, keys in a fixed order, frame fields under their
//! Wireshark names (`eth.src`, `ip.dst`, `inner.ip.dst`, `tcp.flags`...).

use super::{Action, Names, Step};
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
        });
    }
    o.push('}');
    o
}
