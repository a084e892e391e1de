//! The TUI's state: the recorded steps of a finished run and the view over them.

use crate::trace::{Names, Step, VecRecorder};
use std::cell::RefCell;
use std::rc::Rc;

/// Everything the TUI shows and remembers between frames.
#[derive(Debug)]
pub struct App {
    /// `name — about` of the scenario.
    pub title: String,
    /// Every step of the run, in order.
    pub steps: Vec<Step>,
    pub names: Names,
    /// Indices into `steps` of the rows shown (all of them, or those matching `filter`).
    pub visible: Vec<usize>,
    /// Position of the selected row in `visible`.
    pub selected: usize,
    /// Position in `visible` of the first row drawn; the events panel keeps the selected
    /// row inside the window.
    pub scroll: usize,
    /// The filter applied (empty: none).
    pub filter: String,
    /// The filter being typed after `/`, until Enter or Esc.
    pub editing: Option<String>,
    pub show_help: bool,
    pub quit: bool,
}

impl App {
    /// An app over `steps`, with every step visible and the first one selected.
    pub fn new(title: String, steps: Vec<Step>, names: Names) -> App {
        let visible = (0..steps.len()).collect();
        App {
            title,
            steps,
            names,
            visible,
            selected: 0,
            scroll: 0,
            filter: String::new(),
            editing: None,
            show_help: false,
            quit: false,
        }
    }

    /// Runs scenario `name` to its end with a [`VecRecorder`] and keeps the steps.
    pub fn load(name: &str, seed: Option<u64>) -> Result<App, String> {
        let l = crate::scenario::load(name).map_err(|e| e.render())?;
        App::from_loaded(&l, seed)
    }

    /// Runs an already loaded scenario (an exercise's variant) and keeps the steps.
    pub fn from_loaded(l: &crate::scenario::Loaded, seed: Option<u64>) -> Result<App, String> {
        let mut engine = l.build_with_seed(seed.unwrap_or(l.scenario.seed)).map_err(|e| e.render())?;
        let rec = Rc::new(RefCell::new(VecRecorder::default()));
        engine.set_recorder(Box::new(rec.clone()));
        engine.run();
        let names = engine.names();
        drop(engine);
        let steps = std::mem::take(&mut rec.borrow_mut().steps);
        Ok(App::new(format!("{} — {}", l.name, l.scenario.about), steps, names))
    }

    /// Index in `steps` of the selected step, if any row is visible.
    pub fn current(&self) -> Option<usize> {
        self.visible.get(self.selected).copied()
    }

    /// The selected step.
    pub fn step(&self) -> Option<&Step> {
        self.current().map(|i| &self.steps[i])
    }

    /// Whether `step` matches `filter`: a case-insensitive substring of its host name,
    /// stage name or reason.
    pub fn matches(&self, step: &Step, filter: &str) -> bool {
        if filter.is_empty() {
            return true;
        }
        let f = filter.to_lowercase();
        [self.names.host(step.host), step.stage.name(), step.reason.as_str()]
            .iter()
            .any(|s| s.to_lowercase().contains(&f))
    }
}
