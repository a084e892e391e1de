//! The exercise file format (`exercises/*.ron`). Every string may hold `{name}`
//! placeholders, replaced by the student's variant before the file is read (see
//! [`super::variant`]); fields that take a placeholder must therefore be strings.
//! docs/exercises/teacher.md documents each field with examples.

use crate::scenario::expect::Expect;
use serde::Deserialize;
use std::collections::BTreeMap;

/// One text in both languages.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename = "T")]
pub struct Text {
    pub en: String,
    pub zh: String,
}

/// What an exercise asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
pub enum Kind {
    /// Predict what the simulator will do (a pick sequence, a field, a hook).
    Predict,
    /// Edit a broken scenario until the symptom is gone.
    Fix,
    /// Measure a number from runs, within a tolerance.
    Measure,
    /// Read a trace excerpt and name the mode, scheduler or misconfiguration.
    TraceReading,
}

impl Kind {
    pub const fn name(self) -> &'static str {
        match self {
            Kind::Predict => "predict",
            Kind::Fix => "fix",
            Kind::Measure => "measure",
            Kind::TraceReading => "trace-reading",
        }
    }
}

/// Course topics, as in the notes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Topic {
    Terms,
    Nat,
    Dr,
    Tun,
    DrArp,
    Rr,
    Wrr,
    Dh,
    Sh,
    Lc,
    Wlc,
    Lblc,
    Lblcr,
    Sed,
    Nq,
    Mh,
    Fo,
    Ovf,
    Twos,
    Misconfig,
    Bottleneck,
    /// keepalived's health checks (docs/keepalived.md).
    Keepalived,
    /// Two directors, VRRP and the IPVS sync daemon.
    Failover,
    /// Faults scheduled with `at:` (docs/faults.md).
    Fault,
}

impl Topic {
    pub const ALL: [Topic; 24] = [
        Topic::Terms,
        Topic::Nat,
        Topic::Dr,
        Topic::Tun,
        Topic::DrArp,
        Topic::Rr,
        Topic::Wrr,
        Topic::Dh,
        Topic::Sh,
        Topic::Lc,
        Topic::Wlc,
        Topic::Lblc,
        Topic::Lblcr,
        Topic::Sed,
        Topic::Nq,
        Topic::Mh,
        Topic::Fo,
        Topic::Ovf,
        Topic::Twos,
        Topic::Misconfig,
        Topic::Bottleneck,
        Topic::Keepalived,
        Topic::Failover,
        Topic::Fault,
    ];

    pub const fn name(self) -> &'static str {
        match self {
            Topic::Terms => "terms",
            Topic::Nat => "nat",
            Topic::Dr => "dr",
            Topic::Tun => "tun",
            Topic::DrArp => "dr-arp",
            Topic::Rr => "rr",
            Topic::Wrr => "wrr",
            Topic::Dh => "dh",
            Topic::Sh => "sh",
            Topic::Lc => "lc",
            Topic::Wlc => "wlc",
            Topic::Lblc => "lblc",
            Topic::Lblcr => "lblcr",
            Topic::Sed => "sed",
            Topic::Nq => "nq",
            Topic::Mh => "mh",
            Topic::Fo => "fo",
            Topic::Ovf => "ovf",
            Topic::Twos => "twos",
            Topic::Misconfig => "misconfig",
            Topic::Bottleneck => "bottleneck",
            Topic::Keepalived => "keepalived",
            Topic::Failover => "failover",
            Topic::Fault => "fault",
        }
    }
}

/// A variable of the variant, drawn from the student's stream in file order.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Var {
    /// An integer in `min..=max`.
    Int { name: String, min: u32, max: u32 },
    /// One of the strings.
    Choice { name: String, of: Vec<String> },
    /// One of the cases: `name` takes the case's key and every variable of `set` its value.
    Cases { name: String, of: Vec<Case> },
    /// The strings of `of` in a random order, assigned to `names` in turn.
    Shuffle { names: Vec<String>, of: Vec<String> },
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub key: String,
    #[serde(default)]
    pub set: BTreeMap<String, String>,
}

