//! Schedulers on the real kernel: random `lvsim sched --script` cases, the lab that drives
//! each one as real TCP connections in a VM, and the comparison of both pick lists
//! (`lvsim kernel-diff --sched`).
//!
//! ```text
//!  generate(sched, seed, i) ──► Script ──to_json──► ipvs::script::run ──► lvsim's picks
//!                                 │                                          │
//!                                 └─ lab(): one VM boot per scheduler:       │ compare
//!                                    director + real servers + client        │
//!                                    namespaces; `lvsim agent sched` per ──► kernel's picks
//!                                    script (real connects, closes, ipvsadm)
//! ```
//!
//! A script only holds events the kernel can be driven to at a chosen instant: connects,
//! closes, weight and threshold edits, server additions and deletions. No `expire` or
//! timed `tick` (the kernel's timers run on its own clock), and every persistence timeout
//! is far longer than a script takes, so no entry or template expires while it runs.
//! Each script has its own VIP: a deleted server stays in the kernel's trash with its
//! counters, and a re-add to the same service revives it, which scripts do on purpose
//! (an `add_server` of a deleted address) but must not happen across scripts. A script
//! never closes a connection while its server is deleted: the director drops that FIN
//! and TCP retransmits it, so after a re-add it would land when the kernel's timer says.
//! The generator learns each connection's server from lvsim's run of the script so far,
//! so a scheduler change in lvsim can change the scripts a seed gives; the fixtures keep
//! the scripts themselves.

use crate::sim::rng;
use rand::RngExt;
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;
use std::net::Ipv4Addr;

/// The schedulers Linux 6.1 has (no `twos`), in the order the table lists them.
pub const SCHEDULERS: [&str; 13] =
    ["rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh"];

/// Client addresses scripts connect from: three share 192.0.2.0/24 and two share
/// 198.51.100.0/24, so a persistence netmask groups some of them.
pub const CLIENTS: [Ipv4Addr; 6] = [
    Ipv4Addr::new(192, 0, 2, 7),
    Ipv4Addr::new(192, 0, 2, 8),
    Ipv4Addr::new(192, 0, 2, 77),
    Ipv4Addr::new(198, 51, 100, 9),
    Ipv4Addr::new(198, 51, 100, 10),
    Ipv4Addr::new(203, 0, 113, 5),
];

/// Real server addresses: 10.0.0.11 up to 10.0.0.18 (the lab makes one namespace each).
pub const POOL: usize = 8;

/// The `i`-th real server address of the pool.
pub fn rs_addr(i: usize) -> Ipv4Addr {
    Ipv4Addr::new(10, 0, 0, 11 + i as u8)
}

/// The VIP of script `index`: 10.0.1.1, 10.0.1.2, ... (a fresh service for each script).
pub fn vip(index: usize) -> Ipv4Addr {
    Ipv4Addr::new(10, 0, 1 + (index / 250) as u8, 1 + (index % 250) as u8)
}

/// The protocol of every script (`ip_vs_dest_conn_overhead` of Linux 6.1.183 and later,
/// which the lab's 6.1.192 kernel runs: activeconns·256 + totalconns).
pub const OVERHEAD: &str = "totalconns";

/// One `lvsim sched --script` case, as its JSON (see docs/sched.md). Only the fields the
/// generator uses; `ipvs::script::run` reads the same text.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Script {
    pub scheduler: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sched_flags: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub persistence: Option<Persistence>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overhead: Option<String>,
    pub servers: Vec<Server>,
    pub events: Vec<Event>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Persistence {
    pub timeout: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub netmask: Option<Ipv4Addr>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Server {
    pub addr: Ipv4Addr,
    pub port: u16,
    pub weight: u32,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub x: u32,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub y: u32,
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
const fn is_zero(v: &u32) -> bool {
    *v == 0
}

/// A script event (`op`), as `ipvs::script` reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum Event {
    Connect {
        client: Ipv4Addr,
        cport: u16,
        vip: Ipv4Addr,
        vport: u16,
    },
    Close {
        conn: usize,
    },
    SetWeight {
        server: usize,
        weight: u32,
    },
    EditServer {
        server: usize,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        weight: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        x: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        y: Option<u32>,
    },
    AddServer {
        addr: Ipv4Addr,
        port: u16,
        weight: u32,
    },
    DelServer {
        server: usize,
    },
}

impl Script {
    /// The script as one line of JSON (what `lvsim sched --script` and the agent read).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a script serializes")
    }

    /// The virtual service: the first connect's VIP and port (`ipvs::script`'s rule; its
    /// default when there is none).
    pub fn service(&self) -> (Ipv4Addr, u16) {
        self.events
            .iter()
            .find_map(|e| match *e {
                Event::Connect { vip, vport, .. } => Some((vip, vport)),
                _ => None,
            })
            .unwrap_or((Ipv4Addr::new(10, 0, 0, 100), 80))
    }
}

