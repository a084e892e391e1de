use super::sysctl::SYSCTL_EXPECTED;
use super::*;
use crate::cmdline::ipvsadm::{Fwd, Proto, SchedFlags, ServerOpts, ServiceAddr, ServiceOpts};
use crate::packet::ipv4::prefix_mask;
use proptest::prelude::*;

fn ip(s: &str) -> Ipv4Addr {
    s.parse().unwrap()
}

fn err(cmd: &str) -> CmdError {
    parse(cmd).expect_err(cmd)
}

/// The text the error's span points at.
fn at(cmd: &str) -> &str {
    let e = err(cmd);
    &cmd[e.span]
}

#[test]
fn dr_real_server_recipe() {
    // Each line of the canonical DR recipe yields exactly the typed command with the defaults
    // the real tools apply (scope global on lo, -g with weight 1, -m keeping the given port).
    let svc = ServiceAddr::new(Proto::Tcp, ip("10.0.0.100"), 80);
    let expect = [
        (
            "ip addr add 10.0.0.100/32 dev lo",
            Command::AddrAdd { addr: ip("10.0.0.100"), prefix: 32, dev: "lo".into(), scope: Scope::Global },
        ),
        (
            "sysctl -w net.ipv4.conf.all.arp_ignore=1",
            Command::Sysctl { key: SysctlKey::Conf { dev: ConfDev::All, name: ConfName::ArpIgnore }, value: 1 },
        ),
        (
            "sysctl -w net.ipv4.conf.all.arp_announce=2",
            Command::Sysctl { key: SysctlKey::Conf { dev: ConfDev::All, name: ConfName::ArpAnnounce }, value: 2 },
        ),
        (
            "ipvsadm -A -t 10.0.0.100:80 -s rr",
            Command::Ipvsadm(IpvsadmCmd::AddService(ServiceOpts {
                svc,
                scheduler: Sched::Rr,
                persistent: None,
                netmask: Ipv4Addr::BROADCAST,
                flags: SchedFlags::default(),
                one_packet: false,
            })),
        ),
        (
            "ipvsadm -a -t 10.0.0.100:80 -r 10.0.0.11 -g -w 1",
            Command::Ipvsadm(IpvsadmCmd::AddServer(ServerOpts {
                svc,
                addr: ip("10.0.0.11"),
                port: 80,
                fwd: Fwd::Dr,
                weight: 1,
                u_threshold: 0,
                l_threshold: 0,
            })),
        ),
        (
            "ipvsadm -a -t 10.0.0.100:80 -r 192.168.10.1:8080 -m",
            Command::Ipvsadm(IpvsadmCmd::AddServer(ServerOpts {
                svc,
                addr: ip("192.168.10.1"),
                port: 8080,
                fwd: Fwd::Nat,
                weight: 1,
                u_threshold: 0,
                l_threshold: 0,
            })),
        ),
    ];
    for (line, want) in expect {
        assert_eq!(parse(line), Ok(want), "{line}");
    }
}

#[test]
fn addr_forms_and_defaults() {
    // iproute2 abbreviations, free option order, prefix default 32 and the 127/8 host scope
    // all produce the same typed values real `ip` would configure.
    let lo = |addr: &str, prefix, scope| Command::AddrAdd { addr: ip(addr), prefix, dev: "lo".into(), scope };
    assert_eq!(parse("ip a add 10.0.0.100 dev lo"), Ok(lo("10.0.0.100", 32, Scope::Global)));
    assert_eq!(parse("ip address add dev lo 10.0.0.100/32 scope host"), Ok(lo("10.0.0.100", 32, Scope::Host)));
    assert_eq!(parse("ip addr add 127.0.0.2/8 dev lo"), Ok(lo("127.0.0.2", 8, Scope::Host)));
    assert_eq!(parse("ip addr add 10.0.0.100/255.255.255.0 dev lo"), Ok(lo("10.0.0.100", 24, Scope::Global)));
    assert_eq!(
        parse("sudo ip addr add 10.0.0.100/32 brd 10.0.0.100 dev lo label lo:0  # the VIP"),
        Ok(lo("10.0.0.100", 32, Scope::Global))
    );
    assert_eq!(
        parse("ip addr del 10.0.0.100/32 dev lo"),
        Ok(Command::AddrDel { addr: ip("10.0.0.100"), prefix: 32, dev: "lo".into() })
    );
    assert_eq!(
        parse("ip -4 a d 10.0.0.5/24 dev eth0"),
        Ok(Command::AddrDel { addr: ip("10.0.0.5"), prefix: 24, dev: "eth0".into() })
    );
}

