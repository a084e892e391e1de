//! The topology inferred for a [`Model`] and written as a scenario.
//!
//! ```text
//!   client1..N ── wan ── router ──┬── lan (one per /24 of real servers) ──┬── director
//!                                 │                                       └── rs1, rs2 ...
//!                                 └── lan2 ...
//! ```
//!
//! * one L2 segment per /24 that holds real servers: DR needs the director on the real
//!   servers' segment, NAT needs it as their gateway, so the director has an interface on
//!   each, and so has the router (the DR and TUN servers' gateway);
//! * the router and the director take the first free addresses of each /24 (.1 and .2
//!   when the input does not use them); the clients a documentation network (RFC 5737)
//!   that the input does not use;
//! * VIPs go on the director as /32 (on the interface of their /24, else the first),
//!   except those keepalived's VRRP adds itself; the router reaches a VIP outside every
//!   /24 through a host route to the director;
//! * a firewall-mark service gets a VRRP address not used by another service, else an
//!   invented one, and an `iptables -t mangle ... -j MARK` rule for its port.

use super::{Kind, Model, Rs};
use crate::cmdline::ipvsadm::{Fwd, Proto};
use crate::lang::Lang;
use crate::scenario::ScenarioError;
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::net::Ipv4Addr;

/// Client networks, in order of preference: RFC 5737's documentation networks.
const CLIENT_NETS: [[u8; 3]; 3] = [[203, 0, 113], [198, 51, 100], [192, 0, 2]];
/// Connections each client opens.
const COUNT: u64 = 4;
/// The gap between them, in ms.
const EVERY_MS: u64 = 100;

type Net = [u8; 3];

fn net_of(a: Ipv4Addr) -> Net {
    let o = a.octets();
    [o[0], o[1], o[2]]
}

fn host(n: Net, h: u8) -> Ipv4Addr {
    Ipv4Addr::new(n[0], n[1], n[2], h)
}

fn show(n: Net) -> String {
    format!("{}.{}.{}.0/24", n[0], n[1], n[2])
}

/// The first address of `n` from host `from` on (wrapping) that is not in `used`; taken.
fn pick(n: Net, from: u8, used: &mut BTreeSet<Ipv4Addr>) -> Option<Ipv4Addr> {
    (from..=254).chain(1..from).map(|h| host(n, h)).find(|a| used.insert(*a))
}

/// A RON string literal.
fn lit(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\r' => {}
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

fn proto(p: Proto) -> &'static str {
    match p {
        Proto::Tcp => "tcp",
        Proto::Udp => "udp",
    }
}

fn mode(f: Fwd) -> &'static str {
    match f {
        Fwd::Dr => "DR",
        Fwd::Tun => "TUN",
        Fwd::Nat => "NAT",
    }
}

struct Lan {
    net: Net,
    seg: String,
    ifname: String,
    router: Ipv4Addr,
    director: Ipv4Addr,
}

/// A real server host: its address and the services it serves.
struct Real<'a> {
    addr: Ipv4Addr,
    uses: Vec<(usize, &'a Rs)>,
}

/// Where a service's client connects.
struct Endpoint {
    vip: Ipv4Addr,
    port: u16,
}

fn located(
    origin: &str,
    text: &str,
    r: &std::ops::Range<usize>,
    exp: &str,
    found: String,
    hint: &str,
) -> ScenarioError {
    ScenarioError::at(origin, text, r.start, r.end, exp, found, Some(hint.to_string()))
}

/// An address a host can hold in its /24.
fn usable(a: Ipv4Addr) -> bool {
    let last = a.octets()[3];
    !(a.is_loopback() || a.is_unspecified() || a.is_multicast() || a.is_broadcast() || last == 0 || last == 255)
}