/// A weight from 0 to 5, 0 about one time in eight.
fn weight(r: &mut impl RngExt) -> u32 {
    if r.random_bool(0.12) { 0 } else { r.random_range(1..=5) }
}

/// Thresholds the kernel accepts: `-y` at most `-x`, and 0 when `-x` is 0 (ERANGE).
fn thresholds(r: &mut impl RngExt) -> (u32, u32) {
    let x = r.random_range(0..=4u32);
    let y = if x > 0 && r.random_bool(0.5) { r.random_range(0..=x) } else { 0 };
    (x, y)
}

/// A server index as the generator tracks it: address, weight, thresholds, and whether it
/// is in the service now.
struct GenServer {
    addr: Ipv4Addr,
    w: u32,
    x: u32,
    y: u32,
    present: bool,
}

/// Script `index` of scheduler `sched` under `seed`: the same three values give the same
/// script on every machine (its own ChaCha8 stream, named after scheduler and index).
pub fn generate(sched: &str, seed: u64, index: usize) -> Script {
    let mut r = rng::stream(seed, &format!("kernel-sched/{sched}/{index}"));
    let vip = vip(index);
    let with_thresholds = r.random_bool(0.35);
    let n0 = r.random_range(2..=4usize);
    let servers: Vec<Server> = (0..n0)
        .map(|i| {
            let w = weight(&mut r);
            let (x, y) = if with_thresholds { thresholds(&mut r) } else { (0, 0) };
            Server { addr: rs_addr(i), port: 80, weight: w, x, y }
        })
        .collect();
    let persistence = r.random_bool(0.3).then(|| {
        let timeout = [120, 300, 600][r.random_range(0..3usize)];
        let netmask = [None, Some(Ipv4Addr::new(255, 255, 255, 0)), Some(Ipv4Addr::new(255, 255, 0, 0))]
            [r.random_range(0..3usize)];
        Persistence { timeout, netmask }
    });
    let mut sched_flags = Vec::new();
    if matches!(sched, "sh" | "mh") {
        for f in ["port", "fallback"] {
            if r.random_bool(0.45) {
                sched_flags.push(format!("{sched}-{f}"));
            }
        }
    }
    let mut clients = CLIENTS.to_vec();
    for i in (1..clients.len()).rev() {
        clients.swap(i, r.random_range(0..=i));
    }
    clients.truncate(r.random_range(2..=4usize));

    // The generator's view of each server index, and the connections still open.
    let mut state: Vec<GenServer> =
        servers.iter().map(|s| GenServer { addr: s.addr, w: s.weight, x: s.x, y: s.y, present: true }).collect();
    let mut open: Vec<usize> = Vec::new();
    let mut connects = 0usize;
    let mut used_ports: Vec<(Ipv4Addr, u16)> = Vec::new();
    let mut events = Vec::new();
    let n_events = r.random_range(8..=20usize);
    while events.len() < n_events {
        let present: Vec<usize> = (0..state.len()).filter(|&i| state[i].present).collect();
        let is_present = |a: Ipv4Addr, state: &[GenServer]| state.iter().any(|s| s.addr == a && s.present);
        // connect 50 %, close 18 %, set_weight 10 %, edit_server 8 % (set_weight in a
        // script without thresholds), add_server 8 %, del_server 6 %; an event that cannot
        // happen now (nothing open, no server) is replaced or drawn again.
        let roll = r.random_range(0..100u32);
        let kind = match roll {
            _ if roll < 50 || (roll < 68 && open.is_empty()) => "connect",
            50..68 => "close",
            _ if present.is_empty() || (86..94).contains(&roll) => "add",
            78..86 if with_thresholds => "edit",
            68..86 => "weight",
            _ => "del",
        };
        let ev = match kind {
            "connect" => {
                let client = clients[r.random_range(0..clients.len())];
                let cport = loop {
                    let p = r.random_range(1024..=65000u16);
                    if !used_ports.contains(&(client, p)) {
                        break p;
                    }
                };
                used_ports.push((client, cport));
                open.push(connects);
                connects += 1;
                Event::Connect { client, cport, vip, vport: 80 }
            }
            "close" => {
                // Not a connection whose server is deleted now: the director drops its FIN
                // and TCP retransmits it, so after a re-add it would land at a moment of the
                // kernel's choosing. Which server each connection has comes from lvsim's run
                // of the script so far (the comparison catches a kernel that chose otherwise).
                let so_far = Script {
                    scheduler: sched.to_string(),
                    sched_flags: sched_flags.clone(),
                    persistence,
                    overhead: Some(OVERHEAD.to_string()),
                    servers: servers.clone(),
                    events: events.clone(),
                };
                let picks = crate::ipvs::script::run(&so_far.to_json()).unwrap_or_default();
                let closable: Vec<usize> = (0..open.len())
                    .filter(|&k| {
                        picks.get(open[k]).copied().flatten().is_none_or(|i| is_present(state[i].addr, &state))
                    })
                    .collect();
                if closable.is_empty() {
                    continue;
                }
                Event::Close { conn: open.swap_remove(closable[r.random_range(0..closable.len())]) }
            }
            "add" => {
                // A deleted address comes back half of the time (the kernel revives it from
                // its trash with its counters); otherwise the next fresh one.
                let mut gone: Vec<Ipv4Addr> =
                    state.iter().map(|s| s.addr).filter(|&a| !is_present(a, &state)).collect();
                gone.sort_unstable();
                gone.dedup();
                let fresh = (0..POOL).map(rs_addr).find(|a| state.iter().all(|s| s.addr != *a));
                let addr = match fresh {
                    Some(a) if gone.is_empty() || r.random_bool(0.5) => a,
                    _ if !gone.is_empty() => gone[r.random_range(0..gone.len())],
                    _ => continue,
                };
                let w = weight(&mut r);
                state.push(GenServer { addr, w, x: 0, y: 0, present: true });
                Event::AddServer { addr, port: 80, weight: w }
            }
            "weight" => {
                let server = present[r.random_range(0..present.len())];
                let w = weight(&mut r);
                state[server].w = w;
                Event::SetWeight { server, weight: w }
            }
            "edit" => {
                let server = present[r.random_range(0..present.len())];
                let weight = r.random_bool(0.5).then(|| weight(&mut r));
                let x = r.random_bool(0.7).then(|| r.random_range(0..=4u32));
                let s = &mut state[server];
                s.x = x.unwrap_or(s.x);
                s.y = if s.x > 0 && r.random_bool(0.5) { r.random_range(0..=s.x) } else { 0 };
                s.w = weight.unwrap_or(s.w);
                Event::EditServer { server, weight, x, y: Some(s.y) }
            }
            _ => {
                let server = present[r.random_range(0..present.len())];
                state[server].present = false;
                Event::DelServer { server }
            }
        };
        events.push(ev);
    }
    Script {
        scheduler: sched.to_string(),
        sched_flags,
        persistence,
        overhead: Some(OVERHEAD.to_string()),
        servers,
        events,
    }
}

