//! Grading: the answer sheet format, comparing answers with the computed ones, and
//! checking a fixed scenario (the symptom gone, nothing else broken).
//!
//! The answer sheet (`answers.txt`, written by `lvsim exercise start`) is plain text:
//! `key = value` lines, `#` comments (the questions), blank lines ignored. `student =`
//! and `exercise =` are read too. Lists are comma or space separated.

use super::answer::{self, Ctx, Run, Value};
use super::schema::{Kind, Question};
use super::text::{self as t, Lang, ui};
use super::{ExerciseError, Instance};
use crate::cmdline::{self, Command, Pattern};
use crate::scenario::{self, ScenarioError};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::Ipv4Addr;

/// A parsed answer sheet.
#[derive(Clone, Debug, Default)]
pub struct Sheet {
    pub student: Option<String>,
    pub exercise: Option<String>,
    /// `variant =`: the seed written by `start --key` (16 hex digits), or `default` when
    /// `start` was run without `--student`.
    pub variant: Option<String>,
    /// `deadline =`: the course key's deadline, copied by `start --key`.
    pub deadline: Option<String>,
    pub answers: BTreeMap<String, String>,
}

/// The keys a sheet (or `exercise.txt`) holds besides the answers.
pub const META_KEYS: [&str; 4] = ["student", "exercise", "variant", "deadline"];

/// The `variant =` value of a folder started without `--student`.
pub const DEFAULT_VARIANT: &str = "default";

/// Parses an answer sheet; `keys` are the exercise's question keys.
pub fn parse_sheet(origin: &str, text: &str, keys: &[&str]) -> Result<Sheet, ExerciseError> {
    let mut sheet = Sheet::default();
    for (pos, l) in super::settings_lines(text) {
        let at = |s: usize, e: usize, expected: &str, found: String, help: Option<String>| -> ExerciseError {
            ScenarioError::at(origin, text, pos + s, pos + e, expected, found, help).into()
        };
        let Some((k, v)) = l.split_once('=') else {
            return Err(at(0, l.len(), "`key = value`", format!("\"{l}\""), Some("comments start with #".into())));
        };
        let key = k.trim();
        let value = v.split(" #").next().unwrap_or("").trim().to_string();
        match key {
            "student" => sheet.student = (!value.is_empty()).then_some(value),
            "exercise" => sheet.exercise = (!value.is_empty()).then_some(value),
            "variant" => sheet.variant = (!value.is_empty()).then_some(value),
            "deadline" => sheet.deadline = (!value.is_empty()).then_some(value),
            _ if keys.contains(&key) => {
                if sheet.answers.insert(key.to_string(), value).is_some() {
                    return Err(at(0, k.len(), "each question answered once", format!("\"{key}\" again"), None));
                }
            }
            _ => {
                return Err(at(
                    0,
                    k.trim_end().len(),
                    "a question key",
                    format!("\"{key}\""),
                    Some(format!("keys of this exercise: {}", keys.join(", "))),
                ));
            }
        }
    }
    Ok(sheet)
}

/// One graded item.
#[derive(Clone, Debug)]
pub struct Item {
    pub label: String,
    /// 0..=1.
    pub points: f64,
    pub feedback: Vec<String>,
    /// The expected answer (shown only with `--show-answers`).
    pub expected: Option<String>,
}

impl Item {
    pub fn ok(&self) -> bool {
        self.points >= 1.0 - 1e-9
    }
}

/// What a report shows beyond the marks and the feedback.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Reveal {
    /// The expected answers (`--show-answers`, with the course key).
    pub answers: bool,
    /// The explanation even when not every item is correct (the teacher, or the deadline
    /// has passed).
    pub explanation: bool,
}

impl Reveal {
    /// What the teacher sees with `--show-answers`.
    pub const ALL: Reveal = Reveal { answers: true, explanation: true };
}

/// The result of grading one submission.
#[derive(Clone, Debug)]
pub struct Report {
    pub id: String,
    pub title: String,
    pub student: Option<String>,
    pub items: Vec<Item>,
    pub hint: String,
    pub explanation: String,
}

