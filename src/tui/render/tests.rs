//! Screen snapshots of every view in both languages at 120×40, and key-sequence tests
//! that compare whole screens.

use super::*;
use crate::lang::Lang;
use crate::trace::{Action as Act, Stage};
use crate::tui::app::{Popup, Tab};
use crate::tui::keys::Action;
use crate::tui::update::update;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn screen(app: &mut App) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    terminal.draw(|f| draw(f, app)).unwrap();
    terminal
}

fn load(name: &str, lang: Lang) -> App {
    App::load(name, None, lang).unwrap()
}

fn host(app: &App, name: &str) -> u16 {
    app.names.hosts.iter().position(|h| h == name).unwrap() as u16
}

/// Selects step `i` (all steps visible).
fn select(app: &mut App, i: usize) {
    update(app, Action::Select(i));
}

/// Snapshots the screen once per language; `setup` selects the view.
fn both(name: &str, scenario: &str, setup: impl Fn(&mut App)) {
    for lang in [Lang::En, Lang::Zh] {
        let mut app = load(scenario, lang);
        setup(&mut app);
        insta::assert_snapshot!(format!("{name}_{}", lang.code()), screen(&mut app).backend());
    }
}

// The first screen of dr: the topology with the client highlighted, the first steps
// listed, step 0 selected and detailed, the key hints in the footer.
#[test]
fn dr_initial() {
    both("dr_initial", "dr", |_| {});
}

// The director's first TX of the SYN: compared with the router's TX on the hop before,
// the snapshot shows eth.src and eth.dst rewritten (the DR MAC rewrite) and ip.ttl
// decremented, with ip.dst still the VIP; the topology lights the lan bus.
#[test]
fn dr_director_rewrite() {
    both("dr_director_rewrite", "dr", |app| {
        let d = host(app, "director");
        let target = app
            .steps
            .iter()
            .position(|s| s.host == d && s.stage == Stage::Tx && s.subject.is_some_and(|x| x.frame.ip().is_some()))
            .unwrap();
        select(app, target);
        let prev = detail::previous_hop(&app.steps, target).expect("the router carried the SYN before");
        assert_eq!(app.names.host(app.steps[prev].host), "router");
    });
}

// The path tab at the NAT director's scheduling step: its walk from RX to TX with IPVS's
// rewrite in INPUT.
#[test]
fn nat_path() {
    both("nat_path", "nat", |app| {
        let d = host(app, "director");
        let i = app.steps.iter().position(|s| s.host == d && s.action == Act::Schedule).unwrap();
        select(app, i);
        app.tab = Tab::Path;
    });
}

// The tables tab on the router once the first request is through: its neighbour cache
// holds the VIP at the director's MAC (what students watch in DR), and the director's
// ipvsadm -Lnc shows the connection.
#[test]
fn dr_tables() {
    both("dr_tables", "dr", |app| {
        let r = host(app, "router");
        let d = host(app, "director");
        let i = app
            .steps
            .iter()
            .position(|s| s.host == d && s.action == Act::Schedule)
            .and_then(|k| (k..app.steps.len()).find(|&j| app.steps[j].host == r))
            .unwrap();
        select(app, i);
        app.tab = Tab::Tables;
        let t = app.timeline.tables(i, r);
        assert!(t.neigh.contains("10.0.0.100"), "{}", t.neigh);
    });
}

// `?` opens the popup listing every binding of keys::BINDINGS over the trace.
#[test]
fn help() {
    both("help", "dr", |app| update(app, Action::ToggleHelp));
}

// `o` lists the embedded scenarios with the current one selected.
#[test]
fn picker() {
    both("picker", "dr", |app| update(app, Action::OpenScenarios));
}

// A filter that does not parse: the footer shows the text and the error with its hint.
#[test]
fn filter_error() {
    both("filter_error", "dr", |app| {
        update(app, Action::StartFilter);
        for c in "ip.dts == 10.0.0.100".chars() {
            update(app, Action::InputChar(c));
        }
        update(app, Action::InputApply);
    });
}

// Following the first connection in TUN with a breakpoint set: only that connection's
// steps, breakpoint hits marked ●, the state in the footer.
#[test]
fn tun_follow() {
    both("tun_follow", "tun", |app| {
        let first = app.steps.iter().position(|s| s.subject.is_some_and(|x| x.frame.ip().is_some())).unwrap();
        select(app, first);
        update(app, Action::Follow);
        update(app, Action::StartBreak);
        for c in "inner.ip".chars() {
            update(app, Action::InputChar(c));
        }
        update(app, Action::InputApply);
    });
}

// A scenario error inside the TUI shows in a popup over the old run.
#[test]
fn error_popup() {
    both("error_popup", "dr", |app| {
        let e = crate::scenario::parse("bad.ron", "Scenario(about: 1)").unwrap_err().render();
        app.popup = Some(Popup::Error(e));
    });
}

// Stepping forward 10 then back 3 draws the same screen as forward 7, on every tab: the
// tables are rebuilt for the step, not left as they were at step 10.
#[test]
fn back_is_the_same_as_never_going_forward() {
    for tab in Tab::ALL {
        let mut a = load("dr", Lang::En);
        let mut b = load("dr", Lang::En);
        a.tab = tab;
        b.tab = tab;
        // Start where the router's tables change within the next steps.
        for _ in 0..10 {
            update(&mut a, Action::Next);
        }
        for _ in 0..3 {
            update(&mut a, Action::Previous);
        }
        for _ in 0..7 {
            update(&mut b, Action::Next);
        }
        assert_eq!(screen(&mut a).backend().buffer(), screen(&mut b).backend().buffer(), "{tab:?}");
    }
}

