//! Parameter sweeps: a sweep file names a base scenario and parameters to vary; every
//! combination (× seed replicas) is one point, run in parallel on a rayon pool, results
//! collected in input order, so the output is the same whatever the number of threads.
//!
//! ```ron
//! Sweep(
//!     about: "NAT vs DR vs TUN as offered load rises",
//!     duration: "10s",            // overrides the scenarios' duration
//!     seeds: 3,                   // replicas: seeds 1, 2, 3
//!     vary: [
//!         Mode([("nat", "bottleneck-nat"), ("dr", "bottleneck-dr")]),  // label → scenario
//!         Rate([2000, 4000, 8000]),   // total open-loop connections/s
//!     ],
//!     x: "rate",                  // x axis of the charts (default: the last parameter)
//!     series: "mode",             // one line per value (default: the others)
//! )
//! ```
//!
//! Parameters: `Mode([(label, scenario)])`, `Rate([f64])`, `Users([u32])`,
//! `Scheduler([name])`, `Servers([n])`, `Weights(["3,2,1"])`, `Persistence([seconds])`.
//! `base: "scenario"` is required unless `Mode` names the scenarios.

use super::words::{self, Word};
use super::{Run, Summary, charts, output::num};
use crate::cmdline::{self, Command};
use crate::ipvs::ipvsadm::{IpvsadmCmd, Sched, SchedFlags};
use crate::lang::Lang;
use crate::scenario::locate::Locator;
use crate::scenario::{self, Loaded, ScenarioError};
use crate::sim::SimDuration;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The sweeps compiled into the binary: (name, RON source).
pub const EMBEDDED: &[(&str, &str)] = &[
    ("bottleneck", include_str!("../../scenarios/sweeps/bottleneck.ron")),
    ("fairness", include_str!("../../scenarios/sweeps/fairness.ron")),
    ("sh-skew", include_str!("../../scenarios/sweeps/sh-skew.ron")),
    ("persistence", include_str!("../../scenarios/sweeps/persistence.ron")),
    ("saturation", include_str!("../../scenarios/sweeps/saturation.ron")),
    ("detection", include_str!("../../scenarios/sweeps/detection.ron")),
];

/// A sweep file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename = "Sweep")]
pub struct SweepSpec {
    /// One line: the question this sweep answers, as `(en: "...", zh: "...")` or one
    /// plain string.
    pub about: crate::lang::Text,
    /// The scenario every point starts from (embedded name or path, relative to the
    /// sweep file); required unless `Mode` names the scenarios.
    #[serde(default)]
    pub base: Option<String>,
    /// Simulated time of every point (default: the scenario's).
    #[serde(default)]
    pub duration: Option<String>,
    /// Seed replicas per combination: seeds 1..=seeds (default 1).
    #[serde(default)]
    pub seeds: Option<u32>,
    pub vary: Vec<Param>,
    /// The parameter on the charts' x axis (default: the last one).
    #[serde(default)]
    pub x: Option<String>,
    /// The parameter drawn as one line per value (default: all others together).
    #[serde(default)]
    pub series: Option<String>,
    /// Time-series bin of each point (default: a hundredth of the run).
    #[serde(default)]
    pub bin: Option<String>,
}

/// One parameter and its values.
#[derive(Clone, Debug, Deserialize)]
pub enum Param {
    /// Forwarding mode: (label, scenario) pairs; each label runs its own scenario.
    Mode(Vec<(String, String)>),
    /// Total offered load of the open-loop clients (connections or requests per second),
    /// shared among them in proportion to their own rates.
    Rate(Vec<f64>),
    /// Total closed-loop users, shared among closed-loop clients in proportion.
    Users(Vec<u32>),
    /// The IPVS scheduler of every virtual service (`-s`).
    Scheduler(Vec<String>),
    /// Real servers in use: only the first N `ipvsadm -a` of each director are kept.
    Servers(Vec<u32>),
    /// Weights of the real servers in `ipvsadm -a` order, e.g. "3,2,1".
    Weights(Vec<String>),
    /// Persistence timeout (`-p`) in seconds of every virtual service; 0 = none.
    Persistence(Vec<u32>),
    /// keepalived's `delay_loop` in seconds: every `delay_loop` line of every host's
    /// keepalived.conf (written inline) is set to it.
    DelayLoop(Vec<f64>),
    /// keepalived's `retry` (or `nb_get_retry`): every such line is set to it.
    Retry(Vec<u32>),
}

