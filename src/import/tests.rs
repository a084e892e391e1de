//! Imports that must build, pass `lvsim check` without a warning about the network, and
//! pass `lvsim verify` (every client connection completes), and inputs that must fail at
//! a precise place.

use super::{Kind, import};
use crate::lang::Lang;
use crate::scenario;

/// Imports `text`, then loads the scenario as `lvsim check` and `lvsim verify` do: it must
/// build, have no network warning (keepalived's "no checker" is about the input and is
/// allowed) and meet every expectation. Returns the scenario text for further checks.
fn round(kind: Kind, text: &str) -> String {
    let out = import(kind, "in.conf", text, Lang::En).unwrap_or_else(|e| panic!("{}", e.render()));
    let l = scenario::parse("imported.ron", &out).unwrap_or_else(|e| panic!("{}\n{out}", e.render()));
    let e = l.build().unwrap_or_else(|e| panic!("{}\n{out}", e.render()));
    let ws = crate::engine::check::warnings(&e.net, &e.hosts);
    assert!(ws.is_empty(), "warnings {:?}\n{out}", ws.len());
    let checks = scenario::expect::verify(&l).unwrap_or_else(|e| panic!("{}", e.render()));
    assert!(!checks.is_empty(), "{out}");
    for c in &checks {
        assert!(c.ok, "{c}\n{out}");
    }
    out
}

/// How many `Completed(` expectations (one per client, i.e. per service with a live real
/// server) the scenario carries.
fn clients(out: &str) -> usize {
    out.matches("Completed(").count()
}

const TWO_DR: &str = "
global_defs {
    router_id LVS_A
}
virtual_server 10.0.0.100 80 {
    delay_loop 6
    lb_algo wrr
    lb_kind DR
    persistence_timeout 50
    protocol TCP
    real_server 10.0.0.11 80 {
        weight 3
        TCP_CHECK {
            connect_timeout 3
        }
    }
    real_server 10.0.0.12 80 {
        weight 1
        HTTP_GET {
            url {
                path /health
                status_code 200
            }
        }
    }
}
virtual_server 10.0.0.100 443 {
    lb_algo rr
    lb_kind DR
    real_server 10.0.0.11 443 {
        TCP_CHECK { }
    }
    real_server 10.0.0.12 443 {
        TCP_CHECK { }
    }
}
";

// Two virtual servers on one VIP sharing two DR real servers: one segment (10.0.0.0/24),
// router .1 and director .2 (both free in the input), two clients, each server with a
// listener on 80 and 443, the VIP on lo. Verify runs all 8 connections to completion.
#[test]
fn keepalived_two_virtual_servers_dr() {
    let out = round(Kind::Keepalived, TWO_DR);
    assert_eq!(clients(&out), 2);
    for s in [
        "\"ip addr add 10.0.0.1/24 dev eth1\"",
        "\"ip addr add 10.0.0.2/24 dev eth0\"",
        "\"ip addr add 10.0.0.100/32 dev eth0\"",
        "\"ip addr add 10.0.0.100/32 dev lo\"",
        "Server(host: \"rs2\", proto: tcp, port: 443)",
        "to: \"10.0.0.100:443\"",
        "keepalived: Text(",
    ] {
        assert!(out.contains(s), "{s} missing in\n{out}");
    }
    // The VIP is in the servers' /24: the router finds it by ARP, no host route.
    assert!(!out.contains("ip route add 10.0.0.100/32"), "{out}");
}

// NAT with the VIP on another network and servers on port 8080: the real servers' gateway
// is the director (192.168.10.2: .1 is taken by the router), the router routes the VIP
// through it, and the Servers listen on 8080 (NAT keeps the real server's port).
#[test]
fn keepalived_nat() {
    let conf = "virtual_server 172.16.5.100 80 {
  lb_algo rr
  lb_kind NAT
  real_server 192.168.10.11 8080 {
    TCP_CHECK { connect_timeout 2 }
  }
  real_server 192.168.10.12 8080 {
    TCP_CHECK { connect_timeout 2 }
  }
}
";
    let out = round(Kind::Keepalived, conf);
    for s in [
        "\"ip route add 172.16.5.100/32 via 192.168.10.2\"",
        "\"ip route add default via 192.168.10.2\"",
        "\"sysctl -w net.ipv4.ip_forward=1\"",
        "Server(host: \"rs1\", proto: tcp, port: 8080)",
    ] {
        assert!(out.contains(s), "{s} missing in\n{out}");
    }
}

