//! Batch runs and sweeps: summaries, CSV columns, charts, determinism across threads,
//! the capacity model (NAT saturates before DR), and sweep file errors.
use crate::common::assert_conserved;
use crate::common::files;
use lvsim::batch::{self, sweep};
use lvsim::sim::{SimDuration, SimTime};
use std::fmt::Write as _;
use std::path::PathBuf;

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("lvsim-e2e-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// A small bottleneck sweep: NAT and DR at a load the NAT director cannot carry.
const SMALL: &str = r#"Sweep(
    about: "small",
    duration: "200ms",
    seeds: 2,
    vary: [
        Mode([("nat", "bottleneck-nat"), ("dr", "bottleneck-dr")]),
        Rate([4000, 16000]),
    ],
    x: "rate",
    series: "mode",
)"#;

#[test]
fn sweep_output_is_the_same_with_1_and_2_threads() {
    // Every file (CSV, PNG, SVG) compared byte for byte: if scheduling of points on
    // threads leaked into results or their order, some byte would differ.
    let sw = sweep::parse("small.ron", SMALL).unwrap();
    let (a, b) = (tmp("det1"), tmp("det2"));
    let r1 = sweep::run(&sw, 1).unwrap();
    let r2 = sweep::run(&sw, 2).unwrap();
    sweep::write(&sw, &r1, &a).unwrap();
    sweep::write(&sw, &r2, &b).unwrap();
    let (fa, fb) = (files(&a), files(&b));
    assert!(fa.len() >= 9, "points.csv and at least 4 charts × 2 formats");
    assert_eq!(fa, fb);
}

#[test]
fn nat_director_saturates_before_dr() {
    // The same director CPU (8 us per received frame) and the same offered load: under
    // NAT the director also receives the replies, so its CPU is busier, it drops frames
    // from its backlog and clients complete fewer connections than under DR. Only the
    // ordering is asserted: nothing in the model names the forwarding mode.
    let sw = sweep::parse("small.ron", SMALL).unwrap();
    let r = sweep::run(&sw, 0).unwrap();
    let at = |mode: &str, rate: &str| {
        r.iter().filter(|p| p.params[0].1 == mode && p.params[1].1 == rate).collect::<Vec<_>>()
    };
    for (nat, dr) in at("nat", "4000").iter().zip(at("dr", "4000")) {
        assert!(
            nat.director_cpu.unwrap() > 1.4 * dr.director_cpu.unwrap(),
            "NAT costs the director more per connection"
        );
    }
    for (nat, dr) in at("nat", "16000").iter().zip(at("dr", "16000")) {
        assert!(nat.director_cpu.unwrap() > 0.95, "NAT director saturated: {:?}", nat.director_cpu);
        assert!(dr.director_cpu.unwrap() < 0.95, "DR director not saturated: {:?}", dr.director_cpu);
        assert!(nat.summary.drops.get("backlog_full").copied().unwrap_or(0) > 0);
        assert_eq!(dr.summary.drops.get("backlog_full"), None);
        assert!(nat.summary.clients.throughput_per_s < 0.9 * dr.summary.clients.throughput_per_s);
        assert!(nat.summary.clients.latency_ms.p99 > dr.summary.clients.latency_ms.p99);
    }
}

#[test]
fn summary_of_a_small_run() {
    // The whole summary of the DR scenario as JSON: any change to a count, a share or a
    // field name shows up in review.
    let l = lvsim::scenario::load("dr").unwrap();
    let s = batch::run_scenario(&l, 1).unwrap();
    insta::assert_snapshot!(serde_json::to_string_pretty(&s).unwrap());
}

#[test]
fn summary_of_a_capacity_limited_run() {
    // Heterogeneous servers under rr: rs3 (2 workers, 8 ms, here a queue of 8) is sent a
    // third of the load, more than it can serve, so it refuses connections
    // (listen_overflow) and clients see them refused. The snapshot pins the numbers; the
    // asserts say what they mean.
    let mut l = lvsim::scenario::load("fairness").unwrap();
    l.scenario.duration = "300ms".into();
    for a in &mut l.scenario.apps {
        if let lvsim::scenario::AppSpec::Server { queue, .. } = a {
            *queue = Some(8);
        }
    }
    for h in &mut l.scenario.hosts {
        for c in &mut h.run {
            *c = c.replace("-s wlc", "-s rr");
        }
    }
    let s = batch::run_scenario(&l, 1).unwrap();
    assert!(s.drops.get("listen_overflow").copied().unwrap_or(0) > 0, "{:?}", s.drops);
    assert!(s.clients.refused > 0);
    insta::assert_snapshot!(serde_json::to_string_pretty(&s).unwrap());
}

