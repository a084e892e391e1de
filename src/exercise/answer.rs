//! Expected answers, computed on the student's variant: by running the variant's
//! scenario ([`Run`]) or the scheduling layer alone ([`crate::ipvs::script`]). Nothing is
//! stored by hand, so exercises stay correct when the model improves.
//!
//! Sources are the [`Source`] enum; a new kind of measurement (a sweep result, once
//! `lvsim sweep` exists) is a new variant computed in [`compute`].

use super::schema::{Counter, SchedSpec, Source};
use super::{ExerciseError, Instance};
use crate::engine::Engine;
use crate::ipvs::Fwd;
use crate::packet::Value as FieldValue;
use crate::scenario::Loaded;
use crate::trace::{Names, Step, VecRecorder};
use crate::workload::App;
use std::cell::{OnceCell, RefCell};
use std::fmt::{self, Write as _};
use std::net::Ipv4Addr;
use std::rc::Rc;

/// An answer: a word (a host name, an address, a stage), a list, or a number.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Word(String),
    List(Vec<String>),
    Number(f64),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Word(w) => f.write_str(w),
            Value::List(l) => f.write_str(&l.join(", ")),
            Value::Number(n) => {
                if n.fract() == 0.0 && n.abs() < 1e12 {
                    write!(f, "{n:.0}")
                } else {
                    write!(f, "{n:.3}")
                }
            }
        }
    }
}

/// A finished run of a scenario, with its trace.
pub struct Run {
    pub loaded: Loaded,
    pub engine: Engine,
    pub steps: Vec<Step>,
    pub names: Names,
}

impl Run {
    pub fn of(loaded: Loaded) -> Result<Run, ExerciseError> {
        let mut engine = loaded.build()?;
        let rec = Rc::new(RefCell::new(VecRecorder::default()));
        engine.set_recorder(Box::new(rec.clone()));
        engine.run();
        let names = engine.names();
        let steps = std::mem::take(&mut rec.borrow_mut().steps);
        Ok(Run { loaded, engine, steps, names })
    }

    fn host(&self, name: &str) -> Result<usize, ExerciseError> {
        self.engine.hosts.iter().position(|h| h.name == name).ok_or_else(|| {
            ExerciseError::other(
                format!("expected a host name, found \"{name}\""),
                Some(format!(
                    "hosts: {}",
                    self.engine.hosts.iter().map(|h| h.name.as_str()).collect::<Vec<_>>().join(", ")
                )),
            )
        })
    }

    /// The name of the host owning `mac`, or the MAC itself.
    pub fn mac_owner(&self, mac: crate::packet::MacAddr) -> String {
        self.engine
            .hosts
            .iter()
            .find(|h| h.ifaces.iter().any(|i| i.mac == mac))
            .map_or_else(|| mac.to_string(), |h| h.name.clone())
    }

    /// The name of the host with address `ip` on an interface.
    fn addr_owner(&self, ip: Ipv4Addr) -> Option<&str> {
        self.engine
            .hosts
            .iter()
            .find(|h| h.ifaces.iter().any(|i| i.addrs.iter().any(|a| a.addr == ip)))
            .map(|h| h.name.as_str())
    }

    fn director(&self) -> Result<&crate::stack::Host, ExerciseError> {
        self.engine
            .hosts
            .iter()
            .find(|h| h.ipvs.as_ref().is_some_and(|v| !v.services.is_empty()))
            .ok_or_else(|| ExerciseError::other("no host runs an IPVS service in this scenario", None))
    }

    /// Connections every IPVS on every host scheduled.
    pub fn scheduled(&self) -> u64 {
        self.engine.hosts.iter().filter_map(|h| h.ipvs.as_ref()).flat_map(|v| &v.services).map(|s| s.stats.conns).sum()
    }

    /// Connections answered by the server applications on host `h`.
    pub fn served(&self, h: usize) -> u64 {
        self.engine
            .apps
            .iter()
            .filter_map(|a| match a {
                App::Server(s) if s.host as usize == h => Some(self.engine.metrics.served[s.stats]),
                _ => None,
            })
            .sum()
    }