#[test]
fn link_route_neigh_forms() {
    // One line per variant, with the defaults (metric 0, nud permanent) filled as iproute2 does.
    assert_eq!(
        parse("ip link set eth0 mtu 1400 up"),
        Ok(Command::LinkSet { dev: "eth0".into(), up: Some(true), mtu: Some(1400) })
    );
    assert_eq!(
        parse("ip l s dev tunl0 down"),
        Ok(Command::LinkSet { dev: "tunl0".into(), up: Some(false), mtu: None })
    );
    assert_eq!(
        parse("ip route add default via 10.0.0.1"),
        Ok(Command::RouteAdd {
            dst: Ipv4Addr::UNSPECIFIED,
            prefix: 0,
            via: Some(ip("10.0.0.1")),
            dev: None,
            src: None,
            mtu: None,
            metric: 0
        })
    );
    assert_eq!(
        parse(
            "ip route replace 192.168.10.0/24 via 10.0.0.2 dev eth0 src 10.0.0.11 mtu lock 1400 metric 5 proto static"
        ),
        Ok(Command::RouteAdd {
            dst: ip("192.168.10.0"),
            prefix: 24,
            via: Some(ip("10.0.0.2")),
            dev: Some("eth0".into()),
            src: Some(ip("10.0.0.11")),
            mtu: Some(1400),
            metric: 5
        })
    );
    assert_eq!(parse("ip r del 0/0"), parse("ip route del default"));
    assert_eq!(parse("ip r del default"), Ok(Command::RouteDel { dst: Ipv4Addr::UNSPECIFIED, prefix: 0 }));
    assert_eq!(parse("ip route del to 10.0.0.0/8"), Ok(Command::RouteDel { dst: ip("10.0.0.0"), prefix: 8 }));
    let neigh = |dev: Option<&str>, nud| Command::NeighAdd {
        addr: ip("10.0.0.1"),
        mac: MacAddr([2, 0, 0, 0, 0, 0x11]),
        dev: dev.map(Into::into),
        nud,
    };
    assert_eq!(
        parse("ip neigh add 10.0.0.1 lladdr 02:00:00:00:00:11 dev eth0"),
        Ok(neigh(Some("eth0"), Nud::Permanent))
    );
    assert_eq!(
        parse("ip neighbour replace 10.0.0.1 lladdr 2:0:0:0:0:11 dev eth0 nud stale"),
        Ok(neigh(Some("eth0"), Nud::Stale))
    );
    assert_eq!(
        parse("ip neighbor add to 10.0.0.1 dev eth0 nud noarp ll 02:00:00:00:00:11"),
        Ok(neigh(Some("eth0"), Nud::Noarp))
    );
    assert_eq!(parse("arp -s 10.0.0.1 02:00:00:00:00:11"), Ok(neigh(None, Nud::Permanent)));
    assert_eq!(parse("arp -i eth0 -s 10.0.0.1 02:00:00:00:00:11 temp"), Ok(neigh(Some("eth0"), Nud::Stale)));
}