/// Scripts 0..n of `sched`, named `SCHED-NN`.
pub fn batch(sched: &str, seed: u64, n: usize) -> Vec<(String, Script)> {
    (0..n).map(|i| (format!("{sched}-{i:02}"), generate(sched, seed, i))).collect()
}

/// Single-quotes a word for sh.
fn sq(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The lab for one batch: a POSIX sh script that builds a DR setup in namespaces on one
/// bridge and runs every script with `lvsim agent sched`. Its output holds, per script,
/// `@@@ begin sched NAME`, the script's JSON, the agent's notes (`# ...`) and the
/// kernel's picks (a JSON list), then `@@@ end`.
pub fn lab(sched: &str, seed: u64, scripts: &[(String, Script)]) -> String {
    let n_rs = scripts
        .iter()
        .flat_map(|(_, s)| {
            s.servers.iter().map(|v| v.addr).chain(s.events.iter().filter_map(|e| match *e {
                Event::AddServer { addr, .. } => Some(addr),
                _ => None,
            }))
        })
        .filter_map(|a| (0..POOL).find(|&i| rs_addr(i) == a))
        .max()
        .map_or(0, |i| i + 1);
    let vips: Vec<Ipv4Addr> = {
        let mut v: Vec<Ipv4Addr> = scripts.iter().map(|(_, s)| s.service().0).collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let mut s = String::new();
    let w = &mut s;
    let _ = writeln!(w, "#!/bin/sh");
    let _ = writeln!(w, "# lvsim sched lab: {sched}, {} scripts (seed {seed})", scripts.len());
    let _ = writeln!(
        w,
        "# Generated by `lvsim kernel-diff --sched {sched}`. LVS-DR on one bridge: a director with\n\
         # every VIP on eth0, one namespace per real server (VIPs on lo, arp_ignore=1,\n\
         # arp_announce=2, `lvsim agent serve` on port 80) and a client namespace with every\n\
         # client address. `lvsim agent sched` drives each script: real TCP connections from the\n\
         # script's address and port, ipvsadm for server edits, picks read from ipvsadm -Lnc.\n\
         # Run as root on a scratch Linux host or VM (IPVS modules loaded)."
    );
    let _ = writeln!(w, "set -u");
    let _ = writeln!(w, "here=$(cd \"$(dirname \"$0\")\" && pwd)");
    let _ = writeln!(w, "LVSIM=${{LVSIM:-$here/lvsim}}; [ -x \"$LVSIM\" ] || LVSIM=lvsim");
    let _ = writeln!(w, "export LD_LIBRARY_PATH=\"$here${{LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}}\"");
    let _ = writeln!(w, "OUT=${{OUT:-$(mktemp -d /tmp/lvsim-sched.XXXXXX)}}; mkdir -p \"$OUT\"");
    let _ = writeln!(
        w,
        "[ \"$(id -u)\" = 0 ] || {{ echo 'lvsim sched lab: run as root (it creates namespaces)' >&2; exit 1; }}"
    );
    let _ = writeln!(w, "nsx() {{ _n=$1; shift; ip netns exec \"$_n\" \"$@\"; }}");
    let rs_names: Vec<String> = (0..n_rs).map(|i| format!("lvs-rs{}", 11 + i)).collect();
    let _ = writeln!(
        w,
        "cleanup() {{ kill $(jobs -p) 2>/dev/null; for n in lvs-dir lvs-cl {}; do ip netns del \"$n\" 2>/dev/null; done; ip link del lvsbr 2>/dev/null; }}",
        rs_names.join(" ")
    );
    let _ = writeln!(w, "trap cleanup EXIT");
    let _ = writeln!(w, "\n# ---- one bridge; a namespace per host with its eth0 on it (IPv6 off)");
    let _ = writeln!(w, "sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1");
    let _ = writeln!(w, "ip link add lvsbr type bridge && ip link set lvsbr up");
    let _ = writeln!(
        w,
        "mkns() {{ ip netns add \"$1\"; nsx \"$1\" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 \\\n\
         \x20   net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0; nsx \"$1\" ip link set lo up\n\
         \x20 ip link add \"$2\" type veth peer name eth0 netns \"$1\"; ip link set \"$2\" master lvsbr up\n\
         \x20 nsx \"$1\" ip addr add \"$3\" dev eth0; nsx \"$1\" ip link set eth0 up; nsx \"$1\" ip route add default dev eth0; }}"
    );
    let _ = writeln!(w, "\n# ---- director: DIP 10.0.0.2, every VIP on eth0");
    let _ = writeln!(w, "mkns lvs-dir v-dir 10.0.0.2/24");
    let _ = writeln!(w, "ip -n lvs-dir -batch - <<'EOF'");
    for v in &vips {
        let _ = writeln!(w, "addr add {v}/32 dev eth0");
    }
    let _ = writeln!(w, "EOF");
    let _ = writeln!(w, "\n# ---- client: every client address on eth0");
    let _ = writeln!(w, "mkns lvs-cl v-cl 10.0.0.3/24");
    let _ = writeln!(w, "ip -n lvs-cl -batch - <<'EOF'");
    for c in CLIENTS {
        let _ = writeln!(w, "addr add {c}/32 dev eth0");
    }
    let _ = writeln!(w, "EOF");
    let _ = writeln!(w, "\n# ---- real servers: RIP on eth0, every VIP on lo, no ARP for the VIPs");
    for (i, n) in rs_names.iter().enumerate() {
        let rip = rs_addr(i);
        let _ = writeln!(w, "mkns {n} v-rs{} {rip}/24", 11 + i);
        let _ = writeln!(
            w,
            "nsx {n} sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2 net.ipv4.conf.default.arp_ignore=1 net.ipv4.conf.default.arp_announce=2"
        );
        let _ = writeln!(w, "ip -n {n} -batch - <<'EOF'");
        for v in &vips {
            let _ = writeln!(w, "addr add {v}/32 dev lo");
        }
        let _ = writeln!(w, "EOF");
        let _ = writeln!(w, "nsx {n} \"$LVSIM\" agent serve --name {rip} --tcp 80 >\"$OUT/{n}.log\" 2>&1 &");
    }
    let _ = writeln!(w, "sleep 1   # servers listening");
    let _ = writeln!(w, "\necho \"@@@ kernel $(uname -r)\"");
    let _ = writeln!(w, "\n# ---- the scripts, one after another");
    for (name, sc) in scripts {
        let _ = writeln!(w, "cat >\"$OUT/{name}.json\" <<'EOF'\n{}\nEOF", sc.to_json());
        let _ = writeln!(
            w,
            "echo {}; cat \"$OUT/{name}.json\"; nsx lvs-cl \"$LVSIM\" agent sched --script \"$OUT/{name}.json\" --director lvs-dir 2>&1; echo '@@@ end'",
            sq(&format!("@@@ begin sched {name}"))
        );
    }
    s
}

/// The lab's time limit in seconds for `n` scripts (TCG, 1 vCPU, a loaded host).
pub fn timeout(n: usize) -> u32 {
    60 + 20 * n as u32
}

/// One script as the kernel ran it.
#[derive(Clone, Debug, PartialEq)]
pub struct KernelRun {
    pub name: String,
    /// The script's JSON, as the lab ran it.
    pub script: String,
    /// The kernel's picks, or why there are none.
    pub picks: Result<Vec<Option<usize>>, String>,
    /// The agent's notes (`# ...` lines).
    pub notes: Vec<String>,
}

/// Reads a lab's output: the kernel's run of each script.
pub fn parse_output(text: &str) -> Vec<KernelRun> {
    let mut runs = Vec::new();
    let mut lines = text.lines();
    while let Some(l) = lines.next() {
        let Some(name) = l.strip_prefix("@@@ begin sched ") else { continue };
        let mut script = None;
        let mut picks = None;
        let mut notes = Vec::new();
        let mut other = Vec::new();
        for b in lines.by_ref() {
            if b == "@@@ end" {
                break;
            }
            if script.is_none() && b.starts_with('{') {
                script = Some(b.to_string());
            } else if let Some(n) = b.strip_prefix("# ") {
                notes.push(n.to_string());
            } else if b.starts_with('[') && picks.is_none() {
                picks = Some(serde_json::from_str::<Vec<Option<usize>>>(b).map_err(|e| format!("picks {b:?}: {e}")));
            } else if !b.trim().is_empty() {
                other.push(b.to_string());
            }
        }
        let picks = picks
            .unwrap_or_else(|| Err(if other.is_empty() { "no picks printed".to_string() } else { other.join(" / ") }));
        runs.push(KernelRun { name: name.to_string(), script: script.unwrap_or_default(), picks, notes });
    }
    runs
}

/// One script, both sides.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Outcome {
    pub name: String,
    pub lvsim: Result<Vec<Option<usize>>, String>,
    pub kernel: Result<Vec<Option<usize>>, String>,
}

impl Outcome {
    pub fn agrees(&self) -> bool {
        matches!((&self.lvsim, &self.kernel), (Ok(a), Ok(b)) if a == b)
    }
}

/// Runs each kernel-run script on lvsim (`ipvs::script::run`) and pairs the picks.
pub fn compare(runs: &[KernelRun]) -> Vec<Outcome> {
    runs.iter()
        .map(|k| Outcome {
            name: k.name.clone(),
            lvsim: crate::ipvs::script::run(&k.script).map_err(|e| e.to_string()),
            kernel: k.picks.clone(),
        })
        .collect()
}

/// A pick list as `lvsim sched --script` prints it, or the error.
pub fn show(p: &Result<Vec<Option<usize>>, String>) -> String {
    match p {
        Ok(v) => serde_json::to_string(v).expect("picks serialize"),
        Err(e) => format!("error: {e}"),
    }
}

/// One line of the table: a scheduler's batch.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Row {
    pub scheduler: String,
    pub scripts: usize,
    pub agree: usize,
    /// The first script that differs, with both pick lists.
    pub first: Option<Outcome>,
}