impl Report {
    pub fn score(&self) -> f64 {
        self.items.iter().map(|i| i.points).sum()
    }

    pub fn max(&self) -> f64 {
        self.items.len() as f64
    }

    pub fn full(&self) -> bool {
        !self.items.is_empty() && self.items.iter().all(Item::ok)
    }

    /// All feedback lines, for tests and the CSV.
    pub fn feedback(&self) -> String {
        self.items.iter().flat_map(|i| i.feedback.iter()).cloned().collect::<Vec<_>>().join("\n")
    }

    /// The report as `check` prints it. The hint comes after a wrong attempt; the
    /// explanation after a correct one, or when `reveal` says so (the teacher, the deadline).
    pub fn render(&self, lang: Lang, reveal: Reveal) -> String {
        let show_answers = reveal.answers;
        let mut o = String::new();
        let who = self.student.clone().unwrap_or_else(|| ui(lang, t::DEFAULT_VARIANT).to_string());
        let _ = writeln!(
            o,
            "{} — {}{}",
            self.id,
            self.title,
            t::paren(lang, &t::labeled(lang, ui(lang, t::STUDENT), &who))
        );
        for i in &self.items {
            let mark = if i.ok() {
                "ok  "
            } else if i.points > 0.0 {
                "part"
            } else {
                "FAIL"
            };
            let _ = writeln!(o, "  [{mark}] {}", i.label);
            for f in &i.feedback {
                for (n, l) in f.lines().enumerate() {
                    let _ = writeln!(o, "         {}{l}", if n == 0 { "→ " } else { "  " });
                }
            }
            if show_answers && let Some(e) = &i.expected {
                let _ = writeln!(o, "         {}", t::labeled(lang, ui(lang, t::EXPECTED), e));
            }
        }
        let pct = format!("{:.0}%", 100.0 * self.score() / self.max().max(1.0));
        let score = format!("{}/{}", fmt_score(self.score()), self.max());
        let _ = writeln!(o, "{}{}", t::labeled(lang, ui(lang, t::SCORE), &score), t::paren(lang, &pct));
        if !self.full() {
            let _ = writeln!(o, "{}", t::labeled(lang, ui(lang, t::HINT), self.hint.trim()));
        }
        let explanation =
            if self.full() || reveal.explanation { self.explanation.trim() } else { ui(lang, t::EXPLANATION_LATER) };
        let _ = writeln!(o, "{}", t::labeled(lang, ui(lang, t::EXPLANATION), explanation));
        o
    }
}

pub fn fmt_score(x: f64) -> String {
    if (x - x.round()).abs() < 1e-9 { format!("{x:.0}") } else { format!("{x:.2}") }
}

/// Lowercase, trimmed, with kernel and ipvsadm synonyms mapped to one word.
pub fn normalize(s: &str) -> String {
    let w = s.trim().trim_matches(['"', '\'', '`']).trim().to_lowercase().replace(['-', ' '], "_");
    let w = w.trim_start_matches("nf_inet_").trim_start_matches("nf_ip_").to_string();
    match w.as_str() {
        "local_in" | "ip_local_in" => "input".into(),
        "local_out" | "ip_local_out" => "output".into(),
        "pre_routing" => "prerouting".into(),
        "post_routing" => "postrouting".into(),
        "masq" | "masquerading" | "lvs_nat" | "m" => "nat".into(),
        "route" | "gatewaying" | "direct_routing" | "lvs_dr" | "g" => "dr".into(),
        "tunnel" | "tunneling" | "tunnelling" | "ipip" | "lvs_tun" | "i" => "tun".into(),
        _ => w,
    }
}

fn same_word(a: &str, b: &str) -> bool {
    match (a.trim().parse::<Ipv4Addr>(), b.trim().parse::<Ipv4Addr>()) {
        (Ok(x), Ok(y)) => x == y,
        _ => normalize(a) == normalize(b),
    }
}

fn split_list(s: &str) -> Vec<String> {
    s.split([',', ' ', ';', '\t']).map(str::trim).filter(|x| !x.is_empty()).map(str::to_string).collect()
}