impl Param {
    pub fn name(&self) -> &'static str {
        match self {
            Param::Mode(_) => "mode",
            Param::Rate(_) => "rate",
            Param::Users(_) => "users",
            Param::Scheduler(_) => "scheduler",
            Param::Servers(_) => "servers",
            Param::Weights(_) => "weights",
            Param::Persistence(_) => "persistence",
            Param::DelayLoop(_) => "delay_loop",
            Param::Retry(_) => "retry",
        }
    }

    fn len(&self) -> usize {
        match self {
            Param::Mode(v) => v.len(),
            Param::Rate(v) | Param::DelayLoop(v) => v.len(),
            Param::Users(v) | Param::Servers(v) | Param::Persistence(v) | Param::Retry(v) => v.len(),
            Param::Scheduler(v) | Param::Weights(v) => v.len(),
        }
    }

    /// The label of value `i` (CSV cell, legend text).
    fn label(&self, i: usize) -> String {
        match self {
            Param::Mode(v) => v[i].0.clone(),
            Param::Rate(v) | Param::DelayLoop(v) => num(v[i]),
            Param::Users(v) | Param::Servers(v) | Param::Persistence(v) | Param::Retry(v) => v[i].to_string(),
            Param::Scheduler(v) | Param::Weights(v) => v[i].clone(),
        }
    }

    /// Whether values are numbers (a line chart) or names (bars).
    fn numeric(&self) -> bool {
        matches!(
            self,
            Param::Rate(_)
                | Param::Users(_)
                | Param::Servers(_)
                | Param::Persistence(_)
                | Param::DelayLoop(_)
                | Param::Retry(_)
        )
    }

    fn value(&self, i: usize) -> f64 {
        match self {
            Param::Rate(v) | Param::DelayLoop(v) => v[i],
            Param::Users(v) | Param::Servers(v) | Param::Persistence(v) | Param::Retry(v) => f64::from(v[i]),
            _ => i as f64,
        }
    }
}

/// A parsed sweep, its points resolved.
#[derive(Clone, Debug)]
pub struct Sweep {
    pub name: String,
    pub origin: String,
    pub spec: SweepSpec,
    /// Every point, in output order.
    pub points: Vec<Point>,
}

/// One point: a scenario with its parameters applied, and a seed.
#[derive(Clone, Debug)]
pub struct Point {
    /// (parameter name, value label), in `vary` order.
    pub params: Vec<(String, String)>,
    /// Index of each parameter's value.
    pub choice: Vec<usize>,
    pub seed: u64,
    pub scenario: Loaded,
}

/// The result of one point.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct PointResult {
    /// (parameter name, value label), in `vary` order.
    pub params: Vec<(String, String)>,
    pub seed: u64,
    /// The run's summary (the same as `lvsim run` would write as summary.json).
    pub summary: Summary,
    /// Highest CPU utilisation of any director (`None`: no CPU model on the directors).
    pub director_cpu: Option<f64>,
    /// Highest link utilisation of any director.
    pub director_link: f64,
}

pub(crate) fn load_sweep_text(name_or_path: &str) -> Result<(String, String), ScenarioError> {
    if let Some((n, src)) = EMBEDDED.iter().find(|(n, _)| *n == name_or_path) {
        return Ok((format!("embedded:{n}"), (*src).to_string()));
    }
    std::fs::read_to_string(name_or_path).map(|s| (name_or_path.to_string(), s)).map_err(|e| ScenarioError::Io {
        path: name_or_path.to_string(),
        message: e.to_string(),
        help: format!(
            "give a path to a sweep .ron file or the name of an embedded sweep ({})",
            EMBEDDED.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
        ),
    })
}

/// Loads an embedded sweep by name, or a sweep file by path, and resolves its points.
pub fn load(name_or_path: &str) -> Result<Sweep, ScenarioError> {
    let (origin, src) = load_sweep_text(name_or_path)?;
    parse(&origin, &src)
}