/// Where an exercise's scenario comes from.
#[derive(Clone, Debug, Deserialize)]
pub enum ScenarioRef {
    /// A base template of `exercises/base/` (`dr`, `nat`, `tun`), with placeholders.
    Base(String),
    /// An embedded scenario (`lvsim list`).
    Embedded(String),
    /// The scenario's RON text itself.
    Inline(String),
}

/// Replace every occurrence of `from` by `to` (there must be at least one).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Edit {
    pub from: String,
    pub to: String,
}

/// Which steps of the run to print as a trace excerpt (trace-reading exercises).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Excerpt {
    /// Only steps at these hosts (empty: all).
    #[serde(default)]
    pub hosts: Vec<String>,
    /// Only these stages (`TX`, `INPUT`...; empty: all).
    #[serde(default)]
    pub stages: Vec<String>,
    /// Only steps whose frame summary contains this.
    #[serde(default)]
    pub frame: Option<String>,
    /// Only steps matching this trace filter on their typed reason
    /// (`why == ipvs.schedule`, `why.sched == rr`: see docs/tui.md, "Filters").
    #[serde(default)]
    pub why: Option<String>,
    /// Only these actions (`send`, `recv`, `drop`, `schedule`, `rewrite`, `info`...).
    #[serde(default)]
    pub actions: Vec<String>,
    /// Print the reason column (default true). Off when the reasons would give the answer.
    #[serde(default = "yes")]
    pub reasons: bool,
    /// Frame fields to print after each line (`eth.dst`, `ip.proto`...); a MAC is
    /// followed by the name of the host that owns it.
    #[serde(default)]
    pub fields: Vec<String>,
    /// At most this many lines (default 12).
    #[serde(default = "twelve")]
    pub max: usize,
}

const fn yes() -> bool {
    true
}

const fn twelve() -> usize {
    12
}

/// The scheduling layer alone ([`crate::ipvs::script`]): servers `rs1`, `rs2`... added in
/// this order with these weights, `connections` connections from `clients` in turn.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchedSpec {
    pub scheduler: String,
    pub weights: Vec<String>,
    #[serde(default)]
    pub flags: Vec<String>,
    /// Client addresses, used in turn (default one client, 203.0.113.10).
    #[serde(default)]
    pub clients: Vec<String>,
    pub connections: u32,
    /// Each connection closes when this many later ones have arrived (0: never).
    #[serde(default)]
    pub length: u32,
    /// `ipvsadm -e` weight changes before connection `at` (0-based): (at, server, weight).
    #[serde(default)]
    pub set_weight: Vec<(u32, String, String)>,
}

/// A counter read from a run.
#[derive(Clone, Debug, Deserialize)]
pub enum Counter {
    /// Connections answered by the server application on a host.
    Served(String),
    /// Connections a client application completed.
    Completed(String),
    /// Frames a host sent.
    Tx(String),
    /// Frames a host received.
    Rx(String),
    /// Received frames a host routed on (forwarding or IPVS transmit).
    Forwarded(String),
    /// Connections IPVS on a host scheduled.
    Scheduled(String),
}

