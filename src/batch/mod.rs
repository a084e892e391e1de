//! Batch runs: a scenario run to its end with tracing off, summarised as numbers
//! ([`Summary`]), time series per fixed bin ([`crate::metrics::series`]), CSV tables and
//! charts; and sweeps ([`sweep`]) of many such runs in parallel.
//!
//! ```
//! let l = lvsim::scenario::load("dr").unwrap();
//! let s = lvsim::batch::run_scenario(&l, 1).unwrap();
//! assert_eq!(s.clients.completed, 4);
//! ```

pub mod charts;
pub mod diff;
pub mod output;
pub mod report;
pub mod shard;
pub mod sweep;
pub mod words;

use crate::engine::Engine;
use crate::ipvs::{Fwd, Sched};
use crate::lang::Lang;
use crate::metrics::series::Series;
use crate::metrics::{FrameTotals, Histogram, fairness};
use crate::scenario::{Loaded, ScenarioError};
use crate::sim::SimDuration;
use crate::workload::App;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use words::Word;

/// Rounds to 4 decimals, so summaries read well and snapshot stably.
fn r4(x: f64) -> f64 {
    (x * 1e4).round() / 1e4
}

/// What a run came to. Field order is the JSON order (`summary.json`).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Summary {
    pub scenario: String,
    pub seed: u64,
    /// Simulated seconds.
    pub duration_s: f64,
    pub clients: ClientSummary,
    /// One per server application, in scenario order.
    pub servers: Vec<ServerSummary>,
    pub fairness: FairnessSummary,
    /// One per host, in scenario order.
    pub hosts: Vec<HostSummary>,
    /// Drops by reason (kernel-ish keys, e.g. `backlog_full`), only reasons seen.
    pub drops: BTreeMap<String, u64>,
    pub frames: FrameTotals,
    pub events: u64,
    /// The failover timeline's moments (faults, health-check verdicts, VRRP takeovers);
    /// left out of the JSON when there are none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub milestones: Vec<MilestoneSummary>,
    /// Seconds from the first fault to the first health check that declared a server
    /// down after it (keepalived's detection time), if both happened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detection_s: Option<f64>,
    /// Seconds from the first machine going down to another host's VRRP instance
    /// becoming MASTER after it (the failover time), if both happened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub takeover_s: Option<f64>,
}

/// One moment of the failover timeline, for summary.json and milestones.csv.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct MilestoneSummary {
    pub t_s: f64,
    pub host: String,
    /// `host_down`, `host_up`, `service_stopped`, `link_down`, `check_down`, `check_up`,
    /// `vrrp_master`.
    pub kind: String,
    /// The server (`check_down`/`check_up`, `ADDR:PORT`), port (`service_stopped`) or
    /// interface (`link_down`).
    pub detail: String,
}

impl MilestoneSummary {
    /// The label of its marker on the timeline chart: host names and keepalived's and
    /// VRRP's own words, the same in every language.
    #[must_use]
    pub fn label(&self) -> String {
        match self.kind.as_str() {
            "host_down" => format!("{} down", self.host),
            "host_up" => format!("{} up", self.host),
            "service_stopped" => format!("{} stop :{}", self.host, self.detail),
            "link_down" => format!("{} {} down", self.host, self.detail),
            "check_down" => format!("{} DOWN", self.detail),
            "check_up" => format!("{} UP", self.detail),
            _ => format!("{} MASTER", self.host),
        }
    }
}