/// Parses sweep text (`origin` names it in errors and locates relative scenario paths).
pub fn parse(origin: &str, src: &str) -> Result<Sweep, ScenarioError> {
    let spec: SweepSpec = ron::Options::default()
        .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
        .from_str(src)
        .map_err(|e| ScenarioError::from_ron_as(origin, src, &e, "a valid sweep file"))?;
    let loc = Locator::new(src);
    let err_at = |text: &str, expected: &str, found: String, help: Option<String>| {
        // Point at the quoted literal when there is one, else at the first bare mention.
        let (s, e) = loc
            .find_after(0, text)
            .map_or_else(|| src.find(text).map_or((0, 0), |p| (p, p + text.len())), |l| (l.start, l.end));
        ScenarioError::at(origin, src, s, e, expected, found, help)
    };
    let dir = Path::new(origin.trim_start_matches("embedded:")).parent().map(Path::to_path_buf);
    let load_scenario = |name: &str| -> Result<Loaded, ScenarioError> {
        if scenario::EMBEDDED.iter().any(|(n, _)| *n == name) || origin.starts_with("embedded:") {
            return scenario::load(name);
        }
        let rel = dir.as_ref().map(|d| d.join(name)).filter(|p| p.exists());
        scenario::load(rel.as_deref().and_then(Path::to_str).unwrap_or(name))
    };
    let not_found = |name: &str, e: &ScenarioError| {
        err_at(
            name,
            "an embedded scenario or a scenario file",
            format!("\"{name}\""),
            Some(match e {
                ScenarioError::Io { help, .. } => help.clone(),
                other @ ScenarioError::At { .. } => other.to_string(),
            }),
        )
    };
    let duration = match &spec.duration {
        Some(d) => {
            Some(SimDuration::parse(d).map_err(|m| err_at(d, "a duration like \"10s\"", format!("\"{d}\""), Some(m)))?)
        }
        None => None,
    };
    if let Some(b) = &spec.bin {
        SimDuration::parse(b)
            .ok()
            .filter(|d| d.as_nanos() > 0)
            .ok_or_else(|| err_at(b, "a bin like \"100ms\"", format!("\"{b}\""), None))?;
    }
    if spec.vary.is_empty() {
        return Err(err_at("vary", "at least one parameter to vary", "an empty list".into(), Some(PARAM_HELP.into())));
    }
    for p in &spec.vary {
        let name = p.name();
        if spec.vary.iter().filter(|q| q.name() == name).count() > 1 {
            return Err(err_at(cap(name).as_str(), "each parameter once", format!("{name} twice"), None));
        }
        if p.len() == 0 {
            return Err(err_at(cap(name).as_str(), "at least one value", "an empty list".into(), None));
        }
        match p {
            Param::Scheduler(v) => {
                for s in v {
                    if !crate::ipvs::Sched::ALL.iter().any(|k| k.name() == s) {
                        let all: Vec<&str> = crate::ipvs::Sched::ALL.iter().map(|k| k.name()).collect();
                        return Err(err_at(
                            s,
                            "a scheduler name",
                            format!("\"{s}\""),
                            Some(format!("one of {}", all.join(", "))),
                        ));
                    }
                }
            }
            Param::Weights(v) => {
                for w in v {
                    if parse_weights(w).is_none() {
                        return Err(err_at(w, "weights like \"3,2,1\"", format!("\"{w}\""), None));
                    }
                }
            }
            Param::Rate(v) => {
                if v.iter().any(|r| !(r.is_finite() && *r > 0.0)) {
                    return Err(err_at("Rate", "rates above 0 (per second)", format!("{v:?}"), None));
                }
            }
            Param::Servers(v) | Param::Users(v) => {
                if v.contains(&0) {
                    return Err(err_at(cap(name).as_str(), "counts above 0", format!("{v:?}"), None));
                }
            }
            Param::DelayLoop(v) => {
                if v.iter().any(|d| !(d.is_finite() && *d >= 0.000_001 && *d <= 86_400.0)) {
                    return Err(err_at("DelayLoop", "delays from 0.000001 to 86400 seconds", format!("{v:?}"), None));
                }
            }
            Param::Mode(_) | Param::Persistence(_) | Param::Retry(_) => {}
        }
    }
    for (field, value) in [("x", &spec.x), ("series", &spec.series)] {
        if let Some(v) = value
            && !spec.vary.iter().any(|p| p.name() == v)
        {
            let names: Vec<&str> = spec.vary.iter().map(Param::name).collect();
            return Err(err_at(
                v,
                &format!("one of the varied parameters ({}) for `{field}`", names.join(", ")),
                format!("\"{v}\""),
                None,
            ));
        }
    }
    // The scenarios: one per mode label, or the base.
    let mode = spec.vary.iter().find_map(|p| if let Param::Mode(m) = p { Some(m) } else { None });
    let mut bases: Vec<Loaded> = Vec::new();
    match (mode, &spec.base) {
        (Some(m), _) => {
            for (_, s) in m {
                bases.push(load_scenario(s).map_err(|e| not_found(s, &e))?);
            }
        }
        (None, Some(b)) => bases.push(load_scenario(b).map_err(|e| not_found(b, &e))?),
        (None, None) => {
            return Err(err_at(
                "Sweep",
                "a `base` scenario, or a `Mode` parameter naming scenarios",
                "neither".into(),
                Some("add base: \"dr\" (an embedded scenario name or a path)".into()),
            ));
        }
    }
    let seeds = spec.seeds.unwrap_or(1).max(1);
    // Every combination, the first parameter outermost; seeds innermost.
    let mut points = Vec::new();
    let total: usize = spec.vary.iter().map(Param::len).product();
    for k in 0..total {
        let mut choice = vec![0; spec.vary.len()];
        let mut rest = k;
        for (i, p) in spec.vary.iter().enumerate().rev() {
            choice[i] = rest % p.len();
            rest /= p.len();
        }
        let base_index = spec.vary.iter().position(|p| matches!(p, Param::Mode(_))).map_or(0, |i| choice[i]);
        let mut l = bases[base_index].clone();
        if let Some(d) = duration {
            l.scenario.duration = d.to_string();
        }
        for (p, &c) in spec.vary.iter().zip(&choice) {
            apply(&mut l, p, c)
                .map_err(|m| err_at(cap(p.name()).as_str(), &m, format!("scenario {}", l.name), None))?;
        }
        let params: Vec<(String, String)> =
            spec.vary.iter().zip(&choice).map(|(p, &c)| (p.name().to_string(), p.label(c))).collect();
        for s in 1..=u64::from(seeds) {
            points.push(Point { params: params.clone(), choice: choice.clone(), seed: s, scenario: l.clone() });
        }
    }
    let name = Path::new(origin.trim_start_matches("embedded:"))
        .file_stem()
        .map_or_else(|| origin.to_string(), |s| s.to_string_lossy().into_owned());
    Ok(Sweep { name, origin: origin.to_string(), spec, points })
}

