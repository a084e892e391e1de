//! What each subcommand does, so `main.rs` only parses. Errors come back as text ready
//! to print (miette-rendered for scenario errors).

use crate::capture::PcapCapture;
use crate::ipvs::listing;
use crate::lang::Lang;
use crate::lang::zh::phrase_in;
use crate::scenario::{self, Loaded};
use crate::sim::SimTime;
use crate::stack::{Host, show};
use crate::trace::{self, Recorder, Step};
use std::cell::RefCell;
use std::fmt::Write as _;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::rc::Rc;

pub mod help;
pub mod import;

fn load(name: &str) -> Result<Loaded, String> {
    load_in(name, Lang::En)
}

fn load_in(name: &str, lang: Lang) -> Result<Loaded, String> {
    scenario::load(name).map_err(|e| e.render_in(lang))
}

/// `lvsim list`.
pub fn list(lang: Lang) -> Result<(), String> {
    let mut out = io::stdout().lock();
    for (name, _) in scenario::EMBEDDED {
        let l = load_in(name, lang)?;
        let _ = writeln!(out, "{name:<24} {}", l.scenario.about.get(lang));
    }
    let _ = writeln!(
        out,
        "\n{}",
        lang.pick("sweeps (lvsim sweep NAME --out DIR):", "参数扫描（lvsim sweep NAME --out DIR）：")
    );
    for (name, _) in crate::batch::sweep::EMBEDDED {
        let s = crate::batch::sweep::load(name).map_err(|e| e.render_in(lang))?;
        let _ = writeln!(out, "{name:<24} {}", s.spec.about.get(lang));
    }
    Ok(())
}

/// Streams steps to stdout as text or JSON Lines.
struct Printer {
    out: BufWriter<io::Stdout>,
    names: trace::Names,
    json: bool,
    lang: crate::lang::Lang,
    filter: Option<trace::filter::Filter>,
    /// Standard output was closed (`lvsim trace | head`): the run goes on to its end,
    /// so pcap files are still complete, but nothing more is formatted.
    closed: bool,
    /// ARP cache changes of the whole run (filtered out or not), for the summary.
    arp: trace::summary::ArpWatch,
}

impl Recorder for Printer {
    fn record(&mut self, step: Step) {
        self.arp.see(&step);
        if self.closed || self.filter.as_ref().is_some_and(|f| !f.matches(&step, &self.names)) {
            return;
        }
        let line = if self.json {
            trace::json::line(&step, &self.names)
        } else {
            trace::text::line(&step, &self.names, self.lang)
        };
        self.closed = writeln!(self.out, "{line}").is_err();
    }
}

/// `lvsim trace`.
pub fn trace(
    name: &str,
    json: bool,
    pcap: Option<&Path>,
    seed: Option<u64>,
    filter: Option<&str>,
    lang: crate::lang::Lang,
    summary: bool,
) -> Result<(), String> {
    let filter = filter.map(trace::filter::Filter::parse).transpose().map_err(|e| match lang {
        Lang::En => format!("error: --filter {:?}: {e}\n", filter.unwrap_or_default()),
        Lang::Zh => format!("错误：--filter {:?}：{}\n", filter.unwrap_or_default(), e.message_in(lang)),
    })?;
    let l = load_in(name, lang)?;
    let mut engine = l.build_with_seed(seed.unwrap_or(l.scenario.seed)).map_err(|e| e.render_in(lang))?;
    let capture = match pcap {
        Some(dir) => {
            let names: Vec<String> = engine.net.segments.iter().map(|s| s.name.clone()).collect();
            let c = Rc::new(RefCell::new(PcapCapture::create(dir, &names).map_err(|e| {
                format!("{}\n", phrase_in(&format!("cannot write pcap files in {}: {e}", dir.display()), lang))
            })?));
            engine.set_capture(Box::new(c.clone()));
            Some(c)
        }
        None => None,
    };
    let mut out = BufWriter::new(io::stdout());
    if !json {
        let _ = writeln!(out, "# {} — {}", l.name, l.scenario.about.get(lang));
        let _ = writeln!(out, "{}", trace::text::header_in(lang));
    }
    let _ = out.flush();
    let arp = trace::summary::ArpWatch::default();
    let printer = Rc::new(RefCell::new(Printer { out, names: engine.names(), json, lang, filter, closed: false, arp }));
    engine.set_recorder(Box::new(printer.clone()));
    engine.run();
    // The summary: text output only (JSON Lines stay one step per line).
    if summary && !json && !printer.borrow().closed {
        let p = &mut *printer.borrow_mut();
        let s = trace::summary::Summary::new(&engine.metrics, &engine.apps, &p.arp);
        let _ = write!(p.out, "{}", s.render(&p.names, lang));
    }
    let _ = printer.borrow_mut().out.flush();
    if let Some(c) = capture {
        drop(engine);
        let c = Rc::try_unwrap(c).map_err(|_| "capture still in use".to_string())?.into_inner();
        let paths = c.finish().map_err(|e| format!("{}\n", phrase_in(&format!("writing pcap: {e}"), lang)))?;
        for p in paths {
            eprintln!("{}{}", lang.pick("wrote ", "已写出 "), p.display());
        }
    }
    Ok(())
}

/// `lvsim check`: errors fail it; warnings (`engine::check`) are printed with a hint and
/// fail it only with `deny_warnings`.
pub fn check(files: &[String], deny_warnings: bool, lang: Lang) -> Result<(), String> {
    let mut failed = String::new();
    let mut warned = 0;
    for f in files {
        // Expectations are resolved against the built, not yet run, world: unknown host
        // or client names and bad filters are errors here as they are in `verify`.
        let built = scenario::load(f)
            .and_then(|l| l.build().map(|e| (l, e)))
            .and_then(|(l, e)| scenario::expect::check_all(&l, &e, &[], &l.scenario.expect).map(|_| (l, e)));
        match built {
            Ok((l, e)) => {
                let (hosts, segments) = (l.scenario.hosts.len(), l.scenario.segments.len());
                let about = l.scenario.about.get(lang);
                match lang {
                    Lang::En => println!("ok: {f}: {hosts} hosts, {segments} segments — {about}"),
                    Lang::Zh => println!("通过：{f}：{hosts} 台主机，{segments} 个网段 — {about}"),
                }
                let mut ws = crate::engine::check::warnings(&e.net, &e.hosts);
                ws.extend(e.keepalived_warnings());
                for w in ws {
                    let r = w.render(&e.net, &e.hosts, lang);
                    match lang {
                        Lang::En => println!("  warning: {}\n    hint: {}", r.text, r.hint),
                        Lang::Zh => println!("  警告：{}\n    提示：{}", r.text, r.hint),
                    }
                    warned += 1;
                }
            }
            Err(e) => failed.push_str(&e.render_in(lang)),
        }
    }
    if deny_warnings && warned > 0 {
        let _ = match lang {
            crate::lang::Lang::En => {
                writeln!(failed, "error: {warned} warning(s), and --deny-warnings makes them errors")
            }
            crate::lang::Lang::Zh => writeln!(failed, "错误：{warned} 条警告，--deny-warnings 把警告视为错误"),
        };
    }
    if failed.is_empty() { Ok(()) } else { Err(failed) }
}

/// `lvsim verify`: runs each scenario and checks its expectations. With `all`, every
/// embedded scenario, one summary line each (failed expectations listed under it).
pub fn verify(names: &[String], all: bool, lang: Lang) -> Result<(), String> {
    if all {
        return verify_list(scenario::EMBEDDED, lang);
    }
    let mut failed = 0;
    for name in names {
        let l = load_in(name, lang)?;
        let checks = scenario::expect::verify(&l).map_err(|e| e.render_in(lang))?;
        println!("{name}{}{}", lang.pick(": ", "："), l.scenario.about.get(lang));
        if checks.is_empty() {
            println!("  {}", lang.pick("(no expectations)", "（没有 expect: 条目）"));
        }
        for c in &checks {
            match lang {
                Lang::En => println!("  {c}"),
                Lang::Zh => println!("  {} {}：{}", if c.ok { "通过  " } else { "未通过" }, c.expect, c.got),
            }
        }
        failed += checks.iter().filter(|c| !c.ok).count();
    }
    match (failed, lang) {
        (0, _) => Ok(()),
        (n, Lang::En) => Err(format!("{n} expectation(s) not met\n")),
        (n, Lang::Zh) => Err(format!("有 {n} 条预期未满足\n")),
    }
}