#[allow(clippy::too_many_lines)] // one pass from the model to the text, in the file's order
pub(crate) fn write(kind: Kind, origin: &str, text: &str, m: &Model, lang: Lang) -> Result<String, ScenarioError> {
    let t = |en: &'static str, zh: &'static str| lang.pick(en, zh);
    if m.services.is_empty() {
        return Err(ScenarioError::at_end(
            origin,
            text,
            t("a virtual_server block", "一个 virtual_server 块"),
            t("none", "一个也没有"),
            Some(
                t(
                    "lvsim import needs a service to build the scenario around",
                    "lvsim import 需要至少一个虚拟服务来构建场景",
                )
                .into(),
            ),
        ));
    }
    if m.services.len() > 200 {
        let r = &m.services[200].at;
        return Err(located(
            origin,
            text,
            r,
            t("at most 200 virtual services", "至多 200 个虚拟服务"),
            format!("{}", m.services.len()),
            t(
                "each service gets a client host in one /24: split the file",
                "每个服务在同一个 /24 里有一台客户端主机：请拆分文件",
            ),
        ));
    }
    let bad_addr = t(
        "a unicast address a host can hold (not .0 or .255 of its /24)",
        "主机可以持有的单播地址（不是所在 /24 的 .0 或 .255）",
    );
    let bad_hint = t(
        "lvsim import puts each real server in the /24 around its address",
        "lvsim import 把每台真实服务器放进其地址所在的 /24 网段",
    );
    // Real servers, each once, in the order the input names them.
    let mut reals: Vec<Real<'_>> = Vec::new();
    for (i, s) in m.services.iter().enumerate() {
        if let Some(v) = s.vip.filter(|v| !usable(*v)) {
            return Err(located(origin, text, &s.at, bad_addr, v.to_string(), bad_hint));
        }
        for r in s.servers.iter().chain(&s.sorry) {
            if !usable(r.addr) {
                return Err(located(origin, text, &r.at, bad_addr, r.addr.to_string(), bad_hint));
            }
            if m.services.iter().any(|o| o.vip == Some(r.addr)) || m.vrrp.iter().any(|(v, _)| *v == r.addr) {
                return Err(located(
                    origin,
                    text,
                    &r.at,
                    t("a real server other than the director", "调度器以外的一台真实服务器"),
                    format!("{} {}", t("the VIP", "VIP"), r.addr),
                    t(
                        "a VIP as real server (the local node) is not modelled",
                        "不模拟以 VIP 作为真实服务器（本机节点）",
                    ),
                ));
            }
            match reals.iter_mut().find(|x| x.addr == r.addr) {
                Some(x) => {
                    let nat = |f| f == Fwd::Nat;
                    if let Some((_, o)) = x.uses.iter().find(|(_, o)| nat(o.fwd) != nat(r.fwd)) {
                        return Err(located(
                            origin,
                            text,
                            &r.at,
                            t("one forwarding family per real server", "每台真实服务器只用一类转发方式"),
                            format!(
                                "{} {} {} {}",
                                r.addr,
                                mode(r.fwd),
                                t("here and", "在此处，而另一处为"),
                                mode(o.fwd)
                            ),
                            t(
                                "a NAT real server's gateway is the director, a DR or TUN one's the router: one host cannot have both",
                                "NAT 真实服务器的网关是调度器，DR/TUN 的网关是路由器：一台主机不能两者兼有",
                            ),
                        ));
                    }
                    x.uses.push((i, r));
                }
                None => reals.push(Real { addr: r.addr, uses: vec![(i, r)] }),
            }
        }
    }
    let mut used: BTreeSet<Ipv4Addr> = reals.iter().map(|r| r.addr).collect();
    used.extend(m.services.iter().filter_map(|s| s.vip));
    used.extend(m.vrrp.iter().map(|(v, _)| *v));
    // Segments: one per /24 of real servers.
    let mut nets: Vec<Net> = Vec::new();
    for r in &reals {
        if !nets.contains(&net_of(r.addr)) {
            nets.push(net_of(r.addr));
        }
    }
    if nets.is_empty() {
        nets.push(m.services.iter().find_map(|s| s.vip).map_or([10, 0, 0], net_of));
    }
    let cnet = CLIENT_NETS
        .into_iter()
        .find(|n| !nets.contains(n) && !used.iter().any(|a| net_of(*a) == *n))
        .unwrap_or([100, 64, 0]);
    let full = |n: Net| {
        located(origin, text, &m.services[0].at, t("a /24 with free addresses", "有空闲地址的 /24"), show(n), bad_hint)
    };
    // The director's interfaces are named after the ones keepalived names: they must be
    // names a scenario accepts for an Ethernet interface (docs/scenario-format.md).
    for (n, at) in &m.ifnames {
        let ok = !n.is_empty() && n.len() <= 15 && !n.contains(['/', ':', ' ']) && n != "lo" && n != "tunl0";
        if !ok {
            let r = super::word_at(text, *at);
            return Err(located(
                origin,
                text,
                &r,
                t(
                    "an Ethernet interface name for the director (1 to 15 characters, no / or :, not lo or tunl0)",
                    "调度器以太网接口的名字（1 到 15 个字符，不含 / 或 :，不是 lo 或 tunl0）",
                ),
                crate::cmdline::quote(n),
                t(
                    "keepalived adds the VRRP address to this interface; an alias like eth0:1 is written `dev eth0`",
                    "keepalived 把 VRRP 地址加到该接口上；eth0:1 这样的别名请写成 `dev eth0`",
                ),
            ));
        }
    }
    let mut names: Vec<String> = m.ifnames.iter().map(|(n, _)| n.clone()).collect();
    let mut lans = Vec::new();
    for (k, n) in nets.iter().enumerate() {
        let router = pick(*n, 1, &mut used).ok_or_else(|| full(*n))?;
        let director = pick(*n, 2, &mut used).ok_or_else(|| full(*n))?;
        let ifname = if let Some(x) = names.get(k) {
            x.clone()
        } else {
            // At most `names.len() + 1` tries: one of them is free.
            let x = (0..=names.len()).map(|i| format!("eth{i}")).find(|x| !names.contains(x)).unwrap_or_default();
            names.push(x.clone());
            x
        };
        let seg = if nets.len() == 1 { "lan".to_string() } else { format!("lan{}", k + 1) };
        lans.push(Lan { net: *n, seg, ifname, router, director });
    }
    let spare: Vec<&String> = m.ifnames.iter().skip(lans.len()).map(|(n, _)| n).collect();
    let lan_of_if = |dev: &str| lans.iter().position(|l| l.ifname == dev).unwrap_or(0);
    let vrrp_dev = |v: Ipv4Addr| m.vrrp.iter().find(|(a, _)| *a == v).map(|(_, d)| d.as_str());
    // Endpoints: the VIP (a VRRP address or an invented one for a fwmark service) and a
    // port no other service of that VIP and protocol uses.
    let mut invented: Vec<String> = Vec::new();
    let mut fw_vip = None;
    let mut taken: Vec<(Ipv4Addr, Proto, u16)> =
        m.services.iter().filter(|s| s.port != 0).filter_map(|s| Some((s.vip?, s.proto, s.port))).collect();
    let mut ends: Vec<Option<Endpoint>> = Vec::new();
    for s in &m.services {
        let live = s.servers.iter().any(|r| r.weight > 0) || s.sorry.is_some();
        if !live {
            ends.push(None);
            continue;
        }
        let vip = if let Some(v) = s.vip {
            v
        } else {
            if fw_vip.is_none() {
                let free = m.vrrp.iter().map(|(v, _)| *v).find(|v| !m.services.iter().any(|o| o.vip == Some(*v)));
                let v = if let Some(v) = free {
                    v
                } else {
                    let v = pick(lans[0].net, 100, &mut used).ok_or_else(|| full(lans[0].net))?;
                    invented.push(format!(
                        "VIP {v}{}",
                        t(" (invented: a fwmark service names no address)", "（虚构：防火墙标记服务不含地址）")
                    ));
                    v
                };
                fw_vip = Some(v);
            }
            fw_vip.unwrap_or(Ipv4Addr::UNSPECIFIED)
        };
        let port = if s.port != 0 {
            s.port
        } else {
            let want = s.servers.iter().map(|r| r.port).find(|p| *p != 0).unwrap_or(80);
            let p = std::iter::once(want)
                .chain(8000..=u16::MAX)
                .find(|p| !taken.contains(&(vip, s.proto, *p)))
                .unwrap_or(want);
            taken.push((vip, s.proto, p));
            p
        };
        ends.push(Some(Endpoint { vip, port }));
    }
    let vips: Vec<Ipv4Addr> = {
        let mut v: Vec<Ipv4Addr> = Vec::new();
        for e in ends.iter().flatten() {
            if !v.contains(&e.vip) {
                v.push(e.vip);
            }
        }
        v
    };
    let vip_lan =
        |v: Ipv4Addr| vrrp_dev(v).map_or_else(|| lans.iter().position(|l| l.net == net_of(v)).unwrap_or(0), lan_of_if);
    let any_nat = reals.iter().any(|r| r.uses.iter().any(|(_, u)| u.fwd == Fwd::Nat));
    let start_ms = m.advert.map_or(100, |a| (4 * a.0 + 1_000_000) / 1000);
    let duration_ms = start_ms + COUNT * EVERY_MS + 1000;

    // ── the text ──
    let mut o = String::new();
    let file = std::path::Path::new(origin).file_name().map_or(origin.into(), |f| f.to_string_lossy());
    let modes: BTreeSet<&str> = m.services.iter().flat_map(|s| s.servers.iter().map(|r| mode(r.fwd))).collect();
    let modes: Vec<&str> = modes.into_iter().collect();
    let zh = lang == Lang::Zh;
    let (w, k) = (kind.word(), COUNT);
    let _ = if zh {
        writeln!(o, "// 由 `lvsim import {w} {file}` 生成。")
    } else {
        writeln!(o, "// Written by `lvsim import {w} {file}`.")
    };
    let _ = writeln!(
        o,
        "// {}",
        t(
            "Inferred (the input names services and real servers only; edit the hosts if your network differs):",
            "推断所得（输入只给出服务和真实服务器；如与你的网络不同，请修改下面的主机）：",
        )
    );
    for l in &lans {
        let members: Vec<String> =
            reals.iter().filter(|r| net_of(r.addr) == l.net).map(|r| r.addr.to_string()).collect();
        let (seg, net, ifn, r, d) = (&l.seg, show(l.net), &l.ifname, l.router, l.director);
        let _ = match (zh, members.is_empty()) {
            (false, false) => writeln!(o, "// - {seg} {net}: the /24 of real servers {}", members.join(", ")),
            (false, true) => writeln!(o, "// - {seg} {net}: the VIP's /24 (no real server)"),
            (true, false) => writeln!(o, "// - {seg} {net}：真实服务器 {} 所在的 /24", members.join("、")),
            (true, true) => writeln!(o, "// - {seg} {net}：VIP 所在的 /24（没有真实服务器）"),
        };
        let _ = if zh {
            writeln!(o, "//   路由器 {r}（虚构），调度器 {d} 在 {ifn} 上（虚构）")
        } else {
            writeln!(o, "//   router {r} (invented), director {d} on {ifn} (invented)")
        };
    }
    let (cn, c1) = (show(cnet), host(cnet, 1));
    let _ = if zh {
        writeln!(o, "// - wan {cn}：客户端，路由器在 {c1}（虚构：输入未用到的文档专用网段）")
    } else {
        writeln!(
            o,
            "// - wan {cn}: clients and the router at {c1} (invented, a documentation network the input does not use)"
        )
    };
    for v in &vips {
        let (ifn, d) = (&lans[vip_lan(*v)].ifname, lans[vip_lan(*v)].director);
        let arp = lans.iter().any(|l| l.net == net_of(*v));
        let how = match (zh, vrrp_dev(*v)) {
            (false, Some(dev)) => format!("added by keepalived's VRRP on {dev}"),
            (false, None) => format!("/32 on the director's {ifn}"),
            (true, Some(dev)) => format!("由 keepalived 的 VRRP 加到 {dev} 上"),
            (true, None) => format!("以 /32 加在调度器的 {ifn} 上"),
        };
        let route = match (zh, arp) {
            (false, true) => "the router finds it by ARP".to_string(),
            (false, false) => format!("the router routes it via {d}"),
            (true, true) => "路由器通过 ARP 找到它".to_string(),
            (true, false) => format!("路由器经 {d} 路由到它"),
        };
        let _ = if zh {
            writeln!(o, "// - VIP {v}：{how}；{route}")
        } else {
            writeln!(o, "// - VIP {v}: {how}; {route}")
        };
    }
    for i in &invented {
        let _ = writeln!(o, "// - {i}");
    }
    for f in [Fwd::Dr, Fwd::Tun, Fwd::Nat] {
        if !reals.iter().any(|r| r.uses.iter().any(|(_, u)| u.fwd == f)) {
            continue;
        }
        let how = match f {
            Fwd::Dr => t(
                "DR real servers: VIP on lo, arp_ignore=1, arp_announce=2, gateway the router",
                "DR 真实服务器：VIP 在 lo 上，arp_ignore=1，arp_announce=2，网关为路由器",
            ),
            Fwd::Tun => t(
                "TUN real servers: VIP on tunl0 (up), rp_filter=0, arp_ignore=1, arp_announce=2, gateway the router",
                "TUN 真实服务器：VIP 在 tunl0 上（已启用），rp_filter=0，arp_ignore=1，arp_announce=2，网关为路由器",
            ),
            Fwd::Nat => t(
                "NAT real servers: gateway the director (ip_forward=1 on it)",
                "NAT 真实服务器：网关为调度器（其上 ip_forward=1）",
            ),
        };
        let _ = writeln!(o, "// - {how}");
    }
    for (i, (s, e)) in m.services.iter().zip(&ends).enumerate() {
        let name = match s.vip {
            Some(v) => format!("{} {v}:{}", if s.proto == Proto::Tcp { "TCP" } else { "UDP" }, s.port),
            None => format!("FWM {}", s.fwmark),
        };
        match e {
            Some(e) => {
                let (c, a) = (i + 1, host(cnet, 10 + i as u8));
                let (v, p) = (e.vip, e.port);
                let what = if s.vip.is_some() && s.port != 0 { String::new() } else { format!(" ({name})") };
                let _ = if zh {
                    writeln!(o, "// - client{c} {a}（虚构）→ {v}:{p}{what}，{k} 个连接，预期全部完成")
                } else {
                    writeln!(
                        o,
                        "// - client{c} {a} (invented) → {v}:{p}{what}, {k} connections, each expected to complete"
                    )
                };
            }
            None => {
                let _ = writeln!(
                    o,
                    "// - {name}{}",
                    t(": no real server with a weight above 0: no client", "：没有权重大于 0 的真实服务器，不设客户端")
                );
            }
        }
    }
    o.push_str("//\n");
    let segs: Vec<&str> = lans.iter().map(|l| l.seg.as_str()).collect();
    let _ = writeln!(o, "//   client1.. ── wan ── router ── {} ── director, rs1..rs{}", segs.join(" | "), reals.len());
    let _ = writeln!(o, "Scenario(");
    let about_en = format!(
        "Imported from {file}: {} virtual service(s) ({}), {} real server(s)",
        m.services.len(),
        modes.join("/"),
        reals.len()
    );
    let about_zh =
        format!("从 {file} 导入：{} 个虚拟服务（{}），{} 台真实服务器", m.services.len(), modes.join("/"), reals.len());
    let _ = writeln!(o, "    about: (\n        en: {},\n        zh: {},\n    ),", lit(&about_en), lit(&about_zh));
    let _ = writeln!(o, "    seed: 1,\n    duration: \"{duration_ms}ms\",\n    segments: [");
    let _ = writeln!(o, "        Segment(name: \"wan\"),");
    for l in &lans {
        let _ = writeln!(o, "        Segment(name: \"{}\"),", l.seg);
    }
    for (k, _) in spare.iter().enumerate() {
        let _ = writeln!(o, "        Segment(name: \"spare{}\"),", k + 1);
    }
    o.push_str("    ],\n    hosts: [\n");
    let host_block = |o: &mut String, name: &str, ifaces: &[(String, String)], run: &[String], extra: &str| {
        let ifs: Vec<String> = ifaces.iter().map(|(i, s)| format!("{}: {}", lit(i), lit(s))).collect();
        let _ = writeln!(o, "        Host(name: {}, ifaces: {{{}}}, run: [", lit(name), ifs.join(", "));
        for r in run {
            let _ = writeln!(o, "            {},", lit(r));
        }
        let _ = writeln!(o, "        ]{extra}),");
    };
    for (i, e) in ends.iter().enumerate() {
        if e.is_some() {
            let run = vec![
                format!("ip addr add {}/24 dev eth0", host(cnet, 10 + i as u8)),
                format!("ip route add default via {}", host(cnet, 1)),
            ];
            host_block(&mut o, &format!("client{}", i + 1), &[("eth0".into(), "wan".into())], &run, "");
        }
    }
    // The router.
    let mut ifs = vec![("eth0".to_string(), "wan".to_string())];
    let mut run = vec![format!("ip addr add {}/24 dev eth0", host(cnet, 1))];
    for (k, l) in lans.iter().enumerate() {
        ifs.push((format!("eth{}", k + 1), l.seg.clone()));
        run.push(format!("ip addr add {}/24 dev eth{}", l.router, k + 1));
    }
    run.push("sysctl -w net.ipv4.ip_forward=1".into());
    for v in &vips {
        if !lans.iter().any(|l| l.net == net_of(*v)) {
            run.push(format!("ip route add {v}/32 via {}", lans[vip_lan(*v)].director));
        }
    }
    host_block(&mut o, "router", &ifs, &run, "");
    // The director.
    let mut ifs: Vec<(String, String)> = lans.iter().map(|l| (l.ifname.clone(), l.seg.clone())).collect();
    for (k, n) in spare.iter().enumerate() {
        ifs.push(((*n).clone(), format!("spare{}", k + 1)));
    }
    let mut run: Vec<String> = lans.iter().map(|l| format!("ip addr add {}/24 dev {}", l.director, l.ifname)).collect();
    for v in &vips {
        if vrrp_dev(*v).is_none() {
            run.push(format!("ip addr add {v}/32 dev {}", lans[vip_lan(*v)].ifname));
        }
    }
    run.push(format!("ip route add default via {}", lans[0].router));
    if any_nat {
        run.push("sysctl -w net.ipv4.ip_forward=1".into());
    }
    for (s, e) in m.services.iter().zip(&ends) {
        if let (0, _) | (_, None) = (s.fwmark, e) {
            continue;
        }
        if let Some(e) = e {
            run.push(format!(
                "iptables -t mangle -A PREROUTING -d {}/32 -p {} --dport {} -j MARK --set-mark {}",
                e.vip,
                proto(s.proto),
                e.port,
                s.fwmark
            ));
        }
    }
    run.extend(m.run.iter().cloned());
    let ka = m.keepalived.as_ref().map(|k| format!(", keepalived: Text({})", lit(k))).unwrap_or_default();
    host_block(&mut o, "director", &ifs, &run, &ka);
    // The real servers.
    let mut servers: Vec<(String, Proto, u16)> = Vec::new();
    for (j, r) in reals.iter().enumerate() {
        let name = format!("rs{}", j + 1);
        let l = lans.iter().find(|l| l.net == net_of(r.addr)).unwrap_or(&lans[0]);
        let mut run = vec![format!("ip addr add {}/24 dev eth0", r.addr)];
        let (mut dr, mut tun, mut nat) = (Vec::new(), Vec::new(), false);
        for (i, u) in &r.uses {
            let Some(e) = &ends[*i] else { continue };
            let s = &m.services[*i];
            let port = if u.fwd == Fwd::Nat && u.port != 0 { u.port } else { e.port };
            // The service's port, and the ports keepalived's checks connect to (TCP).
            let checks = u.check_ports.iter().map(|p| (Proto::Tcp, *p));
            for (p, n) in std::iter::once((s.proto, port)).chain(checks) {
                if !servers.contains(&(name.clone(), p, n)) {
                    servers.push((name.clone(), p, n));
                }
            }
            let list = match u.fwd {
                Fwd::Dr => &mut dr,
                Fwd::Tun => &mut tun,
                Fwd::Nat => {
                    nat = true;
                    continue;
                }
            };
            if !list.contains(&e.vip) {
                list.push(e.vip);
            }
        }
        for v in &dr {
            run.push(format!("ip addr add {v}/32 dev lo"));
        }
        if !tun.is_empty() {
            run.push("modprobe ipip".into());
            for v in &tun {
                run.push(format!("ip addr add {v}/32 dev tunl0"));
            }
            run.push("ip link set tunl0 up".into());
            run.push("sysctl -w net.ipv4.conf.tunl0.rp_filter=0".into());
            run.push("sysctl -w net.ipv4.conf.all.rp_filter=0".into());
        }
        if !dr.is_empty() || !tun.is_empty() {
            run.push("sysctl -w net.ipv4.conf.all.arp_ignore=1".into());
            run.push("sysctl -w net.ipv4.conf.all.arp_announce=2".into());
        }
        run.push(format!("ip route add default via {}", if nat { l.director } else { l.router }));
        host_block(&mut o, &name, &[("eth0".into(), l.seg.clone())], &run, "");
    }
    o.push_str("    ],\n    apps: [\n");
    for (h, p, port) in &servers {
        let _ = writeln!(o, "        Server(host: {}, proto: {}, port: {port}),", lit(h), proto(*p));
    }
    for (i, (s, e)) in m.services.iter().zip(&ends).enumerate() {
        if let Some(e) = e {
            let _ = writeln!(
                o,
                "        Client(host: \"client{}\", proto: {}, to: \"{}:{}\", start: \"{start_ms}ms\", count: {COUNT}, every: \"{EVERY_MS}ms\"),",
                i + 1,
                proto(s.proto),
                e.vip,
                e.port
            );
        }
    }
    o.push_str("    ],\n    expect: [\n");
    for (i, e) in ends.iter().enumerate() {
        if e.is_some() {
            let _ = writeln!(o, "        Completed(client: \"client{}\", min: {COUNT}, max: {COUNT}),", i + 1);
        }
    }
    o.push_str("    ],\n)\n");
    Ok(o)
}
