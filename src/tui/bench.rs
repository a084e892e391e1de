//! `lvsim bench --tui`: how fast the TUI opens and answers keys. The default scenario is
//! opened; then `dr` with 2,300 requests (over 100,000 events, 270,000 steps) is opened and keys are
//! pressed on it — next, back, page, first/last and random jumps — each followed by a full
//! redraw at 120×40, on the detail tab and on the tables tab (which rebuilds the tables
//! at every step from a snapshot). The target is under 50 ms per key and under a second to
//! open the default scenario; this is measured here, never asserted by a timed test.

use super::app::{App, Tab};
use super::keys::Action;
use super::update::update;
use crate::lang::Lang;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::time::Instant;

/// Requests of the large scenario (about 44 events and 119 steps each in DR).
pub const REQUESTS: u32 = 2300;

#[derive(Debug, Clone, serde::Serialize)]
pub struct Report {
    /// Seconds to run and record the default scenario, median of 5.
    pub open_default_secs: f64,
    pub default_steps: usize,
    pub large_steps: usize,
    pub large_events: usize,
    pub large_snapshots: usize,
    /// Seconds to run and record the large scenario.
    pub open_large_secs: f64,
    /// Per tab: milliseconds per key (update + redraw), median, 99th percentile, max.
    pub keys: Vec<KeyTimes>,
    pub peak_rss_kib: Option<u64>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct KeyTimes {
    pub tab: String,
    pub keys: usize,
    pub median_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

/// The DR scenario with `requests` requests one millisecond apart.
pub fn large_scenario(requests: u32) -> Result<crate::scenario::Loaded, String> {
    let src = crate::scenario::EMBEDDED.iter().find(|(n, _)| *n == "dr").expect("dr is embedded").1;
    let text = src.replace("count: 4, every: \"100ms\"", &format!("count: {requests}, every: \"1ms\""));
    assert_ne!(text, src, "the dr scenario's client line changed; update tui::bench");
    let text = text.replace(r#"duration: "1s""#, &format!(r#"duration: "{}ms""#, requests + 200));
    crate::scenario::parse("embedded:dr-large", &text).map_err(|e| e.render())
}

/// A fixed sequence of keys: runs of next and back, pages, ends, and jumps to positions
/// drawn from a fixed xorshift sequence (the same on every run).
fn keys(len: usize) -> Vec<Action> {
    let mut v = Vec::new();
    v.extend(std::iter::repeat_n(Action::Next, 300));
    v.extend(std::iter::repeat_n(Action::Previous, 300));
    v.extend(std::iter::repeat_n(Action::PageDown, 50));
    v.extend([Action::Last, Action::Previous, Action::Previous, Action::First]);
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..200 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v.push(Action::Select((x % len as u64) as usize));
        v.push(Action::Previous);
        v.push(Action::Next);
    }
    v
}

pub fn run() -> Result<Report, String> {
    let mut opens = Vec::new();
    let mut default_steps = 0;
    for _ in 0..5 {
        let t0 = Instant::now();
        let app = App::load(crate::scenario::DEFAULT, None, Lang::En)?;
        opens.push(t0.elapsed().as_secs_f64());
        default_steps = app.steps.len();
    }
    opens.sort_by(f64::total_cmp);

    let large = large_scenario(REQUESTS)?;
    let t0 = Instant::now();
    let mut app = App::from_loaded(large, None, Lang::En)?;
    let open_large_secs = t0.elapsed().as_secs_f64();
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).map_err(|e| e.to_string())?;
    let mut times = Vec::new();
    for tab in [Tab::Detail, Tab::Tables] {
        app.tab = tab;
        update(&mut app, Action::First);
        let mut ms = Vec::new();
        for a in keys(app.steps.len()) {
            let t0 = Instant::now();
            update(&mut app, a);
            terminal.draw(|f| super::render::draw(f, &mut app)).map_err(|e| e.to_string())?;
            ms.push(t0.elapsed().as_secs_f64() * 1e3);
        }
        ms.sort_by(f64::total_cmp);
        times.push(KeyTimes {
            tab: format!("{tab:?}").to_lowercase(),
            keys: ms.len(),
            median_ms: ms[ms.len() / 2],
            p99_ms: ms[ms.len() * 99 / 100],
            max_ms: ms[ms.len() - 1],
        });
    }
    Ok(Report {
        open_default_secs: opens[opens.len() / 2],
        default_steps,
        large_steps: app.steps.len(),
        large_events: app.timeline.events(),
        large_snapshots: app.timeline.snapshots(),
        open_large_secs,
        keys: times,
        peak_rss_kib: crate::bench::peak_rss_kib(),
    })
}

#[cfg(test)]
mod tests {
    // The large scenario asks for the requests the bench is sized by (the bench itself
    // reports the events and steps; this only checks the rewrite of the dr scenario took).
    #[test]
    fn large_scenario_has_the_requests() {
        let l = super::large_scenario(super::REQUESTS).unwrap();
        assert!(l.source.contains("count: 2300"));
    }
}
