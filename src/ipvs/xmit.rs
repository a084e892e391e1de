//! IPVS transmit as a decision (`ip_vs_nat_xmit`, `ip_vs_dr_xmit`, `ip_vs_tunnel_xmit`;
//! spec a.2–a.5): given a connection entry, the director's route towards its real server
//! and the packet, [`xmit`] says what to send where, or why the packet is dropped and
//! which ICMP error goes back. The engine carries the result out: OUTPUT, POSTROUTING
//! and the neighbour layer for [`Xmit::Send`], the one drop function and `icmp_send` for
//! [`Xmit::Drop`].

use super::{Conn, Fwd};
use crate::packet::icmp::unreach;
use crate::packet::{IcmpRepr, IpProtocol, Ipv4Repr, Packet, ipv4};
use crate::topology::IfIndex;
use crate::why::{DropReason, If, Why};
use std::net::Ipv4Addr;

/// What the director's routing says about the real server's address
/// (`__ip_vs_get_out_rt`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutRoute {
    /// The RIP is one of the director's own addresses (local real servers are not
    /// simulated).
    Local,
    /// No route to the RIP.
    Unreachable,
    /// Out of `oif` towards `nexthop` (the RIP itself on a connected segment), `mtu` the
    /// route's MTU (or the device's), `src` the address routing picks as source (the
    /// route's preferred source, else `inet_select_addr`; TUN's outer source).
    Unicast { oif: IfIndex, nexthop: Ipv4Addr, mtu: u16, src: Ipv4Addr },
}

/// The transmitter's decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Xmit {
    /// Send `pkt` (rewritten, TTL decremented) out of `oif` to `nexthop`, through OUTPUT
    /// and POSTROUTING.
    Send { pkt: Packet, oif: IfIndex, nexthop: Ipv4Addr, why: Why },
    /// Drop `pkt` (as it was when refused) for `reason`. `oif` is the outgoing
    /// interface once the refusal comes after routing chose it (MTU), `None` before.
    /// `icmp`, if any, goes back to the packet's source (`icmp_send`).
    Drop { pkt: Packet, oif: Option<IfIndex>, reason: DropReason, why: Why, icmp: Option<IcmpRepr> },
}

/// The transmit of entry `c`'s packet `pkt` over `route`. `pmtu_disc` is the director's
/// `net.ipv4.vs.pmtu_disc` (TUN copies DF to the outer header only when it is on);
/// `ident` draws the outer header's `ip.id` (`ip_select_ident`), called only when a TUN
/// packet is sent.
pub fn xmit(c: &Conn, route: OutRoute, pmtu_disc: bool, mut pkt: Packet, ident: impl FnOnce() -> u16) -> Xmit {
    let (oif, nexthop, route_mtu, src) = match route {
        OutRoute::Unicast { oif, nexthop, mtu, src } => (oif, nexthop, mtu, src),
        OutRoute::Local => {
            return refuse(pkt, None, DropReason::NoRoute, Why::IpvsLocalServer { server: c.daddr }, None);
        }
        OutRoute::Unreachable => {
            return refuse(pkt, None, DropReason::NoRoute, Why::IpvsNoRoute { server: c.daddr }, None);
        }
    };
    if pkt.ip.ttl <= 1 {
        let icmp = IcmpRepr::TimeExceeded { code: 0, quote: pkt.quote() };
        let why = Why::IpvsTtlExceeded { server: c.daddr, src: pkt.ip.src };
        return refuse(pkt, None, DropReason::TtlExceeded, why, Some(icmp));
    }
    pkt.ip.ttl -= 1;
    // ensure_mtu_is_adequate runs before any header is added: for TUN the usable MTU is
    // the route's minus the 20-byte outer header.
    let tun = c.fwd == Fwd::Tun;
    let mtu = if tun { route_mtu.saturating_sub(ipv4::HEADER_LEN as u16) } else { route_mtu };
    let size = pkt.ip_total_len();
    if pkt.ip.dont_frag && size > usize::from(mtu) {
        let icmp = IcmpRepr::DstUnreachable { code: unreach::FRAG_NEEDED, mtu, quote: pkt.quote() };
        let why = Why::IpvsFragNeeded { size, mtu: u32::from(mtu), tun, src: pkt.ip.src };
        return refuse(pkt, Some(oif), DropReason::FragNeeded, why, Some(icmp));
    }
    let why = match c.fwd {
        Fwd::Nat => {
            pkt.ip.dst = c.daddr;
            pkt.l4.set_dst_port(c.dport);
            Why::IpvsNat { vip: c.key.vaddr, server: c.daddr, vport: c.key.vport, port: c.dport, nexthop, oif: If(oif) }
        }
        Fwd::Dr if nexthop != c.daddr => Why::IpvsDrOffLink { server: c.daddr, nexthop, dst: pkt.ip.dst },
        Fwd::Dr => Why::IpvsDr { dst: pkt.ip.dst, server: c.daddr, oif: If(oif) },
        Fwd::Tun => {
            pkt.tunnel = Some(Ipv4Repr {
                src,
                dst: c.daddr,
                protocol: IpProtocol::Ipip,
                ttl: pkt.ip.ttl,
                ident: ident(),
                dont_frag: pmtu_disc && pkt.ip.dont_frag,
                tos: pkt.ip.tos,
            });
            Why::IpvsTun { src, server: c.daddr, inner_src: pkt.ip.src, inner_dst: pkt.ip.dst }
        }
    };
    Xmit::Send { pkt, oif, nexthop, why }
}

