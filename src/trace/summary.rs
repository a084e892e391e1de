//! The few lines `lvsim trace` ends with: who served how many connections, what was
//! dropped where and why, and what changed in ARP caches. Built from typed data only: the
//! run's [`Metrics`] (served, drops by host and [`DropReason`]) and the steps' typed
//! reasons ([`Why::ArpCache`]), never from printed text.
//!
//! ```text
//! # summary
//! # served (TCP connections accepted, UDP requests answered):
//! #   rs1        tcp/80   0
//! #   rs2        tcp/80   4
//! # dropped: none
//! # ARP cache changes (host, IP: old MAC → new MAC):
//! #   router     10.0.0.100       (none) → 02:00:00:00:04:02 (rs2)
//! ```

use super::{Names, Step};
use crate::lang::Lang;
use crate::metrics::Metrics;
use crate::packet::{MacAddr, Proto};
use crate::topology::HostId;
use crate::why::{DropReason, Why};
use crate::workload::App;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::Ipv4Addr;

/// At most this many ARP cache changes are listed; the rest are counted.
pub const ARP_SHOWN: usize = 20;

/// One server application's count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Served {
    pub host: HostId,
    pub proto: Proto,
    pub port: u16,
    /// TCP: connections accepted; UDP: requests answered (`Metrics::served`).
    pub count: u64,
}

/// A neighbour entry that got a MAC it did not hold before.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArpChange {
    pub host: HostId,
    pub ip: Ipv4Addr,
    /// The MAC the entry held before (`None`: a new entry).
    pub old: Option<MacAddr>,
    pub new: MacAddr,
}

/// Watches steps for ARP cache changes: an entry's MAC that is new or differs from the
/// one the last update of that entry set (state changes with the same MAC are not listed).
#[derive(Clone, Debug, Default)]
pub struct ArpWatch {
    last: BTreeMap<(HostId, Ipv4Addr), MacAddr>,
    pub changes: Vec<ArpChange>,
}

impl ArpWatch {
    pub fn see(&mut self, step: &Step) {
        if let Why::ArpCache { ip, mac, .. } = step.why {
            let old = self.last.insert((step.host, ip), mac);
            if old != Some(mac) {
                self.changes.push(ArpChange { host: step.host, ip, old, new: mac });
            }
        }
    }
}

/// What a run did, in brief.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Every server application, in scenario order.
    pub served: Vec<Served>,
    /// Drops by host and reason (hosts in id order, reasons in [`DropReason::ALL`] order).
    pub drops: Vec<(HostId, DropReason, u64)>,
    pub arp: Vec<ArpChange>,
}

impl Summary {
    pub fn new(metrics: &Metrics, apps: &[App], arp: &ArpWatch) -> Summary {
        let served = apps
            .iter()
            .filter_map(|a| match a {
                App::Server(s) => {
                    Some(Served { host: s.host, proto: s.proto, port: s.port, count: metrics.served[s.stats] })
                }
                App::Client(_) => None,
            })
            .collect();
        let drops = metrics
            .host_drops
            .iter()
            .enumerate()
            .flat_map(|(h, counts)| {
                DropReason::ALL
                    .iter()
                    .filter(|r| counts[**r as usize] > 0)
                    .map(move |r| (h as HostId, *r, counts[*r as usize]))
            })
            .collect();
        Summary { served, drops, arp: arp.changes.clone() }
    }

    /// The summary as `#` comment lines, in `lang`.
    pub fn render(&self, names: &Names, lang: Lang) -> String {
        let t = Words::of(lang);
        let mut o = String::new();
        let _ = writeln!(o, "# {}", t.title);
        if self.served.is_empty() {
            let _ = writeln!(o, "# {}{}", t.served, t.none);
        } else {
            let _ = writeln!(o, "# {}", t.served);
            for s in &self.served {
                let proto = if s.proto == Proto::Udp { "udp" } else { "tcp" };
                let _ = writeln!(o, "#   {:<10} {:<8} {}", names.host(s.host), format!("{proto}/{}", s.port), s.count);
            }
        }
        if self.drops.is_empty() {
            let _ = writeln!(o, "# {}{}", t.dropped, t.none);
        } else {
            let _ = writeln!(o, "# {}", t.dropped);
            for (h, r, n) in &self.drops {
                let _ = writeln!(o, "#   {:<10} {:<18} {n}", names.host(*h), r.key());
            }
        }
        if self.arp.is_empty() {
            let _ = writeln!(o, "# {}{}", t.arp, t.none);
        } else {
            let _ = writeln!(o, "# {}", t.arp);
            for c in self.arp.iter().take(ARP_SHOWN) {
                let old = c.old.map_or_else(|| t.no_entry.to_string(), |m| names.mac(m, lang).to_string());
                let _ = writeln!(o, "#   {:<10} {:<16} {old} → {}", names.host(c.host), c.ip, names.mac(c.new, lang));
            }
            if self.arp.len() > ARP_SHOWN {
                let _ = writeln!(o, "#   {}", t.more.replace("{n}", &(self.arp.len() - ARP_SHOWN).to_string()));
            }
        }
        o
    }
}