fn parse_number(s: &str) -> Option<f64> {
    let s = s.trim();
    if let Some(p) = s.strip_suffix('%') {
        return p.trim().parse::<f64>().ok().map(|x| x / 100.0);
    }
    s.parse().ok()
}

/// Whether `given` equals `v` as the question compares it.
fn matches(v: &Value, given: &str, tol: f64) -> bool {
    match v {
        Value::Word(w) => same_word(w, given),
        Value::List(l) => {
            let g = split_list(given);
            g.len() == l.len() && g.iter().zip(l).all(|(a, b)| same_word(a, b))
        }
        Value::Number(n) => parse_number(given).is_some_and(|x| (x - n).abs() <= tol + 1e-9),
    }
}

fn grade_question(cx: &Ctx, q: &Question, given: Option<&String>, lang: Lang) -> Result<Item, ExerciseError> {
    let want = answer::compute(cx, &q.answer)?;
    let label = format!("{}: {}", q.key, q.text.get(lang).lines().next().unwrap_or("").trim());
    let tol = q.tolerance.unwrap_or(0.0);
    let mut item = Item { label, points: 0.0, feedback: Vec::new(), expected: Some(want.to_string()) };
    let Some(given) = given.filter(|g| !g.trim().is_empty()) else {
        item.feedback.push(ui(lang, t::NO_ANSWER).to_string());
        return Ok(item);
    };
    if matches(&want, given, tol) {
        item.points = 1.0;
        return Ok(item);
    }
    match &want {
        Value::List(l) => {
            let g = split_list(given);
            let right = g.iter().zip(l).filter(|(a, b)| same_word(a, b)).count();
            item.points = right as f64 / l.len().max(g.len()).max(1) as f64;
            if g.len() == l.len() {
                let wrong: Vec<String> = g
                    .iter()
                    .zip(l)
                    .enumerate()
                    .filter(|(_, (a, b))| !same_word(a, b))
                    .map(|(i, _)| (i + 1).to_string())
                    .collect();
                item.feedback.push(format!("{} {}", ui(lang, t::WRONG_AT), wrong.join(", ")));
            } else {
                item.feedback.push(format!("{} {}", ui(lang, t::WRONG_LEN), l.len()));
            }
        }
        Value::Number(n) => match parse_number(given) {
            Some(x) if x > *n => item.feedback.push(ui(lang, t::TOO_HIGH).to_string()),
            Some(_) => item.feedback.push(ui(lang, t::TOO_LOW).to_string()),
            None => item.feedback.push(ui(lang, t::NOT_A_NUMBER).to_string()),
        },
        Value::Word(_) => item.feedback.push(ui(lang, t::WRONG).to_string()),
    }
    for m in &q.mistakes {
        let hit = match (&m.answer, &m.computed) {
            (Some(a), _) => !matches(&want, a, tol) && same_answer(given, a),
            (None, Some(src)) => {
                let v = answer::compute(cx, src)?;
                v != want && matches(&v, given, tol)
            }
            (None, None) => false,
        };
        if hit {
            item.feedback.push(m.says.get(lang).trim().to_string());
        }
    }
    Ok(item)
}

fn same_answer(a: &str, b: &str) -> bool {
    let (x, y) = (split_list(a), split_list(b));
    x.len() == y.len() && x.iter().zip(&y).all(|(p, q)| same_word(p, q))
}

/// Grades an answer sheet against the instance's questions.
pub fn grade_sheet(inst: &Instance, sheet: &Sheet, lang: Lang) -> Result<Report, ExerciseError> {
    let cx = Ctx::new(inst);
    let items = inst
        .ex
        .questions
        .iter()
        .map(|q| grade_question(&cx, q, sheet.answers.get(&q.key), lang))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(report(inst, items, lang))
}

fn report(inst: &Instance, items: Vec<Item>, lang: Lang) -> Report {
    Report {
        id: inst.ex.id.clone(),
        title: inst.ex.title.get(lang).to_string(),
        student: inst.variant.student.clone(),
        items,
        hint: inst.ex.hint.get(lang).to_string(),
        explanation: inst.ex.explanation.get(lang).to_string(),
    }
}