pub fn row(scheduler: &str, outcomes: &[Outcome]) -> Row {
    Row {
        scheduler: scheduler.to_string(),
        scripts: outcomes.len(),
        agree: outcomes.iter().filter(|o| o.agrees()).count(),
        first: outcomes.iter().find(|o| !o.agrees()).cloned(),
    }
}

/// The table's title line.
pub fn table_head() -> String {
    format!("{:<10}{:>8}{:>7}  first difference\n", "scheduler", "scripts", "agree")
}

/// One row of the table; a difference takes two more lines, lvsim's and the kernel's picks.
pub fn table_line(r: &Row) -> String {
    let first = r.first.as_ref().map_or_else(
        || "-".to_string(),
        |o| format!("{}\n{:27}lvsim  {}\n{:27}kernel {}", o.name, "", show(&o.lvsim), "", show(&o.kernel)),
    );
    format!("{:<10}{:>8}{:>7}  {first}\n", r.scheduler, r.scripts, r.agree)
}

/// The table: scheduler, scripts, agree, first differing script with both pick lists.
pub fn table(rows: &[Row]) -> String {
    rows.iter().fold(table_head(), |s, r| s + &table_line(r))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_for_a_seed() {
        // The same (scheduler, seed, index) gives the same JSON; another seed or index gives
        // another script, so a batch explores 20 different cases.
        for s in SCHEDULERS {
            assert_eq!(generate(s, 7, 3).to_json(), generate(s, 7, 3).to_json());
            assert_ne!(generate(s, 7, 3).to_json(), generate(s, 8, 3).to_json());
            assert_ne!(generate(s, 7, 3).to_json(), generate(s, 7, 4).to_json());
        }
    }

    #[test]
    fn scripts_run_on_lvsim_and_stay_drivable() {
        // 13 schedulers × 40 scripts: every one is valid for `ipvs::script::run` (one pick per
        // connect), and keeps the rules that make it drivable on the kernel: its own VIP,
        // distinct (client, port) per connect, closes only of open connections and never
        // while their server is deleted, edits only of present servers, additions only of
        // absent addresses, at most 8 addresses, -y ≤ -x (ERANGE otherwise).
        for s in SCHEDULERS {
            for (i, (_, sc)) in batch(s, 1, 40).iter().enumerate() {
                let picks = crate::ipvs::script::run(&sc.to_json())
                    .unwrap_or_else(|e| panic!("{s} {i}: {e}\n{}", sc.to_json()));
                let connects = sc.events.iter().filter(|e| matches!(e, Event::Connect { .. })).count();
                assert_eq!(picks.len(), connects);
                assert!((8..=20).contains(&sc.events.len()));
                assert!((2..=4).contains(&sc.servers.len()));
                assert_eq!(sc.service(), (vip(i), 80));
                let mut present: Vec<bool> = vec![true; sc.servers.len()];
                let mut thr: Vec<(u32, u32)> = sc.servers.iter().map(|v| (v.x, v.y)).collect();
                let mut addrs: Vec<Ipv4Addr> = sc.servers.iter().map(|v| v.addr).collect();
                let mut open = Vec::new();
                let mut tuples = Vec::new();
                assert!(thr.iter().all(|&(x, y)| y <= x));
                for e in &sc.events {
                    match *e {
                        Event::Connect { client, cport, vip: v, .. } => {
                            assert_eq!(v, vip(i));
                            assert!(!tuples.contains(&(client, cport)));
                            tuples.push((client, cport));
                            open.push(tuples.len() - 1);
                        }
                        Event::Close { conn } => {
                            let k = open.iter().position(|&c| c == conn).expect("closes an open connection");
                            open.remove(k);
                            // Never one whose server (as lvsim picked it) is deleted now.
                            if let Some(srv) = picks[conn] {
                                let a = addrs[srv];
                                assert!(
                                    addrs.iter().zip(&present).any(|(b, p)| *b == a && *p),
                                    "{s} {i}: close {conn}"
                                );
                            }
                        }
                        Event::SetWeight { server, .. } => assert!(present[server]),
                        Event::EditServer { server, x, y, .. } => {
                            assert!(present[server]);
                            let xx = x.unwrap_or(thr[server].0);
                            let yy = y.unwrap_or(thr[server].1);
                            assert!(yy <= xx, "{s} {i}: -x {xx} -y {yy}");
                            thr[server] = (xx, yy);
                        }
                        Event::AddServer { addr, .. } => {
                            // A fresh address, or one deleted earlier (never one present).
                            assert!(!addrs.iter().zip(&present).any(|(a, p)| *a == addr && *p));
                            addrs.push(addr);
                            present.push(true);
                            thr.push((0, 0));
                        }
                        Event::DelServer { server } => {
                            assert!(present[server]);
                            present[server] = false;
                        }
                    }
                }
                let mut distinct = addrs.clone();
                distinct.sort_unstable();
                distinct.dedup();
                assert!(distinct.len() <= POOL);
            }
        }
    }

    #[test]
    fn batches_cover_every_event_kind_and_option() {
        // Across one batch of 20 per scheduler, every event kind, persistence with and
        // without a netmask, thresholds and (for sh and mh) both flags occur: the
        // comparison exercises each of them; some add_server revives a deleted address.
        let all: Vec<Script> = SCHEDULERS.iter().flat_map(|s| batch(s, 1, 20)).map(|(_, s)| s).collect();
        let has = |f: &dyn Fn(&Event) -> bool| all.iter().any(|s| s.events.iter().any(f));
        assert!(has(&|e| matches!(e, Event::Close { .. })));
        assert!(has(&|e| matches!(e, Event::SetWeight { .. })));
        assert!(has(&|e| matches!(e, Event::EditServer { .. })));
        assert!(has(&|e| matches!(e, Event::AddServer { .. })));
        assert!(has(&|e| matches!(e, Event::DelServer { .. })));
        assert!(all.iter().any(|s| {
            s.events
                .iter()
                .any(|e| matches!(e, Event::AddServer { addr, .. } if s.servers.iter().any(|v| v.addr == *addr)))
        }));
        assert!(all.iter().any(|s| s.persistence.is_some_and(|p| p.netmask.is_some())));
        assert!(all.iter().any(|s| s.persistence.is_some_and(|p| p.netmask.is_none())));
        assert!(all.iter().any(|s| s.servers.iter().any(|v| v.x > 0)));
        for f in ["sh-port", "sh-fallback", "mh-port", "mh-fallback"] {
            assert!(all.iter().any(|s| s.sched_flags.iter().any(|g| g == f)), "{f}");
        }
    }

    #[test]
    fn output_parses_and_compares() {
        // A lab output with one agreeing script, one differing and one the agent could not
        // finish: the table counts one agreement and shows the first difference.
        let sc = generate("rr", 1, 0);
        let lvsim = crate::ipvs::script::run(&sc.to_json()).unwrap();
        let mut other = lvsim.clone();
        other[0] = Some(9);
        let out = format!(
            "noise\n@@@ begin sched rr-00\n{j}\n# a note\n{a}\n@@@ end\n@@@ begin sched rr-01\n{j}\n{b}\n@@@ end\n\
             @@@ begin sched rr-02\n{j}\nerror: no director\n@@@ end\n",
            j = sc.to_json(),
            a = serde_json::to_string(&lvsim).unwrap(),
            b = serde_json::to_string(&other).unwrap()
        );
        let runs = parse_output(&out);
        assert_eq!(runs.len(), 3);
        assert_eq!(runs[0].notes, ["a note"]);
        assert_eq!(runs[2].picks, Err("error: no director".to_string()));
        let r = row("rr", &compare(&runs));
        assert_eq!((r.scripts, r.agree), (3, 1));
        assert_eq!(r.first.as_ref().unwrap().name, "rr-01");
        assert!(table(&[r]).contains("kernel [9,"));
    }

    #[test]
    fn lab_builds_every_server_and_vip() {
        // The lab makes a namespace for each pool address a script uses and puts every
        // script's VIP on the director and on each real server's lo.
        let b = batch("wrr", 1, 3);
        let text = lab("wrr", 1, &b);
        for (name, s) in &b {
            assert!(text.contains(&format!("@@@ begin sched {name}")));
            assert!(text.contains(&format!("addr add {}/32 dev eth0", s.service().0)));
            assert!(text.contains(&format!("addr add {}/32 dev lo", s.service().0)));
            for v in &s.servers {
                assert!(text.contains(&format!("--name {} --tcp 80", v.addr)));
            }
        }
    }
}
