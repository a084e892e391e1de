//! Real-kernel labs: a scenario as a POSIX sh script that builds it on a real Linux host
//! (`lvsim lab`), and the diff of that lab's results against lvsim's own run of the same
//! scenario and seed (`lvsim kernel-diff`).
//!
//! ```text
//!  Loaded ──plan()──► Plan (hosts, veths, MACs, run: commands, when each client
//!    │                 connection starts and from which port, at: commands)
//!    │                  │ script()
//!    │                  ▼
//!    │               lab.sh ──kernel/run.sh (QEMU, Linux 6.1)──► output ──parse──► Observation
//!    └─observe()─► Observation (the same aspects from lvsim's run) ──diff::compare──► table
//! ```
//!
//! Both sides are read the same way: frames come from pcap bytes (lvsim's own pcap
//! writer on one side, tcpdump on the other) through [`decode`]; `ip neigh`, `ip route`,
//! `ipvsadm -Ln` and `-Lnc` are compared as the tools print them (lvsim prints them in
//! the same format).

pub mod agent;
pub mod agent_sched;
pub mod arp;
pub mod decode;
pub mod diff;
pub mod sched;
pub mod vm;

use crate::engine::{Capture, Engine};
use crate::ipvs::listing;
use crate::packet::pcap::PcapWriter;
use crate::packet::{Frame, L4, TcpFlags};
use crate::scenario::{AppSpec, Loaded, ProtoSpec};
use crate::sim::{SimDuration, SimTime};
use crate::stack::show;
use crate::topology::IfKind;
use crate::topology::{HostId, LinkParams};
use crate::trace::{Action, Recorder, Stage, Step};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::rc::Rc;

/// Why a scenario cannot be a lab: a field or command with no kernel counterpart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// Where: `segments[lan].learning`, `apps[2].service`...
    pub place: String,
    pub what: String,
    pub hint: String,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {} has no kernel counterpart\n  help: {}", self.place, self.what, self.hint)
    }
}

/// One Ethernet interface of a host: the veth end inside the host's namespace and its
/// peer, a port of the segment's bridge.
#[derive(Clone, Debug)]
pub struct Veth {
    pub name: String,
    pub peer: String,
    pub bridge: String,
    pub mac: String,
    pub mtu: u16,
    /// One-way delay of the link (segment latency), and of the host's CPU per packet
    /// on frames towards the host.
    pub delay_out_ns: u64,
    pub delay_in_ns: u64,
}

#[derive(Clone, Debug)]
pub struct LabHost {
    pub name: String,
    pub veths: Vec<Veth>,
    pub run: Vec<String>,
    /// The host's local addresses after its `run:` commands (UDP servers bind each).
    pub addrs: Vec<Ipv4Addr>,
    pub ipvs: bool,
}

/// A client application: where it connects and when each connection starts.
#[derive(Clone, Debug)]
pub struct LabClient {
    pub host: String,
    pub tcp: bool,
    pub dst: SocketAddrV4,
    pub request: u16,
    pub response: u16,
    pub requests: u32,
    /// (seconds after t0, source port), from lvsim's run.
    pub starts: Vec<(f64, u16)>,
}

#[derive(Clone, Debug)]
pub struct LabServer {
    pub host: String,
    pub tcp: bool,
    pub port: u16,
    pub response: u16,
}

/// Everything a lab script needs, taken from the scenario and lvsim's run of it.
#[derive(Clone, Debug)]
pub struct Plan {
    pub name: String,
    pub about: String,
    pub seed: u64,
    pub duration: f64,
    pub bridges: Vec<(String, String)>,
    pub hosts: Vec<LabHost>,
    pub servers: Vec<LabServer>,
    pub clients: Vec<LabClient>,
    /// (seconds, host, command).
    pub at: Vec<(f64, String, String)>,
}