const fn refuse(pkt: Packet, oif: Option<IfIndex>, reason: DropReason, why: Why, icmp: Option<IcmpRepr>) -> Xmit {
    Xmit::Drop { pkt, oif, reason, why, icmp }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipvs::{ConnKey, Proto, State};
    use crate::packet::{L4, TcpFlags, TcpRepr};
    use crate::sim::{SimDuration, SimTime};

    const CIP: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 7);
    const VIP: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 100);
    const RIP: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 11);
    const DIP: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);
    const GW: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 254);

    /// An entry CIP:40001 → VIP:80 sent to RIP:8080 by `fwd`.
    fn conn(fwd: Fwd) -> Conn {
        Conn {
            key: ConnKey { proto: 6, caddr: CIP, cport: 40001, vaddr: VIP, vport: 80 },
            proto: Proto::Tcp,
            daddr: RIP,
            dport: 8080,
            fwd,
            state: State::Established,
            svc: 0,
            dest: 0,
            expires: SimTime::ZERO,
            nooutput: fwd != Fwd::Nat,
            generation: 1,
            created: SimTime::ZERO,
            template: None,
            is_template: false,
            by_template: false,
            n_control: 0,
            timeout: SimDuration::from_secs(900),
            timer_at: SimTime::MAX,
            in_pkts: 0,
            synced_state: crate::ipvs::State::None,
        }
    }

    /// A client's TCP segment to VIP:80 with `payload` bytes: 20 (IP) + 20 (TCP) +
    /// payload on the wire.
    fn segment(ttl: u8, df: bool, payload: u16) -> Packet {
        let ip = Ipv4Repr { src: CIP, dst: VIP, protocol: IpProtocol::Tcp, ttl, ident: 9, dont_frag: df, tos: 0x10 };
        let tcp = TcpRepr {
            src_port: 40001,
            dst_port: 80,
            seq: 1,
            ack: 1,
            flags: TcpFlags::ACK,
            window: 65535,
            payload_len: payload,
        };
        Packet { tunnel: None, ip, l4: L4::Tcp(tcp) }
    }

    /// On-link route to the RIP out of interface 1, MTU 1500.
    const ON_LINK: OutRoute = OutRoute::Unicast { oif: 1, nexthop: RIP, mtu: 1500, src: DIP };

    fn no_ident() -> u16 {
        panic!("only a TUN send draws an ip.id")
    }

    #[test]
    fn nat_rewrites_destination_address_and_port_and_decrements_ttl() {
        // Spec a.3: daddr becomes the RIP, dport the server's port, source untouched;
        // a.2: TTL−1. Expected packet built by hand from the input.
        let mut want = segment(64, true, 100);
        want.ip.dst = RIP;
        want.ip.ttl = 63;
        want.l4.set_dst_port(8080);
        let got = xmit(&conn(Fwd::Nat), ON_LINK, true, segment(64, true, 100), no_ident);
        let Xmit::Send { pkt, oif: 1, nexthop: RIP, why: Why::IpvsNat { server: RIP, port: 8080, .. } } = got else {
            panic!("{got:?}")
        };
        assert_eq!(pkt, want);
    }

    #[test]
    fn dr_leaves_the_header_alone_but_the_ttl_and_routes_to_the_rip() {
        // Spec a.4: nothing changes in the IP header except TTL−1; the next hop is the RIP.
        let mut want = segment(64, true, 100);
        want.ip.ttl = 63;
        let got = xmit(&conn(Fwd::Dr), ON_LINK, true, segment(64, true, 100), no_ident);
        assert_eq!(
            got,
            Xmit::Send { pkt: want, oif: 1, nexthop: RIP, why: Why::IpvsDr { dst: VIP, server: RIP, oif: If(1) } }
        );
    }

    #[test]
    fn dr_to_an_off_link_server_goes_to_the_gateway_with_the_vip_as_destination() {
        // Spec a.4: RIP reachable only through a gateway → the frame goes to the gateway,
        // ip.dst still the VIP.
        let route = OutRoute::Unicast { oif: 1, nexthop: GW, mtu: 1500, src: DIP };
        let got = xmit(&conn(Fwd::Dr), route, true, segment(64, true, 100), no_ident);
        let Xmit::Send { pkt, nexthop: GW, why: Why::IpvsDrOffLink { server: RIP, nexthop: GW, dst: VIP }, .. } = got
        else {
            panic!("{got:?}")
        };
        assert_eq!(pkt.ip.dst, VIP);
    }

    #[test]
    fn tun_adds_an_outer_header_from_the_routing_source_to_the_rip() {
        // Spec a.5's table: source = routing's source, destination RIP, protocol 4, TTL
        // copied after the decrement (63), DF copied under pmtu_disc, TOS copied, fresh ID;
        // the inner packet untouched apart from TTL−1.
        let mut inner = segment(64, true, 100);
        inner.ip.ttl = 63;
        let outer = Ipv4Repr {
            src: DIP,
            dst: RIP,
            protocol: IpProtocol::Ipip,
            ttl: 63,
            ident: 4242,
            dont_frag: true,
            tos: 0x10,
        };
        let got = xmit(&conn(Fwd::Tun), ON_LINK, true, segment(64, true, 100), || 4242);
        let Xmit::Send { pkt, oif: 1, nexthop: RIP, why: Why::IpvsTun { src: DIP, server: RIP, .. } } = got else {
            panic!("{got:?}")
        };
        assert_eq!(pkt, Packet { tunnel: Some(outer), ..inner });
    }

    #[test]
    fn tun_without_pmtu_disc_clears_df_on_the_outer_header() {
        // Spec a.5: DF is copied only when pmtu_disc=1.
        let got = xmit(&conn(Fwd::Tun), ON_LINK, false, segment(64, true, 100), || 1);
        let Xmit::Send { pkt, .. } = got else { panic!("{got:?}") };
        assert_eq!(pkt.tunnel.map(|t| t.dont_frag), Some(false));
        assert!(pkt.ip.dont_frag, "the inner header keeps its DF");
    }

    #[test]
    fn a_local_real_server_or_no_route_is_dropped_before_anything_else() {
        // Spec a.2: the route lookup to the RIP comes first; a TTL of 1 is not looked at.
        for (route, why) in [
            (OutRoute::Local, Why::IpvsLocalServer { server: RIP }),
            (OutRoute::Unreachable, Why::IpvsNoRoute { server: RIP }),
        ] {
            let got = xmit(&conn(Fwd::Dr), route, true, segment(1, true, 100), no_ident);
            assert_eq!(
                got,
                Xmit::Drop { pkt: segment(1, true, 100), oif: None, reason: DropReason::NoRoute, why, icmp: None }
            );
        }
    }

    #[test]
    fn ttl_1_is_refused_with_time_exceeded_quoting_the_packet_as_received() {
        // Spec a.2: ICMP time exceeded at TTL ≤ 1, before the decrement.
        let p = segment(1, false, 100);
        let got = xmit(&conn(Fwd::Nat), ON_LINK, true, p, no_ident);
        assert_eq!(
            got,
            Xmit::Drop {
                pkt: p,
                oif: None,
                reason: DropReason::TtlExceeded,
                why: Why::IpvsTtlExceeded { server: RIP, src: CIP },
                icmp: Some(IcmpRepr::TimeExceeded { code: 0, quote: p.quote() }),
            }
        );
        // TTL 2 passes: it leaves with 1.
        let Xmit::Send { pkt, .. } = xmit(&conn(Fwd::Nat), ON_LINK, true, segment(2, false, 100), no_ident) else {
            panic!("TTL 2 is sent")
        };
        assert_eq!(pkt.ip.ttl, 1);
    }

    #[test]
    fn df_larger_than_the_route_mtu_is_refused_with_frag_needed() {
        // Spec a.2: DF and size > route MTU → ICMP fragmentation needed carrying that MTU.
        // 1460 bytes of payload = 1500 on the wire: fits exactly; 1461 = 1501 does not.
        let Xmit::Send { .. } = xmit(&conn(Fwd::Dr), ON_LINK, true, segment(64, true, 1460), no_ident) else {
            panic!("1500 bytes fit a 1500 MTU")
        };
        let got = xmit(&conn(Fwd::Dr), ON_LINK, true, segment(64, true, 1461), no_ident);
        let mut sent = segment(64, true, 1461);
        sent.ip.ttl = 63; // the check comes after the decrement
        assert_eq!(
            got,
            Xmit::Drop {
                pkt: sent,
                oif: Some(1),
                reason: DropReason::FragNeeded,
                why: Why::IpvsFragNeeded { size: 1501, mtu: 1500, tun: false, src: CIP },
                icmp: Some(IcmpRepr::DstUnreachable { code: unreach::FRAG_NEEDED, mtu: 1500, quote: sent.quote() }),
            }
        );
        // Without DF the same packet is sent (fragmentation is not refused).
        let Xmit::Send { .. } = xmit(&conn(Fwd::Dr), ON_LINK, true, segment(64, false, 1461), no_ident) else {
            panic!("no DF: sent")
        };
    }

    #[test]
    fn tun_leaves_20_bytes_of_the_route_mtu_for_the_outer_header() {
        // Spec a.5: usable MTU = route MTU − 20. 1440 + 40 = 1480 fits 1500 − 20; 1441
        // (1481 bytes) is refused with mtu 1480, where DR would have sent it.
        let Xmit::Send { pkt, .. } = xmit(&conn(Fwd::Tun), ON_LINK, true, segment(64, true, 1440), || 1) else {
            panic!("1480 bytes fit under TUN")
        };
        assert_eq!(pkt.ip_total_len(), 1500, "outer header included, the frame fills the MTU");
        let got = xmit(&conn(Fwd::Tun), ON_LINK, true, segment(64, true, 1441), no_ident);
        let Xmit::Drop { oif: Some(1), reason: DropReason::FragNeeded, why, icmp, .. } = got else { panic!("{got:?}") };
        assert_eq!(why, Why::IpvsFragNeeded { size: 1481, mtu: 1480, tun: true, src: CIP });
        assert!(matches!(icmp, Some(IcmpRepr::DstUnreachable { code: unreach::FRAG_NEEDED, mtu: 1480, .. })));
        let Xmit::Send { .. } = xmit(&conn(Fwd::Dr), ON_LINK, true, segment(64, true, 1441), no_ident) else {
            panic!("DR has the whole 1500")
        };
    }
}
