//! The ARP matrix: `arp_ignore` 0–8 × `arp_announce` 0–2 × the VIP on `lo` or on `eth0`
//! of a real server, each case a small scenario run on lvsim and on the kernel.
//!
//! ```text
//!   router 10.0.0.1 ──┐
//!   rs1 10.0.0.11 ────┼── lan      rs1 also holds the VIP 10.0.0.100/32 (on lo or eth0)
//!   peer 10.0.0.50 ───┘            and the sysctls of the case (all.* and eth0.*)
//! ```
//!
//! * t = 0: the router connects to VIP:80: who answers `who-has 10.0.0.100 tell
//!   10.0.0.1`, and what the router caches;
//! * t = 200 ms: the router connects to RIP:80: who answers `who-has 10.0.0.11`;
//! * t = 400 ms: peer, holding a permanent neighbour entry VIP → rs1's MAC, connects to
//!   VIP:80; rs1's SYN-ACK (source VIP) needs peer's MAC, so rs1 sends its own request:
//!   which sender IP it uses (`arp_announce`), and what peer caches from it.

/// `(name, RON source)` for every case, in matrix order.
pub fn cases() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for on in ["lo", "eth0"] {
        for ignore in 0..=8u8 {
            for announce in 0..=2u8 {
                let name = format!("arp-i{ignore}-a{announce}-{on}");
                out.push((name, case(ignore, announce, on)));
            }
        }
    }
    out
}

/// rs1's MAC: host 1, its first Ethernet interface (`topology::default_mac(1, 1)`).
const RS1_MAC: &str = "02:00:00:00:01:02";

fn case(ignore: u8, announce: u8, on: &str) -> String {
    format!(
        r#"Scenario(
    about: "ARP matrix: arp_ignore={ignore} arp_announce={announce}, VIP on {on}",
    duration: "1s",
    segments: [Segment(name: "lan")],
    hosts: [
        Host(name: "router", ifaces: {{"eth0": "lan"}}, run: ["ip addr add 10.0.0.1/24 dev eth0"]),
        Host(name: "rs1", ifaces: {{"eth0": "lan"}}, run: [
            "ip addr add 10.0.0.11/24 dev eth0",
            "ip addr add 10.0.0.100/32 dev {on}",
            "sysctl -w net.ipv4.conf.all.arp_ignore={ignore}",
            "sysctl -w net.ipv4.conf.eth0.arp_ignore={ignore}",
            "sysctl -w net.ipv4.conf.all.arp_announce={announce}",
            "sysctl -w net.ipv4.conf.eth0.arp_announce={announce}",
        ]),
        Host(name: "peer", ifaces: {{"eth0": "lan"}}, run: [
            "ip addr add 10.0.0.50/24 dev eth0",
            "ip neigh add 10.0.0.100 lladdr {RS1_MAC} dev eth0 nud permanent",
        ]),
    ],
    apps: [
        Server(host: "rs1", proto: tcp, port: 80, response: 1000),
        Client(host: "router", proto: tcp, to: "10.0.0.100:80", count: 1),
        Client(host: "router", proto: tcp, to: "10.0.0.11:80", count: 1, start: "200ms"),
        Client(host: "peer", proto: tcp, to: "10.0.0.100:80", count: 1, start: "400ms"),
    ],
)
"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_case_is_a_valid_scenario_and_the_mac_is_rs1s() {
        // 2 placements × 9 arp_ignore × 3 arp_announce; each builds, and the permanent
        // entry names rs1's eth0 MAC as lvsim assigns it (else peer's traffic would go
        // nowhere and the case would test nothing).
        let cs = cases();
        assert_eq!(cs.len(), 54);
        for (name, src) in &cs {
            let l = crate::scenario::parse(name, src).unwrap();
            let e = l.build().unwrap();
            assert_eq!(e.hosts[1].ifaces.iter().find(|i| i.name == "eth0").unwrap().mac.to_string(), RS1_MAC);
        }
    }
}