// TUN with real servers in two /24s: two lan segments, the director and the router on both;
// each server has the VIP on tunl0.
#[test]
fn keepalived_tun_two_subnets() {
    let conf = "virtual_server 10.1.0.100 80 {
    lb_algo rr
    lb_kind TUN
    real_server 10.2.0.11 80 { TCP_CHECK { } }
    real_server 10.3.0.11 80 { TCP_CHECK { } }
}
";
    let out = round(Kind::Keepalived, conf);
    assert!(out.contains("Segment(name: \"lan2\")"), "{out}");
    assert_eq!(out.matches("\"ip addr add 10.1.0.100/32 dev tunl0\"").count(), 2, "{out}");
}

// A fwmark virtual server with a VRRP instance: the VRRP address is the VIP (keepalived adds
// it on eth1, the interface the instance names, so the director's interface is called eth1),
// marked for port 80 by iptables; the client starts after the takeover (4 × advert_int + 1 s).
#[test]
fn keepalived_fwmark_with_vrrp() {
    let conf = "vrrp_instance VI_1 {
    state MASTER
    interface eth1
    virtual_router_id 51
    priority 150
    advert_int 1
    virtual_ipaddress {
        10.0.0.100/32
    }
}
virtual_server fwmark 7 {
    lb_algo rr
    lb_kind DR
    persistence_timeout 360
    real_server 10.0.0.11 80 { TCP_CHECK { connect_timeout 1 } }
    real_server 10.0.0.12 80 { TCP_CHECK { connect_timeout 1 } }
}
";
    let out = round(Kind::Keepalived, conf);
    for s in ["\"director\", ifaces: {\"eth1\": \"lan\"}", "--dport 80 -j MARK --set-mark 7", "start: \"5000ms\""] {
        assert!(out.contains(s), "{s} missing in\n{out}");
    }
    // keepalived adds the VIP itself: no `ip addr add` of it on the director.
    assert!(!out.contains("10.0.0.100/32 dev eth1"), "{out}");
}

// A fwmark service without any VRRP address: the VIP is invented (.100 of the servers'
// /24) and said so in the comments.
#[test]
fn keepalived_fwmark_invented_vip() {
    let conf = "virtual_server fwmark 1 {
    lb_kind DR
    real_server 10.9.0.11 443 { TCP_CHECK { } }
}
";
    let out = round(Kind::Keepalived, conf);
    assert!(out.contains("// - VIP 10.9.0.100 (invented"), "{out}");
}

/// The `-S -n` listing of an embedded scenario's director at the end of its run.
fn save_of(name: &str) -> String {
    let l = scenario::load(name).unwrap();
    let mut e = l.build().unwrap();
    e.run();
    let h = e.hosts.iter().find_map(|h| h.ipvs.as_deref()).unwrap();
    crate::ipvs::listing::list(h, e.now(), &["-S".into(), "-n".into()]).unwrap()
}

