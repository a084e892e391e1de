//! Coursework exercises graded by the simulator (`lvsim exercise ...`).
//!
//! An exercise is a RON file (`exercises/*.ron`, format in [`schema`], guide in
//! docs/exercises/teacher.md). Each student gets a variant ([`variant`]): the file's
//! `{name}` placeholders are replaced by values drawn from a seed derived from the
//! student's name, so addresses, weights and orders differ between neighbours and the
//! same name always gets the same variant. Expected answers are never stored: they are
//! computed on the variant by running its scenario or the scheduling layer ([`answer`]).
//! [`grade`] compares an answer sheet or a fixed scenario with them and explains what is
//! wrong, in English or Chinese ([`text`]).

pub mod answer;
pub mod grade;
pub mod key;
pub mod schema;
pub mod submission;
pub mod text;
pub mod variant;

pub use schema::{Exercise, Kind};
pub use text::Lang;
pub use variant::Variant;

use crate::scenario::locate::Locator;
use crate::scenario::{self, Loaded, ScenarioError};
use miette::Diagnostic;
use std::fmt::Write as _;

/// The exercises compiled into the binary: (id, RON source).
pub const EMBEDDED: &[(&str, &str)] = &[
    ("terms-roles", include_str!("../../exercises/terms-roles.ron")),
    ("nat-path", include_str!("../../exercises/nat-path.ron")),
    ("nat-hooks", include_str!("../../exercises/nat-hooks.ron")),
    ("dr-path", include_str!("../../exercises/dr-path.ron")),
    ("tun-path", include_str!("../../exercises/tun-path.ron")),
    ("dr-arp-router-mac", include_str!("../../exercises/dr-arp-router-mac.ron")),
    ("fix-dr-arp-sysctl", include_str!("../../exercises/fix-dr-arp-sysctl.ron")),
    ("fix-dr-arp-lo-only", include_str!("../../exercises/fix-dr-arp-lo-only.ron")),
    ("fix-dr-arp-announce", include_str!("../../exercises/fix-dr-arp-announce.ron")),
    ("fix-dr-static-neigh", include_str!("../../exercises/fix-dr-static-neigh.ron")),
    ("fix-dr-arptables", include_str!("../../exercises/fix-dr-arptables.ron")),
    ("fix-nat-gateway", include_str!("../../exercises/fix-nat-gateway.ron")),
    ("fix-nat-ip-forward", include_str!("../../exercises/fix-nat-ip-forward.ron")),
    ("fix-tun-rp-filter", include_str!("../../exercises/fix-tun-rp-filter.ron")),
    ("fix-quiescent", include_str!("../../exercises/fix-quiescent.ron")),
    ("fix-netmask", include_str!("../../exercises/fix-netmask.ron")),
    ("sched-rr-wrr", include_str!("../../exercises/sched-rr-wrr.ron")),
    ("sched-dh-sh", include_str!("../../exercises/sched-dh-sh.ron")),
    ("sched-lc-wlc", include_str!("../../exercises/sched-lc-wlc.ron")),
    ("sched-lblc-lblcr", include_str!("../../exercises/sched-lblc-lblcr.ron")),
    ("sched-others", include_str!("../../exercises/sched-others.ron")),
    ("measure-director-frames", include_str!("../../exercises/measure-director-frames.ron")),
    ("measure-saturation", include_str!("../../exercises/measure-saturation.ron")),
    ("measure-shares", include_str!("../../exercises/measure-shares.ron")),
    ("trace-mode", include_str!("../../exercises/trace-mode.ron")),
    ("trace-scheduler", include_str!("../../exercises/trace-scheduler.ron")),
    ("trace-misconfig", include_str!("../../exercises/trace-misconfig.ron")),
    ("ka-inhibit", include_str!("../../exercises/ka-inhibit.ron")),
    ("fix-ka-misc-check", include_str!("../../exercises/fix-ka-misc-check.ron")),
    ("measure-ka-detection", include_str!("../../exercises/measure-ka-detection.ron")),
    ("fault-stop-vs-crash", include_str!("../../exercises/fault-stop-vs-crash.ron")),
    ("vrrp-takeover", include_str!("../../exercises/vrrp-takeover.ron")),
    ("failover-conns", include_str!("../../exercises/failover-conns.ron")),
    ("fix-failover-sync", include_str!("../../exercises/fix-failover-sync.ron")),
];

/// The base scenario templates of `exercises/base/`: (name, RON template).
pub const BASES: &[(&str, &str)] = &[
    ("dr", include_str!("../../exercises/base/dr.ron")),
    ("ka", include_str!("../../exercises/base/ka.ron")),
    ("ka2", include_str!("../../exercises/base/ka2.ron")),
    ("nat", include_str!("../../exercises/base/nat.ron")),
    ("nat1", include_str!("../../exercises/base/nat1.ron")),
    ("tun", include_str!("../../exercises/base/tun.ron")),
];

