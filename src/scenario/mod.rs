//! Scenarios: the RON format, loading (embedded names or paths), validation with clear
//! errors (file, line, column, what was expected, what was found, a hint), and building
//! a ready-to-run [`Engine`]. Host configuration is written as the Linux commands an
//! admin would type; [`crate::cmdline`] parses them, [`build`] builds the world and
//! [`crate::stack::config::apply`] applies them.

pub mod build;
pub mod error;
pub mod expect;
pub(crate) mod locate;

pub use error::ScenarioError;

use crate::engine::Engine;
use serde::Deserialize;
use std::collections::BTreeMap;

/// A scenario file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// One line: what this scenario shows (its title), as `(en: "...", zh: "...")` or one
    /// plain string.
    pub about: crate::lang::Text,
    /// Longer notes for students (what to look at), written the same way.
    #[serde(default)]
    pub notes: Option<crate::lang::Text>,
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// How long to run, e.g. `"2s"`.
    pub duration: String,
    pub segments: Vec<SegmentSpec>,
    pub hosts: Vec<HostSpec>,
    #[serde(default)]
    pub apps: Vec<AppSpec>,
    /// Commands run later, while the simulation runs (`ipvsadm -d ...` at 2 s).
    #[serde(default)]
    pub at: Vec<AtSpec>,
    /// What a student should observe: checked by `lvsim verify` and the tests.
    #[serde(default)]
    pub expect: Vec<expect::Expect>,
}

/// A command run on `host` at simulated time `time`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename = "At")]
pub struct AtSpec {
    pub time: String,
    pub host: String,
    pub run: String,
}

const fn default_seed() -> u64 {
    1
}

/// An L2 segment (one switch) and the defaults of the links plugged into it.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename = "Segment")]
pub struct SegmentSpec {
    pub name: String,
    /// One-way latency of each link, default `"10us"`.
    #[serde(default)]
    pub latency: Option<String>,
    /// Link rate, default `"1Gbit"`.
    #[serde(default)]
    pub bandwidth: Option<String>,
    /// Interface MTU, default 1500.
    #[serde(default)]
    pub mtu: Option<u16>,
    /// Queue limit per link direction in bytes, default 1,538,000 (txqueuelen 1000).
    #[serde(default)]
    pub queue_bytes: Option<u64>,
    /// MAC learning (default true); false sends unicast straight to the MAC's owner.
    #[serde(default)]
    pub learning: Option<bool>,
}

/// A host: its interfaces (name → segment) and the commands that configure it.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename = "Host")]
pub struct HostSpec {
    pub name: String,
    #[serde(default)]
    pub role: Option<crate::topology::Role>,
    #[serde(default)]
    pub ifaces: BTreeMap<String, String>,
    #[serde(default)]
    pub run: Vec<String>,
    /// Packet-processing capacity (default: infinite).
    #[serde(default)]
    pub cpu: Option<CpuSpec>,
    /// How long a reboot (`reboot` in `at:`) keeps the machine down, default `"10s"`.
    #[serde(default)]
    pub boot: Option<String>,
    /// keepalived on this host: its `keepalived.conf` (docs/keepalived.md).
    #[serde(default)]
    pub keepalived: Option<KeepalivedSpec>,
}

/// Where a host's `keepalived.conf` is: `Text("...")`, the configuration itself (errors point
/// at its lines inside the scenario file), or `File("ka.conf")`, a file next to the scenario.
#[derive(Clone, Debug, Deserialize)]
pub enum KeepalivedSpec {
    Text(String),
    File(String),
}