// Round trip: the rules an embedded scenario ends with, imported, then listed again from
// the imported scenario, give the same lines (DR, NAT with port 8080, TUN with
// --tun-type, a fwmark service with -p 360).
#[test]
fn ipvsadm_save_round_trip() {
    for name in ["dr", "nat", "tun", "fwmark-http-https"] {
        let rules = save_of(name);
        let out = round(Kind::IpvsadmSave, &rules);
        let dir = std::env::temp_dir().join(format!("lvsim-import-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("s.ron");
        std::fs::write(&path, &out).unwrap();
        let again = save_of(path.to_str().unwrap());
        assert_eq!(again, rules, "{name}\n{out}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// The `file:line:col` an import error starts with.
fn place(kind: Kind, text: &str) -> String {
    let e = import(kind, "ka.conf", text, Lang::En).expect_err("must fail").to_string();
    e.split(": ").next().unwrap().to_string()
}

// Errors point at the offending word: a misspelt keyword (line 3, col 5), a real server
// that is NAT in one service and DR in another (its second real_server line), a bad
// ipvsadm option (`-q`: 2 + 1 + 2 + 1 + 13 + 1 + 2 + 1 + 12 + 1 = 36 characters before it,
// so column 37 of the file, not of the `ipvsadm `-prefixed command lvsim parses), a -a for a
// service never added (its line), a file with no rule (the end), a keepalived.conf with no
// virtual_server (the end, line 4 after three lines).
#[test]
fn errors_are_located() {
    assert_eq!(
        place(Kind::Keepalived, "virtual_server 10.0.0.100 80 {\n    lb_kind DR\n    lb_algoo rr\n}\n"),
        "ka.conf:3:5"
    );
    let mixed = "virtual_server 10.0.0.100 80 {\n lb_kind NAT\n real_server 10.0.0.11 80 { }\n}\n\
                 virtual_server 10.0.0.100 81 {\n lb_kind DR\n real_server 10.0.0.11 81 { }\n}\n";
    assert_eq!(place(Kind::Keepalived, mixed), "ka.conf:7:2");
    assert_eq!(
        place(Kind::IpvsadmSave, "-A -t 10.0.0.100:80 -s rr\n-a -t 10.0.0.100:80 -r 10.0.0.11:80 -q\n"),
        "ka.conf:2:37"
    );
    assert_eq!(
        place(Kind::IpvsadmSave, "-A -t 10.0.0.100:80 -s rr\n-a -t 10.0.0.100:81 -r 10.0.0.11:80 -g\n"),
        "ka.conf:2:1"
    );
    assert_eq!(place(Kind::IpvsadmSave, "# nothing\n"), "ka.conf:2:1");
    assert_eq!(place(Kind::Keepalived, "global_defs {\n router_id X\n}\n"), "ka.conf:4:1");
}

// Whatever the bytes, import returns (a scenario or an error) and never panics.
#[test]
fn never_panics_on_garbage() {
    for t in [
        "",
        "{",
        "}",
        "virtual_server",
        "-A",
        "-a -f",
        "\u{0}\u{ff}",
        "virtual_server 1.2.3.4 80 {\n real_server 1.2.3.0 80 { }\n}",
    ] {
        let _ = import(Kind::Keepalived, "x", t, Lang::En);
        let _ = import(Kind::IpvsadmSave, "x", t, Lang::Zh);
    }
}

/// The `-S -n` listing of the first director of scenario `text` at 500 ms: keepalived
/// installs its virtual servers at 0 s and no check has changed them yet (the first runs
/// at 1 s).
fn rules_at_500ms(origin: &str, text: &str) -> String {
    let l = scenario::parse(origin, text).unwrap_or_else(|e| panic!("{}", e.render()));
    let mut e = l.build().unwrap();
    e.run_until(crate::sim::SimTime::ZERO + crate::sim::SimDuration::from_millis(500));
    let h = e.hosts.iter().find_map(|h| h.ipvs.as_deref().filter(|v| !v.services.is_empty())).unwrap();
    crate::ipvs::listing::list(h, e.now(), &["-S".into(), "-n".into()]).unwrap()
}

// The keepalived.conf of every embedded keepalived scenario (the first director's, for the
// failover pair: VRRP, a sync daemon elsewhere), imported on its own: the imported
// scenario works (round) and its director holds the same IPVS rules at 500 ms as the
// embedded one's, so the import kept every service, real server, weight and method.
#[test]
fn keepalived_of_the_embedded_scenarios_round_trips() {
    for (name, _) in scenario::EMBEDDED {
        let l = scenario::load(name).unwrap();
        let Some(scenario::KeepalivedSpec::Text(conf)) = l.scenario.hosts.iter().find_map(|h| h.keepalived.clone())
        else {
            continue;
        };
        let out = round(Kind::Keepalived, &conf);
        assert_eq!(rules_at_500ms("imported.ron", &out), rules_at_500ms(&l.origin, &l.source), "{name}\n{out}");
    }
}

/// keepalived's own sample configuration (keepalived.conf.sample, trimmed to one virtual
/// server): notification e-mail, SMTP, a VRRP instance with authentication and two
/// addresses, a NAT virtual server with persistence and an SSL_GET checker.
const SAMPLE: &str = "! Configuration File for keepalived

global_defs {
   notification_email {
     acassen@firewall.loc
   }
   notification_email_from Alexandre.Cassen@firewall.loc
   smtp_server 192.168.200.1
   smtp_connect_timeout 30
   router_id LVS_DEVEL
}

vrrp_instance VI_1 {
    state MASTER
    interface eth0
    virtual_router_id 51
    priority 100
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass 1111
    }
    virtual_ipaddress {
        192.168.200.16
        192.168.200.17
    }
}

virtual_server 192.168.200.16 443 {
    delay_loop 6
    lb_algo rr
    lb_kind NAT
    persistence_timeout 50
    protocol TCP

    real_server 192.168.201.100 443 {
        weight 1
        SSL_GET {
            url {
              path /
              digest ff20ad2481f97b1754ef3e12ecd3a9cc
            }
            connect_timeout 3
        }
    }
}
";

// The sample as pasted fails where keepalived's checker is one lvsim does not model
// (SSL_GET, line 38 column 9: eight spaces of indentation); with HTTP_GET instead it
// imports and runs: the VRRP address is the VIP, the real server's gateway the director.
#[test]
fn keepalived_sample_conf() {
    assert_eq!(place(Kind::Keepalived, SAMPLE), "ka.conf:38:9");
    let out = round(Kind::Keepalived, &SAMPLE.replace("SSL_GET", "HTTP_GET"));
    assert!(out.contains("\"ip route add 192.168.200.16/32 via 192.168.201.2\""), "{out}");
    assert!(out.contains("\"ip route add default via 192.168.201.2\""), "{out}");
}

/// The text of `page` between the line `from` and the next line starting with `to`.
fn between<'a>(page: &'a str, from: &str, to: &str) -> &'a str {
    let a = page.find(from).unwrap_or_else(|| panic!("{from:?} not found")) + from.len();
    let b = a + page[a..].find(to).unwrap_or_else(|| panic!("{to:?} not found"));
    &page[a..b]
}

// docs/import.md and its Chinese twin show real output: the scenario each shows for its
// keepalived.conf is what `import` writes for that text (in the page's language), and the
// first ten lines shown for its rules.txt are the first ten `import` writes.
#[test]
fn the_import_pages_show_real_output() {
    for (page, lang) in [("docs/import.md", Lang::En), ("docs/import.zh.md", Lang::Zh)] {
        let text = std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(page)).unwrap();
        let conf = between(&text, "$ cat keepalived.conf\n", "$ lvsim import keepalived");
        let shown = between(&text, "$ cat imported.ron\n", "$ lvsim verify");
        assert_eq!(import(Kind::Keepalived, "keepalived.conf", conf, lang).unwrap(), shown, "{page}");
        let rules = between(&text, "$ cat rules.txt\n", "$ lvsim import ipvsadm-save");
        let shown = between(&text, "| head -10\n", "```");
        let out = import(Kind::IpvsadmSave, "rules.txt", rules, lang).unwrap();
        let head: String = out.split_inclusive('\n').take(10).collect();
        assert_eq!(head, shown, "{page}");
    }
}

// A UDP service whose real servers keepalived checks over TCP (port 53 too), behind VRRP:
// the clients start at 5 s, after the checks at 1 s and later, so the servers must still be
// in IPVS then. They are because each real server also listens on TCP 53, the checker's
// port; without that listener the first check fails and every connection would too.
#[test]
fn keepalived_udp_with_tcp_checks_keeps_its_servers() {
    let conf = "vrrp_instance V {
    interface eth0
    virtual_router_id 7
    virtual_ipaddress {
        10.0.0.53
    }
}
virtual_server 10.0.0.53 53 {
    delay_loop 1
    lb_kind DR
    protocol UDP
    real_server 10.0.0.11 53 { TCP_CHECK { connect_timeout 1 } }
    real_server 10.0.0.12 53 { TCP_CHECK { connect_timeout 1 } }
}
";
    let out = round(Kind::Keepalived, conf);
    for s in ["Server(host: \"rs1\", proto: udp, port: 53)", "Server(host: \"rs1\", proto: tcp, port: 53)"] {
        assert!(out.contains(s), "{s} missing in\n{out}");
    }
}