/// One scenario's line of `lvsim verify --all`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifySummary {
    pub name: String,
    /// Expectations met, of `total`.
    pub met: usize,
    pub total: usize,
    /// The failed checks, as `verify` prints them.
    pub failed: Vec<String>,
}

/// Runs each `(name, source)` scenario and checks its expectations.
pub fn verify_summaries(list: &[(&str, &str)]) -> Result<Vec<VerifySummary>, String> {
    list.iter()
        .map(|(name, src)| {
            let l = scenario::parse(&format!("embedded:{name}"), src).map_err(|e| e.render())?;
            let checks = scenario::expect::verify(&l).map_err(|e| e.render())?;
            Ok(VerifySummary {
                name: (*name).to_string(),
                met: checks.iter().filter(|c| c.ok).count(),
                total: checks.len(),
                failed: checks.iter().filter(|c| !c.ok).map(ToString::to_string).collect(),
            })
        })
        .collect()
}

/// `lvsim verify --all` over `list` (the embedded scenarios): a summary line per
/// scenario, the failed checks under it; an error when any failed.
pub fn verify_list(list: &[(&str, &str)], lang: Lang) -> Result<(), String> {
    let all = verify_summaries(list)?;
    for s in &all {
        let ok = match (s.met == s.total, lang) {
            (true, Lang::En) => "ok  ",
            (false, Lang::En) => "FAIL",
            (true, Lang::Zh) => "通过  ",
            (false, Lang::Zh) => "未通过",
        };
        let (met, total) = (s.met, s.total);
        match lang {
            Lang::En => println!("{ok} {:<24} {met}/{total} expectations met", s.name),
            Lang::Zh => println!("{ok} {:<24} 满足 {met}/{total} 条预期", s.name),
        }
        for c in &s.failed {
            println!("       {c}");
        }
    }
    let failed: Vec<&str> = all.iter().filter(|s| s.met < s.total).map(|s| s.name.as_str()).collect();
    let n = all.len();
    match (failed.is_empty(), lang) {
        (true, _) => Ok(()),
        (false, Lang::En) => Err(format!("{} of {n} scenarios failed: {}\n", failed.len(), failed.join(", "))),
        (false, Lang::Zh) => Err(format!("{n} 个场景中有 {} 个未通过：{}\n", failed.len(), failed.join("、"))),
    }
}

/// Builds scenario `name` and runs it to `at` (a duration like "150ms"), or to its end.
/// Timers run past the scenario's duration when `at` is later, so entries expire as
/// they would. Returns the engine and the instant reached.
fn run_at(
    name: &str,
    at: Option<&str>,
    seed: Option<u64>,
    lang: Lang,
) -> Result<(crate::engine::Engine, SimTime), String> {
    let l = load_in(name, lang)?;
    let mut engine = l.build_with_seed(seed.unwrap_or(l.scenario.seed)).map_err(|e| e.render_in(lang))?;
    let now = if let Some(t) = at {
        let d = crate::sim::SimDuration::parse(t)
            .map_err(|e| format!("--at{}{}\n", lang.pick(": expected ", "：应为 "), phrase_in(&e, lang)))?;
        let t = SimTime::ZERO + d;
        // Let timers run past the scenario's duration, so entries expire as they would.
        engine.end = engine.end.max(t);
        engine.run_until(t);
        t
    } else {
        engine.run();
        engine.now()
    };
    Ok((engine, now))
}

/// The host called `wanted` in `hosts`, or an error listing the names there are.
fn host_named<'a>(hosts: &'a [Host], wanted: &str, scenario: &str, lang: Lang) -> Result<&'a Host, String> {
    hosts.iter().find(|h| h.name == wanted).ok_or_else(|| {
        let names: Vec<&str> = hosts.iter().map(|h| h.name.as_str()).collect();
        match lang {
            Lang::En => format!("{scenario}: expected a host name ({}), found \"{wanted}\"\n", names.join(", ")),
            Lang::Zh => format!("{scenario}：应为主机名（{}），实际为 \"{wanted}\"\n", names.join("、")),
        }
    })
}

/// `lvsim ipvsadm`: the director's listings after running. `args` are ipvsadm's own
/// (`-Ln --stats`, `-S -n`, `-Lnc`...); without them, `-Ln` then `-Lnc` with a comment
/// line before each. With several directors each listing is headed `# HOST`, unless
/// `host` picks one.
pub fn ipvsadm(
    name: &str,
    at: Option<&str>,
    seed: Option<u64>,
    host: Option<&str>,
    args: &[String],
    lang: Lang,
) -> Result<(), String> {
    let (engine, now) = run_at(name, at, seed, lang)?;
    let directors: Vec<&Host> = match host {
        Some(wanted) => {
            let h = host_named(&engine.hosts, wanted, name, lang)?;
            if h.ipvs.is_none() {
                return Err(match lang {
                    Lang::En => format!("{name}: {wanted} does not run IPVS (no ipvsadm command in its run: list)\n"),
                    Lang::Zh => format!("{name}：{wanted} 没有运行 IPVS（它的 run: 列表中没有 ipvsadm 命令）\n"),
                });
            }
            vec![h]
        }
        None => engine.hosts.iter().filter(|h| h.ipvs.is_some()).collect(),
    };
    if directors.is_empty() {
        return Err(format!("{name}{}\n", lang.pick(": no host runs ipvsadm", "：没有主机运行 ipvsadm")));
    }
    let mut out = String::new();
    for h in &directors {
        let v = h.ipvs.as_deref().expect("directors run IPVS");
        if args.is_empty() {
            match lang {
                Lang::En => writeln!(out, "# {} at {now}s: ipvsadm -Ln", h.name),
                Lang::Zh => writeln!(out, "# {}，{now} 秒时：ipvsadm -Ln", h.name),
            }
            .expect("writing to a String");
            out.push_str(&listing::list_services(v));
            out.push_str("# ipvsadm -Lnc\n");
            out.push_str(&listing::list_conns(v, now));
            continue;
        }
        if directors.len() > 1 {
            let _ = writeln!(out, "# {}", h.name);
        }
        out.push_str(
            &listing::list(v, now, args).map_err(|e| format!("ipvsadm: {}\n", phrase_in(&e.to_string(), lang)))?,
        );
    }
    print!("{out}");
    Ok(())
}

