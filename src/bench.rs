//! The benchmark of issue 3: 16 clients behind a router, a director and 4 real servers on
//! one LAN in DR mode; UDP requests of 100 B to the VIP at 50,000 requests/s in total
//! (Poisson), replies of 200 B, 64 flows, 1 Gbit/s links, static ARP entries. The
//! scenario is generated as RON text and goes through the same loader as any file.

use crate::scenario::{self, ScenarioError};
use crate::topology::default_mac;
use std::fmt::Write as _;

pub const CLIENTS: u16 = 16;
pub const SERVERS: u16 = 4;
pub const RATE: f64 = 50_000.0;

/// The bench scenario for `requests` requests in all.
pub fn scenario_text(requests: u64) -> String {
    let per_client = requests.div_ceil(u64::from(CLIENTS));
    let secs = (requests as f64 / RATE).ceil() as u64 + 1;
    // Host ids follow the order below: clients 0..16, router 16, director 17, rs 18..22.
    let router = CLIENTS;
    let director = CLIENTS + 1;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Scenario(\n    about: \"bench: 16 UDP clients, DR director, 4 real servers, 50k req/s\",\n    seed: 1,\n    duration: \"{secs}s\","
    );
    s.push_str("    segments: [Segment(name: \"wan\", latency: \"10us\", bandwidth: \"1Gbit\"), Segment(name: \"lan\", latency: \"10us\", bandwidth: \"1Gbit\")],\n    hosts: [\n");
    for c in 0..CLIENTS {
        let _ = writeln!(
            s,
            "        Host(name: \"c{c}\", ifaces: {{\"eth0\": \"wan\"}}, run: [\"ip addr add 198.18.0.{}/16 dev eth0\", \"ip route add default via 198.18.255.254\", \"ip neigh add 198.18.255.254 lladdr {} dev eth0 nud permanent\"]),",
            10 + c,
            default_mac(router, 1)
        );
    }
    let _ = write!(
        s,
        "        Host(name: \"router\", ifaces: {{\"eth0\": \"wan\", \"eth1\": \"lan\"}}, run: [\"ip addr add 198.18.255.254/16 dev eth0\", \"ip addr add 10.0.0.1/24 dev eth1\", \"sysctl -w net.ipv4.ip_forward=1\", \"ip neigh add 10.0.0.100 lladdr {} dev eth1 nud permanent\"",
        default_mac(director, 1)
    );
    for c in 0..CLIENTS {
        let _ = write!(s, ", \"ip neigh add 198.18.0.{} lladdr {} dev eth0 nud permanent\"", 10 + c, default_mac(c, 1));
    }
    s.push_str("]),\n");
    let _ = write!(
        s,
        "        Host(name: \"director\", ifaces: {{\"eth0\": \"lan\"}}, run: [\"ip addr add 10.0.0.2/24 dev eth0\", \"ip addr add 10.0.0.100/32 dev eth0\", \"ip route add default via 10.0.0.1\", \"ipvsadm -A -u 10.0.0.100:53 -s rr\""
    );
    for r in 0..SERVERS {
        let _ = write!(
            s,
            ", \"ipvsadm -a -u 10.0.0.100:53 -r 10.0.0.{} -g -w 1\", \"ip neigh add 10.0.0.{} lladdr {} dev eth0 nud permanent\"",
            11 + r,
            11 + r,
            default_mac(director + 1 + r, 1)
        );
    }
    s.push_str("]),\n");
    for r in 0..SERVERS {
        let _ = writeln!(
            s,
            "        Host(name: \"rs{}\", ifaces: {{\"eth0\": \"lan\"}}, run: [\"ip addr add 10.0.0.{}/24 dev eth0\", \"ip addr add 10.0.0.100/32 dev lo\", \"sysctl -w net.ipv4.conf.all.arp_ignore=1\", \"sysctl -w net.ipv4.conf.all.arp_announce=2\", \"ip route add default via 10.0.0.1\", \"ip neigh add 10.0.0.1 lladdr {} dev eth0 nud permanent\"]),",
            r + 1,
            11 + r,
            default_mac(router, 2)
        );
    }
    s.push_str("    ],\n    apps: [\n");
    for r in 0..SERVERS {
        let _ = writeln!(s, "        Server(host: \"rs{}\", proto: udp, port: 53, response: 200),", r + 1);
    }
    for c in 0..CLIENTS {
        let _ = writeln!(
            s,
            "        Client(host: \"c{c}\", proto: udp, to: \"10.0.0.100:53\", count: {per_client}, rate: {}, request: 100, flows: 4),",
            RATE / f64::from(CLIENTS)
        );
    }
    s.push_str("    ],\n)\n");
    s
}