fn milestones(e: &Engine) -> (Vec<MilestoneSummary>, Option<f64>, Option<f64>) {
    use crate::metrics::MilestoneKind as K;
    let m = &e.metrics.milestones;
    let list = m
        .iter()
        .map(|x| {
            let (kind, detail) = match x.kind {
                K::HostDown => ("host_down", String::new()),
                K::HostUp => ("host_up", String::new()),
                K::ServiceStopped { port } => ("service_stopped", port.to_string()),
                K::LinkDown { iface } => ("link_down", e.hosts[x.host as usize].ifaces[iface as usize].name.clone()),
                K::CheckDown { addr, port } => ("check_down", format!("{addr}:{port}")),
                K::CheckUp { addr, port } => ("check_up", format!("{addr}:{port}")),
                K::VrrpMaster => ("vrrp_master", String::new()),
            };
            MilestoneSummary {
                t_s: r4(x.t_ns as f64 / 1e9),
                host: e.hosts[x.host as usize].name.clone(),
                kind: kind.to_owned(),
                detail,
            }
        })
        .collect();
    let fault = m.iter().find(|x| matches!(x.kind, K::HostDown | K::ServiceStopped { .. } | K::LinkDown { .. }));
    let after = |f: &crate::metrics::Milestone, p: &dyn Fn(&crate::metrics::Milestone) -> bool| {
        m.iter().find(|x| x.t_ns >= f.t_ns && p(x)).map(|x| r4((x.t_ns - f.t_ns) as f64 / 1e9))
    };
    let detection = fault.and_then(|f| after(f, &|x| matches!(x.kind, K::CheckDown { .. })));
    let down = m.iter().find(|x| x.kind == K::HostDown);
    let takeover = down.and_then(|d| after(d, &|x| x.kind == K::VrrpMaster && x.host != d.host));
    (list, detection, takeover)
}

/// All clients together.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ClientSummary {
    /// Connections (TCP) or requests (UDP) started.
    pub started: u64,
    /// ...answered.
    pub completed: u64,
    /// Refused: TCP RST or ICMP port unreachable.
    pub refused: u64,
    pub unreachable: u64,
    pub timed_out: u64,
    /// Offered load: started per simulated second.
    pub offered_per_s: f64,
    /// Throughput: completed per simulated second.
    pub throughput_per_s: f64,
    /// Latency from connect (SYN) or request to the (last) response, milliseconds.
    pub latency_ms: LatencySummary,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct LatencySummary {
    pub mean: Option<f64>,
    pub p50: Option<f64>,
    pub p95: Option<f64>,
    pub p99: Option<f64>,
    pub max: Option<f64>,
}

impl LatencySummary {
    pub fn of(h: &Histogram) -> Self {
        let ms = |ns: u64| r4(ns as f64 / 1e6);
        LatencySummary {
            mean: h.mean().map(|m| r4(m / 1e6)),
            p50: h.quantile(0.50).map(ms),
            p95: h.quantile(0.95).map(ms),
            p99: h.quantile(0.99).map(ms),
            max: (h.count > 0).then(|| ms(h.max_ns)),
        }
    }
}

/// One server application (a real server).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ServerSummary {
    /// The host's name (`host:port` when it runs several servers).
    pub name: String,
    /// Connections accepted (TCP) or requests answered (UDP).
    pub served: u64,
    /// Its part of all served.
    pub share: f64,
    /// Its IPVS weight at the end (summed over directors listing it; 0 if none does).
    pub weight: u32,
    /// Its part of the total weight.
    pub weight_share: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct FairnessSummary {
    /// Jain's index of the served counts (1 = all equal).
    pub jain: Option<f64>,
    /// Jain's index of served per unit of weight (1 = exactly by weight).
    pub weighted_jain: Option<f64>,
    /// Largest served over mean served.
    pub max_over_mean: Option<f64>,
    /// Largest |share − weight share|.
    pub weight_share_error: f64,
}

/// One host.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct HostSummary {
    pub name: String,
    pub role: String,
    /// Frames received, sent, dropped here.
    pub rx: u64,
    pub tx: u64,
    pub dropped: u64,
    /// Frames received per simulated second.
    pub rx_per_s: f64,
    /// CPU busy fraction (`None`: no capacity model, infinite CPU).
    pub cpu_util: Option<f64>,
    /// Busiest direction of its links: bits carried over bits possible.
    pub link_util: f64,
}

/// A run's full results: the summary plus what the CSV files and charts need.
#[derive(Clone, Debug)]
pub struct Run {
    pub summary: Summary,
    pub series: Series,
    /// Latency distribution of all clients (ns).
    pub latency: Histogram,
    /// Per host: total link bandwidth (bit/s) of its interfaces, for utilisation.
    pub host_bandwidth: Vec<u64>,
    /// Indices (into `summary.hosts`) of hosts that run IPVS.
    pub directors: Vec<usize>,
    /// The schedulers of the virtual services at the end (kernel names, first-seen order).
    pub scheds: Vec<Sched>,
    /// The forwarding methods of their real servers (first-seen order).
    pub modes: Vec<Fwd>,
}

