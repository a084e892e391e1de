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
    sweep::write(&sw, &r1, &a, lvsim::lang::Lang::En).unwrap();
    sweep::write(&sw, &r2, &b, lvsim::lang::Lang::En).unwrap();
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
    let mut all: Vec<(String, lvsim::batch::charts::Chart)> = sweep::charts(&sw, &results, lvsim::lang::Lang::En);
    all.extend(sweep::charts(&sw, &results, lvsim::lang::Lang::Zh));
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

/// The report of the dr scenario in `lang`, with the charts it should hold.
fn dr_report(lang: lvsim::lang::Lang) -> (batch::Run, String, Vec<&'static str>) {
    let l = lvsim::scenario::load("dr").unwrap();
    let run = batch::run_full(&l, 1, None).unwrap();
    let html = batch::report::html(&run, &l.source, lang).unwrap();
    let stems = batch::run_charts(&run, lang).into_iter().map(|(s, _)| s).collect();
    (run, html, stems)
}

/// The text of `html` with the SVG namespace names taken out: an `xmlns` value is a name,
/// never fetched, and every plotters SVG carries one.
fn without_namespaces(html: &str) -> String {
    html.replace("xmlns=\"http://www.w3.org/2000/svg\"", "").replace("xmlns:xlink=\"http://www.w3.org/1999/xlink\"", "")
}

#[test]
fn the_report_holds_every_chart_and_table_and_loads_nothing() {
    // Structure, in both languages: one <figure id="chart-STEM"> with an inline <svg> per
    // chart run_charts makes (so the list cannot drift from the charts), as many <svg> as
    // charts; a table row per real server with its served count from the summary; the
    // scenario file quoted. Self-contained: no script, link, img, iframe or object element,
    // no http(s) reference left once the SVG namespace names are removed, and every
    // url(...) a data: URL (the Chinese font).
    for lang in [lvsim::lang::Lang::En, lvsim::lang::Lang::Zh] {
        let (run, html, stems) = dr_report(lang);
        assert!(!stems.is_empty());
        for stem in &stems {
            let at =
                html.find(&format!("<figure class=\"chart\" id=\"chart-{stem}\">")).unwrap_or_else(|| panic!("{stem}"));
            assert!(html[at..].trim_start_matches(|c| c != '\n').trim_start().starts_with("<svg"), "{stem}");
        }
        assert_eq!(html.matches("<svg").count(), stems.len());
        assert_eq!(html.matches("</svg>").count(), stems.len());
        for s in &run.summary.servers {
            assert!(html.contains(&format!("<td>{}</td><td>{}</td>", s.name, s.served)), "{}", s.name);
        }
        let l = lvsim::scenario::load("dr").unwrap();
        let first = l.source.lines().find(|x| !x.trim().is_empty() && !x.contains(['<', '>', '&', '"'])).unwrap();
        assert!(html.contains(first.trim()));
        let bare = without_namespaces(&html);
        for tag in ["<script", "<link", "<img", "<iframe", "<object", "http:", "https:"] {
            assert!(!bare.contains(tag), "{lang:?}: {tag}");
        }
        for (i, _) in bare.match_indices("url(") {
            assert!(bare[i + 4..].starts_with("data:"), "{lang:?}: {}", &bare[i..i + 40]);
        }
        assert_eq!(bare.contains("url(data:font/ttf"), lang == lvsim::lang::Lang::Zh, "only zh embeds the font");
    }
}