const PARAM_HELP: &str = "parameters: Mode([(\"nat\", \"scenario\")]), Rate([1000]), Users([10]), Scheduler([\"rr\"]), Servers([2]), Weights([\"3,2,1\"]), Persistence([300]), DelayLoop([1, 2]), Retry([0, 1])";

fn cap(name: &str) -> String {
    let mut c = name.chars();
    c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
}

fn parse_weights(s: &str) -> Option<Vec<u32>> {
    let v: Option<Vec<u32>> = s.split(',').map(|w| w.trim().parse().ok()).collect();
    v.filter(|v| !v.is_empty())
}

/// Edits every `ipvsadm` command of `run` that `edit` changes, as a typed command: a line
/// is parsed by the one command parser (so `sudo ipvsadm -At VIP:80 --scheduler=rr` is
/// seen as well as `ipvsadm -A -t VIP:80 -s rr`) and written back in its canonical form
/// only when `edit` changed it. Lines that do not parse are left for the scenario's
/// loader to report. Returns how many commands `edit` matched.
fn edit_ipvsadm(run: &mut [String], mut edit: impl FnMut(&mut IpvsadmCmd) -> bool) -> usize {
    let mut matched = 0;
    for line in run {
        if let Ok(Command::Ipvsadm(mut cmd)) = cmdline::parse(line) {
            let before = cmd;
            if edit(&mut cmd) {
                matched += 1;
                if cmd != before {
                    *line = Command::Ipvsadm(cmd).to_string();
                }
            }
        }
    }
    matched
}

/// Is `line` an `ipvsadm -a` (add a real server)?
fn is_add_server(line: &str) -> bool {
    matches!(cmdline::parse(line), Ok(Command::Ipvsadm(IpvsadmCmd::AddServer(_))))
}