impl Run {
    /// What the run was: `scheduler wlc, weights 3:2:1, mode DR, seed 1` (the charts'
    /// subtitle).
    pub fn setup(&self, lang: Lang) -> String {
        let s = &self.summary;
        let mut parts = Vec::new();
        if !self.scheds.is_empty() {
            let names: Vec<&str> = self.scheds.iter().map(|s| s.name()).collect();
            parts.push(format!("{} {}", Word::Scheduler.text(lang), names.join("/")));
        }
        if !s.servers.is_empty() {
            let w: Vec<String> = s.servers.iter().map(|v| v.weight.to_string()).collect();
            parts.push(format!("{} {}", Word::Weights.text(lang), w.join(":")));
        }
        if !self.modes.is_empty() {
            let m: Vec<&str> = self.modes.iter().map(|m| mode_name(*m)).collect();
            parts.push(format!("{} {}", Word::Mode.text(lang), m.join("/")));
        }
        parts.push(format!("{} {}", Word::Seed.text(lang), s.seed));
        parts.join(Word::Comma.text(lang))
    }
}

/// The forwarding mode as the course names it: DR, TUN, NAT.
pub fn mode_name(m: Fwd) -> &'static str {
    match m {
        Fwd::Dr => "DR",
        Fwd::Tun => "TUN",
        Fwd::Nat => "NAT",
    }
}

/// The default time-series bin: about a hundredth of the run, rounded to a value a
/// reader can name (1, 2 or 5 × 10^k ns, nearest on a log scale), at least 1 µs.
pub fn default_bin(duration: SimDuration) -> SimDuration {
    let target = (duration.as_nanos() as f64 / 100.0).max(1000.0);
    let decade = 10f64.powf(target.log10().floor());
    let best = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * decade)
        .min_by(|a, b| (a / target).ln().abs().total_cmp(&(b / target).ln().abs()))
        .unwrap_or(decade);
    SimDuration::from_nanos(best.round() as u64)
}

/// Runs `l` with `seed` to its end (tracing off) and summarises it.
pub fn run_scenario(l: &Loaded, seed: u64) -> Result<Summary, ScenarioError> {
    run_full(l, seed, None).map(|r| r.summary)
}

/// Runs `l` with `seed` to its end (tracing off), sampling counters every `bin`
/// (default [`default_bin`]).
pub fn run_full(l: &Loaded, seed: u64, bin: Option<SimDuration>) -> Result<Run, ScenarioError> {
    let mut e = l.build_with_seed(seed)?;
    let bin = bin.unwrap_or_else(|| default_bin(e.end.since(crate::sim::SimTime::ZERO)));
    e.enable_sampling(bin);
    e.run();
    Ok(collect(&l.name, seed, &e))
}

/// Sums the weights of the IPVS real servers that live on `host` (any service, director).
fn weight_of(e: &Engine, host: usize, port: u16) -> u32 {
    let owns = |addr| e.hosts[host].ifaces.iter().any(|i| i.has_addr(addr));
    let dests = || e.hosts.iter().filter_map(|h| h.ipvs.as_deref()).flat_map(|v| &v.services).flat_map(|s| &s.dests);
    let exact: u32 = dests().filter(|d| owns(d.addr) && d.port == port).map(|d| d.weight).sum();
    if exact > 0 { exact } else { dests().filter(|d| owns(d.addr)).map(|d| d.weight).sum() }
}

