//! LVS-NAT end to end, from the embedded `nat` scenario.
use crate::common::{field, ip, run};
use lvsim::packet::Value;
use lvsim::trace::Stage;

#[test]
fn request_reaches_real_server_with_rip_and_mapped_port() {
    // The director DNATs at INPUT: what rs1/rs2 receive must carry their own RIP and the
    // real-server port 8080, not the VIP and 80 the client used.
    let r = run("nat");
    let mut seen = 0;
    for (rs, rip) in [("rs1", "192.168.10.11"), ("rs2", "192.168.10.12")] {
        for s in r.frames(rs, Stage::Rx).filter(|s| field(s, "tcp.dstport").is_some()) {
            assert_eq!(field(s, "ip.dst"), Some(ip(rip)), "{rs} got a frame not addressed to its RIP");
            assert_eq!(field(s, "tcp.dstport"), Some(Value::Num(8080)));
            assert_eq!(field(s, "ip.src"), Some(ip("203.0.113.10")), "NAT keeps the client address");
            seen += 1;
        }
    }
    assert!(seen >= 8, "both real servers got requests ({seen} frames)");
}

#[test]
fn replies_leave_the_director_from_the_vip_and_the_client_sees_only_the_vip() {
    // Replies are un-NATed at FORWARD: every TCP frame the director sends towards the
    // client has source VIP:80, and nothing the client receives shows a RIP.
    let r = run("nat");
    let to_client: Vec<_> =
        r.frames("director", Stage::Tx).filter(|s| field(s, "ip.dst") == Some(ip("203.0.113.10"))).collect();
    assert!(!to_client.is_empty(), "replies pass the director in NAT");
    for s in &to_client {
        assert_eq!(field(s, "ip.src"), Some(ip("10.0.0.100")));
        assert_eq!(field(s, "tcp.srcport"), Some(Value::Num(80)));
    }
    for s in r.frames("client1", Stage::Rx).filter(|s| field(s, "tcp.srcport").is_some()) {
        assert_eq!(field(s, "ip.src"), Some(ip("10.0.0.100")), "the client must only ever see the VIP");
    }
    let c = &r.engine.metrics.clients[0];
    assert_eq!((c.started, c.completed), (4, 4), "all four connections complete");
}

#[test]
fn wlc_spreads_and_listing_shows_masq() {
    // After the run the director's table lists both real servers as Masq; wlc with
    // idle servers alternates, so each served two connections.
    let r = run("nat");
    let v = r.host("director").ipvs.as_ref().unwrap();
    let listing = lvsim::ipvs::listing::list_services(v);
    assert!(listing.contains("  -> 192.168.10.11:8080           Masq    1      "), "{listing}");
    let conns: Vec<u64> = v.services[0].dests.iter().map(|d| d.stats.conns).collect();
    assert_eq!(conns, [2, 2]);
}