/// `lvsim ip`: one host's `ip addr`, `ip link`, `ip route` or `ip neigh` after running; `ip neigh`
/// lines end in `# HOST` (whose the MAC is) unless `exact`.
pub fn ip(
    name: &str,
    host: &str,
    at: Option<&str>,
    seed: Option<u64>,
    exact: bool,
    args: &[String],
    lang: Lang,
) -> Result<(), String> {
    let (engine, _) = run_at(name, at, seed, lang)?;
    let h = host_named(&engine.hosts, host, name, lang)?;
    let names = engine.names();
    let owner = |m| names.mac_owner(m);
    let c = show::parse_show(args).map_err(|e| format!("ip: {}\n", phrase_in(&e.to_string(), lang)))?;
    let text = show::run_named(h, &c, (!exact).then_some(&owner as show::Owner<'_>))
        .map_err(|e| format!("ip: {}\n", phrase_in(&e.to_string(), lang)))?;
    print!("{text}");
    Ok(())
}

/// `lvsim sched --script FILE`: the picks as a JSON list (`null` = no server).
pub fn sched_script(path: &str, lang: Lang) -> Result<(), String> {
    let text = if path == "-" {
        let mut t = String::new();
        io::Read::read_to_string(&mut io::stdin(), &mut t)
            .map_err(|e| format!("{}{e}\n", lang.pick("reading standard input: ", "读取标准输入时出错：")))?;
        t
    } else {
        std::fs::read_to_string(path).map_err(|e| match lang {
            Lang::En => format!("cannot read {path}: {e}\n"),
            Lang::Zh => format!("无法读取 {path}：{e}\n"),
        })?
    };
    let picks = crate::ipvs::script::run(&text)
        .map_err(|e| format!("{path}{}{}\n", lang.pick(": ", "："), e.message_in(lang)))?;
    println!("{}", serde_json::to_string(&picks).expect("picks serialize"));
    Ok(())
}

/// `lvsim sched compare`.
pub fn sched_compare(
    w: &crate::ipvs::compare::Workload,
    names: &[String],
    csv: bool,
    json: bool,
    lang: Lang,
) -> Result<(), String> {
    use crate::ipvs::Sched;
    if w.clients == 0 || w.weights.is_empty() {
        return Err(lang
            .pick(
                "--clients and --weights: expected at least one client and one server\n",
                "--clients 和 --weights：应至少有一个客户端和一台服务器\n",
            )
            .into());
    }
    for f in &w.sched_flags {
        if !crate::cmdline::ipvsadm::SchedFlags::default().set(f) {
            return Err(match lang {
                Lang::En => format!(
                    "--flags: expected a scheduler flag (sh-fallback, sh-port, mh-fallback, mh-port), found \"{f}\"\n"
                ),
                Lang::Zh => {
                    format!("--flags：应为调度算法标志（sh-fallback、sh-port、mh-fallback、mh-port），实际为 \"{f}\"\n")
                }
            });
        }
    }
    let scheds: Vec<Sched> = if names.is_empty() {
        Sched::ALL
            .iter()
            .copied()
            .filter(|s| crate::schedulers::new(*s, crate::ipvs::ipvsadm::SchedFlags::default()).is_ok())
            .collect()
    } else {
        names
            .iter()
            .map(|n| {
                n.parse().map_err(|_| match lang {
                    Lang::En => {
                        format!("--schedulers: expected scheduler names (rr, wrr, lc, wlc...), found \"{n}\"\n")
                    }
                    Lang::Zh => format!("--schedulers：应为调度算法名（rr、wrr、lc、wlc……），实际为 \"{n}\"\n"),
                })
            })
            .collect::<Result<_, _>>()?
    };
    if w.weights.is_empty() {
        return Err(lang.pick("--weights: expected at least one weight\n", "--weights：应至少有一个权重\n").into());
    }
    let rows = crate::ipvs::compare::compare(w, &scheds).map_err(|e| format!("{e}\n"))?;
    if json {
        println!("{}", serde_json::to_string_pretty(&rows).expect("rows serialize"));
    } else if csv {
        print!("{}", crate::ipvs::compare::csv(w, &rows));
    } else {
        print!("{}", crate::ipvs::compare::table(w, &rows, lang));
    }
    Ok(())
}

/// `lvsim bench`.
pub fn bench(requests: u64, runs: usize, json: bool) -> Result<(), String> {
    let r = crate::bench::run(requests, runs).map_err(|e| e.render())?;
    if json {
        println!("{}", serde_json::to_string_pretty(&r).expect("report serializes"));
        return Ok(());
    }
    let walls: Vec<String> = r.wall_secs.iter().map(|w| format!("{w:.3}")).collect();
    println!("lvsim bench: 16 UDP clients → router → DR director → 4 real servers, 50,000 req/s, tracing off");
    println!("  requests sent        {:>14}", r.requests);
    println!("  replies received     {:>14}", r.replies);
    println!("  events               {:>14}", r.events);
    println!("  packet-hops          {:>14}", r.packet_hops);
    println!("  wall time per run    {} s", walls.join(", "));
    println!("  events/s (median)    {:>14.0}", r.events_per_sec);
    println!(
        "  packet-hops/s        {:>14.0}   median run; fastest {:.0}",
        r.packet_hops_per_sec, r.best_packet_hops_per_sec
    );
    println!("                                      (ns-3 on this workload: 214,000/s; target 4,000,000/s)");
    if !r.cpu_secs.is_empty() {
        let cpus: Vec<String> = r.cpu_secs.iter().map(|c| format!("{c:.3}")).collect();
        println!("  CPU time per run     {} s", cpus.join(", "));
        println!("  packet-hops/CPU s    {:>14.0}   median run by CPU time", r.cpu_packet_hops_per_sec);
    }
    match r.peak_rss_kib {
        Some(k) => println!("  peak memory (VmHWM)  {:>11.1} MiB", k as f64 / 1024.0),
        None => println!("  peak memory          unknown (no /proc/self/status)"),
    }
    Ok(())
}

/// `lvsim bench --tui`.
pub fn bench_tui(json: bool) -> Result<(), String> {
    let r = crate::tui::bench::run()?;
    if json {
        println!("{}", serde_json::to_string_pretty(&r).expect("report serializes"));
        return Ok(());
    }
    println!("lvsim bench --tui: open, then keys with a full 120x40 redraw each (target: <1 s, <50 ms/key)");
    println!(
        "  open dr ({} steps)                   {:>8.1} ms (median of 5)",
        r.default_steps,
        r.open_default_secs * 1e3
    );
    println!(
        "  open dr x{} ({} steps, {} events)  {:>8.1} ms, {} snapshots",
        crate::tui::bench::REQUESTS,
        r.large_steps,
        r.large_events,
        r.open_large_secs * 1e3,
        r.large_snapshots
    );
    for k in &r.keys {
        println!(
            "  keys on the {:<7} tab ({} keys)     median {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            k.tab, k.keys, k.median_ms, k.p99_ms, k.max_ms
        );
    }
    if let Some(kib) = r.peak_rss_kib {
        println!("  peak memory (VmHWM)                  {:>8.1} MiB", kib as f64 / 1024.0);
    }
    Ok(())
}

/// `lvsim exercise ...`: the front end of [`crate::exercise`].
pub mod exercise {
    use super::phrase_in;
    use crate::exercise::{self as ex, Lang, grade, text as t};
    use std::fmt::Write as _;
    use std::path::{Path, PathBuf};

    fn lang_of(lang: Option<&str>) -> Result<Lang, String> {
        match lang {
            None => Ok(Lang::default()),
            Some(l) => Lang::parse(l).ok_or_else(|| format!("--lang: expected zh or en, found \"{l}\"\n")),
        }
    }

    /// A refusal with its hint, framed in `lang`.
    fn fail(lang: Lang, msg: &str, help: &str) -> String {
        format!("{}{msg}\n  {}{help}\n", t::ui(lang, ("error: ", "错误：")), t::ui(lang, ("help: ", "提示：")))
    }

    fn load(id: &str, lang: Lang) -> Result<ex::Source, String> {
        ex::load(id).map_err(|e| e.render_in(lang))
    }

    /// `lvsim exercise list`.
    pub fn list(lang: Option<&str>) -> Result<(), String> {
        let lang = lang_of(lang)?;
        let mut o = String::new();
        for s in ex::all().map_err(|e| e.render_in(lang))? {
            let topics: Vec<&str> = s.raw.topics.iter().map(|t| t.name()).collect();
            let _ = writeln!(
                o,
                "{:<24} {:<13} {:<28} {}",
                s.raw.id,
                s.raw.kind.name(),
                topics.join(","),
                s.raw.title.get(lang)
            );
        }
        print!("{o}");
        Ok(())
    }

    /// The course key: `--key FILE`, else the file `LVSIM_COURSE_KEY` names, else none
    /// (an open course).
    fn course_key(path: Option<&Path>, lang: Lang) -> Result<Option<ex::key::CourseKey>, String> {
        let env = std::env::var_os(ex::key::ENV).filter(|v| !v.is_empty()).map(PathBuf::from);
        match path.map(Path::to_path_buf).or(env) {
            None => Ok(None),
            Some(p) => ex::key::CourseKey::load(&p).map(Some).map_err(|e| e.render_in(lang)),
        }
    }

    /// `lvsim exercise key new [--out FILE]`: a new course key (the one random thing lvsim
    /// does). An existing file is never overwritten: it holds a course's variants.
    pub fn key_new(out: Option<&Path>) -> Result<(), String> {
        let text = ex::key::file_text(&ex::key::random_secret().map_err(|e| e + "\n")?);
        let Some(out) = out else {
            print!("{text}");
            return Ok(());
        };
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let mut f = opts.open(out).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                format!(
                    "error: {} exists: a course key is never overwritten (the students' variants depend on it)\n  help: write the new key to another file, or delete the old one yourself\n",
                    out.display()
                )
            } else {
                format!("cannot write {}: {e}\n", out.display())
            }
        })?;
        std::io::Write::write_all(&mut f, text.as_bytes())
            .map_err(|e| format!("cannot write {}: {e}\n", out.display()))?;
        println!("wrote {} (keep it private)", out.display());
        Ok(())
    }

    /// The seed of `student`'s variant. For a new folder (`meta` none): the course key's,
    /// or none (the open variant) without a key. For a folder: the open variant when it
    /// records no `variant` (started without the key: what its student worked on, and
    /// `grade` flags it); else the key's when there is one (a copied or edited line
    /// changes nothing, and is flagged); else the seed it records (a student checking
    /// without the key).
    fn seed_for(
        id: &str,
        student: Option<&str>,
        key: Option<&ex::key::CourseKey>,
        meta: Option<&grade::Sheet>,
    ) -> Option<u64> {
        let student = student?;
        match (key, meta) {
            (_, Some(m)) if m.variant.is_none() => None,
            (Some(k), _) => Some(k.variant_seed(id, student)),
            (None, Some(m)) => (m.student.as_deref() == Some(student))
                .then(|| m.variant.as_deref().and_then(ex::key::parse_seed))
                .flatten(),
            (None, None) => None,
        }
    }

    /// `lvsim exercise show ID`. The hint is for after a wrong attempt (`check` shows it),
    /// unless the teacher's key is given.
    pub fn show(id: &str, student: Option<&str>, lang: Option<&str>, key: Option<&Path>) -> Result<(), String> {
        let lang = lang_of(lang)?;
        let key = course_key(key, lang)?;
        let inst = load(id, lang)?
            .instance_seeded(student, seed_for(id, student, key.as_ref(), None))
            .map_err(|e| e.render_in(lang))?;
        let e = &inst.ex;
        let mut o = String::new();
        let _ = writeln!(o, "{} — {}  [{}]", e.id, e.title.get(lang), e.kind.name());
        let _ = writeln!(o, "\n{}", t::labeled(lang, t::ui(lang, t::TASK), e.task.get(lang).trim()));
        let cx = ex::answer::Ctx::new(&inst);
        let lines = ex::answer::excerpt(&cx).map_err(|e| e.render_in(lang))?;
        if !lines.is_empty() {
            let _ = writeln!(o, "\n{}", t::labeled(lang, t::ui(lang, t::EXCERPT), "").trim_end());
            for l in lines {
                let _ = writeln!(o, "  {l}");
            }
        }
        if !e.questions.is_empty() {
            let _ = writeln!(o, "\n{}", t::labeled(lang, t::ui(lang, t::QUESTIONS), "").trim_end());
            for q in &e.questions {
                let _ = writeln!(o, "  {} = ?   {}", q.key, q.text.get(lang).trim());
            }
        }
        let hint = if key.is_some() { e.hint.get(lang).trim() } else { t::ui(lang, t::HINT_LATER) };
        let _ = writeln!(o, "\n{}", t::labeled(lang, t::ui(lang, t::HINT), hint));
        print!("{o}");
        Ok(())
    }

    /// `lvsim exercise start ID`: writes the starting files into `dir` (default `./ID`);
    /// files already there are kept (exit 1) unless `force`.
    pub fn start(
        id: &str,
        student: Option<&str>,
        dir: Option<&Path>,
        lang: Option<&str>,
        force: bool,
        key: Option<&Path>,
    ) -> Result<(), String> {
        let lang = lang_of(lang)?;
        let key = course_key(key, lang)?;
        let inst = load(id, lang)?
            .instance_seeded(student, seed_for(id, student, key.as_ref(), None))
            .map_err(|e| e.render_in(lang))?;
        let dir = dir.map_or_else(|| PathBuf::from(id), Path::to_path_buf);
        let files = grade::start_files_keyed(&inst, lang, key.as_ref()).map_err(|e| e.render_in(lang))?;
        let there: Vec<String> = files
            .iter()
            .map(|(n, _)| dir.join(n))
            .filter(|p| std::fs::symlink_metadata(p).is_ok())
            .map(|p| p.display().to_string())
            .collect();
        if !there.is_empty() && !force {
            let (msg, help) = t::ui2(lang, t::WOULD_OVERWRITE);
            return Err(fail(lang, &format!("{}{msg}", there.join(t::ui(lang, (", ", "、")))), help));
        }
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("{}\n", phrase_in(&format!("cannot create {}: {e}", dir.display()), lang)))?;
        for (name, text) in files {
            let p = dir.join(name);
            std::fs::write(&p, text)
                .map_err(|e| format!("{}\n", phrase_in(&format!("cannot write {}: {e}", p.display()), lang)))?;
            println!("{} {}", t::ui(lang, t::WROTE), p.display());
        }
        Ok(())
    }

    /// The meta lines of a submission folder: `exercise.txt` when there is one, else the
    /// answer sheet's own.
    fn folder_meta(dir: &Path, sheet: Option<&grade::Sheet>) -> grade::Sheet {
        let txt = ex::submission::read(dir, &dir.join("exercise.txt"))
            .ok()
            .and_then(|t| grade::parse_sheet("exercise.txt", &t, &[]).ok());
        let mut m = txt.unwrap_or_default();
        if let Some(s) = sheet {
            m.student = m.student.or_else(|| s.student.clone());
            m.exercise = m.exercise.or_else(|| s.exercise.clone());
            m.variant = m.variant.or_else(|| s.variant.clone());
            m.deadline = m.deadline.or_else(|| s.deadline.clone());
        }
        m.answers.clear();
        m
    }

    /// One graded submission: the report, the folder's meta lines and the submission as
    /// compared between students (the answers, or the fixed scenario, trimmed).
    #[derive(Debug)]
    pub struct Graded {
        pub report: grade::Report,
        pub meta: grade::Sheet,
        pub handed_in: String,
    }

    /// Grades one submission: a directory written by `start`, an answers.txt, or a .ron.
    pub fn grade_path(
        src: &ex::Source,
        path: &Path,
        student: Option<&str>,
        lang: Lang,
        key: Option<&ex::key::CourseKey>,
    ) -> Result<Graded, String> {
        let is_fix = src.raw.kind == ex::Kind::Fix;
        let (dir, file) = if path.is_dir() {
            (path.to_path_buf(), path.join(if is_fix { "scenario.ron" } else { "answers.txt" }))
        } else {
            (path.parent().map_or_else(|| PathBuf::from("."), Path::to_path_buf), path.to_path_buf())
        };
        let text = ex::submission::read(&dir, &file).map_err(|e| e + "\n")?;
        let origin = file.display().to_string();
        let keys: Vec<&str> = src.raw.questions.iter().map(|q| q.key.as_str()).collect();
        let sheet =
            if is_fix { None } else { Some(grade::parse_sheet(&origin, &text, &keys).map_err(|e| e.render_in(lang))?) };
        let meta = folder_meta(&dir, sheet.as_ref());
        let who = student.map(str::to_string).or_else(|| meta.student.clone());
        let seed = seed_for(&src.raw.id, who.as_deref(), key, Some(&meta));
        let inst = src.instance_seeded(who.as_deref(), seed).map_err(|e| e.render_in(lang))?;
        let (report, handed_in) = match &sheet {
            Some(s) => {
                let answers: Vec<String> = s.answers.iter().map(|(k, v)| format!("{k} = {}", v.trim())).collect();
                let blank = s.answers.values().all(|v| v.trim().is_empty());
                (grade::grade_sheet(&inst, s, lang), if blank { String::new() } else { answers.join("\n") })
            }
            None => (grade::grade_fix(&inst, &origin, &text, lang), text.trim().to_string()),
        };
        Ok(Graded { report: report.map_err(|e| e.render_in(lang))?, meta, handed_in })
    }

    /// Whether the deadline recorded in the folder (or the key's) has passed.
    fn past_deadline(meta: &grade::Sheet, key: Option<&ex::key::CourseKey>) -> bool {
        let unix = key
            .and_then(|k| k.deadline.as_ref().map(|d| d.unix))
            .or_else(|| meta.deadline.as_deref().and_then(ex::key::parse_deadline));
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        unix.is_some_and(|u| now >= u)
    }

    /// `lvsim exercise check [ID [PATH]]`: exit status 0 only when fully correct. Without
    /// an ID the sheet in the current folder names the exercise.
    pub fn check(
        id: Option<&str>,
        path: Option<&Path>,
        student: Option<&str>,
        lang: Option<&str>,
        show_answers: bool,
        key: Option<&Path>,
    ) -> Result<(), String> {
        let lang = lang_of(lang)?;
        let key = course_key(key, lang)?;
        if show_answers && key.is_none() {
            let (msg, help) = t::ui2(lang, t::ANSWERS_NEED_KEY);
            return Err(fail(lang, msg, help));
        }
        let here = PathBuf::from(".");
        let (id, default) = if let Some(id) = id {
            (id.to_string(), PathBuf::from(id))
        } else {
            let found = ["exercise.txt", "answers.txt"].iter().find_map(|f| {
                let text = ex::submission::read(&here, &here.join(f)).ok()?;
                text.lines().find_map(|l| {
                    l.split_once('=').filter(|(k, _)| k.trim() == "exercise").map(|(_, v)| v.trim().to_string())
                })
            });
            let Some(id) = found.filter(|s| !s.is_empty()) else {
                let (msg, help) = t::ui2(lang, t::NO_SHEET_HERE);
                return Err(fail(lang, msg, help));
            };
            (id, here.clone())
        };
        let src = load(&id, lang)?;
        let g = grade_path(&src, path.unwrap_or(&default), student, lang, key.as_ref())?;
        let reveal =
            grade::Reveal { answers: show_answers, explanation: key.is_some() || past_deadline(&g.meta, key.as_ref()) };
        print!("{}", g.report.render(lang, reveal));
        if g.report.full() { Ok(()) } else { Err(String::new()) }
    }

    fn csv_field(s: &str) -> String {
        if s.contains([',', '"', '\n']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
    }

    /// One student's grade, as `lvsim exercise grade` lists it.
    #[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    pub struct GradeRow {
        pub student: String,
        pub score: String,
        /// The exercise's maximum, also when the submission could not be graded.
        pub max: f64,
        pub percent: f64,
        pub full: bool,
        /// The items not passed (or the first line of the error that stopped grading),
        /// `; `-separated.
        pub failed: String,
        /// What the teacher should look at (`; `-separated): another name on the sheet,
        /// a sheet identical to another student's, a start without `--student`, a variant
        /// or deadline that is not the course key's.
        #[serde(default)]
        pub flags: String,
        /// The whole error message when the submission could not be graded.
        #[serde(default)]
        pub error: String,
        /// A hash of the answers (or the fixed scenario) trimmed, 0 for a blank sheet:
        /// equal hashes are identical submissions (not printed).
        #[serde(default)]
        pub handed_in: u64,
    }

    /// Flags identical submissions (same answers byte for byte after trimming, blank
    /// sheets aside). A group whose members all have full marks in their own variants is
    /// left alone: there the variants' answers happen to coincide, which is no sign of
    /// copying.
    pub fn flag_copies(rows: &mut [GradeRow], lang: Lang) {
        let mut same: std::collections::BTreeMap<u64, Vec<usize>> = std::collections::BTreeMap::new();
        for (i, r) in rows.iter().enumerate().filter(|(_, r)| r.handed_in != 0) {
            same.entry(r.handed_in).or_default().push(i);
        }
        for group in same.values().filter(|g| g.len() > 1) {
            if group.iter().all(|&i| rows[i].full) {
                continue;
            }
            for &i in group {
                let others: Vec<&str> = group.iter().filter(|&&j| j != i).map(|&j| rows[j].student.as_str()).collect();
                let flag = format!("{}{}", t::ui(lang, t::FLAG_SAME), others.join(t::ui(lang, (", ", "、"))));
                let r = &mut rows[i];
                r.flags = if r.flags.is_empty() { flag } else { format!("{}; {flag}", r.flags) };
            }
        }
    }

    /// The rows as CSV (`--csv`: a header, then one line per student), or as an aligned
    /// table for reading (flags and errors on indented lines under their student).
    pub fn grade_listing(rows: &[GradeRow], csv: bool) -> String {
        let mut o = String::new();
        if csv {
            o.push_str("student,score,max,percent,full,failed,flags,error\n");
            for r in rows {
                let (score, max, pct, full) = (&r.score, r.max, r.percent, r.full);
                let _ = writeln!(
                    o,
                    "{},{score},{max},{pct:.0},{full},{},{},{}",
                    csv_field(&r.student),
                    csv_field(&r.failed),
                    csv_field(&r.flags),
                    csv_field(&r.error)
                );
            }
            return o;
        }
        let w = rows.iter().map(|r| r.student.chars().count()).chain([7]).max().unwrap_or(7);
        let _ = writeln!(o, "{:<w$}  {:>9}  {:>4}  failed", "student", "score", "%");
        for r in rows {
            let score = format!("{}/{}", r.score, r.max);
            let _ = writeln!(o, "{:<w$}  {score:>9}  {:>4.0}  {}", r.student, r.percent, r.failed);
            for f in r.flags.split("; ").filter(|f| !f.is_empty()) {
                let _ = writeln!(o, "{:<w$}  ! {f}", "");
            }
        }
        o
    }

    /// The line of an error message that says what is wrong (miette puts the diagnostic
    /// code first, then `× file:line:col: ...`).
    fn headline(e: &str) -> String {
        e.lines()
            .map(|l| l.trim().trim_start_matches('×').trim().trim_start_matches("error:").trim())
            .find(|l| !l.is_empty() && l.contains(' '))
            .unwrap_or("")
            .to_string()
    }

    /// What `grade` flags about one folder, from its meta lines alone.
    fn meta_flags(
        name: &str,
        meta: &grade::Sheet,
        key: Option<&ex::key::CourseKey>,
        id: &str,
        lang: Lang,
    ) -> Vec<String> {
        let mut f = Vec::new();
        if let Some(s) = meta.student.as_deref().filter(|s| *s != name) {
            f.push(match lang {
                Lang::En => format!("the sheet says student = {s}, the folder is {name}"),
                Lang::Zh => format!("答题纸上写的是 student = {s}，文件夹却是 {name}"),
            });
        }
        if meta.variant.as_deref() == Some(grade::DEFAULT_VARIANT) {
            f.push(t::ui(lang, t::FLAG_NO_STUDENT).to_string());
        } else if let Some(k) = key {
            match meta.variant.as_deref() {
                None => f.push(t::ui(lang, t::FLAG_NO_KEY).to_string()),
                Some(v) if ex::key::parse_seed(v) != Some(k.variant_seed(id, name)) => {
                    f.push(t::ui(lang, t::FLAG_OTHER_VARIANT).to_string());
                }
                Some(_) => {}
            }
            if meta.variant.is_some() && meta.deadline.as_deref() != k.deadline.as_ref().map(|d| d.text.as_str()) {
                f.push(t::ui(lang, t::FLAG_DEADLINE).to_string());
            }
        }
        f
    }

    /// `lvsim exercise grade ID DIR [--csv]`: one row per student sub-directory. The
    /// directory name is the student's name (it decides the variant).
    pub fn grade_all(
        id: &str,
        dir: &Path,
        lang: Option<&str>,
        csv: bool,
        shard: Option<(crate::batch::shard::Shard, &Path)>,
        key: Option<&Path>,
    ) -> Result<(), String> {
        use crate::batch::shard::{Header, fnv1a};
        let lang = lang_of(lang)?;
        let key = course_key(key, lang)?;
        let src = load(id, lang)?;
        let mut subs: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| format!("cannot read {}: {e}\n", dir.display()))?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect();
        subs.sort();
        let name_of = |p: &Path| p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        // A slice is a range of the sorted class list; the hash names the exercise, the
        // language of the feedback and the whole class, so slices of another class or
        // exercise are not joined.
        let header = shard.map(|(s, _)| {
            let class: Vec<String> = subs.iter().map(|p| name_of(p)).collect();
            Header::new(fnv1a(&format!("{id}\n{lang:?}\n{}", class.join("\n"))), s, subs.len())
        });
        if let Some((s, _)) = shard {
            subs = subs.drain(s.range(subs.len())).collect();
        }
        let mut rows = Vec::new();
        for p in subs {
            let name = name_of(&p);
            let (row, flags) = match grade_path(&src, &p, Some(&name), lang, key.as_ref()) {
                Ok(g) => {
                    let r = &g.report;
                    let failed: Vec<String> = r.items.iter().filter(|i| !i.ok()).map(|i| i.label.clone()).collect();
                    let score = grade::fmt_score(r.score());
                    let row = GradeRow {
                        student: name.clone(),
                        percent: 100.0 * r.score() / r.max().max(1.0),
                        score,
                        max: r.max(),
                        full: r.full(),
                        failed: failed.join("; "),
                        flags: String::new(),
                        error: String::new(),
                        handed_in: if g.handed_in.is_empty() {
                            0
                        } else {
                            crate::sim::rng::stable_hash(&g.handed_in) | 1
                        },
                    };
                    (row, meta_flags(&name, &g.meta, key.as_ref(), id, lang))
                }
                Err(e) => {
                    let row = GradeRow {
                        student: name.clone(),
                        score: "0".into(),
                        max: grade::max_points(&src.raw) as f64,
                        percent: 0.0,
                        full: false,
                        failed: headline(&e),
                        flags: String::new(),
                        error: e.trim_end().to_string(),
                        handed_in: 0,
                    };
                    (row, Vec::new())
                }
            };
            rows.push(GradeRow { flags: flags.join("; "), ..row });
        }
        // Copies are found over the whole class: by `merge` when the class is sliced.
        if shard.is_none() {
            flag_copies(&mut rows, lang);
        }
        if let (Some(header), Some((s, out))) = (header, shard) {
            let slice = GradeSlice { header, exercise: id.to_string(), lang: lang.code().to_string(), rows };
            std::fs::create_dir_all(out).map_err(|e| format!("creating {}: {e}\n", out.display()))?;
            let f = out.join(format!("grade-{}-of-{}.json", s.k, s.n));
            let json = serde_json::to_vec(&slice).map_err(|e| e.to_string())?;
            std::fs::write(&f, json).map_err(|e| format!("writing {}: {e}\n", f.display()))?;
            println!(
                "slice {}/{}: students {}..{} of {}; wrote {}",
                s.k,
                s.n,
                slice.header.first,
                slice.header.first + slice.rows.len(),
                slice.header.total,
                f.display()
            );
            return Ok(());
        }
        print!("{}", grade_listing(&rows, csv));
        Ok(())
    }

    /// A slice of a class's grades (`lvsim exercise grade ... --shard K/N --out DIR`).
    #[derive(Debug, serde::Serialize, serde::Deserialize)]
    pub struct GradeSlice {
        #[serde(flatten)]
        pub header: crate::batch::shard::Header,
        pub exercise: String,
        /// The language of the feedback (`en`, `zh`), for the flags `merge` adds.
        #[serde(default)]
        pub lang: String,
        pub rows: Vec<GradeRow>,
    }

    /// `lvsim exercise merge SLICES... [--csv]`: the listing `grade` prints for the whole
    /// class, from its slices (checked as sweep slices are: one class, one version, every
    /// slice once).
    pub fn grade_merge(paths: &[PathBuf], csv: bool) -> Result<(), String> {
        use crate::batch::shard;
        let files = shard::slice_files(paths, "grade").map_err(|e| e + "\n")?;
        let slices: Vec<(PathBuf, GradeSlice)> = files
            .into_iter()
            .map(|f| shard::read_slice(&f).map(|s| (f, s)))
            .collect::<Result<_, _>>()
            .map_err(|e| e + "\n")?;
        let view: Vec<(&Path, &shard::Header, usize)> =
            slices.iter().map(|(f, s)| (f.as_path(), &s.header, s.rows.len())).collect();
        let order = shard::check(&view).map_err(|e| e + "\n")?;
        let mut rows: Vec<GradeRow> = order.iter().flat_map(|&i| slices[i].1.rows.iter().cloned()).collect();
        let lang = slices.first().and_then(|(_, s)| Lang::parse(&s.lang)).unwrap_or_default();
        flag_copies(&mut rows, lang);
        print!("{}", grade_listing(&rows, csv));
        Ok(())
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        // The same two students in both forms: the CSV carries each field between commas
        // (a name with a comma quoted, RFC 4180), the table the same values in columns.
        // 3 of 4 points is 75 % (hand computed), printed without decimals in both.
        #[test]
        fn grade_listing_csv_and_table() {
            let rows = [
                GradeRow {
                    student: "ann".into(),
                    score: "4".into(),
                    max: 4.0,
                    percent: 100.0,
                    full: true,
                    failed: String::new(),
                    flags: String::new(),
                    error: String::new(),
                    handed_in: 0,
                },
                GradeRow {
                    student: "li, bo".into(),
                    score: "3".into(),
                    max: 4.0,
                    percent: 75.0,
                    full: false,
                    failed: "rs2 weight".into(),
                    flags: "identical to the submission of ann".into(),
                    error: String::new(),
                    handed_in: 0,
                },
            ];
            let csv = grade_listing(&rows, true);
            let lines: Vec<&str> = csv.lines().collect();
            assert_eq!(
                lines,
                [
                    "student,score,max,percent,full,failed,flags,error",
                    "ann,4,4,100,true,,,",
                    "\"li, bo\",3,4,75,false,rs2 weight,identical to the submission of ann,"
                ]
            );
            let table = grade_listing(&rows, false);
            let cols: Vec<Vec<&str>> = table
                .lines()
                .skip(1)
                .filter(|l| !l.trim_start().starts_with('!'))
                .map(|l| l.split("  ").filter(|c| !c.trim().is_empty()).map(str::trim).collect())
                .collect();
            assert_eq!(cols, [vec!["ann", "4/4", "100"], vec!["li, bo", "3/4", "75", "rs2 weight"]]);
            // The flag is its own line under its student.
            assert_eq!(table.lines().last().map(str::trim), Some("! identical to the submission of ann"));
        }
    }
}

