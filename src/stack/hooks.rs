//! Netfilter hooks as verdict chains, run in kernel priority order.
//!
//! Each hook stage holds entries sorted by priority. `Accept` passes the packet to the
//! next entry; the first other verdict ends the walk: `Drop`, or `Stolen` when the entry
//! took the packet over (IPVS at LOCAL_IN transmits it itself and returns `NF_STOLEN`).

use crate::packet::Packet;
use std::fmt;

/// The five IPv4 hooks, by their iptables chain names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HookPoint {
    Prerouting,
    Input,
    Forward,
    Output,
    Postrouting,
}

impl HookPoint {
    pub const ALL: [HookPoint; 5] =
        [HookPoint::Prerouting, HookPoint::Input, HookPoint::Forward, HookPoint::Output, HookPoint::Postrouting];

    pub const fn name(self) -> &'static str {
        match self {
            HookPoint::Prerouting => "PREROUTING",
            HookPoint::Input => "INPUT",
            HookPoint::Forward => "FORWARD",
            HookPoint::Output => "OUTPUT",
            HookPoint::Postrouting => "POSTROUTING",
        }
    }
}

/// What a hook function decides (`NF_ACCEPT`, `NF_DROP`, `NF_STOLEN`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Accept,
    Drop,
    Stolen,
}

/// Kernel priorities (`include/uapi/linux/netfilter_ipv4.h`) and IPVS's (`ip_vs_ops4`).
pub mod priority {
    /// `NF_IP_PRI_MANGLE`: the mangle table, where `-j MARK` sets `skb->mark`.
    pub const MANGLE: i32 = -150;
    pub const NAT_DST: i32 = -100;
    pub const FILTER: i32 = 0;
    pub const NAT_SRC: i32 = 100;
    /// `ip_vs_out_hook` at LOCAL_IN.
    pub const IPVS_REPLY_LOCAL_IN: i32 = NAT_SRC - 2;
    /// `ip_vs_in_hook` at LOCAL_IN: requests are scheduled here.
    pub const IPVS_IN: i32 = NAT_SRC - 1;
    /// `ip_vs_forward_icmp` at FORWARD.
    pub const IPVS_FORWARD_ICMP: i32 = 99;
    /// `ip_vs_out_hook` at FORWARD: NAT replies get their source rewritten.
    pub const IPVS_OUT_FORWARD: i32 = 100;
}

/// What a whole chain walk came to, for the stack: like [`Verdict`], with the drop's reason.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hooked {
    Accept,
    Drop(crate::stack::DropReason),
    Stolen,
}

/// A user rule: any closure over the packet (a test adds one in a line). `None` = no
/// match (the next rule decides); `Some(Accept)` ends the rules of its priority (its
/// table), as an iptables ACCEPT does.
pub type Rule = std::rc::Rc<dyn Fn(&Packet) -> Option<Verdict>>;

/// Whether every match of an `iptables` rule holds for `p` (the outer header, as the kernel
/// matches a tunnelled packet).
pub fn ipt_matches(r: &crate::cmdline::IptRule, p: &Packet) -> bool {
    let ip = p.outer();
    let in_net = |a: std::net::Ipv4Addr, (net, len): (std::net::Ipv4Addr, u8)| crate::topology::in_subnet(a, net, len);
    let proto = if p.tunnel.is_some() { 4 } else { p.l4.protocol().value() };
    let ports = if p.tunnel.is_some() { None } else { p.l4.ports() };
    r.proto.is_none_or(|x| x == proto)
        && r.src.is_none_or(|n| in_net(ip.src, n))
        && r.dst.is_none_or(|n| in_net(ip.dst, n))
        && r.sport.is_none_or(|x| ports.is_some_and(|(s, _)| s == x))
        && r.dports.is_none_or(|x| ports.is_some_and(|(_, d)| x.contains(d)))
}