#[test]
fn sysctl_forms() {
    // Every spelling a real admin uses reaches the same typed key, including per-device keys,
    // slash form, VLAN names with dots, and the /proc/sys echo.
    let fwd = Ok(Command::Sysctl { key: SysctlKey::IpForward, value: 1 });
    assert_eq!(parse("sysctl -w net.ipv4.ip_forward=1"), fwd);
    assert_eq!(parse("sysctl net.ipv4.ip_forward=1"), fwd);
    assert_eq!(parse("sysctl -qw net/ipv4/ip_forward=1"), fwd);
    assert_eq!(parse("echo 1 > /proc/sys/net/ipv4/ip_forward"), fwd);
    assert_eq!(parse("echo \"1\" >/proc/sys/net/ipv4/ip_forward"), fwd);
    let conf = |dev: ConfDev, name| Ok(Command::Sysctl { key: SysctlKey::Conf { dev, name }, value: 1 });
    assert_eq!(
        parse("sysctl -w net.ipv4.conf.eth0.arp_ignore=1"),
        conf(ConfDev::Dev("eth0".into()), ConfName::ArpIgnore)
    );
    assert_eq!(parse("sysctl -w net.ipv4.conf.default.forwarding=1"), conf(ConfDev::Default, ConfName::Forwarding));
    assert_eq!(
        parse("sysctl -w net.ipv4.conf.eth0/100.rp_filter=1"),
        conf(ConfDev::Dev("eth0.100".into()), ConfName::RpFilter)
    );
    assert_eq!(
        parse("sysctl -w net/ipv4/conf/eth0.100/rp_filter=1"),
        conf(ConfDev::Dev("eth0.100".into()), ConfName::RpFilter)
    );
    assert_eq!(
        parse("echo 1 > /proc/sys/net/ipv4/conf/tunl0/rp_filter").map(|c| c.to_string()).as_deref(),
        Ok("sysctl -w net.ipv4.conf.tunl0.rp_filter=1")
    );
    assert_eq!(
        parse("sysctl -w net.ipv4.vs.conn_reuse_mode=0"),
        Ok(Command::Sysctl { key: SysctlKey::Vs(VsName::ConnReuseMode), value: 0 })
    );
    assert_eq!(
        parse("sysctl -w net.ipv4.neigh.eth0.locktime=0"),
        Ok(Command::Sysctl {
            key: SysctlKey::Neigh { dev: ConfDev::Dev("eth0".into()), name: NeighName::Locktime },
            value: 0
        })
    );
}

#[test]
fn modprobe_and_arptables_forms() {
    // modprobe treats - and _ alike; the two kb.linux-vs.org arptables recipes (also with the
    // old IN/OUT chain names and -d 0/0) give the typed rules.
    assert_eq!(parse("modprobe ipip"), Ok(Command::Modprobe { module: "ipip".into() }));
    assert_eq!(parse("modprobe -q ip-vs-wrr"), Ok(Command::Modprobe { module: "ip_vs_wrr".into() }));
    let vip = Some(ip("10.0.0.100"));
    assert_eq!(
        parse("arptables -A INPUT -d 10.0.0.100 -j DROP"),
        Ok(Command::Arptables(ArpRule {
            chain: ArpChain::Input,
            src: None,
            dst: vip,
            target: ArpTarget::Drop,
            insert: None
        }))
    );
    let mangle = ArpRule {
        chain: ArpChain::Output,
        src: vip,
        dst: None,
        target: ArpTarget::MangleIpSrc(ip("10.0.0.11")),
        insert: None,
    };
    assert_eq!(
        parse("arptables -A OUTPUT -s 10.0.0.100 -j mangle --mangle-ip-s 10.0.0.11"),
        Ok(Command::Arptables(mangle))
    );
    assert_eq!(
        parse("arptables -A OUT -d 0/0 -s 10.0.0.100/32 -j mangle --mangle-ip-s 10.0.0.11"),
        Ok(Command::Arptables(mangle))
    );
    assert_eq!(
        parse("arptables -I IN -d 10.0.0.100 -j ACCEPT"),
        Ok(Command::Arptables(ArpRule {
            chain: ArpChain::Input,
            src: None,
            dst: vip,
            target: ArpTarget::Accept,
            insert: Some(1)
        }))
    );
}

#[test]
fn iptables_forms() {
    // The MTU black-hole recipe parses; port matches need -p; REJECT is refused clearly.
    let c = parse("iptables -A FORWARD -p icmp -j DROP").unwrap();
    assert_eq!(c.to_string(), "iptables -A FORWARD -p icmp -j DROP");
    let c = parse("iptables -I INPUT 2 -p tcp -s 10.0.0.0/24 --dport 80 -j ACCEPT").unwrap();
    assert_eq!(parse(&c.to_string()).unwrap(), c);
    let e = parse("iptables -A INPUT --dport 80 -j DROP").unwrap_err();
    assert_eq!(e.expected, "-p tcp or -p udp before a port match");
    assert!(parse("iptables -A INPUT -j REJECT").unwrap_err().hint.unwrap().contains("REJECT"));
}