/// Errors about exercise files, answer sheets and submissions.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum ExerciseError {
    /// A position in a file: file:line:col, expected, found, hint.
    #[error(transparent)]
    #[diagnostic(transparent)]
    At(#[from] ScenarioError),
    #[error("{message}")]
    #[diagnostic(code(lvsim::exercise))]
    Other {
        message: String,
        #[help]
        help: Option<String>,
    },
}

impl ExerciseError {
    pub fn other(message: impl Into<String>, help: Option<String>) -> Self {
        ExerciseError::Other { message: message.into(), help }
    }

    /// [`render`](Self::render) in `lang`: under Chinese the frame words and the phrases
    /// inside them, through [`crate::lang::zh`].
    pub fn render_in(&self, lang: crate::lang::Lang) -> String {
        use crate::lang::zh::phrase;
        match (lang, self) {
            (crate::lang::Lang::En, _) => self.render(),
            (crate::lang::Lang::Zh, ExerciseError::At(e)) => e.render_in(lang),
            (crate::lang::Lang::Zh, ExerciseError::Other { message, help }) => {
                let mut s = format!("错误：{}\n", phrase(message));
                if let Some(h) = help {
                    let _ = writeln!(s, "  提示：{}", phrase(h));
                }
                s
            }
        }
    }

    /// Plain text with the source excerpt, as the CLI prints it.
    pub fn render(&self) -> String {
        match self {
            ExerciseError::At(e) => e.render(),
            ExerciseError::Other { message, help } => {
                let mut s = format!("error: {message}\n");
                if let Some(h) = help {
                    let _ = writeln!(s, "  help: {h}");
                }
                s
            }
        }
    }
}

/// An exercise file as written (placeholders not yet replaced).
#[derive(Clone, Debug)]
pub struct Source {
    pub origin: String,
    pub text: String,
    pub raw: Exercise,
}

fn ron_options() -> ron::Options {
    ron::Options::default().with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
}

fn parse_ron(origin: &str, text: &str) -> Result<Exercise, ExerciseError> {
    ron_options().from_str(text).map_err(|e| {
        let mut err = ScenarioError::from_ron(origin, text, &e);
        if let ScenarioError::At { help: Some(h), .. } = &mut err
            && h.contains("scenarios/dr.ron")
        {
            *h = "see docs/exercises/teacher.md for every field, and exercises/*.ron for examples".to_string();
        }
        err.into()
    })
}

/// Parses and validates an exercise file (`origin` names it in errors).
pub fn parse(origin: &str, text: &str) -> Result<Source, ExerciseError> {
    let raw = parse_ron(origin, text)?;
    let src = Source { origin: origin.to_string(), text: text.to_string(), raw };
    src.validate()?;
    Ok(src)
}

/// Loads an embedded exercise by id, or an exercise file by path.
pub fn load(id_or_path: &str) -> Result<Source, ExerciseError> {
    if let Some((id, text)) = EMBEDDED.iter().find(|(n, _)| *n == id_or_path) {
        return parse(&format!("exercises/{id}.ron"), text);
    }
    match std::fs::read_to_string(id_or_path) {
        Ok(text) => parse(id_or_path, &text),
        Err(e) => Err(ExerciseError::other(
            format!("cannot read exercise {id_or_path}: {e}"),
            Some(format!(
                "give an exercise id ({}) or a path to an exercise .ron file",
                EMBEDDED.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
            )),
        )),
    }
}

/// Every embedded exercise, parsed.
pub fn all() -> Result<Vec<Source>, ExerciseError> {
    EMBEDDED.iter().map(|(id, _)| load(id)).collect()
}

impl Source {
    /// An error at the first string literal equal to `literal` (or the file start).
    fn err_at(&self, literal: &str, expected: &str, found: &str, help: Option<String>) -> ExerciseError {
        let loc = Locator::new(&self.text);
        let (s, e) = loc.find_after(0, literal).map_or((0, 0), |l| (l.start, l.end));
        ScenarioError::at(&self.origin, &self.text, s, e, expected, found, help).into()
    }