    fn counter(&self, c: &Counter) -> Result<f64, ExerciseError> {
        let m = &self.engine.metrics;
        Ok(match c {
            Counter::Served(h) => self.served(self.host(h)?) as f64,
            Counter::Completed(c) => {
                let i = self
                    .engine
                    .client_names
                    .iter()
                    .position(|n| n == c)
                    .ok_or_else(|| ExerciseError::other(format!("expected a client host, found \"{c}\""), None))?;
                m.clients[i].completed as f64
            }
            Counter::Tx(h) => m.hosts[self.host(h)?].tx as f64,
            Counter::Rx(h) => m.hosts[self.host(h)?].rx as f64,
            Counter::Forwarded(h) => m.hosts[self.host(h)?].forwarded as f64,
            Counter::Scheduled(h) => {
                let h = &self.engine.hosts[self.host(h)?];
                h.ipvs.as_ref().map_or(0, |v| v.services.iter().map(|s| s.stats.conns).sum::<u64>()) as f64
            }
        })
    }
}

/// Computes answers for one instance, running its scenario at most once.
pub struct Ctx<'a> {
    pub inst: &'a Instance,
    run: OnceCell<Run>,
}

impl<'a> Ctx<'a> {
    pub fn new(inst: &'a Instance) -> Self {
        Ctx { inst, run: OnceCell::new() }
    }

    /// The variant's scenario, run to its end (once).
    pub fn run(&self) -> Result<&Run, ExerciseError> {
        if let Some(r) = self.run.get() {
            return Ok(r);
        }
        let r = Run::of(self.inst.scenario()?)?;
        Ok(self.run.get_or_init(|| r))
    }
}

fn fwd_name(f: Fwd) -> &'static str {
    match f {
        Fwd::Nat => "nat",
        Fwd::Dr => "dr",
        Fwd::Tun => "tun",
    }
}

/// The picks of a scheduling script: server index per connection (`None` = refused).
/// The most connections a scheduling source may ask for: client ports 1024..=65535.
pub const MAX_PICKS: u32 = 64_512;

pub fn picks(s: &SchedSpec) -> Result<Vec<Option<usize>>, ExerciseError> {
    let bad = |what: &str, v: &str| ExerciseError::other(format!("expected {what}, found \"{v}\""), None);
    let weights: Vec<u32> =
        s.weights.iter().map(|w| w.trim().parse().map_err(|_| bad("a weight", w))).collect::<Result<_, _>>()?;
    let servers: Vec<_> = weights
        .iter()
        .enumerate()
        .map(|(i, w)| serde_json::json!({"addr": format!("10.0.0.{}", 11 + i), "port": 80, "weight": w}))
        .collect();
    let clients: Vec<String> = if s.clients.is_empty() { vec!["203.0.113.10".into()] } else { s.clients.clone() };
    // Each connection has its own client port 1024 + k.
    if s.connections > MAX_PICKS {
        return Err(ExerciseError::other(
            format!("expected at most {MAX_PICKS} connections (one client port each), found {}", s.connections),
            Some("a scheduling question needs a few dozen connections".into()),
        ));
    }
    let mut events = Vec::new();
    for k in 0..s.connections {
        if s.length > 0 && k >= s.length {
            events.push(serde_json::json!({"op": "close", "conn": k - s.length}));
        }
        for (at, server, w) in &s.set_weight {
            if *at == k {
                let idx =
                    server.trim_start_matches("rs").parse::<usize>().map_err(|_| bad("a server name rsN", server))?;
                let w: u32 = w.trim().parse().map_err(|_| bad("a weight", w))?;
                events.push(serde_json::json!({"op": "set_weight", "server": idx.saturating_sub(1), "weight": w}));
            }
        }
        let c = &clients[k as usize % clients.len()];
        events.push(
            serde_json::json!({"op": "connect", "client": c, "cport": 1024 + k, "vip": "10.0.0.100", "vport": 80}),
        );
    }
    let script = serde_json::json!({
        "scheduler": s.scheduler, "servers": servers, "events": events, "sched_flags": s.flags,
    });
    crate::ipvs::script::run(&script.to_string())
        .map_err(|e| ExerciseError::other(format!("scheduling script: {e}"), None))
}

fn name_of(p: Option<usize>) -> String {
    p.map_or_else(|| "none".to_string(), |i| format!("rs{}", i + 1))
}