#[test]
fn iptables_mark_rules() {
    // libxt_MARK's mark_tg_parse: --set-mark V[/M] stores mark V, mask V|M (default M all
    // ones, so the old mark is replaced); --set-xmark V/M stores V, M; --or-mark V is V, V;
    // --and-mark V is 0, !V; --xor-mark V is V, 0. mark_tg then computes (old & !mask) ^ mark.
    let rule = |line: &str| match parse(line) {
        Ok(Command::Iptables(r)) => r,
        other => panic!("{line}: {other:?}"),
    };
    let pre = "iptables -t mangle -A PREROUTING -p tcp -m multiport --dports 80,443 -j MARK";
    let r = rule(&format!("{pre} --set-mark 1"));
    assert_eq!((r.table, r.chain), (IptTable::Mangle, IptChain::Prerouting));
    assert_eq!(r.dports.unwrap().as_slice(), [80, 443]);
    assert_eq!(r.target, IptTarget::Mark { mark: 1, mask: u32::MAX });
    assert_eq!(rule(&format!("{pre} --set-mark 0x1/0x3")).target, IptTarget::Mark { mark: 1, mask: 3 });
    assert_eq!(rule(&format!("{pre} --set-xmark 0x4/0x6")).target, IptTarget::Mark { mark: 4, mask: 6 });
    assert_eq!(rule(&format!("{pre} --or-mark 2")).target, IptTarget::Mark { mark: 2, mask: 2 });
    assert_eq!(rule(&format!("{pre} --and-mark 2")).target, IptTarget::Mark { mark: 0, mask: !2 });
    // Errors point at the offending word.
    let at = |line: &str| {
        let e = parse(line).unwrap_err();
        line[e.span].to_string()
    };
    assert_eq!(at("iptables -A PREROUTING -j MARK --set-mark 1"), "PREROUTING");
    assert_eq!(at("iptables -A INPUT -j MARK --set-mark 1"), "MARK");
    assert_eq!(at("iptables -t nat -A PREROUTING -j DNAT"), "nat");
    assert_eq!(at("iptables -t mangle -A POSTROUTING -j MARK --set-mark 1"), "POSTROUTING");
    assert_eq!(at("iptables -t mangle -A PREROUTING -p tcp --dports 80,443 -j ACCEPT"), "--dports");
    assert_eq!(at("iptables -t mangle -A PREROUTING -p tcp -m multiport --dports 80,x -j ACCEPT"), "80,x");
    assert_eq!(at("iptables -t mangle -A PREROUTING --set-mark 1 -j MARK"), "--set-mark");
    assert_eq!(at("iptables -t mangle -A PREROUTING -j MARK --set-mark 1/x"), "1/x");
    assert!(parse("iptables -t mangle -A PREROUTING -j MARK").unwrap_err().expected.contains("--set-mark"));
}

#[test]
fn display_is_canonical() {
    // Display normalises abbreviations and defaults, and prints the real command line.
    for (input, canonical) in [
        ("ip a add 10.0.0.100 dev lo", "ip addr add 10.0.0.100/32 dev lo"),
        ("ip a add 10.0.0.100/32 dev lo scope host", "ip addr add 10.0.0.100/32 dev lo scope host"),
        ("ip addr add 127.0.0.2/8 dev lo scope global", "ip addr add 127.0.0.2/8 dev lo scope global"),
        ("ip link set up mtu 9000 eth1", "ip link set dev eth1 mtu 9000 up"),
        ("ip r a 0.0.0.0/0 via 10.0.0.1 metric 0", "ip route add default via 10.0.0.1"),
        ("arp -s 10.0.0.1 02:00:00:00:00:AA", "arp -s 10.0.0.1 02:00:00:00:00:aa"),
        ("sysctl net/ipv4/conf/eth0.7/arp_ignore=8", "sysctl -w net.ipv4.conf.eth0/7.arp_ignore=8"),
        ("arptables -I OUTPUT 3 -j DROP", "arptables -I OUTPUT 3 -j DROP"),
        ("ipvsadm -A -t 10.0.0.100:80", "ipvsadm -A -t 10.0.0.100:80 -s wlc"),
    ] {
        assert_eq!(parse(input).map(|c| c.to_string()).as_deref(), Ok(canonical), "{input}");
    }
}

