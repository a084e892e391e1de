//! `ipvsadm -Ln` and `ipvsadm -Lnc`, laid out exactly as ipvsadm 1.31 prints them
//! (spec d.3, d.5), trailing spaces included.

use super::{Ipvs, Proto};
use crate::sim::SimTime;
use std::cmp::Ordering;
use std::fmt::Write as _;
use std::net::Ipv4Addr;

/// ipvsadm's comparator: `ntohl(a) − ntohl(b)` in unsigned 32 bits, read as signed, so
/// addresses 2^31 or more apart compare the wrong way (10.0.0.100 sorts after 192.168.10.1).
fn cmp_addr(a: Ipv4Addr, b: Ipv4Addr) -> Ordering {
    u32::from(a).wrapping_sub(u32::from(b)).cast_signed().cmp(&0)
}

fn proto_name(p: Proto) -> &'static str {
    match p {
        Proto::Tcp => "TCP",
        Proto::Udp => "UDP",
    }
}

/// `ipvsadm -Ln`.
pub fn list_services(v: &Ipvs) -> String {
    let mut o = String::new();
    o.push_str("IP Virtual Server version 1.2.1 (size=4096)\n");
    o.push_str("Prot LocalAddress:Port Scheduler Flags\n");
    o.push_str("  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n");
    let mut svcs: Vec<_> = v.services.iter().collect();
    // Stable sort, like glibc's merge sort over the kernel order.
    svcs.sort_by(|a, b| {
        (a.addr.proto as u8)
            .cmp(&(b.addr.proto as u8))
            .then_with(|| cmp_addr(a.addr.addr, b.addr.addr))
            .then(a.addr.port.cmp(&b.addr.port))
    });
    for s in svcs {
        let _ = write!(o, "{:<4} {}:{} {}", proto_name(s.addr.proto), s.addr.addr, s.addr.port, s.sched_name.name());
        let f = &s.opts.flags;
        let flags: Vec<&str> = [
            (f.sh_fallback, "sh-fallback"),
            (f.sh_port, "sh-port"),
            (f.mh_fallback, "mh-fallback"),
            (f.mh_port, "mh-port"),
        ]
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, n)| *n)
        .collect();
        if !flags.is_empty() {
            let _ = write!(o, " ({})", flags.join(","));
        }
        if let Some(t) = s.persistent {
            let _ = write!(o, " persistent {t}");
            if s.netmask != Ipv4Addr::BROADCAST {
                let _ = write!(o, " mask {}", s.netmask);
            }
        }
        if s.opts.one_packet {
            o.push_str(" ops");
        }
        o.push('\n');
        let mut dests: Vec<_> = s.dests.iter().collect();
        dests.sort_by(|a, b| cmp_addr(a.addr, b.addr).then(a.port.cmp(&b.port)));
        for d in dests {
            let name = format!("{}:{}", d.addr, d.port);
            let _ = writeln!(
                o,
                "  -> {:<28} {:<7} {:<6} {:<10} {:<10}",
                name,
                d.fwd.name(),
                d.weight,
                d.activeconns,
                d.inactconns
            );
        }
    }
    o
}

/// `ipvsadm -Lnc` at time `now` (expire = time left on each entry's timer).
pub fn list_conns(v: &Ipvs, now: SimTime) -> String {
    let mut o = String::new();
    o.push_str("IPVS connection entries\n");
    o.push_str("pro expire state       source             virtual            destination\n");
    for (_, c) in v.live_conns() {
        let left = c.expires.since(now).as_nanos() / 1_000_000_000;
        let expire = format!("{:02}:{:02}", left / 60, left % 60);
        let src = format!("{}:{}", c.key.caddr, c.key.cport);
        let vip = format!("{}:{}", c.key.vaddr, c.key.vport);
        let _ = writeln!(
            o,
            "{:<3} {:<6} {:<11} {:<18} {:<18} {}:{}",
            proto_name(c.proto),
            expire,
            c.state.name(),
            src,
            vip,
            c.daddr,
            c.dport
        );
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comparator_quirk() {
        // Spec d.3: 10.0.0.100 and 192.168.10.1 differ by more than 2^31, so ipvsadm sorts
        // 10.0.0.100 after 192.168.10.1; close addresses compare normally.
        assert_eq!(cmp_addr(Ipv4Addr::new(10, 0, 0, 100), Ipv4Addr::new(192, 168, 10, 1)), Ordering::Greater);
        assert_eq!(cmp_addr(Ipv4Addr::new(10, 0, 0, 11), Ipv4Addr::new(10, 0, 0, 12)), Ordering::Less);
    }
}