/// Applies value `i` of `p` to the scenario. The error says what was expected.
fn apply(l: &mut Loaded, p: &Param, i: usize) -> Result<(), String> {
    use crate::scenario::AppSpec;
    let sc = &mut l.scenario;
    match p {
        Param::Mode(_) => {}
        Param::DelayLoop(v) => set_keepalived(sc, &["delay_loop"], &num(v[i]))?,
        Param::Retry(v) => set_keepalived(sc, &["retry", "nb_get_retry"], &v[i].to_string())?,
        Param::Rate(v) => {
            let rate_of = |every: &Option<String>, rate: Option<f64>| {
                rate.or_else(|| {
                    every.as_ref().and_then(|e| SimDuration::parse(e).ok()).map(|d| 1e9 / d.as_nanos().max(1) as f64)
                })
            };
            let total: f64 = sc
                .apps
                .iter()
                .filter_map(|a| match a {
                    AppSpec::Client { users: None, every, rate, .. } => rate_of(every, *rate),
                    _ => None,
                })
                .sum();
            if total <= 0.0 {
                return Err("a scenario with open-loop clients (`rate` or `every`)".into());
            }
            for a in &mut sc.apps {
                if let AppSpec::Client { users: None, every, rate, .. } = a
                    && let Some(r) = rate_of(every, *rate)
                {
                    *rate = Some(r * v[i] / total);
                    *every = None;
                }
            }
        }
        Param::Users(v) => {
            let total: u32 =
                sc.apps.iter().filter_map(|a| if let AppSpec::Client { users, .. } = a { *users } else { None }).sum();
            if total == 0 {
                return Err("a scenario with closed-loop clients (`users`)".into());
            }
            let mut left = v[i];
            let n = sc.apps.iter().filter(|a| matches!(a, AppSpec::Client { users: Some(_), .. })).count();
            let mut k = 0;
            for a in &mut sc.apps {
                if let AppSpec::Client { users: Some(u), .. } = a {
                    k += 1;
                    let share = if k == n { left } else { (u64::from(*u) * u64::from(v[i]) / u64::from(total)) as u32 };
                    *u = share.clamp(1, left.max(1));
                    left = left.saturating_sub(*u);
                }
            }
        }
        Param::Scheduler(v) => {
            let sched: Sched = v[i].parse().map_err(|e: crate::ipvs::ipvsadm::UnknownScheduler| e.to_string())?;
            let mut any = 0;
            for h in &mut sc.hosts {
                any += edit_ipvsadm(&mut h.run, |c| match c {
                    IpvsadmCmd::AddService(o) | IpvsadmCmd::EditService(o) => {
                        if o.scheduler != sched {
                            // `-b` flags belong to the scheduler they were written for.
                            o.scheduler = sched;
                            o.flags = SchedFlags::default();
                        }
                        true
                    }
                    _ => false,
                });
            }
            if any == 0 {
                return Err("a scenario with an `ipvsadm -A` service".into());
            }
        }
        Param::Servers(v) => {
            for h in &mut sc.hosts {
                let have = h.run.iter().filter(|c| is_add_server(c)).count();
                if have == 0 {
                    continue;
                }
                if have < v[i] as usize {
                    return Err(format!("at most {have} servers (the `ipvsadm -a` commands of {})", h.name));
                }
                let mut seen = 0;
                h.run.retain(|c| {
                    if is_add_server(c) {
                        seen += 1;
                        seen <= v[i]
                    } else {
                        true
                    }
                });
            }
        }
        Param::Weights(v) => {
            let w = parse_weights(&v[i]).expect("checked when parsed");
            for h in &mut sc.hosts {
                let mut k = 0;
                edit_ipvsadm(&mut h.run, |c| match c {
                    IpvsadmCmd::AddServer(o) => {
                        if let Some(&x) = w.get(k) {
                            o.weight = x;
                        }
                        k += 1;
                        true
                    }
                    _ => false,
                });
            }
        }
        Param::Persistence(v) => {
            for h in &mut sc.hosts {
                edit_ipvsadm(&mut h.run, |c| match c {
                    IpvsadmCmd::AddService(o) | IpvsadmCmd::EditService(o) => {
                        o.persistent = (v[i] > 0).then_some(v[i]);
                        true
                    }
                    _ => false,
                });
            }
        }
    }
    Ok(())
}

/// A point's expected work, to start the costly ones first: the connections (or requests)
/// its clients offer over the run, from their rates, counts and users.
fn estimated_cost(p: &Point) -> f64 {
    use crate::scenario::AppSpec;
    let secs = SimDuration::parse(&p.scenario.scenario.duration).map_or(1.0, SimDuration::as_secs_f64);
    p.scenario
        .scenario
        .apps
        .iter()
        .map(|a| match a {
            AppSpec::Client { count: Some(n), .. } => *n as f64,
            AppSpec::Client { rate: Some(r), .. } => r * secs,
            AppSpec::Client { every: Some(e), .. } => {
                SimDuration::parse(e).map_or(0.0, |d| secs * 1e9 / d.as_nanos().max(1) as f64)
            }
            AppSpec::Client { users: Some(u), .. } => f64::from(*u) * secs,
            _ => 0.0,
        })
        .sum()
}

/// Runs one point to its end and summarises it.
pub fn run_point(p: &Point, bin: Option<SimDuration>) -> Result<(PointResult, Run), ScenarioError> {
    let run = super::run_full(&p.scenario, p.seed, bin)?;
    let s = &run.summary;
    let director_cpu = run.directors.iter().filter_map(|&d| s.hosts[d].cpu_util).reduce(f64::max);
    let director_link = run.directors.iter().map(|&d| s.hosts[d].link_util).fold(0.0, f64::max);
    Ok((PointResult { params: p.params.clone(), seed: p.seed, summary: s.clone(), director_cpu, director_link }, run))
}

/// Runs every point on a pool of `threads` threads (0: all cores), calling `progress`
/// after each; results in point order.
pub fn run_with(
    sweep: &Sweep,
    threads: usize,
    progress: &(dyn Fn() + Sync),
) -> Result<Vec<PointResult>, ScenarioError> {
    let bin = sweep.spec.bin.as_deref().and_then(|b| SimDuration::parse(b).ok());
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().map_err(|e| ScenarioError::Io {
        path: sweep.origin.clone(),
        message: e.to_string(),
        help: "try --threads 1".into(),
    })?;
    // Longest first (LPT): each worker takes the next point in order of estimated cost,
    // so the costly points start early and the cheap ones fill the gaps at the end,
    // instead of one worker being left with the last costly point. Results go back to
    // their points' places, so the output does not depend on the order run.
    let mut order: Vec<usize> = (0..sweep.points.len()).collect();
    let cost: Vec<f64> = sweep.points.iter().map(estimated_cost).collect();
    order.sort_by(|a, b| cost[*b].total_cmp(&cost[*a]).then(a.cmp(b)));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let slots: Vec<std::sync::Mutex<Option<Result<PointResult, ScenarioError>>>> =
        sweep.points.iter().map(|_| std::sync::Mutex::new(None)).collect();
    let workers = pool.current_num_threads().min(order.len()).max(1);
    pool.scope(|s| {
        for _ in 0..workers {
            s.spawn(|_| {
                loop {
                    let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(&i) = order.get(k) else { break };
                    let r = run_point(&sweep.points[i], bin).map(|(r, _)| r);
                    progress();
                    *slots[i].lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(r);
                }
            });
        }
    });
    slots
        .into_iter()
        .map(|m| m.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner).expect("every point was run"))
        .collect()
}