/// What lvsim's run (or the kernel's) showed, in the form both are compared in.
#[derive(Clone, Debug, Default)]
pub struct Observation {
    /// Segment name → pcap bytes.
    pub pcaps: BTreeMap<String, Vec<u8>>,
    /// Host → `ip neigh show` text.
    pub neigh: BTreeMap<String, String>,
    /// Host → `ip route show` text.
    pub route: BTreeMap<String, String>,
    /// Director → `ipvsadm -Ln`, `-Lnc` text.
    pub ipvs_ln: BTreeMap<String, String>,
    pub ipvs_lnc: BTreeMap<String, String>,
    /// Client connections: (client host, proto, source port) → served by host name, or
    /// `!why` when it failed.
    pub conns: BTreeMap<(String, String, u16), String>,
    /// Commands that failed in the kernel: (host, command, output).
    pub errors: Vec<(String, String, String)>,
    /// Connections the lab's client started late (`PROTO PORT SECONDS`): the kernel may
    /// have seen them in another order, so the run does not prove anything about order.
    pub late: Vec<String>,
}

/// The default one-way latency of a link (see `LinkParams::default`).
fn link_delay_ns(p: &LinkParams) -> u64 {
    p.latency.as_nanos()
}

fn refuse(place: impl Into<String>, what: impl Into<String>, hint: impl Into<String>) -> Refusal {
    Refusal { place: place.into(), what: what.into(), hint: hint.into() }
}