#[test]
fn unknown_command_word() {
    // The span is the command word and a near miss gets a did-you-mean.
    let e = err("ipvsadmin -A -t 10.0.0.100:80");
    assert_eq!((e.span, e.found.as_str()), (0..9, "\"ipvsadmin\""));
    assert_eq!(e.expected, EXPECTED_COMMAND);
    assert_eq!(e.hint.as_deref(), Some("did you mean ipvsadm?"));
    assert!(err("ifconfig eth0:0 10.0.0.100 up").hint.unwrap().contains("ip addr add"));
    assert_eq!(err("").span, 0..0);
    assert_eq!(err("  # only a comment").found, END_OF_COMMAND);
}

#[test]
fn bad_address_points_at_it() {
    // The span selects exactly the bad address, wherever it sits in the line.
    let cmd = "ip addr add 10.0.0.300/24 dev eth0";
    let e = err(cmd);
    assert_eq!(&cmd[e.span.clone()], "10.0.0.300");
    assert_eq!(e.expected, "an IPv4 address like 10.0.0.1");
    assert_eq!(e.found, "\"10.0.0.300\"");
    assert_eq!(e.hint.as_deref(), Some("each of the four numbers is between 0 and 255"));
    assert_eq!(at("ip route add default via 10.0.0.300"), "10.0.0.300");
    assert_eq!(at("ip route add 10.0.0.0/33 dev eth0"), "33");
    assert!(err("ip addr add www.example.com dev eth0").hint.unwrap().contains("numeric"));
    assert!(err("ip addr add 010.0.0.1 dev eth0").hint.unwrap().contains("leading zeros"));
    insta::assert_snapshot!(err(cmd).render(cmd), @r#"
    ip addr add 10.0.0.300/24 dev eth0
                ^^^^^^^^^^ expected an IPv4 address like 10.0.0.1, found "10.0.0.300"
    hint: each of the four numbers is between 0 and 255
    "#);
}

#[test]
fn missing_dev_points_at_the_end() {
    // A missing `dev` is reported as an empty span right after the last word.
    let cmd = "ip addr add 10.0.0.100/32  ";
    let e = err(cmd);
    assert_eq!(e.span, 25..25);
    assert_eq!(e.found, END_OF_COMMAND);
    assert_eq!(e.expected, "dev and an interface name, like `dev eth0`");
    assert!(e.hint.unwrap().contains("dev lo"));
    assert_eq!(err("ip neigh add 10.0.0.1 lladdr 02:00:00:00:00:11").span, 46..46);
    assert_eq!(at("ip addr add 10.0.0.100/32 dev eth0:0"), "eth0:0");
    assert!(err("ip addr add 10.0.0.100/32 dev eth0:0").hint.unwrap().contains("label eth0:0"));
}

#[test]
fn unknown_sysctl_suggests() {
    // The span covers only the key, and the hint names the closest key, keeping the device.
    let cmd = "sysctl -w net.ipv4.conf.all.arp_ignor=1";
    let e = err(cmd);
    assert_eq!(&cmd[e.span.clone()], "net.ipv4.conf.all.arp_ignor");
    assert_eq!(e.expected, SYSCTL_EXPECTED);
    assert_eq!(e.hint.as_deref(), Some("did you mean net.ipv4.conf.all.arp_ignore?"));
    let hint = |c: &str| err(c).hint.unwrap();
    assert_eq!(hint("sysctl -w net.ipv4.conf.eth1.arp_anounce=2"), "did you mean net.ipv4.conf.eth1.arp_announce?");
    assert_eq!(hint("sysctl -w net.ipv4.vs.conn_reuse=0"), "did you mean net.ipv4.vs.conn_reuse_mode?");
    assert!(hint("sysctl -w net.ipv4.vs.secure_tcp=1").contains("does not model"));
    assert!(hint("sysctl -w net.ipv4.neigh.all.locktime=0").contains("no net.ipv4.neigh.all"));
    assert!(hint("sysctl -w net.ipv4.tcp_fin_timeout=5").starts_with("lvsim models net.ipv4.ip_forward"));
    assert!(hint("sysctl -w net.ipv4.ip_forward = 1").contains("no spaces"));
}

#[test]
fn out_of_range_sysctl_value() {
    // The span is the value and `expected` carries the allowed range.
    let cmd = "sysctl -w net.ipv4.conf.all.arp_announce=3";
    let e = err(cmd);
    assert_eq!(&cmd[e.span.clone()], "3");
    assert_eq!(e.expected, "a value from 0 to 2 for arp_announce");
    assert!(e.hint.unwrap().contains("the DR setting"));
    assert_eq!(err("sysctl -w net.ipv4.conf.lo.arp_ignore=9").expected, "a value from 0 to 8 for arp_ignore");
    assert_eq!(err("sysctl -w net.ipv4.ip_forward=2").expected, "0 or 1 for ip_forward");
    assert_eq!(err("sysctl -w net.ipv4.vs.conn_reuse_mode=4").expected, "a value from 0 to 3 for conn_reuse_mode");
    assert_eq!(
        err("sysctl -w net.ipv4.vs.lblc_expiration=-1").expected,
        "a value from 0 to 2147483647 for lblc_expiration"
    );
    assert_eq!(at("echo 2 > /proc/sys/net/ipv4/ip_forward"), "2");
    assert_eq!(at("sysctl -w net.ipv4.ip_forward=yes"), "yes");
}

#[test]
fn other_errors_point_at_the_culprit() {
    // Each error selects the token that needs fixing, with a hint that says how.
    assert_eq!(at("ip route add 10.0.0.1/24 dev eth0"), "10.0.0.1/24");
    assert!(err("ip route add 10.0.0.1/24 dev eth0").hint.unwrap().contains("did you mean 10.0.0.0/24?"));
    assert_eq!(at("ip route add 10.0.0.0/24"), "");
    assert_eq!(at("ip addr show"), "show");
    assert!(err("ip addr show").hint.unwrap().contains("only shows state"));
    assert_eq!(at("ip rule add from 10.0.0.0/24 table 100"), "rule");
    assert_eq!(at("ip link set eth0 arp off"), "arp");
    assert_eq!(at("ip addr add $VIP/32 dev lo"), "$");
    assert_eq!(at("ip addr add 10.0.0.1/32 dev lo && echo ok"), "&");
    assert_eq!(at("ip addr add 10.0.0.1/32 dev 'lo"), "'");
    assert!(err("echo 1>/proc/sys/net/ipv4/ip_forward").hint.unwrap().contains("redirection"));
    assert_eq!(at("arptables -A INPUT --mangle-ip-s 10.0.0.11 -j mangle"), "--mangle-ip-s");
    assert_eq!(at("arptables -A input -d 10.0.0.100 -j DROP"), "input");
    assert_eq!(at("modprobe ip_vs_rrr"), "ip_vs_rrr");
    assert_eq!(err("modprobe ip_vs_rrr").hint.as_deref(), Some("did you mean ip_vs_rr?"));
    assert_eq!(at("ip neigh add 10.0.0.1 lladdr 02-00-00-00-00-11 dev eth0"), "02-00-00-00-00-11");
    assert_eq!(at("ip addr add 10.0.0.1/24 dev lo dev eth0"), "dev");
    assert_eq!(at("ip link set eth0 mtu 20"), "20");
    // A quoted token cannot be sliced into, so the span is the whole token, quotes included.
    assert_eq!(at("ip addr add '10.0.0.300' dev eth0"), "'10.0.0.300'");
}

// ── property tests ──

fn dev_name() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9_.-]{0,14}".prop_filter("all/default are sysctl words", |d| d != "all" && d != "default")
}