// The tables really change with the step: the router's cache has no entry for the VIP at
// step 0 and has it later, and going back to step 0 shows it empty again.
#[test]
fn tables_follow_the_selection() {
    let mut app = load("dr", Lang::En);
    let r = host(&app, "router");
    assert!(!app.timeline.tables(0, r).neigh.contains("10.0.0.100"));
    let last = app.steps.len() - 1;
    assert!(app.timeline.tables(last, r).neigh.contains("10.0.0.100"));
    update(&mut app, Action::Last);
    update(&mut app, Action::First);
    assert!(!app.timeline.tables(app.current().unwrap(), r).neigh.contains("10.0.0.100"));
}

// A click on an event row selects that row; a click on a host's name on the topology shows
// its tables; the wheel moves the selection.
#[test]
fn mouse() {
    use ratatui::crossterm::event::{KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
    let mut app = load("dr", Lang::En);
    screen(&mut app);
    let at = |kind, column, row| MouseEvent { kind, column, row, modifiers: KeyModifiers::NONE };
    let r = app.areas.rows;
    let a = crate::tui::mouse(&app, at(MouseEventKind::Down(MouseButton::Left), r.x + 5, r.y + 4)).unwrap();
    update(&mut app, a);
    assert_eq!(app.selected, 4);
    let (h, rect) = app.areas.hosts[2];
    let a = crate::tui::mouse(&app, at(MouseEventKind::Down(MouseButton::Left), rect.x, rect.y)).unwrap();
    update(&mut app, a);
    assert_eq!((app.table_host, app.tab), (Some(h), Tab::Tables));
    let a = crate::tui::mouse(&app, at(MouseEventKind::ScrollDown, 0, 0)).unwrap();
    update(&mut app, a);
    assert_eq!(app.selected, 5);
}

// A resized terminal never breaks drawing: every tab and popup draws at sizes from tiny to
// large (a panic here would leave a student's terminal in raw mode).
#[test]
fn any_size_draws() {
    let mut app = load("tun", Lang::Zh);
    update(&mut app, Action::Last);
    for (w, h) in [(1, 1), (20, 5), (40, 10), (80, 24), (100, 30), (250, 80)] {
        for tab in Tab::ALL {
            for popup in [None, Some(Popup::Help), Some(Popup::Scenarios { selected: 3 })] {
                app.tab = tab;
                app.popup = popup;
                let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
                t.draw(|f| draw(f, &mut app)).unwrap();
            }
        }
    }
}

// The footer at 120 columns, in both languages: with nothing set, every footer hint and
// the run state are on the line whole; with the longest state (following a connection,
// a breakpoint, running), the state is whole and the hints shown are whole hints from
// the start of the list: none is overdrawn or cut in half. Words are looked up with the
// blanks removed, because a wide character's second cell reads as a blank.
#[test]
fn footer_fits_at_120_columns() {
    use crate::tui::keys::BINDINGS;
    use crate::tui::text::{action, text};
    let squeeze = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    let last_row = |term: &Terminal<TestBackend>| {
        let buf = term.backend().buffer();
        squeeze(&(0..buf.area.width).map(|x| buf[(x, buf.area.height - 1)].symbol()).collect::<String>())
    };
    for lang in [Lang::En, Lang::Zh] {
        let mut app = load("tun", lang);
        let row = last_row(&screen(&mut app));
        for b in BINDINGS.iter().filter(|b| b.footer) {
            let hint = squeeze(&format!("{}{}", b.label, action(lang, b.action).0));
            assert!(row.contains(&hint), "{lang:?}: hint {hint} missing in {row}");
        }
        assert!(row.contains(&squeeze(text(lang).paused)), "{lang:?}: state cut in {row}");

        let first = app.steps.iter().position(|s| s.subject.is_some_and(|x| x.frame.ip().is_some())).unwrap();
        select(&mut app, first);
        update(&mut app, Action::Follow);
        app.breakpoints.push(("arp".to_string(), crate::trace::filter::Filter::parse("arp").unwrap()));
        app.running = true;
        let row = last_row(&screen(&mut app));
        let state = squeeze(&format!("{}{}{}", text(lang).following, text(lang).colon, app.filter));
        assert!(row.contains(&state), "{lang:?}: state cut in {row}");
        let shown: Vec<bool> = BINDINGS
            .iter()
            .filter(|b| b.footer)
            .map(|b| row.contains(&squeeze(&format!("{}{}", b.label, action(lang, b.action).0))))
            .collect();
        assert!(shown.windows(2).all(|w| w[0] || !w[1]), "{lang:?}: a hint missing between shown ones: {row}");
        assert!(shown[0], "{lang:?}: no hint at all in {row}");
    }
}

// `L` switches the scenario's title too: the title is the scenario file's `about` in the
// language now shown, read from the loaded file, not a string fixed at load time.
#[test]
fn title_follows_the_language() {
    let mut app = load("dr", Lang::En);
    let about = app.source.scenario.about.clone();
    assert!(app.title().ends_with(about.get(Lang::En)));
    update(&mut app, Action::ToggleLang);
    assert!(app.title().ends_with(about.get(Lang::Zh)) && about.get(Lang::Zh) != about.get(Lang::En));
}