/// Where an expected answer comes from: always computed, from the variant's scenario run
/// or from the scheduling layer. New kinds of source (sweeps) are new variants here.
#[derive(Clone, Debug, Deserialize)]
pub enum Source {
    /// The servers chosen, one name per connection (`rs1`, `rs2`...; `none` when refused).
    Picks(SchedSpec),
    /// How many different servers got connections.
    Distinct(SchedSpec),
    /// Connections refused (no server chosen).
    Refused(SchedSpec),
    /// Share (0..1) of the connections that went to a server.
    Share(SchedSpec, String),
    /// Jain's fairness index of connections per server.
    Jain(SchedSpec),
    /// The host whose MAC `host`'s neighbour table holds for `ip` at the end of the run.
    Neigh { host: String, ip: String },
    /// A field of the `nth` frame (0-based) seen at `host` in `stage` whose summary
    /// contains `frame`. IPs as dotted quads, MACs as the owning host's name.
    Field {
        host: String,
        stage: String,
        #[serde(default)]
        frame: Option<String>,
        #[serde(default)]
        nth: usize,
        field: String,
    },
    /// The stage of the first step at `host` matching the trace filter `why`
    /// (`why == ipvs.schedule`: the reason's kind and fields, never its wording).
    StageOf { host: String, why: String },
    /// The time, in seconds from the start of the run, of the first step at `host`
    /// matching the trace filter `why` (`why == keepalived.ipvsadm && why.change == down`:
    /// when a health check took a server out); `none` when no step matches.
    TimeOf { host: String, why: String },
    /// The forwarding method of the first real server on `host` (`nat`, `dr`, `tun`).
    Mode(String),
    /// The scheduler of the first virtual service on `host`.
    Scheduler(String),
    /// The role of an address in the run: `VIP`, `DIP`, `RIP`, `CIP` or `other`.
    RoleOf(String),
    /// The host that runs IPVS.
    Director,
    /// The hosts that own the real servers' addresses, in `ipvsadm -a` order.
    RealServers,
    /// A counter.
    Count(Counter),
    /// One counter divided by another.
    Ratio(Counter, Counter),
    /// The key of the first option whose observations all hold in the run.
    FirstMatch(Vec<Opt>),
    /// A source computed on another base scenario with the same variant (to compare
    /// modes: the director's frames in NAT and in DR).
    InBase(String, Box<Source>),
    /// From an embedded sweep (`lvsim sweep NAME`): the lowest value of the sweep's `x`
    /// parameter (the offered load) at which fewer than `percent` % (a number, written as
    /// text so a variant can fill it in: `"{pct}"`) of the connections started by series
    /// `series` complete: where its director saturates. `none` when it never does.
    Saturation { sweep: String, series: String, percent: String },
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Opt {
    pub key: String,
    pub when: Vec<Expect>,
}

/// A plausible wrong answer and what to tell a student who gives it.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mistake {
    /// The wrong answer as text...
    #[serde(default)]
    pub answer: Option<String>,
    /// ...or computed (e.g. the picks of another scheduler).
    #[serde(default)]
    pub computed: Option<Source>,
    pub says: Text,
}

/// A question of a predict, measure or trace-reading exercise.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// The key on the answer sheet (`key = value`).
    pub key: String,
    pub text: Text,
    pub answer: Source,
    /// For numbers: accepted absolute difference (default 0).
    #[serde(default)]
    pub tolerance: Option<f64>,
    #[serde(default)]
    pub mistakes: Vec<Mistake>,
}

/// An observation the fixed scenario must show, and what to say when it does not, in
/// terms of what the student would see (`{got}` is replaced by what was observed).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Goal {
    pub check: Expect,
    pub says: Text,
}

/// A broken attempt at a fix, for the tests and a teacher's self-check: applying `edits`
/// to the starting file must not score full marks, and the feedback must contain `says`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WrongFix {
    pub edits: Vec<Edit>,
    pub says: String,
}

/// A fix-the-configuration exercise.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fix {
    /// Edits turning the starting file into the reference solution.
    pub solution: Vec<Edit>,
    pub goals: Vec<Goal>,
    /// Only these hosts' commands may change (empty: any).
    #[serde(default)]
    pub only: Vec<String>,
    /// Command patterns (`cmdline::Pattern`) some command of the fixed file must match
    /// (`arptables`: "use arptables").
    #[serde(default)]
    pub require: Vec<String>,
    /// Command patterns no command of the fixed file may match
    /// (`sysctl net.ipv4.conf.*.arp_ignore`).
    #[serde(default)]
    pub forbid: Vec<String>,
    #[serde(default)]
    pub wrong: Vec<WrongFix>,
}

/// An exercise file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exercise {
    pub id: String,
    pub kind: Kind,
    pub topics: Vec<Topic>,
    pub title: Text,
    /// The task, shown by `show` and written at the top of the starting files.
    pub task: Text,
    pub hint: Text,
    /// Shown after grading.
    pub explanation: Text,
    #[serde(default)]
    pub vars: Vec<Var>,
    #[serde(default)]
    pub scenario: Option<ScenarioRef>,
    /// Edits applied to the scenario (for a fix exercise: what breaks it).
    #[serde(default)]
    pub edits: Vec<Edit>,
    #[serde(default)]
    pub excerpt: Option<Excerpt>,
    #[serde(default)]
    pub questions: Vec<Question>,
    #[serde(default)]
    pub fix: Option<Fix>,
}