/// The reference answers, as a filled-in sheet (tests, `--show-answers`).
pub fn reference_sheet(inst: &Instance) -> Result<Sheet, ExerciseError> {
    let cx = Ctx::new(inst);
    let mut s = Sheet { student: inst.variant.student.clone(), exercise: Some(inst.ex.id.clone()), ..Sheet::default() };
    for q in &inst.ex.questions {
        s.answers.insert(q.key.clone(), answer::compute(&cx, &q.answer)?.to_string());
    }
    Ok(s)
}

/// Grades a fixed scenario (`text`, read from `origin`).
pub fn grade_fix(inst: &Instance, origin: &str, text: &str, lang: Lang) -> Result<Report, ExerciseError> {
    let fix = inst
        .ex
        .fix
        .as_ref()
        .ok_or_else(|| ExerciseError::other(format!("{} is not a fix exercise", inst.ex.id), None))?;
    let reference = Run::of(inst.solution()?)?;
    let start = inst.scenario()?;
    let n_items = max_points(&inst.ex);
    let student = match scenario::parse(origin, text).and_then(|l| l.build().map(|_| l)) {
        Ok(l) => Run::of(l)?,
        Err(e) => {
            let mut items = vec![Item {
                label: ui(lang, t::SCENARIO_LOADS).into(),
                points: 0.0,
                feedback: vec![e.render()],
                expected: None,
            }];
            // Everything else fails with it, and the total stays the exercise's (the load
            // item stands in for the last guard).
            for g in &fix.goals {
                items.push(Item { label: describe(&g.check), points: 0.0, feedback: Vec::new(), expected: None });
            }
            let guards = [
                Some(ui(lang, t::SERVICE_KEPT).to_string()),
                Some(ui(lang, t::SERVING).to_string()),
                Some(ui(lang, t::THROUGH_DIRECTOR).to_string()),
                (!fix.only.is_empty())
                    .then(|| format!("{}{}", ui(lang, t::ONLY_HOSTS), t::paren(lang, &fix.only.join(", ")))),
                (!fix.require.is_empty())
                    .then(|| format!("{}{}", ui(lang, t::REQUIRED), t::paren(lang, &fix.require.join(", ")))),
                (!fix.forbid.is_empty())
                    .then(|| format!("{}{}", ui(lang, t::FORBIDDEN), t::paren(lang, &fix.forbid.join(", ")))),
            ];
            for label in guards.into_iter().flatten() {
                items.push(Item { label, points: 0.0, feedback: Vec::new(), expected: None });
            }
            items.truncate(n_items.max(1));
            return Ok(report(inst, items, lang));
        }
    };
    let mut items = Vec::new();
    for g in &fix.goals {
        let mut item = Item { label: describe(&g.check), points: 0.0, feedback: Vec::new(), expected: None };
        match scenario::expect::check_all(
            &student.loaded,
            &student.engine,
            &student.steps,
            std::slice::from_ref(&g.check),
        ) {
            Ok(c) if c[0].ok => item.points = 1.0,
            Ok(c) => {
                item.label.clone_from(&c[0].expect);
                item.feedback.push(g.says.get(lang).replace("{got}", &c[0].got).trim().to_string());
            }
            Err(e) => item.feedback.push(e.to_string()),
        }
        items.push(item);
    }
    items.push(service_guard(&reference, &student, lang));
    items.push(serving_guard(&reference, &student, lang));
    let sched_ref = reference.scheduled();
    let sched = student.scheduled();
    items.push(Item {
        label: ui(lang, t::THROUGH_DIRECTOR).into(),
        points: if sched >= sched_ref { 1.0 } else { 0.0 },
        feedback: if sched >= sched_ref {
            Vec::new()
        } else {
            vec![format!("{}{}", ui(lang, t::BYPASS), t::paren(lang, &format!("{sched} < {sched_ref}")))]
        },
        expected: None,
    });
    let hosts_text = |l: &crate::scenario::Loaded| -> BTreeMap<String, Vec<String>> {
        l.scenario.hosts.iter().map(|h| (h.name.clone(), h.run.clone())).collect()
    };
    let (before, after) = (hosts_text(&start), hosts_text(&student.loaded));
    if !fix.only.is_empty() {
        let changed: Vec<&String> = before
            .keys()
            .chain(after.keys())
            .filter(|h| !fix.only.contains(h) && before.get(*h) != after.get(*h))
            .collect();
        let mut changed: Vec<String> = changed.into_iter().cloned().collect();
        changed.dedup();
        items.push(Item {
            label: format!("{}{}", ui(lang, t::ONLY_HOSTS), t::paren(lang, &fix.only.join(", "))),
            points: if changed.is_empty() { 1.0 } else { 0.0 },
            feedback: changed.iter().map(|h| format!("{h} {}", ui(lang, t::CHANGED))).collect(),
            expected: None,
        });
    }
    // Require/forbid match typed commands (see `cmdline::Pattern`), never text: a comment
    // or an `echo` that mentions a setting does not count as using it.
    let cmds: Vec<Command> = after
        .values()
        .flatten()
        .chain(student.loaded.scenario.at.iter().map(|a| &a.run))
        .filter_map(|c| cmdline::parse(c).ok())
        .collect();
    if !fix.require.is_empty() {
        let missing: Vec<&String> = patterns(inst, &fix.require)?
            .into_iter()
            .filter(|(_, p)| !cmds.iter().any(|c| p.matches(c)))
            .map(|(t, _)| t)
            .collect();
        items.push(Item {
            label: format!("{}{}", ui(lang, t::REQUIRED), t::paren(lang, &fix.require.join(", "))),
            points: if missing.is_empty() { 1.0 } else { 0.0 },
            feedback: missing.iter().map(|m| format!("{m} {}", ui(lang, t::NOT_FOUND))).collect(),
            expected: None,
        });
    }
    if !fix.forbid.is_empty() {
        let forbid = patterns(inst, &fix.forbid)?;
        let used: Vec<String> =
            cmds.iter().filter(|c| forbid.iter().any(|(_, p)| p.matches(c))).map(ToString::to_string).collect();
        items.push(Item {
            label: format!("{}{}", ui(lang, t::FORBIDDEN), t::paren(lang, &fix.forbid.join(", "))),
            points: if used.is_empty() { 1.0 } else { 0.0 },
            feedback: used,
            expected: None,
        });
    }
    Ok(report(inst, items, lang))
}

