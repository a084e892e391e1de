//! `arptables`: filter rules for ARP packets, the classic DR fix on real servers
//! (`arptables -A INPUT -d VIP -j DROP`, `arptables -A OUTPUT -s VIP -j mangle
//! --mangle-ip-s RIP`). `-s` matches the sender IP, `-d` the target IP; rules run in
//! order and the first DROP or ACCEPT ends the walk; mangle rewrites and goes on to
//! accept, as the arptables mangle target's default verdict does.

pub use crate::cmdline::{ArpChain, ArpRule, ArpTarget};
use crate::packet::ArpRepr;

/// A chain's decision about one ARP packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArpVerdict {
    Accept,
    /// Dropped by rule number `n` (1-based, as `arptables -L --line-numbers` counts).
    Drop(usize),
    /// The sender IP was rewritten by rule `n`.
    Mangled(usize),
}

/// The rules of one host, in chain order.
#[derive(Clone, Debug, Default)]
pub struct Arptables {
    pub rules: Vec<ArpRule>,
}

impl Arptables {
    /// `arptables -A` appends; `-I CHAIN n` inserts as rule n of that chain.
    pub fn add(&mut self, rule: ArpRule) {
        match rule.insert {
            None => self.rules.push(rule),
            Some(n) => {
                let same: Vec<usize> = (0..self.rules.len()).filter(|i| self.rules[*i].chain == rule.chain).collect();
                let at = same.get((n as usize).saturating_sub(1)).copied().unwrap_or(self.rules.len());
                self.rules.insert(at, rule);
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Runs `chain` on `a`, rewriting it for mangle rules.
    pub fn run(&self, chain: ArpChain, a: &mut ArpRepr) -> ArpVerdict {
        for (n, r) in self.rules.iter().filter(|r| r.chain == chain).enumerate() {
            let matches = r.src.is_none_or(|s| s == a.sender_ip) && r.dst.is_none_or(|d| d == a.target_ip);
            if !matches {
                continue;
            }
            match r.target {
                ArpTarget::Drop => return ArpVerdict::Drop(n + 1),
                ArpTarget::Accept => return ArpVerdict::Accept,
                ArpTarget::MangleIpSrc(ip) => {
                    a.sender_ip = ip;
                    return ArpVerdict::Mangled(n + 1);
                }
            }
        }
        ArpVerdict::Accept
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::{MacAddr, arp::Operation};
    use std::net::Ipv4Addr;

    fn req(sender: [u8; 4], target: [u8; 4]) -> ArpRepr {
        ArpRepr {
            operation: Operation::Request,
            sender_mac: MacAddr([2, 0, 0, 0, 0, 1]),
            sender_ip: Ipv4Addr::from(sender),
            target_mac: MacAddr::ZERO,
            target_ip: Ipv4Addr::from(target),
        }
    }

    fn rule(chain: ArpChain, src: Option<[u8; 4]>, dst: Option<[u8; 4]>, target: ArpTarget) -> ArpRule {
        ArpRule { chain, src: src.map(Ipv4Addr::from), dst: dst.map(Ipv4Addr::from), target, insert: None }
    }

    #[test]
    fn dr_recipe() {
        // INPUT -d VIP -j DROP stops who-has VIP but not who-has RIP; OUTPUT -s VIP mangle
        // rewrites the sender of the real server's own requests to the RIP.
        let mut t = Arptables::default();
        t.add(rule(ArpChain::Input, None, Some([10, 0, 0, 100]), ArpTarget::Drop));
        t.add(rule(ArpChain::Output, Some([10, 0, 0, 100]), None, ArpTarget::MangleIpSrc(Ipv4Addr::new(10, 0, 0, 11))));
        assert_eq!(t.run(ArpChain::Input, &mut req([10, 0, 0, 1], [10, 0, 0, 100])), ArpVerdict::Drop(1));
        assert_eq!(t.run(ArpChain::Input, &mut req([10, 0, 0, 1], [10, 0, 0, 11])), ArpVerdict::Accept);
        let mut out = req([10, 0, 0, 100], [10, 0, 0, 1]);
        assert_eq!(t.run(ArpChain::Output, &mut out), ArpVerdict::Mangled(1));
        assert_eq!(out.sender_ip, Ipv4Addr::new(10, 0, 0, 11));
    }

    #[test]
    fn insert_and_accept_order() {
        // -I INPUT 1 puts an ACCEPT before the DROP, so the first match (ACCEPT) wins.
        let mut t = Arptables::default();
        t.add(rule(ArpChain::Input, None, Some([10, 0, 0, 100]), ArpTarget::Drop));
        t.add(ArpRule { insert: Some(1), ..rule(ArpChain::Input, Some([10, 0, 0, 2]), None, ArpTarget::Accept) });
        assert_eq!(t.run(ArpChain::Input, &mut req([10, 0, 0, 2], [10, 0, 0, 100])), ArpVerdict::Accept);
        assert_eq!(t.run(ArpChain::Input, &mut req([10, 0, 0, 1], [10, 0, 0, 100])), ArpVerdict::Drop(2));
    }
}