/// A host's CPU: every received frame costs `per_packet` of CPU time; at most `backlog`
/// frames wait (`net.core.netdev_max_backlog`, default 1000), more are dropped.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename = "Cpu")]
pub struct CpuSpec {
    /// CPU time per received frame, e.g. `"5us"`.
    pub per_packet: String,
    #[serde(default)]
    pub backlog: Option<u32>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProtoSpec {
    Tcp,
    Udp,
}

/// Applications.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum AppSpec {
    /// Opens `count` TCP connections (or sends UDP requests) to `to`, one `every` interval
    /// or at a Poisson `rate` per second, starting at `start`.
    Client {
        host: String,
        proto: ProtoSpec,
        to: String,
        #[serde(default)]
        count: Option<u64>,
        #[serde(default)]
        every: Option<String>,
        #[serde(default)]
        rate: Option<f64>,
        #[serde(default)]
        start: Option<String>,
        /// Request size in bytes (default 100).
        #[serde(default)]
        request: Option<u16>,
        /// UDP: number of source ports used in turn (default 1).
        #[serde(default)]
        flows: Option<u16>,
        /// Closed loop (TCP): this many users, each opening its next connection a
        /// `think` time after the previous one ended (no `every`/`rate` then).
        #[serde(default)]
        users: Option<u32>,
        /// Closed loop: think time, a duration or distribution (`"exp(100ms)"`).
        #[serde(default)]
        think: Option<String>,
        /// Request size in bytes drawn per connection (`"exp(500)"`, `"pareto(100, 1.5)"`).
        #[serde(default)]
        request_size: Option<String>,
        /// TCP: requests per connection, a count or distribution (default 1).
        #[serde(default)]
        requests: Option<String>,
    },
    /// Answers on `port` (any local address) with `response` bytes (default 1000).
    Server {
        host: String,
        proto: ProtoSpec,
        port: u16,
        #[serde(default)]
        response: Option<u16>,
        /// Response size in bytes drawn per request (`"lognormal(2000, 1)"`).
        #[serde(default)]
        response_size: Option<String>,
        /// Service time per request, a duration or distribution (`"exp(2ms)"`); without
        /// it the server answers at once with no limit.
        #[serde(default)]
        service: Option<String>,
        /// Requests served at once (default 1 with `service`).
        #[serde(default)]
        workers: Option<u32>,
        /// Requests that may wait for a worker (default `somaxconn`, 4096); more are
        /// refused (TCP RST, UDP drop).
        #[serde(default)]
        queue: Option<u32>,
        /// The unit name `systemctl stop|start NAME` acts on (default `PROTO-PORT`, like
        /// `tcp-80`).
        #[serde(default)]
        name: Option<String>,
    },
}

/// The scenarios compiled into the binary: (name, RON source).
pub const EMBEDDED: &[(&str, &str)] = &[
    ("dr", include_str!("../../scenarios/dr.ron")),
    ("nat", include_str!("../../scenarios/nat.ron")),
    ("tun", include_str!("../../scenarios/tun.ron")),
    ("dr-arp-announce-missing", include_str!("../../scenarios/dr-arp-announce-missing.ron")),
    ("dr-arp-ignore-lo-only", include_str!("../../scenarios/dr-arp-ignore-lo-only.ron")),
    ("dr-fix-arptables", include_str!("../../scenarios/dr-fix-arptables.ron")),
    ("dr-fix-static-neigh", include_str!("../../scenarios/dr-fix-static-neigh.ron")),
    ("dr-no-arp-fix", include_str!("../../scenarios/dr-no-arp-fix.ron")),
    ("dr-other-segment", include_str!("../../scenarios/dr-other-segment.ron")),
    ("dr-persistence", include_str!("../../scenarios/dr-persistence.ron")),
    ("dr-quiesce", include_str!("../../scenarios/dr-quiesce.ron")),
    ("dr-rs-gateway-director", include_str!("../../scenarios/dr-rs-gateway-director.ron")),
    ("nat-no-ip-forward", include_str!("../../scenarios/nat-no-ip-forward.ron")),
    ("nat-wrong-gateway", include_str!("../../scenarios/nat-wrong-gateway.ron")),
    ("tun-mtu", include_str!("../../scenarios/tun-mtu.ron")),
    ("tun-mtu-blackhole", include_str!("../../scenarios/tun-mtu-blackhole.ron")),
    ("tun-no-vip", include_str!("../../scenarios/tun-no-vip.ron")),
    ("tun-rp-filter", include_str!("../../scenarios/tun-rp-filter.ron")),
    ("tun-tunl0-down", include_str!("../../scenarios/tun-tunl0-down.ron")),
    ("bottleneck-nat", include_str!("../../scenarios/bottleneck-nat.ron")),
    ("bottleneck-dr", include_str!("../../scenarios/bottleneck-dr.ron")),
    ("bottleneck-tun", include_str!("../../scenarios/bottleneck-tun.ron")),
    ("fairness", include_str!("../../scenarios/fairness.ron")),
    ("sh-skew", include_str!("../../scenarios/sh-skew.ron")),
    ("persistence", include_str!("../../scenarios/persistence.ron")),
    ("saturation-nat", include_str!("../../scenarios/saturation-nat.ron")),
    ("saturation-dr", include_str!("../../scenarios/saturation-dr.ron")),
    ("fwmark-http-https", include_str!("../../scenarios/fwmark-http-https.ron")),
    ("cache-cluster-lblc", include_str!("../../scenarios/cache-cluster-lblc.ron")),
    ("rs-failure-no-check", include_str!("../../scenarios/rs-failure-no-check.ron")),
    ("rs-failure-tcp-check", include_str!("../../scenarios/rs-failure-tcp-check.ron")),
    ("rs-failure-inhibit", include_str!("../../scenarios/rs-failure-inhibit.ron")),
    ("sorry-server", include_str!("../../scenarios/sorry-server.ron")),
    ("director-failover", include_str!("../../scenarios/director-failover.ron")),
    ("director-failover-no-sync", include_str!("../../scenarios/director-failover-no-sync.ron")),
];