/// The most time-series bins `lvsim run --bin` keeps (a 1 ns bin over 1 s would be 10⁹
/// rows of every CSV, 2 GB of counters).
pub const MAX_BINS: u64 = 100_000;

/// `lvsim run SCENARIO --out DIR`: runs to the end with tracing off; writes summary.json,
/// CSV tables and charts into `out` (and `report.html` with `report`); prints a short table.
pub fn run(
    name: &str,
    out: &Path,
    seed: Option<u64>,
    bin: Option<&str>,
    report: bool,
    lang: Lang,
) -> Result<(), String> {
    let l = load_in(name, lang)?;
    let bin = match bin {
        Some(b) => {
            Some(crate::sim::SimDuration::parse(b).ok().filter(|d| d.as_nanos() > 0).ok_or_else(|| match lang {
                Lang::En => format!("--bin: expected a duration like \"100ms\", found \"{b}\"\n"),
                Lang::Zh => format!("--bin：应为时长（如 \"100ms\"），实际为 \"{b}\"\n"),
            })?)
        }
        None => None,
    };
    if let (Some(b), Ok(d)) = (bin, crate::sim::SimDuration::parse(&l.scenario.duration)) {
        let bins = d.as_nanos().div_ceil(b.as_nanos());
        if bins > MAX_BINS {
            let (b, run) = (bin.map(|b| b.to_string()).unwrap_or_default(), &l.scenario.duration);
            let shortest = crate::sim::SimDuration::from_nanos(d.as_nanos().div_ceil(MAX_BINS));
            return Err(match lang {
                Lang::En => format!(
                    "--bin: {b} gives {bins} bins over the {run} run; at most {MAX_BINS} are kept (each is a row of every CSV)\n  help: use --bin {shortest} or longer\n",
                ),
                Lang::Zh => format!(
                    "--bin：{b} 会在 {run} 的运行中产生 {bins} 个区间；最多保留 {MAX_BINS} 个（每个区间是每个 CSV 的一行）\n  提示：请用 --bin {shortest} 或更长的区间\n",
                ),
            });
        }
    }
    let run = crate::batch::run_full(&l, seed.unwrap_or(l.scenario.seed), bin).map_err(|e| e.render_in(lang))?;
    let mut paths = crate::batch::write_run(&run, out, lang).map_err(|e| format!("{}\n", phrase_in(&e, lang)))?;
    if report {
        paths.push(crate::batch::report::write(&run, &l.source, out, lang).map_err(|e| format!("{e}\n"))?);
    }
    print!("{}", crate::batch::output::table(&run, lang));
    match lang {
        Lang::En => println!("  wrote {} files in {}", paths.len(), out.display()),
        Lang::Zh => println!("  已在 {} 中写出 {} 个文件", out.display(), paths.len()),
    }
    Ok(())
}