/// Computes the value of `src` for the context's instance.
pub fn compute(cx: &Ctx, src: &Source) -> Result<Value, ExerciseError> {
    Ok(match src {
        Source::InBase(base, inner) => {
            let text = super::BASES.iter().find(|(n, _)| n == base).map(|(_, t)| *t).ok_or_else(|| {
                ExerciseError::other(format!("expected the name of a base scenario, found \"{base}\""), None)
            })?;
            let mut inst = cx.inst.clone();
            inst.scenario_text = Some(cx.inst.variant.apply(text));
            let other = Ctx::new(&inst);
            return compute(&other, inner);
        }
        Source::Picks(s) => Value::List(picks(s)?.into_iter().map(name_of).collect()),
        Source::Distinct(s) => {
            let mut p: Vec<usize> = picks(s)?.into_iter().flatten().collect();
            p.sort_unstable();
            p.dedup();
            Value::Number(p.len() as f64)
        }
        Source::Refused(s) => Value::Number(picks(s)?.iter().filter(|p| p.is_none()).count() as f64),
        Source::Share(s, server) => {
            let p = picks(s)?;
            let n = p.iter().filter(|x| name_of(**x) == *server).count();
            Value::Number(if p.is_empty() { 0.0 } else { n as f64 / p.len() as f64 })
        }
        Source::Jain(s) => {
            let mut per = vec![0.0; s.weights.len()];
            for i in picks(s)?.into_iter().flatten() {
                per[i] += 1.0;
            }
            Value::Number(crate::metrics::fairness::jain(&per).unwrap_or(0.0))
        }
        Source::Neigh { host, ip } => {
            let r = cx.run()?;
            let h = r.host(host)?;
            let addr: Ipv4Addr = ip
                .parse()
                .map_err(|_| ExerciseError::other(format!("expected an IPv4 address, found \"{ip}\""), None))?;
            let e = r.engine.hosts[h].neigh.entries.iter().find(|n| n.ip == addr && n.state.is_valid());
            Value::Word(e.map_or_else(|| "none".to_string(), |n| r.mac_owner(n.mac)))
        }
        Source::Field { host, stage, frame, nth, field } => {
            let r = cx.run()?;
            let h = r.host(host)? as crate::topology::HostId;
            let step = r
                .steps
                .iter()
                .filter(|s| {
                    s.host == h
                        && s.stage.name().eq_ignore_ascii_case(stage)
                        && s.subject
                            .is_some_and(|x| frame.as_ref().is_none_or(|f| x.frame.to_string().contains(f.as_str())))
                })
                .nth(*nth)
                .ok_or_else(|| {
                    ExerciseError::other(format!("no frame at {host} in {stage} matching {frame:?}"), None)
                })?;
            let sub = step.subject.expect("filtered on subject");
            match sub.frame.field(field) {
                Some(FieldValue::Mac(m)) => Value::Word(r.mac_owner(m)),
                Some(v) => Value::Word(v.to_string()),
                None => Value::Word("none".into()),
            }
        }
        Source::StageOf { host, why } => {
            let r = cx.run()?;
            let h = r.host(host)? as crate::topology::HostId;
            let f = why_filter(why)?;
            let s = r.steps.iter().find(|s| s.host == h && f.matches(s, &r.names));
            Value::Word(s.map_or("none", |s| s.stage.name()).to_string())
        }
        Source::TimeOf { host, why } => {
            let r = cx.run()?;
            let h = r.host(host)? as crate::topology::HostId;
            let f = why_filter(why)?;
            let s = r.steps.iter().find(|s| s.host == h && f.matches(s, &r.names));
            s.map_or_else(|| Value::Word("none".to_string()), |s| Value::Number(s.time.as_nanos() as f64 / 1e9))
        }
        Source::Mode(_) => {
            let r = cx.run()?;
            let d = r.director()?;
            let f = d.ipvs.as_ref().and_then(|v| v.services[0].dests.first()).map(|d| d.fwd);
            Value::Word(f.map_or("none", fwd_name).to_string())
        }
        Source::Scheduler(_) => {
            let r = cx.run()?;
            let d = r.director()?;
            Value::Word(d.ipvs.as_ref().map_or("none", |v| v.services[0].sched_name.name()).to_string())
        }
        Source::RoleOf(a) => {
            let r = cx.run()?;
            let ip: Ipv4Addr = a
                .parse()
                .map_err(|_| ExerciseError::other(format!("expected an IPv4 address, found \"{a}\""), None))?;
            let d = r.director()?;
            let v = d.ipvs.as_ref().expect("director runs IPVS");
            let clients: Vec<usize> = r
                .engine
                .apps
                .iter()
                .filter_map(|x| match x {
                    App::Client(c) => Some(c.host as usize),
                    App::Server(_) => None,
                })
                .collect();
            let role = if v.services.iter().any(|s| s.addr.addr == ip) {
                "VIP"
            } else if v.services.iter().any(|s| s.dests.iter().any(|d| d.addr == ip)) {
                "RIP"
            } else if d.ifaces.iter().any(|i| i.has_addr(ip)) {
                "DIP"
            } else if clients.iter().any(|c| r.engine.hosts[*c].ifaces.iter().any(|i| i.has_addr(ip))) {
                "CIP"
            } else {
                "other"
            };
            Value::Word(role.to_string())
        }
        Source::Director => Value::Word(cx.run()?.director()?.name.clone()),
        Source::RealServers => {
            let r = cx.run()?;
            let v = r.director()?.ipvs.as_ref().expect("director runs IPVS");
            // The kernel's list is newest first; `ipvsadm -a` order is the reverse.
            Value::List(
                v.services[0]
                    .dests
                    .iter()
                    .rev()
                    .map(|d| r.addr_owner(d.addr).map_or_else(|| d.addr.to_string(), str::to_string))
                    .collect(),
            )
        }
        Source::Count(c) => Value::Number(cx.run()?.counter(c)?),
        Source::Ratio(a, b) => {
            let r = cx.run()?;
            let d = r.counter(b)?;
            Value::Number(if d == 0.0 { 0.0 } else { r.counter(a)? / d })
        }
        Source::Saturation { sweep, series, percent } => {
            let below = percent.trim().parse::<f64>().ok().filter(|p| (0.0..=100.0).contains(p)).ok_or_else(|| {
                ExerciseError::other(
                    format!("Saturation: expected a percentage from 0 to 100, found \"{percent}\""),
                    Some("write percent: \"95\"".into()),
                )
            })?;
            saturation(sweep, series, below / 100.0)?
        }
        Source::FirstMatch(opts) => {
            let r = cx.run()?;
            let mut key = "none".to_string();
            for o in opts {
                let checks = crate::scenario::expect::check_all(&r.loaded, &r.engine, &r.steps, &o.when)?;
                if checks.iter().all(|c| c.ok) {
                    key.clone_from(&o.key);
                    break;
                }
            }
            Value::Word(key)
        }
    })
}