#[test]
fn frames_add_up_when_capacity_limits_drop_them() {
    // Frames waiting in a CPU backlog are "in flight"; frames refused by it are dropped
    // with backlog_full: at every instant of an overloaded NAT director the count holds.
    let mut l = lvsim::scenario::load("bottleneck-nat").unwrap();
    l.scenario.duration = "150ms".into();
    for a in &mut l.scenario.apps {
        if let lvsim::scenario::AppSpec::Client { rate, .. } = a {
            *rate = Some(1500.0);
        }
    }
    let mut e = l.build().unwrap();
    let mut t = SimTime::ZERO;
    while t < e.end {
        t += SimDuration::from_micros(731);
        e.run_until(t);
        assert_conserved(&e);
    }
    e.run();
    assert_conserved(&e);
    assert!(e.metrics.drops_by_reason().any(|(r, _)| r.key() == "backlog_full"));
}

#[test]
fn run_writes_every_file_with_its_documented_columns() {
    // Each CSV's header is exactly its entry in COLUMNS (the documented, stable order),
    // each chart is a real PNG of 1200×700 and an SVG of that size, and docs/batch.md
    // names every column.
    let l = lvsim::scenario::load("dr").unwrap();
    let run = batch::run_full(&l, 1, None).unwrap();
    let dir = tmp("run");
    let paths = batch::write_run(&run, &dir, lvsim::lang::Lang::En).unwrap();
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/batch.md")).unwrap();
    for (file, cols) in batch::output::COLUMNS {
        let text = std::fs::read_to_string(dir.join(file)).unwrap();
        assert_eq!(text.lines().next().unwrap(), cols.join(","), "{file}");
        for c in *cols {
            assert!(doc.contains(&format!("`{c}`")), "docs/batch.md does not describe {c}");
        }
    }
    for c in sweep::POINT_COLUMNS {
        assert!(doc.contains(&format!("`{c}`")), "docs/batch.md does not describe {c}");
    }
    let pngs: Vec<_> = paths.iter().filter(|p| p.extension().is_some_and(|e| e == "png")).collect();
    assert_eq!(pngs.len(), 5);
    for p in pngs {
        let b = std::fs::read(p).unwrap();
        assert_eq!(&b[..8], b"\x89PNG\r\n\x1a\n", "{}", p.display());
        assert_eq!(&b[12..16], b"IHDR");
        assert_eq!(u32::from_be_bytes(b[16..20].try_into().unwrap()), 1200);
        assert_eq!(u32::from_be_bytes(b[20..24].try_into().unwrap()), 700);
        let svg = std::fs::read_to_string(p.with_extension("svg")).unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("width=\"1200\"") && svg.contains("height=\"700\""));
        assert!(svg.trim_end().ends_with("</svg>"));
    }
    assert!(dir.join("summary.json").exists());
}

#[test]
fn csv_columns_are_stable() {
    // The column lists are an interface (students' scripts read them): a snapshot makes
    // any change deliberate.
    let mut text = String::new();
    for (f, c) in batch::output::COLUMNS {
        let _ = writeln!(text, "{f}: {}", c.join(","));
    }
    let _ = writeln!(text, "points.csv: point,<one column per varied parameter>,{}", sweep::POINT_COLUMNS.join(","));
    insta::assert_snapshot!(text);
}

#[test]
fn every_sweep_file_is_embedded_and_valid() {
    // `lvsim list` shows the embedded sweeps; every file in scenarios/sweeps must be one
    // of them and resolve to points (its scenarios exist, its parameters apply).
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/sweeps");
    for f in std::fs::read_dir(dir).unwrap() {
        let name = f.unwrap().path().file_stem().unwrap().to_string_lossy().into_owned();
        assert!(sweep::EMBEDDED.iter().any(|(n, _)| *n == name), "scenarios/sweeps/{name}.ron is not embedded");
    }
    for (name, _) in sweep::EMBEDDED {
        let s = sweep::load(name).unwrap_or_else(|e| panic!("{}", e.render()));
        assert!(s.points.len() >= 3, "{name}");
    }
}