/// `lvsim diff RUN_A RUN_B`: two runs' summaries side by side.
pub fn diff_runs(a: &Path, b: &Path, lang: Lang) -> Result<(), String> {
    use crate::batch::diff;
    let load = |p: &Path| diff::load(p).map_err(|e| phrase_in(&e, lang).into_owned());
    let (sa, sb) = (load(a)?, load(b)?);
    print!("{}", diff::render(&sa, &sb, &a.display().to_string(), &b.display().to_string(), lang));
    Ok(())
}

/// `lvsim sweep SWEEP --out DIR`: runs every point on `threads` threads (0: all cores)
/// with a progress bar on stderr (only on a terminal); writes points.csv and charts.
pub fn sweep(
    name: &str,
    out: &Path,
    threads: usize,
    shard: Option<crate::batch::shard::Shard>,
    lang: Lang,
) -> Result<(), String> {
    use std::io::IsTerminal;
    if let Some(shard) = shard {
        let part = crate::batch::shard::run(name, shard, threads, &|| {})?;
        let file = crate::batch::shard::write(&part, out)?;
        println!(
            "slice {}/{}: points {}..{} of {}; wrote {}",
            shard.k,
            shard.n,
            part.header.first,
            part.header.first + part.results.len(),
            part.header.total,
            file.display()
        );
        return Ok(());
    }
    let sw = crate::batch::sweep::load(name).map_err(|e| e.render_in(lang))?;
    let n = sw.points.len() as u64;
    let bar =
        if io::stderr().is_terminal() { indicatif::ProgressBar::new(n) } else { indicatif::ProgressBar::hidden() };
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} points, {elapsed} (eta {eta})")
            .map_err(|e| e.to_string())?
            .progress_chars("=> "),
    );
    bar.set_message(sw.name.clone());
    let t0 = std::time::Instant::now();
    let results = crate::batch::sweep::run_with(&sw, threads, &|| bar.inc(1)).map_err(|e| e.render_in(lang))?;
    bar.finish_and_clear();
    let wall = t0.elapsed().as_secs_f64();
    let how = format!("{} points in {wall:.1} s", results.len());
    sweep_report(&sw, &results, out, &how, lang)
}