fn collect(name: &str, seed: u64, e: &Engine) -> Run {
    let now = e.now().max(e.end);
    let secs = now.0 as f64 / 1e9;
    let per_s = |n: u64| if secs > 0.0 { r4(n as f64 / secs) } else { 0.0 };
    let m = &e.metrics;
    let mut latency = Histogram::default();
    for c in &m.clients {
        latency.merge(&c.latency);
    }
    let sum = |f: fn(&crate::metrics::ClientStats) -> u64| m.clients.iter().map(f).sum::<u64>();
    let clients = ClientSummary {
        started: sum(|c| c.started),
        completed: sum(|c| c.completed),
        refused: sum(|c| c.refused),
        unreachable: sum(|c| c.unreachable),
        timed_out: sum(|c| c.timed_out),
        offered_per_s: per_s(sum(|c| c.started)),
        throughput_per_s: per_s(sum(|c| c.completed)),
        latency_ms: LatencySummary::of(&latency),
    };
    let server_apps: Vec<(usize, u16)> = e
        .apps
        .iter()
        .filter_map(|a| match a {
            App::Server(s) => Some((s.host as usize, s.port)),
            App::Client(_) => None,
        })
        .collect();
    let served: Vec<u64> = m.served.clone();
    let weights: Vec<u32> = server_apps.iter().map(|(h, p)| weight_of(e, *h, *p)).collect();
    let spread = fairness::Spread::of(&served, &weights);
    let servers = server_apps
        .iter()
        .enumerate()
        .map(|(i, (h, p))| {
            let several = server_apps.iter().filter(|(o, _)| o == h).count() > 1;
            let host = &e.hosts[*h].name;
            ServerSummary {
                name: if several { format!("{host}:{p}") } else { host.clone() },
                served: served[i],
                share: r4(spread.share[i]),
                weight: weights[i],
                weight_share: r4(spread.weight_share[i]),
            }
        })
        .collect();
    let fairness = FairnessSummary {
        jain: spread.jain.map(r4),
        weighted_jain: spread.weighted_jain.map(r4),
        max_over_mean: spread.max_over_mean.map(r4),
        weight_share_error: r4(spread.weight_share_error),
    };
    let mut host_bandwidth = vec![0u64; e.hosts.len()];
    for s in &e.net.segments {
        for p in &s.ports {
            host_bandwidth[p.host as usize] += p.link.params.bandwidth;
        }
    }
    let hosts = e
        .hosts
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let c = &m.hosts[i];
            let bits = c.tx_bytes.max(c.rx_bytes) as f64 * 8.0;
            let cap = host_bandwidth[i] as f64 * secs;
            HostSummary {
                name: h.name.clone(),
                role: h.role.name().to_string(),
                rx: c.rx,
                tx: c.tx,
                dropped: c.dropped,
                rx_per_s: per_s(c.rx),
                cpu_util: e.cpus[i].map(|cpu| r4(cpu.busy_by(now) as f64 / now.0.max(1) as f64)),
                link_util: if cap > 0.0 { r4(bits / cap) } else { 0.0 },
            }
        })
        .collect();
    let drops = m.drops_by_reason().map(|(r, n)| (r.key().to_string(), n)).collect();
    let (milestones, detection_s, takeover_s) = milestones(e);
    let summary = Summary {
        scenario: name.to_string(),
        seed,
        duration_s: r4(secs),
        clients,
        servers,
        fairness,
        hosts,
        drops,
        frames: m.frames,
        events: m.events,
        milestones,
        detection_s,
        takeover_s,
    };
    let directors = e.hosts.iter().enumerate().filter(|(_, h)| h.ipvs.is_some()).map(|(i, _)| i).collect();
    let (mut scheds, mut modes) = (Vec::new(), Vec::new());
    for svc in e.hosts.iter().filter_map(|h| h.ipvs.as_deref()).flat_map(|v| &v.services) {
        if !scheds.contains(&svc.sched_name) {
            scheds.push(svc.sched_name);
        }
        for d in &svc.dests {
            if !modes.contains(&d.fwd) {
                modes.push(d.fwd);
            }
        }
    }
    Run {
        summary,
        series: e.series.clone().unwrap_or_else(|| Series::new(SimDuration::from_secs(1))),
        latency,
        host_bandwidth,
        directors,
        scheds,
        modes,
    }
}

