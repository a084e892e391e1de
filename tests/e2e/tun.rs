//! LVS-TUN end to end, from the embedded `tun` scenario.
use crate::common::{field, ip, run};
use lvsim::packet::Value;
use lvsim::trace::Stage;

#[test]
fn real_server_receives_ipip_with_the_vip_inside() {
    // TUN adds an outer header (protocol 4) to the RIP around the untouched packet to
    // the VIP: that is exactly what the real server must see on its wire.
    let r = run("tun");
    let mut seen = 0;
    for (rs, rip) in [("rs1", "172.16.0.11"), ("rs2", "172.16.0.12")] {
        for s in r.frames(rs, Stage::Rx).filter(|s| field(s, "inner.ip.dst").is_some()) {
            assert_eq!(field(s, "ip.proto"), Some(Value::Num(4)));
            assert_eq!(field(s, "ip.dst"), Some(ip(rip)));
            assert_eq!(field(s, "ip.src"), Some(ip("10.0.0.2")), "outer source = the director's DIP");
            assert_eq!(field(s, "inner.ip.dst"), Some(ip("10.0.0.100")));
            assert_eq!(field(s, "inner.ip.src"), Some(ip("203.0.113.10")));
            seen += 1;
        }
    }
    assert!(seen >= 8, "both real servers got tunnelled requests ({seen})");
}

#[test]
fn replies_come_directly_from_the_vip() {
    // The real server answers from the VIP without a tunnel, and the director sees none
    // of the replies.
    let r = run("tun");
    for rs in ["rs1", "rs2"] {
        for s in r.frames(rs, Stage::Tx).filter(|s| field(s, "tcp.srcport").is_some()) {
            assert_eq!(field(s, "ip.src"), Some(ip("10.0.0.100")));
            assert_eq!(field(s, "ip.proto"), Some(Value::Num(6)), "replies are plain TCP");
        }
    }
    assert_eq!(r.frames("director", Stage::Rx).filter(|s| field(s, "ip.src") == Some(ip("10.0.0.100"))).count(), 0);
    let c = &r.engine.metrics.clients[0];
    assert_eq!((c.started, c.completed), (4, 4));
}