/// `lvsim sweep merge SLICES... --out DIR`: the unsharded sweep's files from its slices.
pub fn sweep_merge(slices: &[PathBuf], out: &Path, lang: Lang) -> Result<(), String> {
    let (sw, results) = crate::batch::shard::merge(slices).map_err(|e| e + "\n")?;
    let how = format!("{} points merged from {} slice paths", results.len(), slices.len());
    sweep_report(&sw, &results, out, &how, lang)
}

/// Writes a finished sweep's files and prints its table.
fn sweep_report(
    sw: &crate::batch::sweep::Sweep,
    results: &[crate::batch::sweep::PointResult],
    out: &Path,
    how: &str,
    lang: Lang,
) -> Result<(), String> {
    let paths = crate::batch::sweep::write(sw, results, out, lang).map_err(|e| format!("{}\n", phrase_in(&e, lang)))?;
    let mut stdout = io::stdout().lock();
    let _ = writeln!(stdout, "{} — {}: {how}", sw.name, sw.spec.about);
    let names: Vec<&str> = sw.spec.vary.iter().map(crate::batch::sweep::Param::name).collect();
    let _ = writeln!(
        stdout,
        "  {:<24} {:>5} {:>10} {:>11} {:>9} {:>8} {:>9}",
        names.join(" "),
        "seed",
        "offered/s",
        "completed/s",
        "p99 ms",
        "dir cpu",
        "max/mean"
    );
    for r in results {
        let params: Vec<&str> = r.params.iter().map(|(_, v)| v.as_str()).collect();
        let c = &r.summary.clients;
        let _ = writeln!(
            stdout,
            "  {:<24} {:>5} {:>10.0} {:>11.0} {:>9} {:>8} {:>9}",
            params.join(" "),
            r.seed,
            c.offered_per_s,
            c.throughput_per_s,
            c.latency_ms.p99.map_or_else(|| "-".to_string(), |p| format!("{p:.2}")),
            r.director_cpu.map_or_else(|| "-".to_string(), |u| format!("{:.1}%", u * 100.0)),
            r.summary.fairness.max_over_mean.map_or_else(|| "-".to_string(), |m| format!("{m:.2}"))
        );
    }
    let _ = writeln!(stdout, "  wrote {} files in {}", paths.len(), out.display());
    Ok(())
}

