//! LVS-DR end to end, from the embedded `dr` scenario.
use crate::common::{field, ip, run};
use lvsim::packet::Value;
use lvsim::trace::Stage;

#[test]
fn real_server_gets_its_own_mac_and_the_vip() {
    // DR rewrites only the Ethernet header (via the neighbour layer): the frame at each
    // real server has eth.dst = that server's MAC while ip.dst is still the VIP.
    let r = run("dr");
    let mut seen = 0;
    for rs in ["rs1", "rs2"] {
        let mac = r.host(rs).ifaces[1].mac;
        for s in r.frames(rs, Stage::Rx).filter(|s| field(s, "tcp.dstport").is_some()) {
            assert_eq!(field(s, "eth.dst"), Some(Value::Mac(mac)));
            assert_eq!(field(s, "ip.dst"), Some(ip("10.0.0.100")));
            assert_eq!(field(s, "ip.src"), Some(ip("203.0.113.10")));
            seen += 1;
        }
    }
    assert!(seen >= 8, "both real servers got requests ({seen})");
}

#[test]
fn replies_bypass_the_director() {
    // The director must never receive a frame with source VIP (a reply): replies go
    // real server → router → client. The client still gets every response.
    let r = run("dr");
    let at_director = r.frames("director", Stage::Rx).filter(|s| field(s, "ip.src") == Some(ip("10.0.0.100"))).count();
    assert_eq!(at_director, 0, "a reply reached the director");
    let replies = r.frames("client1", Stage::Rx).filter(|s| field(s, "ip.src") == Some(ip("10.0.0.100"))).count();
    assert!(replies >= 12, "the client received the replies ({replies})");
    let c = &r.engine.metrics.clients[0];
    assert_eq!((c.started, c.completed), (4, 4));
}

#[test]
fn router_resolves_the_vip_to_the_director() {
    // With arp_ignore=1/arp_announce=2 on the real servers, only the director answers
    // who-has VIP, so the router's neighbour entry for the VIP holds the director's MAC.
    let r = run("dr");
    let router = r.host("router");
    let e = router
        .neigh
        .entries
        .iter()
        .find(|e| e.ip == "10.0.0.100".parse::<std::net::Ipv4Addr>().unwrap())
        .expect("router knows the VIP");
    assert_eq!(e.mac, r.host("director").ifaces[1].mac);
}

#[test]
fn rr_alternates_newest_first() {
    // rr scans newest first: rs2 (added last) gets the 1st and 3rd connections.
    let r = run("dr");
    let picks: Vec<&str> = r
        .steps
        .iter()
        .filter_map(|s| match s.why {
            lvsim::why::Why::IpvsSchedule { sched: "rr", server, port: 80, .. } => {
                Some(if server == std::net::Ipv4Addr::new(10, 0, 0, 12) { "rs2" } else { "rs1" })
            }
            _ => None,
        })
        .collect();
    assert_eq!(picks, ["rs2", "rs1", "rs2", "rs1"]);
}