    /// Checks what ron cannot: placeholders name variables, the kind has what it needs,
    /// keys are unique, base scenarios exist.
    fn validate(&self) -> Result<(), ExerciseError> {
        let ex = &self.raw;
        let v = variant::draw(&ex.id, None, &ex.vars);
        if let Some(p) = v.unknown(&self.text).first() {
            let (s, e) = (p.start, p.end);
            let names: Vec<&str> = v.vars.keys().map(String::as_str).collect();
            return Err(ScenarioError::at(
                &self.origin,
                &self.text,
                s,
                e,
                "a placeholder naming a variable",
                format!("{{{}}}", p.name),
                Some(format!("variables: {} (add it to vars: to define it)", names.join(", "))),
            )
            .into());
        }
        if ex.kind == Kind::Fix && ex.fix.is_none() {
            return Err(self.err_at(&ex.id, "a fix: Fix(...) section for a Fix exercise", "none", None));
        }
        if ex.kind != Kind::Fix && ex.questions.is_empty() {
            return Err(self.err_at(&ex.id, "at least one question in questions: [...]", "none", None));
        }
        if (ex.fix.is_some() || ex.kind == Kind::TraceReading) && ex.scenario.is_none() {
            return Err(self.err_at(&ex.id, "a scenario: Base(\"dr\") (or Embedded/Inline)", "none", None));
        }
        let mut seen = std::collections::BTreeSet::new();
        for q in &ex.questions {
            if !seen.insert(q.key.as_str()) {
                return Err(self.err_at(&q.key, "a question key used once", &format!("\"{}\" again", q.key), None));
            }
            if grade::META_KEYS.contains(&q.key.as_str()) || q.key.contains(['=', ' ', '#']) {
                return Err(self.err_at(
                    &q.key,
                    "a key of letters, digits, '_' or '-' other than student/exercise/variant/deadline",
                    &format!("\"{}\"", q.key),
                    None,
                ));
            }
            for m in &q.mistakes {
                if m.answer.is_none() == m.computed.is_none() {
                    return Err(self.err_at(
                        &m.says.en,
                        "a mistake with exactly one of answer: or computed:",
                        "both or neither",
                        None,
                    ));
                }
            }
        }
        // require/forbid entries are command patterns: a bad one points at its word.
        for entry in ex.fix.iter().flat_map(|f| f.require.iter().chain(&f.forbid)) {
            if let Err(e) = crate::cmdline::Pattern::parse(&v.apply(entry)) {
                let lit = Locator::new(&self.text).find_after(0, entry).map(|l| (l.start, l.end));
                let (ls, le) = lit.unwrap_or((0, 0));
                // Placeholders change the text's length: then the whole entry is pointed at.
                let (st, en) = if entry.contains('{') {
                    (ls, le)
                } else {
                    ((ls + e.span.start).min(le), (ls + e.span.end).min(le).max((ls + e.span.start).min(le)))
                };
                let hint = e.hint.unwrap_or_else(|| {
                    "write a program name (`arptables`), `sysctl KEY` or a whole command".to_owned()
                });
                return Err(ScenarioError::at(&self.origin, &self.text, st, en, e.expected, e.found, Some(hint)).into());
            }
        }
        if let Some(schema::ScenarioRef::Base(b)) = &ex.scenario
            && !b.contains('{')
            && !BASES.iter().any(|(n, _)| n == b)
        {
            return Err(self.err_at(
                b,
                "the name of a base scenario",
                &format!("\"{b}\""),
                Some(format!("bases: {}", BASES.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", "))),
            ));
        }
        Ok(())
    }

    /// The exercise for `student` (or the default variant): placeholders replaced,
    /// scenario texts built.
    pub fn instance(&self, student: Option<&str>) -> Result<Instance, ExerciseError> {
        self.instance_seeded(student, None)
    }

    /// Like [`Source::instance`], from `seed` when given (a course key's variant seed,
    /// [`key::CourseKey::variant_seed`]) instead of the open one of the name.
    pub fn instance_seeded(&self, student: Option<&str>, seed: Option<u64>) -> Result<Instance, ExerciseError> {
        let variant = match seed {
            Some(s) => variant::draw_seeded(s, student, &self.raw.vars),
            None => variant::draw(&self.raw.id, student, &self.raw.vars),
        };
        let text = variant.apply_ron(&self.text);
        let origin = match student {
            Some(s) => format!("{} (variant of {s})", self.origin),
            None => self.origin.clone(),
        };
        let ex = parse_ron(&origin, &text)?;
        let mut inst = Instance { ex, variant, scenario_text: None, solution_text: None, origin };
        if let Some(r) = &inst.ex.scenario {
            let base = match r {
                schema::ScenarioRef::Base(b) => BASES.iter().find(|(n, _)| n == b).map(|(_, t)| t.to_string()),
                schema::ScenarioRef::Embedded(n) => {
                    scenario::EMBEDDED.iter().find(|(e, _)| e == n).map(|(_, t)| t.to_string())
                }
                schema::ScenarioRef::Inline(t) => Some(t.clone()),
            };
            let Some(base) = base else {
                return Err(self.err_at("", "an existing base or embedded scenario", &format!("{r:?}"), None));
            };
            let mut t = inst.variant.apply(&base);
            for (i, e) in inst.ex.edits.iter().enumerate() {
                t = self.edit(&t, e, self.raw.edits.get(i).map_or(e.from.as_str(), |r| r.from.as_str()))?;
            }
            if let Some(fix) = &inst.ex.fix {
                let mut sol = t.clone();
                for (i, e) in fix.solution.iter().enumerate() {
                    let raw = self
                        .raw
                        .fix
                        .as_ref()
                        .and_then(|f| f.solution.get(i))
                        .map_or(e.from.as_str(), |r| r.from.as_str());
                    sol = self.edit(&sol, e, raw)?;
                }
                inst.solution_text = Some(sol);
            }
            inst.scenario_text = Some(t);
        }
        Ok(inst)
    }

    fn edit(&self, text: &str, e: &schema::Edit, raw_from: &str) -> Result<String, ExerciseError> {
        if e.from.is_empty() || !text.contains(&e.from) {
            return Err(self.err_at(
                raw_from,
                "text that occurs in the scenario",
                &format!("\"{}\"", e.from),
                Some("an edit replaces every occurrence of `from`; copy it from the base scenario".into()),
            ));
        }
        Ok(text.replace(&e.from, &e.to))
    }
}