/// `lvsim bench --conns N`: the connection table's memory.
pub fn bench_conns(n: u64, json: bool) -> Result<(), String> {
    let r = crate::bench::conns(n)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&r).map_err(|e| e.to_string())?);
    } else {
        println!(
            "{} live director connections: peak RSS {} MiB, {} bytes per connection",
            r.live,
            r.peak_rss_kib.map_or_else(|| "-".into(), |k| (k / 1024).to_string()),
            r.bytes_per_conn.map_or_else(|| "-".into(), |b| format!("{b:.0}"))
        );
    }
    Ok(())
}

/// `lvsim bench --sweep SECS`: the 8-point bottleneck sweep with 1 thread, then with
/// every core; wall times, speed-up, and whether both gave the same points.
pub fn bench_sweep(secs: u64, json: bool) -> Result<(), String> {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let threads: Vec<usize> = if cores > 1 { vec![1, cores] } else { vec![1] };
    let r = crate::bench::run_sweep(secs, &threads).map_err(|e| e.render())?;
    if json {
        println!("{}", serde_json::to_string_pretty(&r).expect("report serializes"));
        return Ok(());
    }
    println!(
        "lvsim bench --sweep: bottleneck, {} points (NAT, DR × 10k-16k connections/s), {} s simulated each",
        r.points, r.simulated_secs
    );
    println!("  connections started  {:>14}", r.connections);
    for (t, w) in &r.wall_secs {
        println!("  wall time, {t} thread(s) {w:>10.1} s");
    }
    println!("  speed-up             {:>14.2}x", r.speedup);
    println!("  identical results    {:>14}", r.identical);
    match r.peak_rss_kib {
        Some(k) => println!("  peak memory (VmHWM)  {:>11.1} MiB", k as f64 / 1024.0),
        None => println!("  peak memory          unknown (no /proc/self/status)"),
    }
    Ok(())
}