/// The most points a submission of `ex` can score: one per question, or for a fix one per
/// goal plus the guards (service kept, servers serving, through the director, and
/// only/require/forbid when the exercise has them). A submission that cannot be read or
/// parsed is out of this total too.
pub fn max_points(ex: &super::Exercise) -> usize {
    match &ex.fix {
        Some(fix) if ex.kind == Kind::Fix => {
            fix.goals.len()
                + 3
                + usize::from(!fix.only.is_empty())
                + usize::from(!fix.require.is_empty())
                + usize::from(!fix.forbid.is_empty())
        }
        _ => ex.questions.len(),
    }
}

/// An exercise's `require`/`forbid` entries with the variant's values filled in, parsed
/// as command patterns; a bad entry is the exercise author's error, located in the entry.
fn patterns<'a>(inst: &Instance, list: &'a [String]) -> Result<Vec<(&'a String, Pattern)>, ExerciseError> {
    list.iter()
        .map(|entry| {
            let text = inst.variant.apply(entry);
            Pattern::parse(&text).map(|p| (entry, p)).map_err(|e| {
                ExerciseError::other(
                    format!("{}: a require/forbid entry is not a command pattern:\n{}", inst.ex.id, e.render(&text)),
                    Some("write a program name (`arptables`), `sysctl KEY` or a whole command".into()),
                )
            })
        })
        .collect()
}