/// Runs every point on `threads` threads (0: all cores); results in point order.
pub fn run(sweep: &Sweep, threads: usize) -> Result<Vec<PointResult>, ScenarioError> {
    run_with(sweep, threads, &|| {})
}

/// Per series: its label and, per x value, (mean, min, max) over seeds if any.
type MetricSeries = Vec<(String, Vec<Option<(f64, f64, f64)>>)>;

/// The fixed columns of `points.csv`, after one column per varied parameter.
pub const POINT_COLUMNS: &[&str] = &[
    "seed",
    "offered_per_s",
    "throughput_per_s",
    "started",
    "completed",
    "failed",
    "latency_mean_ms",
    "latency_p50_ms",
    "latency_p95_ms",
    "latency_p99_ms",
    "director_cpu",
    "director_link",
    "drops",
    "jain",
    "weighted_jain",
    "max_over_mean",
    "weight_share_error",
];

fn o(x: Option<f64>) -> String {
    x.map(num).unwrap_or_default()
}

/// `points.csv`: a header, then one row per point.
pub fn points_csv(sweep: &Sweep, results: &[PointResult]) -> Result<Vec<u8>, String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut head: Vec<String> = vec!["point".into()];
    head.extend(sweep.spec.vary.iter().map(|p| p.name().to_string()));
    head.extend(POINT_COLUMNS.iter().map(|c| (*c).to_string()));
    w.write_record(&head).map_err(|e| e.to_string())?;
    for (k, r) in results.iter().enumerate() {
        let s = &r.summary;
        let c = &s.clients;
        let mut row = vec![k.to_string()];
        row.extend(r.params.iter().map(|(_, v)| v.clone()));
        row.extend([
            r.seed.to_string(),
            num(c.offered_per_s),
            num(c.throughput_per_s),
            c.started.to_string(),
            c.completed.to_string(),
            (c.refused + c.unreachable + c.timed_out).to_string(),
            o(c.latency_ms.mean),
            o(c.latency_ms.p50),
            o(c.latency_ms.p95),
            o(c.latency_ms.p99),
            o(r.director_cpu),
            num(r.director_link),
            s.frames.dropped.to_string(),
            o(s.fairness.jain),
            o(s.fairness.weighted_jain),
            o(s.fairness.max_over_mean),
            num(s.fairness.weight_share_error),
        ]);
        w.write_record(&row).map_err(|e| e.to_string())?;
    }
    w.into_inner().map_err(|e| e.to_string())
}

/// Sets every `KEY value` line (any of `keys`) of every host's inline keepalived.conf to
/// `value`, keeping the line's indentation.
fn set_keepalived(sc: &mut crate::scenario::Scenario, keys: &[&str], value: &str) -> Result<(), String> {
    let mut any = 0;
    for h in &mut sc.hosts {
        match &mut h.keepalived {
            Some(crate::scenario::KeepalivedSpec::Text(text)) => {
                let lines: Vec<String> = text
                    .lines()
                    .map(|l| {
                        let word = l.split_whitespace().next().unwrap_or("");
                        if keys.contains(&word) {
                            any += 1;
                            let indent = &l[..l.len() - l.trim_start().len()];
                            format!("{indent}{word} {value}")
                        } else {
                            l.to_string()
                        }
                    })
                    .collect();
                *text = lines.join("\n") + if text.ends_with('\n') { "\n" } else { "" };
            }
            Some(crate::scenario::KeepalivedSpec::File(_)) => {
                return Err(format!("{}'s keepalived.conf written inline (Text(...)), not in a file", h.name));
            }
            None => {}
        }
    }
    if any == 0 {
        return Err(format!("a keepalived.conf with a `{}` line", keys[0]));
    }
    Ok(())
}