/// `lvsim lab`: the scenario as a POSIX sh script for a real Linux host.
pub fn lab(name: &str, seed: Option<u64>, out: Option<&Path>) -> Result<(), String> {
    let l = load(name)?;
    let (plan, _) = crate::lab::plan(&l, seed.unwrap_or(l.scenario.seed))?;
    let script = crate::lab::script(&plan);
    let Some(dir) = out else {
        print!("{script}");
        return Ok(());
    };
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}\n", dir.display()))?;
    let path = dir.join("lab.sh");
    std::fs::write(&path, &script).map_err(|e| format!("cannot write {}: {e}\n", path.display()))?;
    let me = std::env::current_exe().map_err(|e| format!("cannot find this executable: {e}\n"))?;
    let agent = dir.join("lvsim");
    std::fs::copy(&me, &agent).map_err(|e| format!("cannot copy {} to {}: {e}\n", me.display(), agent.display()))?;
    eprintln!("wrote {} and {} (its client/server: `lvsim agent`)", path.display(), agent.display());
    eprintln!("run it as root on a Linux host or VM: sudo sh {}", path.display());
    Ok(())
}

/// How `kernel-diff` prints its rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiffOut {
    Table,
    Json,
    Markdown { zh: bool },
}

/// `lvsim kernel-diff`: each scenario on lvsim and in the kernel VM (all in one boot),
/// compared. `arp` adds the ARP matrix's 54 cases. Returns whether every aspect agrees.
pub fn kernel_diff(
    names: &[String],
    arp: bool,
    seed: Option<u64>,
    harness: Option<&Path>,
    out: DiffOut,
    keep: Option<&Path>,
    replay: Option<&Path>,
) -> Result<bool, String> {
    let harness = if replay.is_some() { None } else { Some(crate::lab::vm::harness_dir(harness)?) };
    // A name of an ARP matrix case (`arp-i1-a2-lo`) selects that case alone.
    let arp_cases = crate::lab::arp::cases();
    let mut loaded = names
        .iter()
        .map(|n| match arp_cases.iter().find(|(name, _)| name == n) {
            Some((name, src)) => scenario::parse(&format!("{name}.ron"), src).map_err(|e| e.render()),
            None => load(n),
        })
        .collect::<Result<Vec<_>, _>>()?;
    if arp {
        for (name, src) in crate::lab::arp::cases() {
            loaded.push(scenario::parse(&format!("{name}.ron"), &src).map_err(|e| e.render())?);
        }
    }
    let cases = loaded
        .iter()
        .map(|l| crate::lab::Case::new(l, seed.unwrap_or(l.scenario.seed)))
        .collect::<Result<Vec<_>, _>>()?;
    let outputs: Vec<(String, String)> = match (replay, &harness) {
        (Some(dir), _) => cases
            .iter()
            .map(|c| {
                let f = dir.join(format!("{}.kernel.txt", c.plan.name));
                std::fs::read_to_string(&f)
                    .map(|t| (c.plan.name.clone(), t))
                    .map_err(|e| format!("cannot read {}: {e}\n", f.display()))
            })
            .collect::<Result<_, _>>()?,
        (None, Some(h)) => {
            let labs: Vec<(String, String)> = cases.iter().map(|c| (c.plan.name.clone(), c.script.clone())).collect();
            let limit = crate::lab::vm::budget(cases.iter().map(|c| c.plan.duration));
            eprintln!("kernel-diff: {} lab(s) in one VM boot (limit {limit} s)", labs.len());
            let me = std::env::current_exe().map_err(|e| format!("cannot find this executable: {e}\n"))?;
            crate::lab::vm::run_many(h, &me, &labs, limit)?
        }
        (None, None) => return Err("error: no kernel harness\n".into()),
    };
    let mut rows = Vec::new();
    for c in &cases {
        let Some((_, output)) = outputs.iter().find(|(n, _)| *n == c.plan.name) else {
            return Err(format!("{}: the VM returned no output for this lab\n", c.plan.name));
        };
        if let Some(dir) = keep {
            std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}\n", dir.display()))?;
            let _ = std::fs::write(dir.join(format!("{}.lab.sh", c.plan.name)), &c.script);
            let _ = std::fs::write(dir.join(format!("{}.kernel.txt", c.plan.name)), output);
        }
        let r = c.rows(output)?;
        if out == DiffOut::Table {
            print!("{}", crate::lab::diff::table(&r));
            let _ = io::stdout().flush();
        }
        rows.extend(r);
    }
    match out {
        DiffOut::Json => println!("{}", serde_json::to_string_pretty(&rows).map_err(|e| e.to_string())?),
        DiffOut::Markdown { zh } => print!("{}", crate::lab::diff::markdown(&rows, zh)),
        DiffOut::Table => {}
    }
    Ok(rows.iter().all(crate::lab::diff::Row::agrees))
}

/// Options of `lvsim kernel-diff --sched`.
#[derive(Clone, Copy, Debug)]
pub struct SchedDiff {
    /// Scripts per scheduler.
    pub scripts: usize,
    pub seed: u64,
    pub json: bool,
}

/// `lvsim kernel-diff --sched`: random scheduler scripts on lvsim and in the kernel VM (one
/// boot per scheduler), pick lists compared. With `replay`, the scripts and the kernel's
/// picks come from `DIR/NAME.kernel.txt` (a kept output or a fixture), not the generator.
pub fn kernel_diff_sched(
    names: &[String],
    o: &SchedDiff,
    harness: Option<&Path>,
    keep: Option<&Path>,
    replay: Option<&Path>,
) -> Result<bool, String> {
    use crate::lab::sched;
    let names: Vec<String> = if names.is_empty() {
        sched::SCHEDULERS.iter().map(ToString::to_string).collect()
    } else {
        for n in names {
            if !sched::SCHEDULERS.contains(&n.as_str()) {
                return Err(format!(
                    "error: no scheduler {n:?} in Linux 6.1\n  help: one of {}\n",
                    sched::SCHEDULERS.join(", ")
                ));
            }
        }
        names.to_vec()
    };
    let harness = if replay.is_some() { None } else { Some(crate::lab::vm::harness_dir(harness)?) };
    if !o.json {
        print!("{}", sched::table_head());
    }
    let mut rows = Vec::new();
    for name in &names {
        let output = match (replay, &harness) {
            (Some(dir), _) => {
                let p = dir.join(format!("{name}.kernel.txt"));
                std::fs::read_to_string(&p).map_err(|e| format!("cannot read {}: {e}\n", p.display()))?
            }
            (None, Some(h)) => {
                let batch = sched::batch(name, o.seed, o.scripts);
                let script = sched::lab(name, o.seed, &batch);
                let started = std::time::Instant::now();
                let me = std::env::current_exe().map_err(|e| format!("cannot find this executable: {e}\n"))?;
                let output = crate::lab::vm::run(h, &me, &script, sched::timeout(batch.len()))?;
                eprintln!("{name}: {} scripts in the VM in {:.0} s", batch.len(), started.elapsed().as_secs_f64());
                if let Some(dir) = keep {
                    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}\n", dir.display()))?;
                    let _ = std::fs::write(dir.join(format!("{name}.lab.sh")), &script);
                    let _ = std::fs::write(dir.join(format!("{name}.kernel.txt")), &output);
                }
                output
            }
            (None, None) => return Err("error: no kernel harness\n".into()),
        };
        let runs = sched::parse_output(&output);
        if runs.is_empty() {
            return Err(format!("error: {name}: the kernel's output holds no script\n{output}"));
        }
        let row = sched::row(name, &sched::compare(&runs));
        if !o.json {
            print!("{}", sched::table_line(&row));
            let _ = io::stdout().flush();
        }
        rows.push(row);
    }
    if o.json {
        println!("{}", serde_json::to_string_pretty(&rows).map_err(|e| e.to_string())?);
    }
    Ok(rows.iter().all(|r| r.agree == r.scripts))
}