/// The charts of one run, ready to draw: (file stem, chart), their text in `lang`. A chart
/// is left out when the run does not model its quantity: no latency chart without a
/// completed connection, no director chart without a director, no CPU line for a
/// director without a CPU model.
pub fn run_charts(run: &Run, lang: Lang) -> Vec<(&'static str, charts::Chart)> {
    use charts::{Bars, Chart, Line, Lines};
    let s = &run.summary;
    let w = |word: Word| word.text(lang).to_string();
    let title = |word: Word| words::join(lang, &s.scenario, word.text(lang));
    let subtitle = run.setup(lang);
    let bins: Vec<_> = run
        .series
        .samples
        .windows(2)
        .map(|w| (w[1].t_ns as f64 / 1e9, (w[1].t_ns - w[0].t_ns) as f64 / 1e9, &w[0], &w[1]))
        .filter(|b| b.1 > 0.0)
        .collect();
    let mut out = Vec::new();
    if !s.servers.is_empty() {
        out.push((
            "connections",
            Chart::Lines(Lines {
                title: title(Word::ConnectionsTitle),
                subtitle: subtitle.clone(),
                x_desc: w(Word::SimTime),
                y_desc: w(Word::ServedPerS),
                lines: s
                    .servers
                    .iter()
                    .enumerate()
                    .map(|(i, sv)| {
                        Line::new(
                            &sv.name,
                            bins.iter().map(|(t, dt, a, b)| (*t, (b.served[i] - a.served[i]) as f64 / dt)),
                        )
                    })
                    .collect(),
                lang,
                ..Lines::default()
            }),
        ));
        out.push((
            "share",
            Chart::Bars(Bars {
                title: title(Word::ShareTitle),
                subtitle: subtitle.clone(),
                x_desc: w(Word::RealServer),
                y_desc: w(Word::Fraction),
                categories: s.servers.iter().map(|v| v.name.clone()).collect(),
                series: vec![
                    (w(Word::Served), s.servers.iter().map(|v| (v.share, v.share, v.share)).collect()),
                    (
                        w(Word::Weight),
                        s.servers.iter().map(|v| (v.weight_share, v.weight_share, v.weight_share)).collect(),
                    ),
                ],
                y_range: None,
                lang,
            }),
        ));
    }
    if !s.milestones.is_empty() {
        let per_s = |f: fn(&crate::metrics::series::Sample) -> u64| {
            bins.iter().map(move |(t, dt, a, b)| (*t, (f(b) - f(a)) as f64 / dt)).collect::<Vec<_>>()
        };
        out.push((
            "timeline",
            Chart::Lines(Lines {
                title: title(Word::TimelineTitle),
                subtitle: subtitle.clone(),
                x_desc: w(Word::SimTime),
                y_desc: w(Word::ConnPerS),
                lines: vec![
                    Line::new(w(Word::Completed), per_s(|x| x.completed)),
                    Line::new(w(Word::Failed), per_s(|x| x.failed)),
                ],
                marks: s.milestones.iter().map(|m| (m.label(), m.t_s)).collect(),
                no_markers: true,
                lang,
                ..Lines::default()
            }),
        ));
    }
    let l = &s.clients.latency_ms;
    if run.latency.count > 0 {
        let marks = [("p50", l.p50), ("p95", l.p95), ("p99", l.p99)]
            .into_iter()
            .filter_map(|(p, v)| v.map(|v| (format!("{p} {} ms", three_digits(v)), v)))
            .collect();
        out.push((
            "latency",
            Chart::Lines(Lines {
                title: title(Word::LatencyTitle),
                subtitle: subtitle.clone(),
                x_desc: w(Word::LatencyX),
                y_desc: w(Word::LatencyY),
                lines: vec![Line::new("", cdf_steps(&run.latency))],
                y_range: Some((0.0, 1.0)),
                marks,
                x_names: None,
                no_markers: true,
                lang,
            }),
        ));
    }
    out.push((
        "hosts",
        Chart::Bars(Bars {
            title: title(Word::HostsTitle),
            subtitle: subtitle.clone(),
            x_desc: w(Word::Host),
            y_desc: w(Word::FramesPerS),
            categories: s.hosts.iter().map(|h| h.name.clone()).collect(),
            series: vec![
                (w(Word::Received), s.hosts.iter().map(|h| (h.rx_per_s, h.rx_per_s, h.rx_per_s)).collect()),
                (
                    w(Word::Dropped),
                    s.hosts
                        .iter()
                        .map(|h| {
                            let d = h.dropped as f64 / s.duration_s.max(1e-9);
                            (d, d, d)
                        })
                        .collect(),
                ),
            ],
            y_range: None,
            lang,
        }),
    ));
    let mut util = Vec::new();
    let mut cpu = false;
    for &d in &run.directors {
        let name = &s.hosts[d].name;
        if s.hosts[d].cpu_util.is_some() {
            cpu = true;
            util.push(Line::new(
                format!("{name} CPU"),
                bins.iter().map(|(t, dt, a, b)| (*t, 100.0 * (b.cpu_ns[d] - a.cpu_ns[d]) as f64 / (dt * 1e9))),
            ));
        }
        let cap = run.host_bandwidth[d] as f64;
        if cap > 0.0 {
            util.push(Line::new(
                format!("{name} {}", w(Word::Link)),
                bins.iter().map(|(t, dt, a, b)| {
                    let bytes = (b.tx_bytes[d] - a.tx_bytes[d]).max(b.rx_bytes[d] - a.rx_bytes[d]) as f64;
                    (*t, 100.0 * bytes * 8.0 / (cap * dt))
                }),
            ));
        }
    }
    if !util.is_empty() {
        out.push((
            "director",
            Chart::Lines(Lines {
                title: title(if cpu { Word::DirectorCpuLink } else { Word::DirectorLink }),
                subtitle,
                x_desc: w(Word::SimTime),
                y_desc: w(Word::Utilisation),
                lines: util,
                y_range: Some((0.0, 105.0)),
                lang,
                ..Lines::default()
            }),
        ));
    }
    out
}