/// Figures of a bench: the same run repeated, timed each time.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Report {
    pub requests: u64,
    pub replies: u64,
    pub events: u64,
    pub packet_hops: u64,
    /// Wall time of each run, in seconds.
    pub wall_secs: Vec<f64>,
    /// Packet-hops per second of the median run.
    pub packet_hops_per_sec: f64,
    pub events_per_sec: f64,
    /// Packet-hops per second of the fastest run.
    pub best_packet_hops_per_sec: f64,
    /// CPU time of the simulating thread in each run, in seconds (what the scheduler gave
    /// it; on a shared machine wall time also counts the time other processes ran).
    /// Empty where `/proc/thread-self/schedstat` is missing.
    pub cpu_secs: Vec<f64>,
    /// Packet-hops and events per CPU second of the median run (by CPU time), 0 without
    /// `cpu_secs`.
    pub cpu_packet_hops_per_sec: f64,
    pub cpu_events_per_sec: f64,
    pub peak_rss_kib: Option<u64>,
}

/// Nanoseconds the calling thread has run on a CPU (`/proc/thread-self/schedstat`, field 1:
/// `se.sum_exec_runtime`), Linux only.
pub fn thread_cpu_ns() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_whitespace().next()?.parse().ok()
}

/// Peak resident memory (`VmHWM`), Linux only.
pub fn peak_rss_kib() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Runs the bench `runs` times with tracing off. Every run is the same simulation (same
/// seed, same counts); only the wall time differs, so the median is reported.
pub fn run(requests: u64, runs: usize) -> Result<Report, ScenarioError> {
    let text = scenario_text(requests);
    let loaded = scenario::parse("bench", &text)?;
    let mut walls = Vec::new();
    let mut cpus = Vec::new();
    let mut counts = (0, 0, 0, 0);
    for _ in 0..runs.max(1) {
        let mut engine = loaded.build()?;
        let c0 = thread_cpu_ns();
        let t0 = std::time::Instant::now();
        engine.run();
        walls.push(t0.elapsed().as_secs_f64());
        if let (Some(a), Some(b)) = (c0, thread_cpu_ns()) {
            cpus.push(b.saturating_sub(a) as f64 / 1e9);
        }
        let m = &engine.metrics;
        let c = (
            m.clients.iter().map(|c| c.started).sum(),
            m.clients.iter().map(|c| c.completed).sum(),
            m.events,
            m.packet_hops(),
        );
        assert!(counts == (0, 0, 0, 0) || counts == c, "bench runs must be identical");
        counts = c;
    }
    let mut sorted = walls.clone();
    sorted.sort_by(f64::total_cmp);
    let median = sorted[sorted.len() / 2];
    let mut cpu_sorted = cpus.clone();
    cpu_sorted.sort_by(f64::total_cmp);
    let cpu_median = cpu_sorted.get(cpu_sorted.len() / 2).copied().filter(|&c| c > 0.0);
    let (requests, replies, events, hops) = counts;
    Ok(Report {
        requests,
        replies,
        events,
        packet_hops: hops,
        wall_secs: walls,
        packet_hops_per_sec: hops as f64 / median,
        events_per_sec: events as f64 / median,
        best_packet_hops_per_sec: hops as f64 / sorted[0],
        cpu_secs: cpus,
        cpu_packet_hops_per_sec: cpu_median.map_or(0.0, |c| hops as f64 / c),
        cpu_events_per_sec: cpu_median.map_or(0.0, |c| events as f64 / c),
        peak_rss_kib: peak_rss_kib(),
    })
}

/// The sweep bench: 8 points of the `bottleneck` study (NAT and DR at 10,000 to 16,000
/// connections/s), each `secs` simulated seconds.
pub fn sweep_text(secs: u64) -> String {
    format!(
        "Sweep(\n    about: \"bench: bottleneck, 8 points, {secs} s each at 10k-16k connections/s\",\n    duration: \"{secs}s\",\n    vary: [\n        Mode([(\"nat\", \"bottleneck-nat\"), (\"dr\", \"bottleneck-dr\")]),\n        Rate([10000, 12000, 14000, 16000]),\n    ],\n)\n"
    )
}

/// Figures of the sweep bench.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SweepReport {
    pub points: usize,
    pub simulated_secs: u64,
    /// Connections started in all points.
    pub connections: u64,
    /// (threads, wall seconds) per run.
    pub wall_secs: Vec<(usize, f64)>,
    /// Wall time with 1 thread over wall time with the most threads.
    pub speedup: f64,
    /// Whether every run gave the same points (it must).
    pub identical: bool,
    pub peak_rss_kib: Option<u64>,
}