fn addr() -> impl Strategy<Value = Ipv4Addr> {
    any::<u32>().prop_map(Ipv4Addr::from)
}

fn sysctl_key() -> impl Strategy<Value = SysctlKey> {
    let conf_dev = prop_oneof![Just(ConfDev::All), Just(ConfDev::Default), dev_name().prop_map(ConfDev::Dev)];
    let neigh_dev = prop_oneof![Just(ConfDev::Default), dev_name().prop_map(ConfDev::Dev)];
    prop_oneof![
        Just(SysctlKey::IpForward),
        (conf_dev, prop::sample::select(ConfName::ALL.to_vec())).prop_map(|(dev, name)| SysctlKey::Conf { dev, name }),
        prop::sample::select(VsName::ALL.to_vec()).prop_map(SysctlKey::Vs),
        (neigh_dev, prop::sample::select(NeighName::ALL.to_vec()))
            .prop_map(|(dev, name)| SysctlKey::Neigh { dev, name }),
    ]
}

fn arp_rule() -> impl Strategy<Value = ArpRule> {
    let target = prop_oneof![Just(ArpTarget::Drop), Just(ArpTarget::Accept), addr().prop_map(ArpTarget::MangleIpSrc)];
    (any::<bool>(), prop::option::of(addr()), prop::option::of(addr()), target, prop::option::of(1u32..)).prop_map(
        |(input, src, dst, target, insert)| ArpRule {
            chain: if input { ArpChain::Input } else { ArpChain::Output },
            src,
            dst,
            target,
            insert,
        },
    )
}