#[test]
#[ignore = "needs chromium (Debian's package); run by .ci/run"]
fn the_report_loads_in_headless_chromium() {
    // The browser's own DOM after loading the file: every chart's figure holds an svg
    // element with drawn text (the browser parsed it as SVG, not as text), in English and
    // in Chinese; and a screenshot renders (a PNG comes out).
    for lang in [lvsim::lang::Lang::En, lvsim::lang::Lang::Zh] {
        let (_, html, stems) = dr_report(lang);
        let dir = tmp(&format!("chromium-{}", lang.code()));
        std::fs::create_dir_all(&dir).unwrap();
        let page = dir.join("report.html");
        std::fs::write(&page, &html).unwrap();
        let url = format!("file://{}", page.display());
        let chromium = |args: &[&str]| {
            let out = std::process::Command::new("chromium")
                .args(["--headless", "--no-sandbox", "--disable-gpu", "--allow-file-access-from-files"])
                .args(args)
                .output()
                .expect("chromium runs");
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            String::from_utf8(out.stdout).unwrap()
        };
        let dom = chromium(&["--dump-dom", &url]);
        for stem in &stems {
            let at =
                dom.find(&format!("id=\"chart-{stem}\"")).unwrap_or_else(|| panic!("{lang:?}: {stem} not in the DOM"));
            let end = dom[at..].find("</figure>").unwrap() + at;
            let fig = &dom[at..end];
            assert!(fig.contains("<svg") && fig.contains("</svg>") && fig.contains("<text"), "{lang:?}: {stem}");
        }
        let shot = dir.join("shot.png");
        chromium(&[&format!("--screenshot={}", shot.display()), "--window-size=1280,4000", &url]);
        assert_eq!(&std::fs::read(&shot).unwrap()[..8], b"\x89PNG\r\n\x1a\n");
    }
}

/// The dr scenario as written (rr over rs1 and rs2, weights 1:1) and with wrr and rs2
/// at weight 3.
fn dr_rr_and_wrr() -> (batch::Summary, batch::Summary) {
    let l = lvsim::scenario::load("dr").unwrap();
    let a = batch::run_scenario(&l, 1).unwrap();
    let mut m = l.clone();
    for h in &mut m.scenario.hosts {
        for c in &mut h.run {
            *c = c.replace("-s rr", "-s wrr").replace("-r 10.0.0.12 -g -w 1", "-r 10.0.0.12 -g -w 3");
        }
    }
    let b = batch::run_scenario(&m, 1).unwrap();
    (a, b)
}

#[test]
fn diff_of_rr_and_wrr_runs() {
    // Derived by hand, not read off a run: the client opens 4 connections. rr over two
    // servers alternates, 2 and 2. wrr with weights 1:3 hands out one full cycle of
    // total weight 4 to 4 connections, each server its weight: rs1 1, rs2 3. So served
    // differs by −1 and +1; nothing else changes what the client sees (4 started, 4
    // completed, 0 failed) and neither run drops a frame (no drop rows). Latency is
    // compared where both runs have it.
    use batch::diff::{RowName, Section, rows};
    use lvsim::batch::words::Word;
    let (a, b) = dr_rr_and_wrr();
    let r = rows(&a, &b);
    let get = |sec: Section, name: RowName| r.iter().find(|x| x.section == sec && x.name == name).unwrap().clone();
    let served = |n: &str| get(Section::Served, RowName::Key(n.into()));
    assert_eq!((served("rs1").a, served("rs1").b, served("rs1").delta()), (Some(2.0), Some(1.0), Some(-1.0)));
    assert_eq!((served("rs2").a, served("rs2").b, served("rs2").delta()), (Some(2.0), Some(3.0), Some(1.0)));
    for (w, n) in [(Word::Started, 4.0), (Word::Completed, 4.0), (Word::Failed, 0.0)] {
        let x = get(Section::Clients, RowName::Word(w));
        assert_eq!((x.a, x.b), (Some(n), Some(n)), "{w:?}");
    }
    assert!(r.iter().all(|x| x.section != Section::Drops));
    for p in ["p50", "p95", "p99", "max"] {
        assert!(get(Section::Latency, RowName::Key(p.into())).delta().is_some(), "{p}");
    }
}

#[test]
fn diff_table_in_both_languages() {
    // The text `lvsim diff` prints, English and Chinese, pinned for review.
    let (a, b) = dr_rr_and_wrr();
    for lang in [lvsim::lang::Lang::En, lvsim::lang::Lang::Zh] {
        let t = batch::diff::render(&a, &b, "out/rr", "out/wrr", lang);
        insta::assert_snapshot!(format!("diff_table_{}", lang.code()), t);
    }
}

#[test]
fn diff_of_a_file_that_is_no_summary_is_located() {
    // A file that is not a summary.json: the error names the file, line and column and
    // says what was expected (the typed serde error's position, not its wording).
    let dir = tmp("diff-bad");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("summary.json"), "{\n  \"scenario\": 3\n}\n").unwrap();
    let e = batch::diff::load(&dir).unwrap_err();
    assert!(e.starts_with(&format!("{}:2:15:", dir.join("summary.json").display())), "{e}");
}