#[test]
fn first_gateway_arp_sender_follows_arp_announce() {
    // kernel/facts/arp-announce.out (Linux 6.1.192): a DR real server (RIP on eth0/24,
    // VIP/32 on lo, arp_ignore=1, default via 10.0.0.1) resolving its gateway for its
    // first reply (source VIP) broadcasts, with all.arp_announce =
    //   0: "Request who-has 10.0.0.1 tell 10.0.0.100"   (VIP: the queued reply's source)
    //   1: "Request who-has 10.0.0.1 tell 10.0.0.101"   (VIP: it lies in eth0's 10.0.0.0/24)
    //   2: "Request who-has 10.0.0.1 tell 10.0.0.13"    (the RIP)
    // (each case had its own VIP .100/.101/.102 and RIP .11/.12/.13). Here the `dr`
    // scenario with only arp_announce changed: the first ARP request each answering real
    // server sends for 10.0.0.1 must carry the VIP as sender under 0 and 1 and its own RIP
    // under 2, and come before the server's first TCP segment leaves. (Under 0 and 1 the
    // router then sends the VIP's traffic to rs2, the first to answer, so rs1 may get none.)
    let src = lvsim::scenario::EMBEDDED.iter().find(|(n, _)| *n == "dr").unwrap().1;
    let line = "\"sysctl -w net.ipv4.conf.all.arp_announce=2\"";
    assert!(src.contains(line));
    for (announce, want_vip) in [(0, true), (1, true), (2, false)] {
        let text = src.replace(line, &format!("\"sysctl -w net.ipv4.conf.all.arp_announce={announce}\""));
        let r = crate::common::run_text("dr-announce", &text);
        let mut answering = 0;
        for (rs, rip) in [("rs1", "10.0.0.11"), ("rs2", "10.0.0.12")] {
            let sent: Vec<&lvsim::trace::Step> = r.frames(rs, Stage::Tx).collect();
            let Some(tcp) = sent.iter().position(|s| field(s, "tcp.srcport").is_some()) else { continue };
            answering += 1;
            let arp = sent
                .iter()
                .position(|s| {
                    field(s, "arp.opcode") == Some(Value::Num(1))
                        && field(s, "arp.dst.proto_ipv4") == Some(ip("10.0.0.1"))
                })
                .unwrap_or_else(|| panic!("{rs} never asked for its gateway (arp_announce={announce})"));
            assert!(arp < tcp, "{rs}: who-has 10.0.0.1 before its first reply (arp_announce={announce})");
            let want = if want_vip { "10.0.0.100" } else { rip };
            assert_eq!(field(sent[arp], "arp.src.proto_ipv4"), Some(ip(want)), "{rs}, arp_announce={announce}");
        }
        assert!(answering >= 1, "no real server replied (arp_announce={announce})");
    }
}

/// The `dr` scenario with the real servers' `all.arp_ignore=1` replaced by
/// `default.arp_ignore=1`, written before (`before_addr`) or after `ip addr add` on eth0.
fn dr_with_default_arp_ignore(before_addr: bool) -> String {
    let mut text = lvsim::scenario::EMBEDDED.iter().find(|(n, _)| *n == "dr").unwrap().1.to_string();
    let all = "\"sysctl -w net.ipv4.conf.all.arp_ignore=1\",";
    assert_eq!(text.matches(all).count(), 2);
    text = text.replace(all, "");
    for rip in ["10.0.0.11", "10.0.0.12"] {
        let addr = format!("\"ip addr add {rip}/24 dev eth0\",");
        let dflt = "\"sysctl -w net.ipv4.conf.default.arp_ignore=1\",";
        let with = if before_addr { format!("{dflt} {addr}") } else { format!("{addr} {dflt}") };
        text = text.replace(&addr, &with);
    }
    text
}

#[test]
fn default_arp_ignore_protects_a_real_server_only_if_written_before_its_address() {
    // kernel/facts/conf-default.out (Linux 6.1.192), VIP on lo, eth0 existing:
    //   case na (default.arp_ignore=1, then ip addr add): eth0.arp_ignore=1,
    //     arping VIP from the LAN: "Received 0 response(s)"
    //   case ad (ip addr add, then default.arp_ignore=1): eth0.arp_ignore=0,
    //     "Unicast reply from 10.0.0.103 [02:00:0A:00:00:0D]"
    // In the DR scenario the router asks who-has VIP; an ARP reply for the VIP sent by a
    // real server is the symptom (it would steal the VIP from the director). Written
    // before the address, no real server may send one; written after, they answer.
    let vip_replies = |r: &crate::common::Run, rs: &str| {
        r.frames(rs, Stage::Tx)
            .filter(|s| {
                field(s, "arp.opcode") == Some(Value::Num(2))
                    && field(s, "arp.src.proto_ipv4") == Some(ip("10.0.0.100"))
            })
            .count()
    };
    let before = crate::common::run_text("dr-default-before", &dr_with_default_arp_ignore(true));
    let after = crate::common::run_text("dr-default-after", &dr_with_default_arp_ignore(false));
    for rs in ["rs1", "rs2"] {
        assert_eq!(before.host(rs).ifaces[1].conf.arp_ignore, 1, "{rs}: eth0.arp_ignore=1 (case na)");
        assert_eq!(after.host(rs).ifaces[1].conf.arp_ignore, 0, "{rs}: eth0.arp_ignore=0 (case ad)");
        assert_eq!(vip_replies(&before, rs), 0, "{rs} answered who-has VIP");
        assert!(vip_replies(&after, rs) >= 1, "{rs} did not answer who-has VIP");
    }
}