/// Commands that have a command line (see `Display for Command`).
fn command() -> impl Strategy<Value = Command> {
    let scope = prop::sample::select(vec![Scope::Global, Scope::Link, Scope::Host]);
    let nud = prop::sample::select(Nud::SETTABLE.to_vec());
    let mtu = prop::option::of(68u32..=65_536);
    prop_oneof![
        (addr(), 0u8..=32, dev_name(), scope).prop_map(|(addr, prefix, dev, scope)| Command::AddrAdd {
            addr,
            prefix,
            dev,
            scope
        }),
        (addr(), 0u8..=32, dev_name()).prop_map(|(addr, prefix, dev)| Command::AddrDel { addr, prefix, dev }),
        (dev_name(), prop::option::of(any::<bool>()), mtu.clone())
            .prop_filter("something to set", |(_, up, mtu)| up.is_some() || mtu.is_some())
            .prop_map(|(dev, up, mtu)| Command::LinkSet { dev, up, mtu }),
        (
            addr(),
            0u8..=32,
            prop::option::of(addr()),
            prop::option::of(dev_name()),
            prop::option::of(addr()),
            mtu,
            any::<u32>()
        )
            .prop_filter("a next hop", |t| t.2.is_some() || t.3.is_some())
            .prop_map(|(dst, prefix, via, dev, src, mtu, metric)| Command::RouteAdd {
                dst: Ipv4Addr::from(u32::from(dst) & prefix_mask(prefix)),
                prefix,
                via,
                dev,
                src,
                mtu,
                metric
            }),
        (addr(), 0u8..=32).prop_map(|(dst, prefix)| Command::RouteDel {
            dst: Ipv4Addr::from(u32::from(dst) & prefix_mask(prefix)),
            prefix
        }),
        (addr(), any::<[u8; 6]>(), prop::option::of(dev_name()), nud)
            .prop_filter("arp -s makes only permanent or stale entries", |(_, _, dev, nud)| {
                dev.is_some() || matches!(nud, Nud::Permanent | Nud::Stale)
            })
            .prop_map(|(addr, mac, dev, nud)| Command::NeighAdd { addr, mac: MacAddr(mac), dev, nud }),
        sysctl_key().prop_flat_map(|key| {
            let range = key.range();
            range.prop_map(move |value| Command::Sysctl { key: key.clone(), value })
        }),
        prop::sample::select(known_modules()).prop_map(|module| Command::Modprobe { module }),
        ipvsadm::strategies::cmd().prop_map(Command::Ipvsadm),
        arp_rule().prop_map(Command::Arptables),
    ]
}

/// Words that steer the parsers deep into their branches.
fn soup() -> impl Strategy<Value = String> {
    let words = prop::sample::select(vec![
        "ip",
        "a",
        "addr",
        "add",
        "del",
        "link",
        "set",
        "route",
        "neigh",
        "dev",
        "eth0",
        "lo",
        "via",
        "default",
        "scope",
        "host",
        "label",
        "brd",
        "mtu",
        "up",
        "metric",
        "lladdr",
        "nud",
        "10.0.0.1",
        "10.0.0.0/24",
        "02:00:00:00:00:01",
        "sysctl",
        "-w",
        "net.ipv4.ip_forward=1",
        "net/ipv4/conf/eth0/rp_filter=2",
        "echo",
        "1",
        ">",
        ">/proc/sys/net/ipv4/ip_forward",
        "ipvsadm",
        "-A",
        "-a",
        "-t",
        "-u",
        "10.0.0.100:80",
        "-r",
        "-s",
        "sh",
        "-b",
        "sh-port",
        "-p",
        "-M",
        "-g",
        "-m",
        "-i",
        "-w",
        "-o",
        "--set",
        "-At",
        "-p600",
        "arp",
        "-s",
        "arptables",
        "-j",
        "mangle",
        "--mangle-ip-s",
        "INPUT",
        "-I",
        "modprobe",
        "ipip",
        "\"",
        "'",
        "#",
        "",
        "é",
        "-",
        "--",
        "=",
        ":",
        "/",
    ]);
    prop::collection::vec(words, 0..12).prop_map(|w| w.join(" "))
}