/// The check of an expectation, as a label.
fn describe(x: &crate::scenario::expect::Expect) -> String {
    use crate::scenario::expect::Expect as E;
    match x {
        E::Completed { client, .. } => format!("{client}: completed connections"),
        E::Refused { client, .. } => format!("{client}: refused connections"),
        E::Unreachable { client, .. } => format!("{client}: unreachable"),
        E::TimedOut { client, .. } => format!("{client}: timed out"),
        E::Served { host, .. } => format!("{host}: served"),
        E::Neigh { host, ip, .. } => format!("{host}: neigh {ip}"),
        E::Dropped { host, reason, .. } => format!("{host}: dropped {reason}"),
        E::Saw { filter, .. } => format!("trace matching `{}`", filter.as_deref().unwrap_or_default()),
    }
}

fn service_guard(reference: &Run, student: &Run, lang: Lang) -> Item {
    let mut fb = Vec::new();
    for h in reference.engine.hosts.iter().filter(|h| h.ipvs.is_some()) {
        let rv = h.ipvs.as_ref().expect("filtered");
        let sv = student.engine.hosts.iter().find(|x| x.name == h.name).and_then(|x| x.ipvs.as_ref());
        for s in &rv.services {
            let ss = sv.and_then(|v| v.services.iter().find(|x| x.addr == s.addr));
            let Some(ss) = ss else {
                fb.push(match lang {
                    Lang::En => {
                        format!("{}: the virtual service {} is gone: the VIP must stay as it is", h.name, s.addr)
                    }
                    Lang::Zh => format!("{}：虚拟服务 {} 不见了：VIP 必须保持不变", h.name, s.addr),
                });
                continue;
            };
            for d in &s.dests {
                let owner = reference
                    .engine
                    .hosts
                    .iter()
                    .find(|x| x.ifaces.iter().any(|i| i.has_addr(d.addr)))
                    .map_or_else(|| d.addr.to_string(), |x| x.name.clone());
                match ss.dests.iter().find(|x| x.addr == d.addr) {
                    None => fb.push(match lang {
                        Lang::En => format!("real server {owner} ({}:{}) is no longer in the service: removing a server does not fix it", d.addr, d.port),
                        Lang::Zh => format!("真实服务器 {owner}（{}:{}）已不在服务中：删除服务器不算修复", d.addr, d.port),
                    }),
                    Some(x) if x.fwd != d.fwd => fb.push(match lang {
                        Lang::En => format!("{owner} is forwarded by {} instead of {}: the forwarding mode must stay", x.fwd.name(), d.fwd.name()),
                        Lang::Zh => format!("{owner} 的转发方式从 {} 变成了 {}：转发模式必须保持不变", d.fwd.name(), x.fwd.name()),
                    }),
                    Some(_) => {}
                }
            }
        }
    }
    Item {
        label: ui(lang, t::SERVICE_KEPT).into(),
        points: if fb.is_empty() { 1.0 } else { 0.0 },
        feedback: fb,
        expected: None,
    }
}

fn serving_guard(reference: &Run, student: &Run, lang: Lang) -> Item {
    let mut fb = Vec::new();
    let mut names = Vec::new();
    for (i, h) in reference.engine.hosts.iter().enumerate() {
        if reference.served(i) == 0 {
            continue;
        }
        names.push(h.name.clone());
        let got = student.engine.hosts.iter().position(|x| x.name == h.name).map_or(0, |j| student.served(j));
        if got == 0 {
            fb.push(format!("{} {}", h.name, ui(lang, t::SERVED_NONE)));
        }
    }
    Item {
        label: format!("{} {}", names.join(", "), ui(lang, t::SERVING)),
        points: if fb.is_empty() { 1.0 } else { 0.0 },
        feedback: fb,
        expected: None,
    }
}

/// The starting files of an exercise in an open course (no key): (file name, contents).
pub fn start_files(inst: &Instance, lang: Lang) -> Result<Vec<(String, String)>, ExerciseError> {
    start_files_keyed(inst, lang, None)
}