/// The scenario `cargo run` opens.
pub const DEFAULT: &str = "dr";

/// A scenario with its source text, ready to build.
#[derive(Clone, Debug)]
pub struct Loaded {
    /// File path, or `embedded:NAME`.
    pub origin: String,
    pub name: String,
    pub source: String,
    pub scenario: Scenario,
}

/// Parses RON text (`origin` names it in errors).
pub fn parse(origin: &str, source: &str) -> Result<Loaded, ScenarioError> {
    let scenario: Scenario = ron::Options::default()
        .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
        .from_str(source)
        .map_err(|e| ScenarioError::from_ron(origin, source, &e))?;
    let name = std::path::Path::new(origin.trim_start_matches("embedded:"))
        .file_stem()
        .map_or_else(|| origin.to_string(), |s| s.to_string_lossy().into_owned());
    Ok(Loaded { origin: origin.to_string(), name, source: source.to_string(), scenario })
}

/// Loads an embedded scenario by name, or a file by path.
pub fn load(name_or_path: &str) -> Result<Loaded, ScenarioError> {
    if let Some((name, src)) = EMBEDDED.iter().find(|(n, _)| *n == name_or_path) {
        return parse(&format!("embedded:{name}"), src);
    }
    match std::fs::read_to_string(name_or_path) {
        Ok(src) => parse(name_or_path, &src),
        Err(e) => Err(ScenarioError::Io {
            path: name_or_path.to_string(),
            message: e.to_string(),
            help: format!(
                "give a path to a .ron file or the name of an embedded scenario ({})",
                EMBEDDED.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
            ),
        }),
    }
}

impl Loaded {
    /// Validates and builds the engine with the scenario's seed.
    pub fn build(&self) -> Result<Engine, ScenarioError> {
        self.build_with_seed(self.scenario.seed)
    }

    pub fn build_with_seed(&self, seed: u64) -> Result<Engine, ScenarioError> {
        Ok(Engine::new(build::world(self, seed)?))
    }
}

#[cfg(test)]
mod tests {
    use crate::lang::Lang;

    // Every embedded scenario has its own Chinese title and notes: a plain string would
    // serve both languages, so the test looks for the `zh` half itself, and for Chinese
    // characters in it (a copied English sentence would not have them).
    #[test]
    fn embedded_scenarios_have_chinese_titles_and_notes() {
        let han = |s: &str| s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
        for (name, _) in super::EMBEDDED {
            let l = super::load(name).unwrap();
            let notes = l.scenario.notes.as_ref().expect("notes");
            for t in [&l.scenario.about, notes] {
                assert!(t.zh.as_deref().is_some_and(han), "{name}: {t:?}");
                assert!(!han(t.get(Lang::En)), "{name}: English with Chinese in it");
            }
        }
    }
}