/// The `dr` scenario with FIN_WAIT shortened to 3 s (`ipvsadm --set 0 3 0`), rs1 deleted at
/// 10 s, when its entries have expired, and added again at `readd`.
fn dr_delete_and_readd(readd: &str, duration: &str) -> String {
    let src = lvsim::scenario::EMBEDDED.iter().find(|(n, _)| *n == "dr").unwrap().1;
    let first = "\"ipvsadm -A -t 10.0.0.100:80 -s rr\",";
    assert!(src.contains(first) && src.contains("duration: \"1s\","));
    src.replace(first, &format!("\"ipvsadm --set 0 3 0\", {first}"))
        .replace("duration: \"1s\",", &format!("duration: \"{duration}\","))
        .replace(
            "    apps: [",
            &format!(
                r#"    at: [
        At(time: "10s", host: "director", run: "ipvsadm -d -t 10.0.0.100:80 -r 10.0.0.11"),
        At(time: "{readd}", host: "director", run: "ipvsadm -a -t 10.0.0.100:80 -r 10.0.0.11 -g -w 1"),
    ],
    apps: ["#
            ),
        )
}

#[test]
fn a_server_re_added_from_the_trash_keeps_its_statistics_until_the_trash_timer_frees_it() {
    // kernel/facts/trash-readd.out (Linux 6.1.192), case B: tcpfin 3 s, two closed
    // connections to rs1, entries gone, then `-d` and `-a` rs1:
    //   ### B after re-add rs1: ipvsadm -Ln --stats ...
    //   -> 10.0.0.11:80                        2       13        0      838        0
    // Here rs1 also served 2 of the 4 connections (rr), so a re-add 1 s after the delete
    // must show Conns 2 (and the same packet counts as before the delete). The trash timer
    // (ip_vs_ctl.c: armed +60 s by the delete, then every 60 s; frees a server 120 s
    // after a run first found it unreferenced) runs at 70 s (idle), 130 s, 190 s (freed):
    // a re-add at 200 s finds nothing and starts from zero.
    let early = crate::common::run_text("dr-trash-early", &dr_delete_and_readd("11s", "12s"));
    let late = crate::common::run_text("dr-trash-late", &dr_delete_and_readd("200s", "201s"));
    for (r, conns) in [(&early, 2), (&late, 0)] {
        let ipvs = r.host("director").ipvs.as_deref().unwrap();
        let d = ipvs.services[0].dests.iter().find(|d| d.addr.to_string() == "10.0.0.11").expect("rs1 is listed");
        assert_eq!((d.activeconns, d.inactconns, d.stats.conns), (0, 0, conns));
        assert!(ipvs.services[0].trash.is_empty());
    }
    let rs2 = |r: &crate::common::Run| {
        let ipvs = r.host("director").ipvs.as_deref().unwrap();
        ipvs.services[0].dests.iter().find(|d| d.addr.to_string() == "10.0.0.12").unwrap().stats
    };
    let rs1_early = early.host("director").ipvs.as_deref().unwrap().services[0]
        .dests
        .iter()
        .find(|d| d.addr.to_string() == "10.0.0.11")
        .unwrap()
        .stats;
    // rs1 and rs2 served the same two connections each: equal statistics prove none of rs1's
    // packets were lost by the round trip through the trash.
    assert_eq!(rs1_early, rs2(&early));
}

