//! `lvsim diff RUN_A RUN_B`: two runs' summaries side by side (clients, latency
//! percentiles, served per real server, drops by reason) with B − A. A run is a
//! `lvsim run --out` directory or its `summary.json`.

use super::Summary;
use super::output::num;
use super::words::Word;
use crate::lang::Lang;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The part of the summary a row belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    Clients,
    Latency,
    Served,
    Drops,
}

impl Section {
    fn word(self) -> Word {
        match self {
            Section::Clients => Word::Clients,
            Section::Latency => Word::Latency,
            Section::Served => Word::ServedPerServer,
            Section::Drops => Word::Drops,
        }
    }
}

/// One compared quantity: its value in each run (`None`: the run does not have it, e.g.
/// a server only one run has, or no latency without a completed connection).
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub section: Section,
    /// A [`Word`] for fixed quantities, else a server name or a drop reason key.
    pub name: RowName,
    pub a: Option<f64>,
    pub b: Option<f64>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum RowName {
    Word(Word),
    /// `p50`, `p95`, `p99`, `max`, a server name, a drop reason key.
    Key(String),
}

impl Row {
    /// B − A when both runs have the quantity.
    pub fn delta(&self) -> Option<f64> {
        Some(self.b? - self.a?)
    }
}

/// The rows comparing `a` with `b`. Servers are matched by name (A's order, then those
/// only B has); a drop reason one run never saw counts 0 there.
pub fn rows(a: &Summary, b: &Summary) -> Vec<Row> {
    let mut out = Vec::new();
    let n = |x: u64| Some(x as f64);
    let mut push = |section, name, a, b| out.push(Row { section, name, a, b });
    let (ca, cb) = (&a.clients, &b.clients);
    let failed = |c: &super::ClientSummary| c.refused + c.unreachable + c.timed_out;
    push(Section::Clients, RowName::Word(Word::Started), n(ca.started), n(cb.started));
    push(Section::Clients, RowName::Word(Word::Completed), n(ca.completed), n(cb.completed));
    push(Section::Clients, RowName::Word(Word::Failed), n(failed(ca)), n(failed(cb)));
    push(Section::Clients, RowName::Word(Word::Throughput), Some(ca.throughput_per_s), Some(cb.throughput_per_s));
    let (la, lb) = (&ca.latency_ms, &cb.latency_ms);
    for (k, x, y) in
        [("p50", la.p50, lb.p50), ("p95", la.p95, lb.p95), ("p99", la.p99, lb.p99), ("max", la.max, lb.max)]
    {
        push(Section::Latency, RowName::Key(k.into()), x, y);
    }
    let mut names: Vec<&str> = a.servers.iter().map(|s| s.name.as_str()).collect();
    names.extend(b.servers.iter().map(|s| s.name.as_str()).filter(|n| a.servers.iter().all(|s| s.name != *n)));
    for name in names {
        let served = |s: &Summary| s.servers.iter().find(|v| v.name == name).map(|v| v.served as f64);
        push(Section::Served, RowName::Key(name.into()), served(a), served(b));
    }
    let mut reasons: Vec<&String> = a.drops.keys().chain(b.drops.keys()).collect();
    reasons.sort();
    reasons.dedup();
    for r in reasons {
        let d = |s: &Summary| Some(s.drops.get(r).copied().unwrap_or(0) as f64);
        push(Section::Drops, RowName::Key(r.clone()), d(a), d(b));
    }
    out
}

/// Reads a run's summary: `PATH/summary.json` for a directory, else `PATH` itself.
pub fn load(path: &Path) -> Result<Summary, String> {
    let file: PathBuf = if path.is_dir() { path.join("summary.json") } else { path.to_path_buf() };
    let text = std::fs::read_to_string(&file).map_err(|e| {
        format!("{}: {e}\n  help: give a directory written by `lvsim run --out` or its summary.json\n", file.display())
    })?;
    serde_json::from_str(&text).map_err(|e| {
        format!("{}:{}:{}: expected a summary.json of `lvsim run`, found {e}\n", file.display(), e.line(), e.column())
    })
}

/// The side-by-side table in `lang`; `label_a`/`label_b` name the runs in its header.
pub fn render(a: &Summary, b: &Summary, label_a: &str, label_b: &str, lang: Lang) -> String {
    let w = |x: Word| x.text(lang);
    let cell = |x: Option<f64>| x.map_or_else(|| "-".to_string(), num);
    let signed = |x: Option<f64>| match x {
        Some(d) if d > 0.0 => format!("+{}", num(d)),
        Some(d) => num(d),
        None => "-".into(),
    };
    let run = |s: &Summary| format!("{}{}{} {}", s.scenario, w(Word::Comma), w(Word::Seed), s.seed);
    let mut t = String::new();
    let _ = writeln!(t, "A  {}", super::words::join(lang, label_a, &run(a)));
    let _ = writeln!(t, "B  {}", super::words::join(lang, label_b, &run(b)));
    let _ = writeln!(t, "  {:<24} {:>12} {:>12} {:>12}", "", "A", "B", "B − A");
    let mut section = None;
    for r in rows(a, b) {
        if section != Some(r.section) {
            section = Some(r.section);
            let _ = writeln!(t, "{}", w(r.section.word()));
        }
        let name = match &r.name {
            RowName::Word(x) => w(*x).to_string(),
            RowName::Key(k) => k.clone(),
        };
        // Pad by display width: a CJK character takes two columns.
        let width: usize = name.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum();
        let pad = " ".repeat(24usize.saturating_sub(width));
        let _ = writeln!(t, "  {name}{pad} {:>12} {:>12} {:>12}", cell(r.a), cell(r.b), signed(r.delta()));
    }
    t
}