/// Checks that every part of the scenario has a kernel counterpart.
fn check_supported(l: &Loaded) -> Result<(), Refusal> {
    let sc = &l.scenario;
    for s in &sc.segments {
        if s.learning == Some(false) {
            return Err(refuse(
                format!("segments[{}].learning", s.name),
                "a switch that sends unicast straight to the MAC's owner without learning",
                "a Linux bridge learns source MACs; remove `learning: false`",
            ));
        }
        if s.queue_bytes.is_some() {
            return Err(refuse(
                format!("segments[{}].queue_bytes", s.name),
                "a byte-limited link queue",
                "a veth has no byte queue to size; remove `queue_bytes` (capacity scenarios are simulator-only)",
            ));
        }
        if s.bandwidth.is_some() {
            return Err(refuse(
                format!("segments[{}].bandwidth", s.name),
                "a link rate",
                "veth pairs have no rate; remove `bandwidth` (capacity scenarios are simulator-only)",
            ));
        }
    }
    for h in &sc.hosts {
        if h.keepalived.is_some() {
            return Err(refuse(
                format!("hosts[{}].keepalived", h.name),
                "keepalived (not in the lab guest yet)",
                "the lab does not run keepalived yet; write its virtual servers as `ipvsadm` lines to try the forwarding on the kernel",
            ));
        }
        if h.cpu.as_ref().is_some_and(|c| c.backlog.is_some()) {
            return Err(refuse(
                format!("hosts[{}].cpu.backlog", h.name),
                "a per-host packet backlog limit",
                "only `cpu.per_packet` becomes a netem delay; remove `backlog`",
            ));
        }
    }
    for (i, a) in sc.at.iter().enumerate() {
        use crate::cmdline::Command;
        let fault = matches!(
            crate::cmdline::parse(&a.run),
            Ok(Command::Systemctl { .. } | Command::Power(_) | Command::Netem { .. })
        );
        if fault {
            return Err(refuse(
                format!("at[{i}]"),
                "a fault (a machine going down, a service stopping, netem loss)",
                "the lab's hosts are namespaces of one guest kernel: a reboot or crash would take them all; fault scenarios are simulator-only",
            ));
        }
    }
    for (i, a) in sc.apps.iter().enumerate() {
        match a {
            AppSpec::Server { service, response_size, workers, queue, .. } => {
                if service.is_some() || workers.is_some() || queue.is_some() {
                    return Err(refuse(
                        format!("apps[{i}].service"),
                        "a modelled service time, worker count or queue",
                        "the lab's server answers at once; remove `service`/`workers`/`queue` (capacity scenarios are simulator-only)",
                    ));
                }
                if response_size.is_some() {
                    return Err(refuse(
                        format!("apps[{i}].response_size"),
                        "a response size drawn per request",
                        "use a fixed `response:` size",
                    ));
                }
            }
            AppSpec::Client { request_size, requests, request, .. } => {
                if request_size.is_some() {
                    return Err(refuse(
                        format!("apps[{i}].request_size"),
                        "a request size drawn per connection",
                        "use a fixed `request:` size",
                    ));
                }
                if requests.as_deref().is_some_and(|r| r.trim().parse::<u32>().is_err()) {
                    return Err(refuse(
                        format!("apps[{i}].requests"),
                        "a number of requests drawn per connection",
                        "use a fixed count, e.g. `requests: \"3\"`",
                    ));
                }
                if request.is_some_and(|r| r < agent::MIN_REQUEST) {
                    return Err(refuse(
                        format!("apps[{i}].request"),
                        format!("a request under {} bytes", agent::MIN_REQUEST),
                        "the lab's client sends the request length in its first 4 bytes",
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Collects each client connection's start (time, source port) from lvsim's trace: the
/// OUTPUT step of a client host's first SYN from a port (or of each UDP request).
struct Starts {
    clients: Vec<(HostId, bool, SocketAddrV4)>,
    seen: Vec<Vec<(f64, u16)>>,
}

impl Recorder for Starts {
    fn record(&mut self, s: Step) {
        if s.stage != Stage::Output || s.action == Action::Drop(crate::stack::DropReason::NoRoute) {
            return;
        }
        let Some(sub) = s.subject else { return };
        let crate::packet::Payload::Ipv4(p) = sub.frame.payload else { return };
        if p.tunnel.is_some() {
            return;
        }
        for (i, &(h, tcp, dst)) in self.clients.iter().enumerate() {
            if h != s.host || p.ip.dst != *dst.ip() {
                continue;
            }
            let port = match (p.l4, tcp) {
                (L4::Tcp(t), true) if t.dst_port == dst.port() && t.flags == TcpFlags::SYN => t.src_port,
                (L4::Udp(u), false) if u.dst_port == dst.port() => u.src_port,
                _ => continue,
            };
            let t = s.time.as_nanos() as f64 / 1e9;
            // A SYN retransmission reuses its port; a UDP flow reuses its port by design.
            if tcp && self.seen[i].iter().any(|&(_, p)| p == port) {
                continue;
            }
            self.seen[i].push((t, port));
        }
    }
}

/// Frames per segment as pcap bytes, through lvsim's own pcap writer.
struct MemCapture {
    writers: Vec<PcapWriter<Vec<u8>>>,
}

impl Capture for MemCapture {
    fn frame(&mut self, seg: crate::topology::SegId, time: SimTime, frame: &Frame) {
        let _ = self.writers[seg as usize].write_frame(time.as_nanos(), frame);
    }
}

fn fmt_mac(m: crate::packet::MacAddr) -> String {
    m.to_string()
}

/// Builds the plan and lvsim's observation of the same run.
pub fn plan(l: &Loaded, seed: u64) -> Result<(Plan, Observation), String> {
    check_supported(l).map_err(|r| format!("lvsim lab {}: {r}\n", l.name))?;
    let sc = &l.scenario;
    let mut engine: Engine = l.build_with_seed(seed).map_err(|e| e.render())?;
    let duration = SimDuration::parse(&sc.duration).map_err(|e| format!("duration: {e}\n"))?.as_secs_f64();

    // Bridges and veths from the built topology (MACs as lvsim assigns them).
    let bridges: Vec<(String, String)> =
        engine.net.segments.iter().enumerate().map(|(i, s)| (s.name.clone(), format!("br{i}"))).collect();
    let mut hosts = Vec::new();
    for (hi, (h, spec)) in engine.hosts.iter().zip(&sc.hosts).enumerate() {
        let per_packet = spec
            .cpu
            .as_ref()
            .map(|c| SimDuration::parse(&c.per_packet).map(SimDuration::as_nanos))
            .transpose()
            .map_err(|e| format!("hosts[{}].cpu.per_packet: {e}\n", h.name))?
            .unwrap_or(0);
        let mut veths = Vec::new();
        for (ii, ifc) in h.ifaces.iter().enumerate() {
            let Some((seg, port)) = ifc.port else { continue };
            let link = &engine.net.segments[seg as usize].ports[port as usize].link;
            let d = link_delay_ns(&link.params);
            veths.push(Veth {
                name: ifc.name.clone(),
                peer: format!("v{hi}i{ii}"),
                bridge: bridges[seg as usize].1.clone(),
                mac: fmt_mac(ifc.mac),
                mtu: ifc.mtu,
                delay_out_ns: d,
                delay_in_ns: d + per_packet,
            });
        }
        hosts.push(LabHost {
            name: h.name.clone(),
            veths,
            run: spec.run.clone(),
            addrs: Vec::new(),
            ipvs: h.ipvs.is_some(),
        });
    }
    // Addresses after setup (before any traffic: run: commands are applied at build).
    for (lh, h) in hosts.iter_mut().zip(&engine.hosts) {
        lh.addrs = h.ifaces.iter().flat_map(|i| i.addrs.iter().map(|a| a.addr)).collect();
        if !lh.addrs.contains(&Ipv4Addr::LOCALHOST) && h.ifaces.iter().any(|i| i.kind == IfKind::Loopback) {
            lh.addrs.push(Ipv4Addr::LOCALHOST);
        }
    }

    let mut servers = Vec::new();
    let mut clients = Vec::new();
    for a in &sc.apps {
        match a {
            AppSpec::Server { host, proto, port, response, .. } => servers.push(LabServer {
                host: host.clone(),
                tcp: *proto == ProtoSpec::Tcp,
                port: *port,
                response: response.unwrap_or(1000),
            }),
            AppSpec::Client { host, proto, to, request, requests, .. } => {
                let dst: SocketAddrV4 = to.parse().map_err(|_| format!("client {host}: to: {to:?}\n"))?;
                clients.push(LabClient {
                    host: host.clone(),
                    tcp: *proto == ProtoSpec::Tcp,
                    dst,
                    request: request.unwrap_or(100),
                    response: 0,
                    requests: requests.as_deref().map_or(1, |r| r.trim().parse().unwrap_or(1)),
                    starts: Vec::new(),
                });
            }
        }
    }
    // A client expects the response size of the server it reaches; servers on one port
    // answer alike in every embedded scenario, so the first server on that port decides.
    for c in &mut clients {
        c.response = servers.iter().find(|s| s.tcp == c.tcp).map_or(1000, |s| s.response);
    }
    let at = sc
        .at
        .iter()
        .map(|a| {
            SimDuration::parse(&a.time)
                .map(|t| (t.as_secs_f64(), a.host.clone(), a.run.clone()))
                .map_err(|e| format!("at {}: {e}\n", a.time))
        })
        .collect::<Result<Vec<_>, _>>()?;

    // Run lvsim: record connection starts and frames.
    let host_ids: BTreeMap<&str, HostId> =
        engine.hosts.iter().enumerate().map(|(i, h)| (h.name.as_str(), i as HostId)).collect();
    let starts = Rc::new(RefCell::new(Starts {
        clients: clients.iter().map(|c| (host_ids[c.host.as_str()], c.tcp, c.dst)).collect(),
        seen: vec![Vec::new(); clients.len()],
    }));
    let writers = engine
        .net
        .segments
        .iter()
        .map(|_| PcapWriter::new(Vec::new()).map_err(|e| e.to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    let cap = Rc::new(RefCell::new(MemCapture { writers }));
    engine.set_recorder(Box::new(starts.clone()));
    engine.set_capture(Box::new(CapRef(cap.clone())));
    engine.run();
    let now = engine.now().max(engine.end);
    for (c, seen) in clients.iter_mut().zip(&starts.borrow().seen) {
        c.starts.clone_from(seen);
    }

    let mut obs = Observation::default();
    let segnames: Vec<String> = engine.net.segments.iter().map(|s| s.name.clone()).collect();
    let writers = std::mem::take(&mut cap.borrow_mut().writers);
    for (name, w) in segnames.into_iter().zip(writers) {
        obs.pcaps.insert(name, w.into_inner());
    }
    for h in &engine.hosts {
        obs.neigh.insert(h.name.clone(), show::show(h, &["neigh".into()]).unwrap_or_default());
        obs.route.insert(h.name.clone(), show::show(h, &["route".into()]).unwrap_or_default());
        if let Some(v) = h.ipvs.as_deref() {
            obs.ipvs_ln.insert(h.name.clone(), listing::list_services(v));
            obs.ipvs_lnc.insert(h.name.clone(), listing::list_conns(v, now));
        }
    }
    let plan =
        Plan { name: l.name.clone(), about: sc.about.en.clone(), seed, duration, bridges, hosts, servers, clients, at };
    obs.conns = diff::served_from_frames(&plan, &obs.pcaps, &engine_macs(&engine));
    Ok((plan, obs))
}

/// MAC → host name, for every Ethernet interface.
fn engine_macs(e: &Engine) -> BTreeMap<String, String> {
    e.hosts
        .iter()
        .flat_map(|h| h.ifaces.iter().filter(|i| i.port.is_some()).map(move |i| (fmt_mac(i.mac), h.name.clone())))
        .collect()
}

impl Plan {
    /// MAC → host name.
    pub fn macs(&self) -> BTreeMap<String, String> {
        self.hosts.iter().flat_map(|h| h.veths.iter().map(move |v| (v.mac.clone(), h.name.clone()))).collect()
    }
}

struct CapRef(Rc<RefCell<MemCapture>>);

impl Capture for CapRef {
    fn frame(&mut self, seg: crate::topology::SegId, time: SimTime, frame: &Frame) {
        self.0.borrow_mut().frame(seg, time, frame);
    }
}

/// Single-quotes a word for sh.
fn sq(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

fn secs(ns: u64) -> String {
    format!("{}us", ns / 1000)
}

/// The lab as a POSIX sh script (run as root; `LVSIM` names the lvsim binary, whose
/// `agent` subcommand is the lab's client and server; `OUT` where results go).
pub fn script(p: &Plan) -> String {
    let mut s = String::new();
    let w = &mut s;
    let _ = writeln!(w, "#!/bin/sh");
    let _ = writeln!(w, "# lvsim lab: {} (seed {}) — {}", p.name, p.seed, p.about);
    let _ = writeln!(
        w,
        "# Generated by `lvsim lab {}`. Builds the scenario in network namespaces (one per host,\n\
         # one bridge per segment, veth pairs with the scenario's MACs), runs every host's run:\n\
         # commands as written, replays lvsim's connections (same source ports and start times)\n\
         # with `lvsim agent`, runs the at: commands at their offsets, and prints captures and\n\
         # tables between '@@@ begin NAME' / '@@@ end' lines. Run as root on a scratch Linux host\n\
         # or VM: it changes nothing outside the namespaces and bridges it creates, and removes\n\
         # them at the end. LVSIM=path/to/lvsim (default: ./lvsim next to this script, else PATH).",
        p.name
    );
    let _ = writeln!(w, "set -u");
    let _ = writeln!(w, "here=$(cd \"$(dirname \"$0\")\" && pwd)");
    let _ = writeln!(w, "LVSIM=${{LVSIM:-$here/lvsim}}; [ -x \"$LVSIM\" ] || LVSIM=lvsim");
    let _ = writeln!(w, "OUT=${{OUT:-$(mktemp -d /tmp/lvsim-lab.XXXXXX)}}; mkdir -p \"$OUT\"");
    let _ =
        writeln!(w, "[ \"$(id -u)\" = 0 ] || {{ echo 'lvsim lab: run as root (it creates namespaces)' >&2; exit 1; }}");
    let _ = writeln!(w, "nsx() {{ _n=$1; shift; ip netns exec \"$_n\" \"$@\"; }}");
    let _ = writeln!(
        w,
        "run() {{ _h=$1; shift; if ! _o=$(ip netns exec \"$_h\" \"$@\" 2>&1); then\n\
         \x20   echo \"@@@ begin error $_h\"; echo \"$*\"; echo \"$_o\"; echo '@@@ end'; fi; }}"
    );
    let names: Vec<&str> = p.hosts.iter().map(|h| h.name.as_str()).collect();
    let brs: Vec<&str> = p.bridges.iter().map(|(_, b)| b.as_str()).collect();
    let peers: Vec<&str> = p.hosts.iter().flat_map(|h| h.veths.iter().map(|v| v.peer.as_str())).collect();
    // Deleting a veth end removes the pair at once; a namespace's devices are freed
    // later by a kernel worker, so a lab run right after would find the names taken.
    let _ = writeln!(
        w,
        "cleanup() {{ kill $BG 2>/dev/null; for v in {}; do ip link del \"$v\" 2>/dev/null; done; for n in {}; do ip netns del \"$n\" 2>/dev/null; done; for b in {}; do ip link del \"$b\" 2>/dev/null; done; }}",
        peers.join(" "),
        names.join(" "),
        brs.join(" ")
    );
    let _ = writeln!(
        w,
        "must() {{ \"$@\" || {{ echo \"@@@ begin error setup\"; echo \"$*\"; echo 'the lab could not be built'; echo '@@@ end'; exit 1; }}; }}"
    );
    let _ = writeln!(w, "BG=   # background jobs (dash's `jobs -p` is empty in $(...))");
    let _ = writeln!(w, "trap cleanup EXIT");
    let _ = writeln!(
        w,
        "\n# ---- segments: one bridge each. IPv6 off (no RS/MLD noise in the captures), TCP\n\
         # timestamps off and one segment per frame (gso_max_segs 1) on every veth: lvsim models\n\
         # TCP without options and without segmentation offload, so payload lengths then match."
    );
    let _ = writeln!(w, "sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1");
    for (seg, br) in &p.bridges {
        let _ = writeln!(w, "must ip link add {br} type bridge; must ip link set {br} up   # segment {seg}");
    }
    let _ = writeln!(w, "\n# ---- hosts: a namespace each, veths with the scenario's MACs, link delays");
    for h in &p.hosts {
        let n = &h.name;
        let _ = writeln!(w, "must ip netns add {n}");
        let _ = writeln!(
            w,
            "nsx {n} sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 net.ipv4.tcp_timestamps=0; nsx {n} ip link set lo up"
        );
        for v in &h.veths {
            let _ = writeln!(w, "must ip link add {} type veth peer name {} netns {n}", v.peer, v.name);
            let _ = writeln!(w, "must ip link set {} mtu {} gso_max_segs 1 master {} up", v.peer, v.mtu, v.bridge);
            let _ =
                writeln!(w, "must nsx {n} ip link set {} address {} mtu {} gso_max_segs 1 up", v.name, v.mac, v.mtu);
            let _ = writeln!(w, "must nsx {n} tc qdisc add dev {} root netem delay {}", v.name, secs(v.delay_out_ns));
            let _ = writeln!(w, "must tc qdisc add dev {} root netem delay {}", v.peer, secs(v.delay_in_ns));
        }
    }
    let _ = writeln!(w, "\n# ---- every host's run: commands, exactly as written");
    for h in &p.hosts {
        for c in &h.run {
            let _ = writeln!(w, "run {} {c}", h.name);
        }
    }
    let _ = writeln!(w, "\n# ---- servers");
    for (i, sv) in p.servers.iter().enumerate() {
        let h = p.hosts.iter().find(|h| h.name == sv.host);
        let bind = if sv.tcp {
            format!("--tcp {}", sv.port)
        } else {
            h.map(|h| h.addrs.iter().map(|a| format!("--udp {a}:{}", sv.port)).collect::<Vec<_>>().join(" "))
                .unwrap_or_default()
        };
        let _ = writeln!(
            w,
            "ip netns exec {} \"$LVSIM\" agent serve --name {} {bind} --response {} >\"$OUT/server{i}.log\" 2>&1 & BG=\"$BG $!\"",
            sv.host, sv.host, sv.response
        );
    }
    let _ = writeln!(w, "\n# ---- captures: one per segment");
    let _ = writeln!(w, "TD=");
    for (seg, br) in &p.bridges {
        let _ = writeln!(
            w,
            "tcpdump -i {br} --immediate-mode -U -n -s 160 -w \"$OUT/{seg}.pcap\" 2>\"$OUT/{seg}.err\" & TD=\"$TD $!\"; BG=\"$BG $!\""
        );
    }
    let _ = writeln!(
        w,
        "for f in {}; do",
        p.bridges.iter().map(|(s, _)| format!("\"$OUT/{s}.err\"")).collect::<Vec<_>>().join(" ")
    );
    let _ = writeln!(
        w,
        "    k=0; until grep -q 'listening on' \"$f\" 2>/dev/null; do k=$((k+1)); [ $k -gt 200 ] && break; sleep 0.05; done"
    );
    let _ = writeln!(w, "done");
    let _ = writeln!(w, "sleep 0.5   # servers listening");
    let _ = writeln!(w, "\n# ---- t0: lvsim's time 0; clients and at: commands keep lvsim's offsets");
    let _ = writeln!(w, "T0=$(\"$LVSIM\" agent now --plus 2)");
    for (i, c) in p.clients.iter().enumerate() {
        let plan: Vec<String> = c.starts.iter().map(|(t, port)| format!("{t:.9}:{port}")).collect();
        let _ = writeln!(
            w,
            "ip netns exec {} \"$LVSIM\" agent client --t0 \"$T0\" --end {:.9} --proto {} --to {} --request {} --response {} --requests {} --plan {} >\"$OUT/client{i}.log\" 2>&1 &",
            c.host,
            p.duration + 60.0,
            if c.tcp { "tcp" } else { "udp" },
            c.dst,
            c.request,
            c.response,
            c.requests,
            sq(&plan.join(","))
        );
        let _ = writeln!(w, "BG=\"$BG $!\"");
    }
    for (i, (t, host, cmd)) in p.at.iter().enumerate() {
        // The command runs in the host's namespace right after the wait (no second
        // `ip netns exec` to start); when it has finished, the time is logged, so the
        // diff can tell whether it took effect before lvsim's next event.
        let _ = writeln!(
            w,
            "( ip netns exec {host} sh -c '\"$1\" agent wait --t0 \"$2\" --at {t:.9}; shift 2; \"$@\"' at \"$LVSIM\" \"$T0\" {cmd} >\"$OUT/at{i}.out\" 2>&1 || {{ echo \"@@@ begin error {host}\"; echo {q}; cat \"$OUT/at{i}.out\"; echo '@@@ end'; }}; echo \"at {t:.9} done $(date +%s.%N)\" >>\"$OUT/at.log\" ) & BG=\"$BG $!\"",
            q = sq(cmd)
        );
    }
    let _ = writeln!(w, "\"$LVSIM\" agent wait --t0 \"$T0\" --at {:.9}", p.duration);
    // SIGTERM: a background job of a non-interactive sh starts with SIGINT ignored.
    let _ = writeln!(w, "kill -TERM $TD; for t in $TD; do wait $t; done   # the captures end with lvsim's run");
    // The tables as they are when lvsim's run ends, before anything else happens: a
    // client still waiting then would close its socket (a FIN) when killed.
    let _ = writeln!(w, "{{");
    for h in &p.hosts {
        let _ = writeln!(w, "echo '@@@ begin neigh {0}'; nsx {0} ip neigh show; echo '@@@ end'", h.name);
        let _ = writeln!(w, "echo '@@@ begin route {0}'; nsx {0} ip route show; echo '@@@ end'", h.name);
    }
    for h in p.hosts.iter().filter(|h| h.ipvs) {
        let _ = writeln!(w, "echo '@@@ begin ipvs-ln {0}'; nsx {0} ipvsadm -Ln; echo '@@@ end'", h.name);
        let _ = writeln!(w, "echo '@@@ begin ipvs-lnc {0}'; nsx {0} ipvsadm -Lnc; echo '@@@ end'", h.name);
    }
    let _ = writeln!(w, "}} >\"$OUT/tables.txt\" 2>&1");
    let _ = writeln!(w, "kill $BG 2>/dev/null; BG=; sleep 0.2");
    let _ = writeln!(w, "\n# ---- results");
    if !p.at.is_empty() {
        let _ = writeln!(w, "echo \"@@@ begin at $T0\"; cat \"$OUT/at.log\" 2>/dev/null; echo '@@@ end'");
    }
    for (i, c) in p.clients.iter().enumerate() {
        let _ = writeln!(w, "echo '@@@ begin client {}'; cat \"$OUT/client{i}.log\"; echo '@@@ end'", c.host);
    }
    let _ = writeln!(w, "cat \"$OUT/tables.txt\"");
    for (seg, _) in &p.bridges {
        let _ = writeln!(w, "echo '@@@ begin pcap {seg}'; base64 \"$OUT/{seg}.pcap\"; echo '@@@ end'");
    }
    if p.hosts.iter().any(|h| h.ipvs) {
        let _ = writeln!(w, "sleep 2.2   # ipvsadm --stats: the estimator folds counters every 2 s");
        for h in p.hosts.iter().filter(|h| h.ipvs) {
            let _ = writeln!(w, "echo '@@@ begin ipvs-stats {0}'; nsx {0} ipvsadm -Ln --stats; echo '@@@ end'", h.name);
        }
    }
    s
}

/// One scenario ready to diff: its plan, lvsim's observation and the lab script.
#[derive(Clone, Debug)]
pub struct Case {
    pub plan: Plan,
    pub sim: Observation,
    pub script: String,
}

impl Case {
    pub fn new(l: &Loaded, seed: u64) -> Result<Case, String> {
        let (plan, sim) = plan(l, seed)?;
        let script = script(&plan);
        Ok(Case { plan, sim, script })
    }

    /// The diff rows against the kernel lab's output.
    pub fn rows(&self, kernel_output: &str) -> Result<Vec<diff::Row>, String> {
        let kernel = diff::parse_output(&self.plan, kernel_output).map_err(|e| format!("{}: {e}\n", self.plan.name))?;
        Ok(diff::compare(&self.plan.name, &self.sim, &kernel))
    }
}

/// The embedded scenarios the kernel diff runs: every one `lvsim lab` accepts whose
/// clients start at most `MAX_CONNS` connections (a TCG guest replays a few per second
/// of wall time faithfully, not thousands).
pub const MAX_CONNS: usize = 50;

/// Embedded scenarios added since the last recorded kernel run (`tests/kernel`): out of the
/// suite until a `lvsim kernel-diff --keep` run records them (and the guest has what they
/// need: iptables' mangle table and MARK target for the fwmark ones).
pub const AWAITING_KERNEL_RUN: &[&str] = &[
    "fwmark-http-https",
    "cache-cluster-lblc",
    "rs-failure-tcp-check",
    "rs-failure-inhibit",
    "sorry-server",
    "director-failover",
    "director-failover-no-sync",
];

/// Embedded scenarios and whether each is in the kernel suite (`Err`: why not).
pub fn suite() -> Vec<(&'static str, Result<(), String>)> {
    crate::scenario::EMBEDDED
        .iter()
        .map(|(name, _)| {
            if AWAITING_KERNEL_RUN.contains(name) {
                return (*name, Err("no kernel run recorded yet (tests/kernel)".to_owned()));
            }
            let r = crate::scenario::load(name).map_err(|e| e.render()).and_then(|l| {
                let (p, _) = plan(&l, l.scenario.seed)?;
                let n: usize = p.clients.iter().map(|c| c.starts.len()).sum();
                if n > MAX_CONNS {
                    Err(format!(
                        "{n} connections: a load scenario, more than the {MAX_CONNS} a TCG guest replays on time"
                    ))
                } else {
                    Ok(())
                }
            });
            (*name, r)
        })
        .collect()
}