/// The charts across points: a metric against the `x` parameter, one line (or bar
/// series) per value of the `series` parameter(s), min–max over seed replicas.
pub fn charts(sweep: &Sweep, results: &[PointResult], lang: Lang) -> Vec<(String, charts::Chart)> {
    let vary = &sweep.spec.vary;
    let xi = sweep.spec.x.as_ref().and_then(|x| vary.iter().position(|p| p.name() == x)).unwrap_or(vary.len() - 1);
    let others: Vec<usize> = match &sweep.spec.series {
        Some(s) => vary.iter().position(|p| p.name() == s).into_iter().collect(),
        None => (0..vary.len()).filter(|i| *i != xi).collect(),
    };
    let points = &sweep.points;
    // Groups in first-seen order: the series key → x index → values over seeds.
    let mut keys: Vec<Vec<usize>> = Vec::new();
    for p in points {
        let k: Vec<usize> = others.iter().map(|&i| p.choice[i]).collect();
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    let label = |k: &[usize]| -> String {
        others.iter().zip(k).map(|(&i, &c)| vary[i].label(c)).collect::<Vec<_>>().join(", ")
    };
    let nx = vary[xi].len();
    let metric = |f: &dyn Fn(&PointResult) -> Option<f64>| -> MetricSeries {
        keys.iter()
            .map(|k| {
                let vals = (0..nx)
                    .map(|x| {
                        let ys: Vec<f64> = points
                            .iter()
                            .zip(results)
                            .filter(|(p, _)| p.choice[xi] == x && others.iter().zip(k).all(|(&i, &c)| p.choice[i] == c))
                            .filter_map(|(_, r)| f(r))
                            .collect();
                        (!ys.is_empty()).then(|| {
                            let mean = ys.iter().sum::<f64>() / ys.len() as f64;
                            (
                                mean,
                                ys.iter().copied().fold(f64::INFINITY, f64::min),
                                ys.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                            )
                        })
                    })
                    .collect();
                (label(k), vals)
            })
            .collect()
    };
    let xp = &vary[xi];
    let x_desc = match xp {
        Param::Rate(_) => Word::OfferedLoad,
        Param::Users(_) => Word::Users,
        Param::Servers(_) => Word::RealServers,
        Param::Persistence(_) => Word::PersistenceTimeout,
        Param::Mode(_) => Word::ForwardingMode,
        Param::Scheduler(_) => Word::Scheduler,
        Param::Weights(_) => Word::Weights,
        Param::DelayLoop(_) => Word::DelayLoopX,
        Param::Retry(_) => Word::RetryX,
    }
    .text(lang)
    .to_string();
    let seeds = sweep.spec.seeds.unwrap_or(1);
    let band = if seeds > 1 { Word::SeedsBand.text(lang).replace('#', &seeds.to_string()) } else { String::new() };
    let make = |title: Word, y_desc: Word, data: MetricSeries, y_range: Option<(f64, f64)>| {
        let title = format!("{}{band}", words::join(lang, &sweep.name, title.text(lang)));
        let y_desc = y_desc.text(lang);
        if xp.numeric() {
            charts::Chart::Lines(charts::Lines {
                title,
                x_desc: x_desc.clone(),
                y_desc: y_desc.to_string(),
                lines: data
                    .into_iter()
                    .map(|(name, v)| charts::Line {
                        name,
                        points: v
                            .iter()
                            .enumerate()
                            .filter_map(|(x, m)| m.map(|(y, lo, hi)| (xp.value(x), y, lo, hi)))
                            .collect(),
                    })
                    .collect(),
                y_range,
                lang,
                ..charts::Lines::default()
            })
        } else {
            charts::Chart::Bars(charts::Bars {
                title,
                x_desc: x_desc.clone(),
                y_desc: y_desc.to_string(),
                categories: (0..nx).map(|x| xp.label(x)).collect(),
                series: data
                    .into_iter()
                    .map(|(name, v)| {
                        (
                            if name.is_empty() { Word::All.text(lang).into() } else { name },
                            v.iter().map(|m| m.unwrap_or((0.0, 0.0, 0.0))).collect(),
                        )
                    })
                    .collect(),
                y_range,
                lang,
                ..charts::Bars::default()
            })
        }
    };
    let mut out = vec![
        (
            "throughput".to_string(),
            make(
                Word::ClientThroughput,
                Word::CompletedPerS,
                metric(&|r| Some(r.summary.clients.throughput_per_s)),
                None,
            ),
        ),
        (
            "latency_p99".to_string(),
            make(Word::ClientP99, Word::P99Ms, metric(&|r| r.summary.clients.latency_ms.p99), None),
        ),
    ];
    if results.iter().any(|r| r.director_cpu.is_some()) {
        out.push((
            "director_cpu".to_string(),
            make(
                Word::DirectorCpu,
                Word::DirectorCpuPct,
                metric(&|r| r.director_cpu.map(|c| c * 100.0)),
                Some((0.0, 105.0)),
            ),
        ));
    }
    if results.iter().any(|r| r.summary.detection_s.is_some()) {
        out.push((
            "detection".to_string(),
            make(Word::DetectionTitle, Word::DetectionY, metric(&|r| r.summary.detection_s), None),
        ));
        out.push((
            "lost".to_string(),
            make(
                Word::LostTitle,
                Word::LostY,
                metric(&|r| Some(r.summary.clients.started.saturating_sub(r.summary.clients.completed) as f64)),
                None,
            ),
        ));
    }
    out.push((
        "balance".to_string(),
        make(Word::Balance, Word::MaxOverMean, metric(&|r| r.summary.fairness.max_over_mean), None),
    ));
    out.push((
        "weight_error".to_string(),
        make(Word::WeightError, Word::WeightErrorY, metric(&|r| Some(r.summary.fairness.weight_share_error)), None),
    ));
    out
}

/// Writes `points.csv` and the charts (their text in `lang`) into `dir`; returns the
/// paths written.
pub fn write(sweep: &Sweep, results: &[PointResult], dir: &Path, lang: Lang) -> Result<Vec<PathBuf>, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let p = dir.join("points.csv");
    std::fs::write(&p, points_csv(sweep, results)?).map_err(|e| format!("writing {}: {e}", p.display()))?;
    let mut paths = vec![p];
    for (stem, c) in charts(sweep, results, lang) {
        paths.extend(charts::render(&c, &dir.join(stem))?);
    }
    Ok(paths)
}