/// Runs the sweep bench with each thread count in `threads`.
pub fn run_sweep(secs: u64, threads: &[usize]) -> Result<SweepReport, ScenarioError> {
    let sw = crate::batch::sweep::parse("bench-sweep", &sweep_text(secs))?;
    let mut walls = Vec::new();
    let mut first: Option<Vec<u8>> = None;
    let mut identical = true;
    let mut connections = 0;
    for &t in threads {
        let t0 = std::time::Instant::now();
        let r = crate::batch::sweep::run(&sw, t)?;
        walls.push((t, t0.elapsed().as_secs_f64()));
        connections = r.iter().map(|p| p.summary.clients.started).sum();
        let csv = crate::batch::sweep::points_csv(&sw, &r).unwrap_or_default();
        identical &= first.as_ref().is_none_or(|f| *f == csv);
        first.get_or_insert(csv);
    }
    let one = walls.first().map_or(0.0, |w| w.1);
    let last = walls.last().map_or(1.0, |w| w.1);
    Ok(SweepReport {
        points: sw.points.len(),
        simulated_secs: secs,
        connections,
        speedup: one / last.max(1e-9),
        wall_secs: walls,
        identical,
        peak_rss_kib: peak_rss_kib(),
    })
}

/// Memory of the director's connection table: `conns` SYNs from distinct clients through
/// one DR service with two real servers (`ip_vs_in_hook`), every entry kept alive (no
/// timer runs), then the process's peak resident memory.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ConnsReport {
    pub conns: u64,
    /// Entries live in the table at the end.
    pub live: u64,
    pub peak_rss_kib: Option<u64>,
    /// Peak RSS divided by the live entries, in bytes (includes the program itself).
    pub bytes_per_conn: Option<f64>,
}

/// Builds the table of [`ConnsReport`].
pub fn conns(n: u64) -> Result<ConnsReport, String> {
    use crate::cmdline::{Command, parse};
    use crate::packet::{IpProtocol, Ipv4Repr, L4, Packet, TcpFlags, TcpRepr};
    use std::net::Ipv4Addr;
    let mut ipvs = crate::ipvs::Ipvs::default();
    for line in [
        "ipvsadm -A -t 10.0.0.100:80 -s rr",
        "ipvsadm -a -t 10.0.0.100:80 -r 10.0.0.11 -g",
        "ipvsadm -a -t 10.0.0.100:80 -r 10.0.0.12 -g",
    ] {
        let Ok(Command::Ipvsadm(c)) = parse(line) else { return Err(format!("bench: cannot parse {line}")) };
        ipvs.apply(&c).map_err(|e| format!("bench: {line}: {e}"))?;
    }
    let now = crate::sim::SimTime::ZERO;
    for i in 0..n {
        // Distinct (client, port) pairs: 2^32 addresses × 50,000 ports is plenty.
        let client = Ipv4Addr::from(0x0a00_0000u32.wrapping_add((i / 50_000) as u32 + (1 << 16)));
        let port = 10_000 + (i % 50_000) as u16;
        let l4 = L4::Tcp(TcpRepr {
            src_port: port,
            dst_port: 80,
            seq: 1,
            ack: 0,
            flags: TcpFlags::SYN,
            window: 64240,
            payload_len: 0,
        });
        let ip = Ipv4Repr {
            src: client,
            dst: Ipv4Addr::new(10, 0, 0, 100),
            protocol: IpProtocol::Tcp,
            ttl: 64,
            ident: 0,
            dont_frag: true,
            tos: 0,
        };
        let _ = ipvs.in_hook(&Packet { tunnel: None, ip, l4 }, now);
    }
    let live = ipvs.live_conns().count() as u64;
    let peak = peak_rss_kib();
    Ok(ConnsReport {
        conns: n,
        live,
        peak_rss_kib: peak,
        bytes_per_conn: peak.filter(|_| live > 0).map(|k| k as f64 * 1024.0 / live as f64),
    })
}
