//! Applies one [`Action`] to the [`App`].

use super::app::App;
use super::keys::Action;
use crate::trace;

/// Carries out `action`. Moves stay within the visible rows; a filter keeps the selected
/// step when it still matches, otherwise selects the first matching step after it.
pub fn update(app: &mut App, action: Action) {
    let last = app.visible.len().saturating_sub(1);
    match action {
        Action::Next => app.selected = (app.selected + 1).min(last),
        Action::Previous => app.selected = app.selected.saturating_sub(1),
        Action::First => app.selected = 0,
        Action::Last => app.selected = last,
        Action::NextDrop => {
            if let Some(p) = (app.selected + 1..app.visible.len())
                .find(|&p| matches!(app.steps[app.visible[p]].action, trace::Action::Drop(_)))
            {
                app.selected = p;
            }
        }
        Action::StartFilter => app.editing = Some(app.filter.clone()),
        Action::FilterChar(c) => {
            if let Some(f) = &mut app.editing {
                f.push(c);
            }
        }
        Action::FilterBackspace => {
            if let Some(f) = &mut app.editing {
                f.pop();
            }
        }
        Action::ApplyFilter => {
            if let Some(f) = app.editing.take() {
                apply_filter(app, f);
            }
        }
        Action::CancelFilter => app.editing = None,
        Action::ToggleHelp => app.show_help = !app.show_help,
        Action::Quit => app.quit = true,
    }
}

fn apply_filter(app: &mut App, filter: String) {
    let current = app.current().unwrap_or(0);
    app.visible = (0..app.steps.len()).filter(|&i| app.matches(&app.steps[i], &filter)).collect();
    app.filter = filter;
    app.selected = app.visible.partition_point(|&i| i < current).min(app.visible.len().saturating_sub(1));
    app.scroll = 0;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(name: &str) -> App {
        App::load(name, None).expect("embedded scenario runs")
    }

    // Previous at the first row and Next at the last row stay put: the selection never
    // leaves the trace.
    #[test]
    fn next_and_previous_stop_at_the_ends() {
        let mut app = load("dr");
        update(&mut app, Action::Previous);
        assert_eq!(app.selected, 0);
        update(&mut app, Action::Next);
        assert_eq!(app.selected, 1);
        update(&mut app, Action::Last);
        let last = app.steps.len() - 1;
        assert_eq!(app.selected, last);
        update(&mut app, Action::Next);
        assert_eq!(app.selected, last);
        update(&mut app, Action::First);
        assert_eq!(app.selected, 0);
    }

    // `n` lands on a drop and on the first one: every step before it is not a drop.
    #[test]
    fn n_jumps_to_the_next_drop() {
        let mut app = load("nat-no-ip-forward");
        update(&mut app, Action::NextDrop);
        let i = app.current().unwrap();
        assert!(matches!(app.steps[i].action, trace::Action::Drop(_)), "{:?}", app.steps[i]);
        assert!(!app.steps[..i].iter().any(|s| matches!(s.action, trace::Action::Drop(_))));
        // The second `n` moves on to a later drop.
        update(&mut app, Action::NextDrop);
        let j = app.current().unwrap();
        assert!(j > i && matches!(app.steps[j].action, trace::Action::Drop(_)));
    }

    // `n` with no drop after the selection leaves it where it is (dr has no drops).
    #[test]
    fn n_without_drops_stays() {
        let mut app = load("dr");
        update(&mut app, Action::Next);
        update(&mut app, Action::NextDrop);
        assert_eq!(app.selected, 1);
    }

    // After typing "rs2" and Enter, every visible step matches (host, stage or reason) and
    // every hidden step does not, so the filter neither drops nor keeps a wrong row.
    #[test]
    fn filter_keeps_only_matching_steps() {
        let mut app = load("dr");
        update(&mut app, Action::StartFilter);
        for c in "rs2".chars() {
            update(&mut app, Action::FilterChar(c));
        }
        update(&mut app, Action::ApplyFilter);
        assert_eq!(app.filter, "rs2");
        assert!(!app.visible.is_empty() && app.visible.len() < app.steps.len());
        for (i, s) in app.steps.iter().enumerate() {
            let hit = app.names.host(s.host).contains("rs2") || s.reason.contains("rs2");
            assert_eq!(app.visible.contains(&i), hit, "{s:?}");
        }
        // A stage name matches too.
        update(&mut app, Action::StartFilter);
        update(&mut app, Action::FilterBackspace);
        update(&mut app, Action::FilterBackspace);
        update(&mut app, Action::FilterBackspace);
        for c in "postrouting".chars() {
            update(&mut app, Action::FilterChar(c));
        }
        update(&mut app, Action::ApplyFilter);
        assert!(app.visible.iter().all(|&i| app.steps[i].stage == crate::trace::Stage::Postrouting));
    }

    // Esc while typing leaves the applied filter and the rows as they were.
    #[test]
    fn cancel_keeps_the_old_filter() {
        let mut app = load("dr");
        let n = app.visible.len();
        update(&mut app, Action::StartFilter);
        update(&mut app, Action::FilterChar('x'));
        update(&mut app, Action::CancelFilter);
        assert!(app.editing.is_none() && app.filter.is_empty());
        assert_eq!(app.visible.len(), n);
    }
}