/// An `iptables` DROP/ACCEPT rule's verdict for `p`: the target when every match holds,
/// else `None`. A MARK rule has no verdict (`XT_CONTINUE`): it runs as [`HookFn::Mark`].
pub fn ipt_match(r: &crate::cmdline::IptRule, p: &Packet) -> Option<Verdict> {
    use crate::cmdline::IptTarget;
    let v = match r.target {
        IptTarget::Drop => Verdict::Drop,
        IptTarget::Accept => Verdict::Accept,
        IptTarget::Mark { .. } => return None,
    };
    ipt_matches(r, p).then_some(v)
}

/// What runs at a hook entry.
#[derive(Clone)]
pub enum HookFn {
    /// `ip_vs_in_hook`: schedule or look up, then transmit (LOCAL_IN 99).
    IpvsIn,
    /// `ip_vs_out_hook`: un-NAT replies of NAT connections (FORWARD 100).
    IpvsOut,
    /// A filter rule, named for the trace.
    Rule { name: String, rule: Rule },
    /// A mangle `-j MARK` rule: when it matches, `skb->mark = (skb->mark & !mask) ^ mark`
    /// (`mark_tg`), and the walk continues.
    Mark { name: std::sync::Arc<str>, rule: crate::cmdline::IptRule },
}

impl fmt::Debug for HookFn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HookFn::IpvsIn => f.write_str("ip_vs_in_hook"),
            HookFn::IpvsOut => f.write_str("ip_vs_out_hook"),
            HookFn::Rule { name, .. } => write!(f, "rule {name}"),
            HookFn::Mark { name, .. } => write!(f, "rule {name}"),
        }
    }
}

#[derive(Clone, Debug)]
pub struct HookEntry {
    pub priority: i32,
    pub func: HookFn,
}

/// The five chains of one host.
#[derive(Clone, Debug, Default)]
pub struct Hooks {
    chains: [Vec<HookEntry>; 5],
}

impl Hooks {
    /// Registers `func` at `point`, after entries of equal priority (as `nf_register_net_hook`).
    pub fn register(&mut self, point: HookPoint, priority: i32, func: HookFn) {
        let chain = &mut self.chains[point as usize];
        let at = chain.iter().position(|e| e.priority > priority).unwrap_or(chain.len());
        chain.insert(at, HookEntry { priority, func });
    }

    /// Like `iptables -I n`: insert as the `n`-th entry of this priority (`None` appends).
    pub fn insert(&mut self, point: HookPoint, priority: i32, n: Option<u32>, func: HookFn) {
        let Some(n) = n else { return self.register(point, priority, func) };
        let chain = &mut self.chains[point as usize];
        let same: Vec<usize> = (0..chain.len()).filter(|i| chain[*i].priority == priority).collect();
        let at = same
            .get((n as usize).saturating_sub(1))
            .copied()
            .unwrap_or_else(|| chain.iter().position(|e| e.priority > priority).unwrap_or(chain.len()));
        chain.insert(at, HookEntry { priority, func });
    }

    pub fn chain(&self, point: HookPoint) -> &[HookEntry] {
        &self.chains[point as usize]
    }

    pub fn is_registered(&self, point: HookPoint, pred: impl Fn(&HookFn) -> bool) -> bool {
        self.chains[point as usize].iter().any(|e| pred(&e.func))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_is_sorted_by_priority() {
        // A filter rule at 0 must run before IPVS at 99 on INPUT, as in the kernel:
        // iptables INPUT sees requests before IPVS does.
        let mut h = Hooks::default();
        h.register(HookPoint::Input, priority::IPVS_IN, HookFn::IpvsIn);
        h.register(
            HookPoint::Input,
            priority::FILTER,
            HookFn::Rule { name: "f".into(), rule: std::rc::Rc::new(|_| Some(Verdict::Accept)) },
        );
        let prios: Vec<i32> = h.chain(HookPoint::Input).iter().map(|e| e.priority).collect();
        assert_eq!(prios, [0, 99]);
        assert!(h.chain(HookPoint::Forward).is_empty());
    }
}