/// A `why` filter of an exercise (`why == ipvs.schedule`), or an error saying where it
/// is wrong.
fn why_filter(src: &str) -> Result<crate::trace::filter::Filter, ExerciseError> {
    crate::trace::filter::Filter::parse(src).map_err(|e| {
        ExerciseError::other(
            format!("the trace filter `{src}`: {e}"),
            Some("match the typed reason: why == ipvs.schedule, why.sched == rr (see docs/tui.md)".into()),
        )
    })
}

/// The trace excerpt of a trace-reading exercise, one line per step.
pub fn excerpt(cx: &Ctx) -> Result<Vec<String>, ExerciseError> {
    let Some(x) = &cx.inst.ex.excerpt else { return Ok(Vec::new()) };
    let r = cx.run()?;
    let why = x.why.as_deref().map(why_filter).transpose()?;
    let mut out = Vec::new();
    for s in &r.steps {
        let host = r.names.host(s.host);
        if !x.hosts.is_empty() && !x.hosts.iter().any(|h| h == host) {
            continue;
        }
        if !x.stages.is_empty() && !x.stages.iter().any(|st| st.eq_ignore_ascii_case(s.stage.name())) {
            continue;
        }
        let summary = s.subject.map(|x| x.frame.to_string()).unwrap_or_default();
        if x.frame.as_ref().is_some_and(|f| !summary.contains(f.as_str())) {
            continue;
        }
        if why.as_ref().is_some_and(|f| !f.matches(s, &r.names)) {
            continue;
        }
        if !x.actions.is_empty() && !x.actions.iter().any(|a| a == s.action.name()) {
            continue;
        }
        let mut line = format!(
            "{:>12}  {:<9} {:<6} {:<11}  {}",
            s.time.to_string(),
            host,
            r.names.iface(s.host, s.iface),
            s.stage.name(),
            summary
        );
        if let Some(sub) = s.subject {
            for f in &x.fields {
                match sub.frame.field(f) {
                    Some(FieldValue::Mac(m)) => {
                        let _ = write!(line, "  {f}={m} ({})", r.mac_owner(m));
                    }
                    Some(v) => {
                        let _ = write!(line, "  {f}={v}");
                    }
                    None => {}
                }
            }
        }
        if x.reasons {
            line.push_str(" | ");
            line.push_str(&s.reason(&r.names, crate::lang::Lang::En));
        }
        out.push(line.trim_end().to_string());
        if out.len() >= x.max {
            break;
        }
    }
    Ok(out)
}