/// One student's variant of an exercise.
#[derive(Clone, Debug)]
pub struct Instance {
    pub ex: Exercise,
    pub variant: Variant,
    /// The scenario as given to the student (for a fix exercise, the broken one).
    pub scenario_text: Option<String>,
    /// For a fix exercise, the reference solution.
    pub solution_text: Option<String>,
    pub origin: String,
}

impl Instance {
    fn scenario_origin(&self, what: &str) -> String {
        match &self.variant.student {
            Some(s) => format!("exercise:{}/{what} (variant of {s})", self.ex.id),
            None => format!("exercise:{}/{what}", self.ex.id),
        }
    }

    /// The exercise's scenario (what the student starts from).
    pub fn scenario(&self) -> Result<Loaded, ExerciseError> {
        let Some(t) = &self.scenario_text else {
            return Err(ExerciseError::other(format!("exercise {} has no scenario", self.ex.id), None));
        };
        Ok(scenario::parse(&self.scenario_origin("scenario.ron"), t)?)
    }

    /// The reference solution of a fix exercise.
    pub fn solution(&self) -> Result<Loaded, ExerciseError> {
        let Some(t) = &self.solution_text else {
            return Err(ExerciseError::other(format!("exercise {} has no reference solution", self.ex.id), None));
        };
        Ok(scenario::parse(&self.scenario_origin("solution.ron"), t)?)
    }
}

/// The scenario of exercise `id` for `student` (its variant), as the TUI opens it: the
/// course's salted variant when `LVSIM_COURSE_KEY` names the key file, else the open one.
pub fn scenario_for(id: &str, student: Option<&str>) -> Result<Loaded, ExerciseError> {
    let src = load(id)?;
    let key = match std::env::var_os(key::ENV).filter(|v| !v.is_empty()) {
        Some(p) => Some(key::CourseKey::load(std::path::Path::new(&p))?),
        None => None,
    };
    let seed = student.zip(key.as_ref()).map(|(s, k)| k.variant_seed(&src.raw.id, s));
    src.instance_seeded(student, seed)?.scenario()
}

/// The `key = value` lines of an answer sheet or key file: each line that is neither
/// blank nor a `#` comment, trimmed, with the byte offset of its first character (for
/// errors that point into the file).
pub(crate) fn settings_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut off = 0;
    text.split_inclusive('\n').filter_map(move |line| {
        let start = off;
        off += line.len();
        let l = line.trim();
        (!l.is_empty() && !l.starts_with('#')).then(|| (start + line.len() - line.trim_start().len(), l))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_is_embedded() {
        // A file in exercises/ that is not in EMBEDDED would never reach students.
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/exercises");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| std::path::Path::new(n).extension().is_some_and(|e| e.eq_ignore_ascii_case("ron")))
            .map(|n| n.trim_end_matches(".ron").to_string())
            .collect();
        files.sort();
        let mut ids: Vec<String> = EMBEDDED.iter().map(|(n, _)| (*n).to_string()).collect();
        ids.sort();
        assert_eq!(files, ids);
        let bdir = concat!(env!("CARGO_MANIFEST_DIR"), "/exercises/base");
        assert_eq!(std::fs::read_dir(bdir).unwrap().count(), BASES.len());
    }

    #[test]
    fn every_exercise_parses_and_ids_match() {
        // The id inside the file is the id students type.
        for (id, _) in EMBEDDED {
            let s = load(id).unwrap_or_else(|e| panic!("{}", e.render()));
            assert_eq!(&s.raw.id, id);
        }
    }
}