// An interface name the director cannot have (an alias, eth0:1) fails at the vrrp_instance
// that names it (line 1, column 1), not later inside the generated scenario.
#[test]
fn keepalived_alias_interface_is_refused_at_its_instance() {
    let conf = "vrrp_instance V {\n interface eth0:1\n virtual_router_id 7\n}\nvirtual_server 10.0.0.100 80 {\n lb_kind DR\n real_server 10.0.0.11 80 { }\n}\n";
    assert_eq!(place(Kind::Keepalived, conf), "ka.conf:1:1");
}

// Three virtual servers, one per forwarding method, on three /24s (DR on 10.0.0.0/24 with
// the VIP, NAT on 192.168.1.0/24 with HTTP_GET, TUN over UDP on 172.16.0.0/24 with a
// MISC_CHECK): three lan segments, the director on each (.2), the TUN VIP routed to the
// director's first address since it lies in no lan, and all 12 connections complete.
#[test]
fn keepalived_three_modes_on_three_subnets() {
    let conf = "virtual_server 10.0.0.100 80 {
    lb_algo rr
    lb_kind DR
    real_server 10.0.0.11 80 { TCP_CHECK { } }
}
virtual_server 10.0.0.100 8080 {
    lb_kind NAT
    real_server 192.168.1.21 80 { HTTP_GET { url { path / } } }
    real_server 192.168.1.22 80 { HTTP_GET { url { path / } } }
}
virtual_server 198.51.100.7 53 {
    protocol UDP
    lb_kind TUN
    real_server 172.16.0.5 53 { MISC_CHECK { misc_path /bin/true } }
}
";
    let out = round(Kind::Keepalived, conf);
    assert_eq!(clients(&out), 3);
    for s in [
        "Segment(name: \"lan3\")",
        "\"ip addr add 192.168.1.2/24 dev eth1\"",
        "\"ip route add 198.51.100.7/32 via 10.0.0.2\"",
        "\"ip addr add 198.51.100.7/32 dev tunl0\"",
        "Server(host: \"rs2\", proto: tcp, port: 80)",
        "Client(host: \"client3\", proto: udp, to: \"198.51.100.7:53\"",
    ] {
        assert!(out.contains(s), "{s} missing in\n{out}");
    }
}
