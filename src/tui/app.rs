//! The TUI's state: the recorded steps of a finished run, the timeline that rebuilds the
//! tables at any step, and the view over them.

use super::timeline::Timeline;
use crate::lang::Lang;
use crate::scenario::Loaded;
use crate::topology::{HostId, IfIndex, Role, SegId};
use crate::trace::filter::Filter;
use crate::trace::{Names, Step, VecRecorder};
use ratatui::layout::Rect;
use std::cell::RefCell;
use std::rc::Rc;

/// Steps per second when running, from slowest to fastest.
pub const SPEEDS: [u32; 9] = [1, 2, 5, 10, 20, 50, 100, 200, 500];

/// The panel under the events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tab {
    Detail,
    Path,
    Tables,
}

impl Tab {
    pub const ALL: [Tab; 3] = [Tab::Detail, Tab::Path, Tab::Tables];

    #[must_use]
    pub fn next(self) -> Tab {
        match self {
            Tab::Detail => Tab::Path,
            Tab::Path => Tab::Tables,
            Tab::Tables => Tab::Detail,
        }
    }
}

/// What the input line is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputKind {
    Filter,
    Break,
    Seed,
}

/// The input line being typed, and why the last Enter was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Input {
    pub kind: InputKind,
    pub text: String,
    pub error: Option<String>,
}

impl Input {
    pub fn new(kind: InputKind, text: String) -> Input {
        Input { kind, text, error: None }
    }
}

/// A popup over the screen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Popup {
    Help,
    /// The embedded scenarios, this one selected.
    Scenarios {
        selected: usize,
    },
    Error(String),
}

/// The topology as drawn: hosts with roles, segments with the hosts plugged into them.
#[derive(Clone, Debug, Default)]
pub struct Topo {
    pub roles: Vec<Role>,
    /// Segment name and its `(host, iface)` ports.
    pub segments: Vec<(String, Vec<(HostId, IfIndex)>)>,
}

impl Topo {
    /// The segment interface `iface` of `host` is plugged into.
    pub fn segment_of(&self, host: HostId, iface: IfIndex) -> Option<SegId> {
        self.segments.iter().position(|(_, ports)| ports.contains(&(host, iface))).map(|s| s as SegId)
    }
}

/// Where panels were drawn, for the mouse.
#[derive(Clone, Debug, Default)]
pub struct Areas {
    /// The event rows (inside the borders, below the header).
    pub rows: Rect,
    /// Each host's name on the topology.
    pub hosts: Vec<(HostId, Rect)>,
}

/// Everything the TUI shows and remembers between frames.
#[derive(Debug)]
pub struct App {
    /// The scenario as loaded, to rerun it with another seed.
    pub source: Loaded,
    pub seed: u64,
    pub lang: Lang,
    /// Every step of the run, in order.
    pub steps: Vec<Step>,
    pub names: Names,
    pub topo: Topo,
    pub timeline: Timeline,
    /// Indices into `steps` of the rows shown (all of them, or those matching `filter`).
    pub visible: Vec<usize>,
    /// Position of the selected row in `visible`.
    pub selected: usize,
    /// Position in `visible` of the first row drawn; the events panel keeps the selected
    /// row inside the window.
    pub scroll: usize,
    /// The filter applied (empty: none) and its parsed form.
    pub filter: String,
    pub filter_expr: Option<Filter>,
    /// Whether `filter` was set by `f` (follow a connection).
    pub following: bool,
    pub breakpoints: Vec<(String, Filter)>,
    pub input: Option<Input>,
    pub popup: Option<Popup>,
    pub tab: Tab,
    /// Whose tables are shown; `None`: the selected step's host.
    pub table_host: Option<HostId>,
    pub running: bool,
    /// Index into [`SPEEDS`].
    pub speed: usize,
    /// A one-line message (breakpoint hit, end reached).
    pub status: Option<String>,
    pub areas: Areas,
    pub quit: bool,
}

impl App {
    /// `name — about` of the scenario, in the language now shown (`L` switches it).
    pub fn title(&self) -> String {
        format!("{} — {}", self.source.name, self.source.scenario.about.get(self.lang))
    }

    /// Runs embedded scenario or file `name` with `seed` (default: the scenario's).
    pub fn load(name: &str, seed: Option<u64>, lang: Lang) -> Result<App, String> {
        let l = crate::scenario::load(name).map_err(|e| e.render_in(lang))?;
        App::from_loaded(l, seed, lang)
    }

    /// Runs a loaded scenario to its end, recording every step and the timeline.
    pub fn from_loaded(l: Loaded, seed: Option<u64>, lang: Lang) -> Result<App, String> {
        let seed = seed.unwrap_or(l.scenario.seed);
        let mut engine = l.build_with_seed(seed).map_err(|e| e.render_in(lang))?;
        let rec = Rc::new(RefCell::new(VecRecorder::default()));
        engine.set_recorder(Box::new(rec.clone()));
        let topo = Topo {
            roles: engine.hosts.iter().map(|h| h.role).collect(),
            segments: engine
                .net
                .segments
                .iter()
                .map(|s| (s.name.clone(), s.ports.iter().map(|p| (p.host, p.iface)).collect()))
                .collect(),
        };
        let timeline = Timeline::record(&mut engine, || rec.borrow().steps.len());
        let names = engine.names();
        drop(engine);
        let steps = std::mem::take(&mut rec.borrow_mut().steps);
        let visible = (0..steps.len()).collect();
        Ok(App {
            source: l,
            seed,
            lang,
            steps,
            names,
            topo,
            timeline,
            visible,
            selected: 0,
            scroll: 0,
            filter: String::new(),
            filter_expr: None,
            following: false,
            breakpoints: Vec::new(),
            input: None,
            popup: None,
            tab: Tab::Detail,
            table_host: None,
            running: false,
            speed: 3,
            status: None,
            areas: Areas::default(),
            quit: false,
        })
    }

    /// Index in `steps` of the selected step, if any row is visible.
    pub fn current(&self) -> Option<usize> {
        self.visible.get(self.selected).copied()
    }

    /// The selected step.
    pub fn step(&self) -> Option<&Step> {
        self.current().map(|i| &self.steps[i])
    }

    /// Whether step `i` passes the filter.
    pub fn shown(&self, i: usize) -> bool {
        self.filter_expr.as_ref().is_none_or(|f| f.matches(&self.steps[i], &self.names))
    }

    /// The first breakpoint step `i` hits.
    pub fn hits(&self, i: usize) -> Option<&str> {
        self.breakpoints.iter().find(|(_, f)| f.matches(&self.steps[i], &self.names)).map(|(s, _)| s.as_str())
    }

    /// The host whose tables are shown.
    pub fn table_host(&self) -> HostId {
        self.table_host.or_else(|| self.step().map(|s| s.host)).unwrap_or(0)
    }
}
