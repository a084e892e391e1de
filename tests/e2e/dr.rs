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
        .filter(|s| s.reason.contains("rr picked"))
        .map(|s| if s.reason.contains("10.0.0.12:80") { "rs2" } else { "rs1" })
        .collect();
    assert_eq!(picks, ["rs2", "rs1", "rs2", "rs1"]);
}