fn assert_span_ok(cmd: &str, e: &CmdError) {
    assert!(e.span.start <= e.span.end && e.span.end <= cmd.len(), "{cmd:?} {e:?}");
    assert!(cmd.get(e.span.clone()).is_some(), "span not on char boundaries: {cmd:?} {e:?}");
    if e.found == END_OF_COMMAND {
        assert!(e.span.is_empty());
    }
}

proptest! {
    #[test]
    fn random_strings_never_panic(cmd in ".{0,80}") {
        // Arbitrary text either parses or yields an error whose span is a valid slice.
        if let Err(e) = parse(&cmd) { assert_span_ok(&cmd, &e); }
    }

    #[test]
    fn word_soup_never_panics(cmd in soup()) {
        // Plausible words in random order reach every parser branch; spans stay valid.
        if let Err(e) = parse(&cmd) { assert_span_ok(&cmd, &e); }
    }

    #[test]
    fn soup_errors_have_chinese(cmd in soup()) {
        // Every error the parsers give for plausible words carries phrases the Chinese table
        // translates whole (or words that are not phrases: a quoted token, a name). This
        // checks the typed fields against the table, at run time, where the source scan of
        // `lang::zh` sees only literals: phrases built by helpers are checked here too.
        use crate::lang::zh::{knows, wordy};
        if let Err(e) = parse(&cmd) {
            for p in [Some(&e.expected), Some(&e.found), e.hint.as_ref()].into_iter().flatten() {
                prop_assert!(!wordy(p) || knows(p), "{:?}: no Chinese for {:?}", cmd, p);
            }
        }
    }

    #[test]
    fn whatever_parses_prints_back_to_itself(cmd in soup()) {
        // The other direction: any spelling that parses (abbreviations, bundled and long
        // options, `echo > /proc/sys`) prints a canonical line that parses to the same value.
        if let Ok(c) = parse(&cmd) {
            let line = c.to_string();
            prop_assert_eq!(parse(&line), Ok(c), "{} -> {}", cmd, line);
        }
    }

    #[test]
    fn display_round_trips(c in command()) {
        // The canonical line of any representable command parses back to the same value.
        let line = c.to_string();
        prop_assert_eq!(parse(&line), Ok(c), "{}", line);
    }
}

#[test]
fn other_spellings_print_back_to_the_same_command() {
    // Abbreviated, bundled, long-option, slashed and /proc spellings an admin types: each
    // prints a canonical line, and that line parses to the same typed command.
    for text in [
        "ip a add 10.0.0.1/24 dev eth0",
        "ip address replace 10.0.0.100/32 dev lo label lo:0",
        "ip r add default via 10.0.0.1",
        "ip n add 10.0.0.1 lladdr 02:00:00:00:00:01 dev eth0 nud reachable",
        "ip link set eth0 mtu 1400 up",
        "sudo ipvsadm -At 10.0.0.100:80 --scheduler=rr -p",
        "ipvsadm -a -t 10.0.0.100:80 -r 10.0.0.11 -gw3",
        "echo 1 > /proc/sys/net/ipv4/ip_forward",
        "sysctl net/ipv4/conf/all/arp_ignore=1",
        "arp -s 10.0.0.1 02:00:00:00:00:01 temp",
        "iptables -t filter -I INPUT 2 -p tcp --dport 80 -j DROP",
        "iptables -t mangle -A PREROUTING -d 10.0.0.100 -p tcp -m multiport --dports 80,443 -j MARK --set-mark 1",
        "iptables -t mangle -I OUTPUT -d 198.51.100.0/24 -p tcp --dport 80 -j MARK --set-xmark 0x2/0xff",
        "ipvsadm -A -f 1 -s lblc -p 300",
        "ipvsadm -a -f 1 -r 10.0.0.11 -g -w 2",
        "arptables -A OUTPUT -s 10.0.0.100 -j mangle --mangle-ip-s 10.0.0.11",
        "modprobe ip-vs",
    ] {
        let c = parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        let line = c.to_string();
        assert_eq!(parse(&line), Ok(c), "{text} -> {line}");
    }
}