/// Per point of an embedded sweep: its parameters, connections started and completed.
type SweepRows = Vec<(Vec<(String, String)>, u64, u64)>;

/// Runs embedded sweep `name` once per process (on all cores) and keeps its rows: the
/// sweep does not depend on the student's variant, and it is deterministic.
fn sweep_rows(name: &str) -> Result<SweepRows, ExerciseError> {
    static CACHE: std::sync::Mutex<std::collections::BTreeMap<String, SweepRows>> =
        std::sync::Mutex::new(std::collections::BTreeMap::new());
    if let Some(rows) = CACHE.lock().map_err(|_| ExerciseError::other("sweep cache poisoned", None))?.get(name) {
        return Ok(rows.clone());
    }
    let sw = crate::batch::sweep::load(name).map_err(|e| ExerciseError::other(e.render(), None))?;
    let results = crate::batch::sweep::run(&sw, 0).map_err(|e| ExerciseError::other(e.render(), None))?;
    let rows: SweepRows =
        results.into_iter().map(|r| (r.params, r.summary.clients.started, r.summary.clients.completed)).collect();
    CACHE
        .lock()
        .map_err(|_| ExerciseError::other("sweep cache poisoned", None))?
        .insert(name.to_string(), rows.clone());
    Ok(rows)
}

/// [`Source::Saturation`].
fn saturation(sweep: &str, series: &str, below: f64) -> Result<Value, ExerciseError> {
    let sw = crate::batch::sweep::load(sweep).map_err(|e| ExerciseError::other(e.render(), None))?;
    let x = sw.spec.x.clone().unwrap_or_else(|| "rate".to_string());
    let s = sw.spec.series.clone().unwrap_or_else(|| "mode".to_string());
    let mut points: Vec<(f64, u64, u64)> = sweep_rows(sweep)?
        .into_iter()
        .filter(|(p, ..)| p.iter().any(|(k, v)| *k == s && v == series))
        .filter_map(|(p, started, completed)| {
            let x = p.iter().find(|(k, _)| *k == x)?.1.parse::<f64>().ok()?;
            Some((x, started, completed))
        })
        .collect();
    if points.is_empty() {
        return Err(ExerciseError::other(
            format!("sweep {sweep} has no points of series \"{series}\" with a numeric {x}"),
            None,
        ));
    }
    points.sort_by(|a, b| a.0.total_cmp(&b.0));
    Ok(points
        .iter()
        .find(|(_, started, completed)| (*completed as f64) < below * (*started as f64))
        .map_or_else(|| Value::Word("none".to_string()), |(x, ..)| Value::Number(*x)))
}

#[cfg(test)]
mod picks_tests {
    use super::*;

    fn spec(connections: u32) -> SchedSpec {
        ron::from_str(&format!(r#"(scheduler: "rr", weights: ["1", "1"], connections: {connections})"#)).unwrap()
    }

    #[test]
    fn a_huge_number_of_connections_is_an_error_not_gigabytes() {
        // 10^8 connections built 10^8 JSON events before failing on client port 1024 + k.
        assert!(picks(&spec(100_000_000)).is_err());
        assert!(picks(&spec(MAX_PICKS + 1)).is_err());
        // A small count still answers, one pick per connection.
        assert_eq!(picks(&spec(4)).unwrap().len(), 4);
    }
}