/// A latency for a label: three significant digits (2.75, 12.1, 231).
fn three_digits(ms: f64) -> String {
    let d = usize::from(ms < 10.0) + usize::from(ms < 100.0);
    format!("{ms:.d$}")
}

/// The latency CDF as a step function in ms: flat between histogram buckets.
fn cdf_steps(h: &Histogram) -> Vec<(f64, f64)> {
    let mut pts = Vec::new();
    let mut last = 0.0;
    for (ns, f) in h.cdf() {
        let x = ns as f64 / 1e6;
        pts.push((x, last));
        pts.push((x, f));
        last = f;
    }
    if h.count > 0 {
        pts.push((h.max_ns as f64 / 1e6, 1.0));
    }
    pts
}

/// Writes everything `lvsim run --out DIR` writes: summary.json, CSV tables, charts
/// (their text in `lang`).
pub fn write_run(run: &Run, dir: &std::path::Path, lang: Lang) -> Result<Vec<std::path::PathBuf>, String> {
    let mut paths = output::write_tables(run, dir).map_err(|e| format!("writing into {}: {e}", dir.display()))?;
    for (stem, chart) in run_charts(run, lang) {
        paths.extend(charts::render(&chart, &dir.join(stem))?);
    }
    Ok(paths)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_bin_is_a_round_hundredth() {
        // A hundredth of the run, moved to the nearest 1/2/5 × 10^k on a log scale (worked
        // by hand): 60 s → 600 ms → 500 ms (600/500 = 1.2 < 1000/600); 1 s → 10 ms;
        // 100 ms → 1 ms (was floored to 10 ms: 10 points); 300 ms → 3 ms → 2 ms
        // (3/2 = 1.5 < 5/3); 400 ms → 4 ms → 5 ms; 10 µs runs keep the 1 µs floor.
        let bin = |d: SimDuration| default_bin(d).as_nanos();
        assert_eq!(bin(SimDuration::from_secs(60)), 500_000_000);
        assert_eq!(bin(SimDuration::from_secs(1)), 10_000_000);
        assert_eq!(bin(SimDuration::from_millis(100)), 1_000_000);
        assert_eq!(bin(SimDuration::from_millis(300)), 2_000_000);
        assert_eq!(bin(SimDuration::from_millis(400)), 5_000_000);
        assert_eq!(bin(SimDuration::from_micros(10)), 1_000);
    }
}