/// The starting files of an exercise: (file name, contents). With the course key the
/// student's variant seed and the deadline are recorded; without `--student` the sheet
/// records `variant = default`, which `grade` flags.
pub fn start_files_keyed(
    inst: &Instance,
    lang: Lang,
    key: Option<&super::key::CourseKey>,
) -> Result<Vec<(String, String)>, ExerciseError> {
    let mut meta = format!("exercise = {}\n", inst.ex.id);
    match (&inst.variant.student, key) {
        (Some(s), Some(k)) => {
            let _ = writeln!(meta, "student = {s}");
            let _ = writeln!(meta, "variant = {}", super::key::seed_text(k.variant_seed(&inst.ex.id, s)));
            if let Some(d) = &k.deadline {
                let _ = writeln!(meta, "deadline = {}", d.text);
            }
        }
        (Some(s), None) => {
            let _ = writeln!(meta, "student = {s}");
        }
        (None, _) => {
            let _ = writeln!(meta, "variant = {DEFAULT_VARIANT}");
        }
    }
    let task = inst.ex.task.get(lang).trim();
    let mut files = Vec::new();
    if inst.ex.kind == Kind::Fix {
        let mut o = String::new();
        let _ = writeln!(o, "// {} — {}", inst.ex.id, inst.ex.title.get(lang));
        for l in task.lines() {
            let _ = writeln!(o, "// {l}");
        }
        let _ = writeln!(o, "// {}\n", ui(lang, t::START_FIX));
        o.push_str(inst.scenario_text.as_deref().unwrap_or(""));
        files.push(("scenario.ron".to_string(), o));
        files.push(("exercise.txt".to_string(), meta));
    } else {
        let mut o = String::new();
        let _ = writeln!(o, "# {} — {}", inst.ex.id, inst.ex.title.get(lang));
        for l in task.lines() {
            let _ = writeln!(o, "# {l}");
        }
        let cx = Ctx::new(inst);
        let ex = answer::excerpt(&cx)?;
        if !ex.is_empty() {
            let _ = writeln!(o, "#\n# {}", t::labeled(lang, ui(lang, t::EXCERPT), "").trim_end());
            for l in ex {
                let _ = writeln!(o, "#   {l}");
            }
        }
        let _ = writeln!(o, "#\n# {}\n", ui(lang, t::START_SHEET));
        o.push_str(&meta);
        for q in &inst.ex.questions {
            let _ = writeln!(o);
            for l in q.text.get(lang).trim().lines() {
                let _ = writeln!(o, "# {l}");
            }
            let _ = writeln!(o, "{} = ", q.key);
        }
        files.push(("answers.txt".to_string(), o));
        if inst.scenario_text.is_some() && inst.ex.kind != Kind::TraceReading {
            files.push(("scenario.ron".to_string(), inst.scenario_text.clone().unwrap_or_default()));
        }
    }
    Ok(files)
}

/// Renders a sheet as the text a student would hand in.
pub fn sheet_text(s: &Sheet) -> String {
    let mut o = String::new();
    if let Some(e) = &s.exercise {
        let _ = writeln!(o, "exercise = {e}");
    }
    for (k, v) in [("student", &s.student), ("variant", &s.variant), ("deadline", &s.deadline)] {
        if let Some(v) = v {
            let _ = writeln!(o, "{k} = {v}");
        }
    }
    for (k, v) in &s.answers {
        let _ = writeln!(o, "{k} = {v}");
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synonyms() {
        // LOCAL_IN is the kernel's name for the INPUT hook; Masq is ipvsadm's for NAT.
        assert_eq!(normalize("NF_INET_LOCAL_IN"), "input");
        assert_eq!(normalize(" Masq "), "nat");
        assert!(same_word("10.0.0.1", "10.0.0.1 "));
    }

    #[test]
    fn sheet_errors_point_at_the_line() {
        // An unknown key is named with its line and the keys that exist.
        let e = parse_sheet("answers.txt", "# q\nq1 = a\nq9 = b\n", &["q1"]).unwrap_err().render();
        assert!(e.contains("answers.txt:3:1"), "{e}");
        assert!(e.contains("q1"), "{e}");
        let s = parse_sheet("a", "student = ann\nq1 = x # note\n", &["q1"]).unwrap();
        assert_eq!(s.student.as_deref(), Some("ann"));
        assert_eq!(s.answers["q1"], "x");
    }
}