#[test]
fn bridge_floods_the_newest_port_first_so_the_last_host_wins_the_arp_race() {
    // A Linux bridge floods in `br->port_list` order and `br_add_if` adds each port at the
    // head (`list_add_rcu`), so the port plugged in last hears a broadcast first. In
    // dr-no-arp-fix the LAN ports are router, rs1, director, rs2: the who-has VIP reaches
    // rs2 first, then the director, then rs1, and they answer in that order. The router keeps
    // the first reply (locktime), so it holds rs2's MAC. The kernel lab
    // (tests/kernel/dr-no-arp-fix.kernel.txt, lan) shows exactly this:
    //   02:00:00:00:04:02 > 02:00:00:00:01:03, ARP, Reply 10.0.0.100 is-at 02:00:00:00:04:02
    //   02:00:00:00:03:02 > 02:00:00:00:01:03, ARP, Reply 10.0.0.100 is-at 02:00:00:00:03:02
    //   02:00:00:00:02:02 > 02:00:00:00:01:03, ARP, Reply 10.0.0.100 is-at 02:00:00:00:02:02
    //   02:00:00:00:01:03 > 02:00:00:00:04:02, IPv4, 203.0.113.10.51660 > 10.0.0.100.80: Flags [S]
    let r = run("dr-no-arp-fix");
    let replies: Vec<Value> = r
        .frames("router", Stage::Rx)
        .filter(|s| {
            field(s, "arp.opcode") == Some(Value::Num(2)) && field(s, "arp.src.proto_ipv4") == Some(ip("10.0.0.100"))
        })
        .filter_map(|s| field(s, "arp.src.hw_mac"))
        .collect();
    let mac = |h: &str| Value::Mac(r.host(h).ifaces[1].mac);
    assert_eq!(replies, vec![mac("rs2"), mac("director"), mac("rs1")]);
    let vip = "10.0.0.100".parse::<std::net::Ipv4Addr>().unwrap();
    let e = r.host("router").neigh.entries.iter().find(|e| e.ip == vip).expect("router knows the VIP");
    assert_eq!(Value::Mac(e.mac), mac("rs2"));
    let syn_to = r
        .frames("router", Stage::Tx)
        .find(|s| field(s, "tcp.flags") == Some(Value::Hex16(0x0002)) && field(s, "ip.dst") == Some(ip("10.0.0.100")))
        .and_then(|s| field(s, "eth.dst"));
    assert_eq!(syn_to, Some(mac("rs2")));
}

#[test]
fn time_exceeded_for_a_syn_aborts_the_connect_at_once() {
    // tcp_v4_err: an ICMP time exceeded (EHOSTUNREACH) for a socket in SYN_SENT sets sk_err
    // and calls tcp_done, so the client gives up without retransmitting its SYN. In
    // dr-other-segment the director and the router bounce the SYN until its TTL runs out; the
    // kernel lab (tests/kernel/dr-other-segment.kernel.txt, wan) shows one SYN and one error per
    // connection, then the next connection:
    //   203.0.113.10.51660 > 10.0.0.100.80: Flags [S], seq 1894596483
    //   10.0.0.100 > 203.0.113.10: ICMP time exceeded in-transit, length 68
    //   203.0.113.10.51661 > 10.0.0.100.80: Flags [S], seq 1472333768
    let r = run("dr-other-segment");
    let c = &r.engine.metrics.clients[0];
    assert_eq!(
        (c.started, c.unreachable, c.timed_out, c.completed),
        (4, 4, 0, 0),
        "each connect failed once, as unreachable"
    );
    let syns = r.frames("client1", Stage::Tx).filter(|s| field(s, "tcp.flags") == Some(Value::Hex16(0x0002))).count();
    assert_eq!(syns, 4, "one SYN per connection, no retransmission");
    let errors = r.frames("client1", Stage::Rx).filter(|s| field(s, "icmp.type") == Some(Value::Num(11))).count();
    assert_eq!(errors, 4, "one time exceeded per connection");
}