/// The summary's words in one language.
struct Words {
    title: &'static str,
    served: &'static str,
    dropped: &'static str,
    arp: &'static str,
    none: &'static str,
    no_entry: &'static str,
    more: &'static str,
}

impl Words {
    const fn of(lang: Lang) -> Words {
        match lang {
            Lang::En => Words {
                title: "summary",
                served: "served (TCP connections accepted, UDP requests answered):",
                dropped: "dropped (host, reason, count):",
                arp: "ARP cache changes (host, IP: old MAC → new MAC):",
                none: " none",
                no_entry: "(none)",
                more: "… and {n} more",
            },
            Lang::Zh => Words {
                title: "小结",
                served: "服务（TCP 接受的连接数，UDP 应答的请求数）：",
                dropped: "丢弃（主机、原因、次数）：",
                arp: "ARP 缓存变化（主机、IP：旧 MAC → 新 MAC）：",
                none: "无",
                no_entry: "（无）",
                more: "……另有 {n} 条",
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::{Action, VecRecorder};
    use std::cell::RefCell;
    use std::rc::Rc;

    fn run(name: &str) -> (Summary, Vec<Step>, Names) {
        let l = crate::scenario::load(name).unwrap();
        let mut e = l.build().unwrap();
        let rec = Rc::new(RefCell::new(VecRecorder::default()));
        e.set_recorder(Box::new(rec.clone()));
        e.run();
        let mut arp = ArpWatch::default();
        let steps = std::mem::take(&mut rec.borrow_mut().steps);
        for s in &steps {
            arp.see(s);
        }
        (Summary::new(&e.metrics, &e.apps, &arp), steps, e.names())
    }

    // dr-no-arp-fix: the router's entry for the VIP is new and holds rs2's MAC (the kernel
    // capture, tests/kernel/dr-no-arp-fix.kernel.txt: rs2's reply arrives first), so rs2
    // serves the client's 4 connections (count: 4 in the scenario) and rs1 none.
    #[test]
    fn dr_poisoning_in_brief() {
        let (s, _, names) = run("dr-no-arp-fix");
        let host = |n: &str| names.hosts.iter().position(|h| h == n).unwrap() as HostId;
        let served: Vec<(HostId, u64)> = s.served.iter().map(|x| (x.host, x.count)).collect();
        assert_eq!(served, vec![(host("rs1"), 0), (host("rs2"), 4)]);
        let vip = Ipv4Addr::new(10, 0, 0, 100);
        let rs2: MacAddr = "02:00:00:00:04:02".parse().unwrap();
        let router = s.arp.iter().filter(|c| c.host == host("router") && c.ip == vip).collect::<Vec<_>>();
        assert_eq!(router, vec![&ArpChange { host: host("router"), ip: vip, old: None, new: rs2 }]);
    }

    // Drops by host and reason equal the drop steps counted one by one (the steps and the
    // metrics are counted on different paths): in nat-no-ip-forward the director drops
    // the replies it may not forward.
    #[test]
    fn drops_match_the_drop_steps() {
        let (s, steps, _) = run("nat-no-ip-forward");
        let mut want: BTreeMap<(HostId, DropReason), u64> = BTreeMap::new();
        for st in &steps {
            if let Action::Drop(r) = st.action {
                *want.entry((st.host, r)).or_default() += 1;
            }
        }
        assert!(want.keys().any(|(_, r)| *r == DropReason::IpForwardOff));
        let got: BTreeMap<(HostId, DropReason), u64> = s.drops.iter().map(|(h, r, n)| ((*h, *r), *n)).collect();
        assert_eq!(got, want);
    }

    // A change is listed only when the MAC is new or differs: an entry going from one MAC
    // to another lists the old one; the same MAC again (a state change) lists nothing.
    #[test]
    fn arp_watch_lists_mac_changes_only() {
        use crate::trace::{Stage, Step};
        use crate::why::ArpHeard;
        let (a, b): (MacAddr, MacAddr) = ("02:00:00:00:00:01".parse().unwrap(), "02:00:00:00:00:02".parse().unwrap());
        let ip = Ipv4Addr::new(10, 0, 0, 1);
        let step = |mac| Step {
            index: 0,
            time: crate::sim::SimTime::ZERO,
            host: 0,
            iface: None,
            stage: Stage::Arp,
            action: Action::Info,
            subject: None,
            why: Why::ArpCache { ip, mac, state: "REACHABLE", what: ArpHeard::Reply, released: 0 },
        };
        let mut w = ArpWatch::default();
        for m in [a, a, b, b] {
            w.see(&step(m));
        }
        assert_eq!(
            w.changes,
            vec![ArpChange { host: 0, ip, old: None, new: a }, ArpChange { host: 0, ip, old: Some(a), new: b }]
        );
    }
}