#[cfg(test)]
mod lpt {
    // The cost estimate that orders the points: the connections the clients offer. In the
    // bottleneck sweep every point runs 3 s, so a point at 26,000 connections/s offers
    // 78,000 and one at 2,000 offers 6,000 (rate × duration, by hand); the heaviest must
    // come first, whatever the mode.
    #[test]
    fn costly_points_first() {
        let sw = super::load("bottleneck").unwrap();
        let cost: Vec<f64> = sw.points.iter().map(super::estimated_cost).collect();
        let max = cost.iter().copied().fold(0.0, f64::max);
        let min = cost.iter().copied().fold(f64::MAX, f64::min);
        assert!((max - 26_000.0 * 3.0).abs() < 1.0 && (min - 2_000.0 * 3.0).abs() < 1.0, "{cost:?}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edited(lines: &[&str], p: &Param) -> Result<Vec<String>, String> {
        let mut run: Vec<String> = lines.iter().map(|l| (*l).to_string()).collect();
        let mut l = scenario::parse("test.ron", crate::scenario::EMBEDDED[0].1).unwrap();
        l.scenario.hosts.truncate(1);
        l.scenario.hosts[0].run = std::mem::take(&mut run);
        apply(&mut l, p, 0)?;
        Ok(l.scenario.hosts.remove(0).run)
    }

    fn parsed(line: &str) -> IpvsadmCmd {
        match cmdline::parse(line).unwrap() {
            Command::Ipvsadm(c) => c,
            other => panic!("{other}"),
        }
    }

    #[test]
    fn knobs_edit_the_typed_command_however_it_is_spelled() {
        // The old text editor split on whitespace and looked for `ipvsadm -A` and `-s`, so
        // `sudo`, a bundled `-At` and `--scheduler=rr` escaped it: the sweep silently ran
        // rr at every point. The expected commands are written by hand: the same service
        // with only the knob's field changed.
        let line = "sudo ipvsadm -At 10.0.0.100:80 --scheduler=rr -p 60";
        let got = edited(&[line], &Param::Scheduler(vec!["wlc".into()])).unwrap();
        assert_eq!(parsed(&got[0]), parsed("ipvsadm -A -t 10.0.0.100:80 -s wlc -p 60"));
        let got = edited(&[line], &Param::Persistence(vec![0])).unwrap();
        assert_eq!(parsed(&got[0]), parsed("ipvsadm -A -t 10.0.0.100:80 -s rr"));
        let servers =
            ["ipvsadm -a -t 10.0.0.100:80 -r 10.0.0.11 -g", "sudo ipvsadm -at 10.0.0.100:80 -r 10.0.0.12 --weight=5"];
        let got = edited(&servers, &Param::Weights(vec!["3,2".into()])).unwrap();
        assert_eq!(parsed(&got[0]), parsed("ipvsadm -a -t 10.0.0.100:80 -r 10.0.0.11 -g -w 3"));
        assert_eq!(parsed(&got[1]), parsed("ipvsadm -a -t 10.0.0.100:80 -r 10.0.0.12 -g -w 2"));
        // Other commands, and an unchanged one, keep their text exactly.
        let keep = ["ip addr add 10.0.0.100/32 dev lo", "ipvsadm -A -t 10.0.0.100:80 -s wlc"];
        assert_eq!(edited(&keep, &Param::Scheduler(vec!["wlc".into()])).unwrap(), keep);
    }
}