fn sweep_error(text: &str) -> String {
    sweep::parse("bad.ron", text).map(|_| ()).unwrap_err().render()
}

#[test]
fn sweep_error_unknown_field() {
    // A misspelled field is named, with the fields there are.
    insta::assert_snapshot!(sweep_error(&SMALL.replace("seeds:", "sedes:")));
}

#[test]
fn sweep_error_unknown_scheduler() {
    // A scheduler lvsim does not know is underlined, with the list of those it does.
    insta::assert_snapshot!(sweep_error(r#"Sweep(about: "x", base: "fairness", vary: [Scheduler(["rr", "wrrr"])])"#));
}

#[test]
fn sweep_error_unknown_scenario() {
    // A scenario that is neither embedded nor a file is underlined where it is named.
    insta::assert_snapshot!(sweep_error(&SMALL.replace("\"bottleneck-dr\"", "\"bottleneck-rd\"")));
}

#[test]
fn sweep_error_axis_not_varied() {
    // `x` must name a varied parameter.
    insta::assert_snapshot!(sweep_error(&SMALL.replace("x: \"rate\"", "x: \"users\"")));
}

#[test]
fn sweep_error_unknown_parameter() {
    // An unknown parameter kind lists the ones there are.
    insta::assert_snapshot!(sweep_error(&SMALL.replace("Rate(", "Load(")));
}

/// DR and TUN at the same load: the director forwards the same connections, so the two
/// modes' throughput lines lie on the same points.
const MODES: &str = r#"Sweep(
    about: "dr and tun",
    duration: "100ms",
    vary: [
        Mode([("dr", "bottleneck-dr"), ("tun", "bottleneck-tun")]),
        Rate([1000, 2000]),
    ],
    x: "rate",
    series: "mode",
)"#;

#[test]
fn no_chart_draws_two_series_alike() {
    // Two series with the same points AND the same style would be one line on the page:
    // the reader could not tell that the second exists. Every chart of a run of several
    // scenarios and of a DR/TUN sweep is checked pairwise. The DR/TUN sweep is the case
    // that was invisible: its throughput lines coincide (asserted first, so the check
    // below is not vacuous), and they must differ in style.
    let sw = sweep::parse("modes.ron", MODES).unwrap();
    let results = sweep::run(&sw, 1).unwrap();
    let mut all: Vec<(String, lvsim::batch::charts::Chart)> = sweep::charts(&sw, &results);
    let (_, throughput) = all.iter().find(|(n, _)| n == "throughput").unwrap();
    let lines = lvsim::batch::charts::drawn(throughput);
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0].1, lines[1].1, "DR and TUN carry the same connections");
    for name in ["dr", "nat", "fairness"] {
        let l = lvsim::scenario::load(name).unwrap();
        let run = batch::run_full(&l, 1, None).unwrap();
        for lang in [lvsim::lang::Lang::En, lvsim::lang::Lang::Zh] {
            all.extend(batch::run_charts(&run, lang).into_iter().map(|(n, c)| (format!("{name}/{n}"), c)));
        }
    }
    for (name, chart) in &all {
        let series = lvsim::batch::charts::drawn(chart);
        for (i, a) in series.iter().enumerate() {
            for b in &series[..i] {
                assert!(a != b, "{name}: two series drawn identically: {a:?}");
            }
        }
    }
}

#[test]
fn a_run_without_a_cpu_model_has_no_cpu_chart() {
    // The dr scenario gives its director no CPU capacity model (cpu_util is None in its
    // summary), so a CPU line would draw a quantity the run does not have: the director
    // chart keeps only the link line and says so in its title.
    let l = lvsim::scenario::load("dr").unwrap();
    let run = batch::run_full(&l, 1, None).unwrap();
    assert!(run.summary.hosts.iter().all(|h| h.cpu_util.is_none()));
    let charts = batch::run_charts(&run, lvsim::lang::Lang::En);
    let (_, director) = charts.iter().find(|(n, _)| *n == "director").unwrap();
    let lvsim::batch::charts::Chart::Lines(d) = director else { panic!("director is a line chart") };
    assert_eq!(d.title, format!("dr: {}", lvsim::batch::words::Word::DirectorLink.text(lvsim::lang::Lang::En)));
    // One director, one line: its link (a CPU line would be a second).
    assert_eq!(run.directors.len(), 1);
    assert_eq!(d.lines.len(), 1);
}
