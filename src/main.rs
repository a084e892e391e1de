//! The `lvsim` command line. Parsing only: every command calls into the library.

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use lvsim::cli;
use lvsim::lang::Lang;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "lvsim",
    version,
    about = "A deterministic packet-level simulator of Linux Virtual Server (LVS/IPVS), built to teach"
)]
struct Args {
    #[command(subcommand)]
    command: Option<Cmd>,
    /// Language of everything lvsim writes for people: en or zh (default: from LC_ALL,
    /// LC_MESSAGES, then LANG; zh_CN.UTF-8 and the like give zh).
    #[arg(long, global = true, value_enum, ignore_case = true)]
    lang: Option<Lang>,
}

#[derive(Subcommand)]
enum Cmd {
    /// List the embedded scenarios.
    List,
    /// Run a scenario and print every step of every packet's path, with reasons.
    Trace {
        /// An embedded scenario name (see `lvsim list`) or a path to a .ron file.
        #[arg(default_value = lvsim::scenario::DEFAULT)]
        scenario: String,
        /// One JSON object per line, with Wireshark field names.
        #[arg(long)]
        json: bool,
        /// Also write one pcap file per L2 segment into this directory.
        #[arg(long, value_name = "DIR")]
        pcap: Option<PathBuf>,
        /// Master seed (default: the scenario's).
        #[arg(long)]
        seed: Option<u64>,
        /// Print only the steps matching this filter, as in the TUI: Wireshark field names,
        /// host, hook, kind (e.g. 'ip.dst == 10.0.0.100 && hook == INPUT', 'arp', 'drop').
        #[arg(long, value_name = "EXPR")]
        filter: Option<String>,
        /// Leave out the summary the text trace ends with (served per server, drops by
        /// host and reason, ARP cache changes).
        #[arg(long)]
        no_summary: bool,
    },
    /// Step through a scenario in the terminal: the topology, every step with its frame
    /// fields and what changed since the previous hop, the hook stages, the tables at that
    /// instant; back, breakpoints, filters, run/pause. `lvsim` alone opens it on the
    /// default scenario when standard output is a terminal.
    Tui {
        /// An embedded scenario name (see `lvsim list`) or a path to a .ron file.
        #[arg(default_value = lvsim::scenario::DEFAULT)]
        scenario: String,
        /// Master seed (default: the scenario's).
        #[arg(long)]
        seed: Option<u64>,
        /// Open this exercise's scenario instead (see `lvsim exercise list`).
        #[arg(long, value_name = "ID")]
        exercise: Option<String>,
        /// With --exercise: the student whose variant to open.
        #[arg(long, value_name = "NAME", requires = "exercise")]
        student: Option<String>,
    },
    /// Coursework exercises graded by the simulator: list, show, start, check, grade.
    Exercise {
        #[command(subcommand)]
        cmd: ExerciseCmd,
    },
    /// Validate scenario files: clear errors and exit status 1 when one is wrong; warnings
    /// (with a hint) for set-ups that are legal but cannot work as meant.
    Check {
        /// Scenarios to check: embedded names or .ron paths.
        #[arg(required = true)]
        files: Vec<String>,
        /// Warnings fail the check too (exit status 1).
        #[arg(long)]
        deny_warnings: bool,
    },
    /// Run scenarios and check their `expect:` list: what a student should observe.
    Verify {
        /// Scenarios to verify: embedded names or .ron paths.
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        scenarios: Vec<String>,
        /// Verify every embedded scenario: one summary line each; exit status 1 if any fails.
        #[arg(long)]
        all: bool,
    },
    /// Turn a real configuration into a scenario that runs: the director, the real servers,
    /// a router and clients, with what was inferred stated in comments at the top.
    Import {
        #[command(subcommand)]
        what: ImportCmd,
    },
    /// Run a scenario and print the director's ipvsadm listings: `-Ln` and `-Lnc` by
    /// default, or the listing asked for after `--` (`-- -Ln --stats`, `-- -S -n`).
    Ipvsadm {
        /// An embedded scenario name (see `lvsim list`) or a path to a .ron file.
        #[arg(default_value = lvsim::scenario::DEFAULT)]
        scenario: String,
        /// Stop at this simulated time (e.g. "150ms") instead of the end.
        #[arg(long)]
        at: Option<String>,
        /// Master seed (default: the scenario's).
        #[arg(long)]
        seed: Option<u64>,
        /// The director to list, when several hosts run IPVS.
        #[arg(long, value_name = "NAME")]
        host: Option<String>,
        /// ipvsadm's arguments: -L/-l/--list or -S/--save, then -n, -c, -t|-u VIP:PORT, --stats,
        /// --rate, --thresholds, --persistent-conn, --tun-info, --timeout, --exact, --nosort.
        #[arg(last = true, value_name = "IPVSADM ARGS")]
        args: Vec<String>,
    },
    /// Run a scenario and print one host's `ip addr`, `ip link`, `ip route` or `ip neigh`.
    Ip {
        /// An embedded scenario name or a path to a .ron file.
        scenario: String,
        /// The host whose state to print.
        host: String,
        /// Stop at this simulated time (e.g. "150ms") instead of the end.
        #[arg(long)]
        at: Option<String>,
        /// Master seed (default: the scenario's).
        #[arg(long)]
        seed: Option<u64>,
        /// Print exactly what iproute2 prints: no `# HOST` column naming whose each MAC
        /// is in `ip neigh` (so the output can be diffed with the real `ip neigh`).
        #[arg(long)]
        exact: bool,
        /// iproute2's arguments: [-4] [-br] addr|link|route|neigh [show] [dev NAME].
        #[arg(last = true, required = true, value_name = "IP ARGS")]
        args: Vec<String>,
    },
    /// The scheduling layer alone: `--script CASE.json` prints the picks of a scripted
    /// case as JSON; `compare` runs one workload through several schedulers.
    Sched {
        /// The script (see docs/sched.md); `-` reads standard input.
        #[arg(long, value_name = "CASE.json")]
        script: Option<String>,
        #[command(subcommand)]
        cmd: Option<SchedCmd>,
    },
    /// Run a scenario to its end with tracing off; write summary.json, CSV time series
    /// and per-server/per-host tables, and charts (PNG and SVG) into DIR.
    Run {
        /// An embedded scenario name (see `lvsim list`) or a path to a .ron file.
        scenario: String,
        /// Output directory (created if missing).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Master seed (default: the scenario's).
        #[arg(long)]
        seed: Option<u64>,
        /// Time-series bin (default: about a hundredth of the run, rounded to 1, 2 or 5
        /// × 10^k, e.g. "100ms").
        #[arg(long)]
        bin: Option<String>,
        /// Also write DIR/report.html: one self-contained page (charts, tables, the
        /// scenario file) to open in a browser or hand out.
        #[arg(long)]
        report: bool,
    },
    /// Compare two runs' summaries side by side (clients, latency percentiles, served per
    /// real server, drops by reason) with B − A.
    Diff {
        /// A `lvsim run --out` directory, or its summary.json.
        run_a: PathBuf,
        /// The other run, the same way.
        run_b: PathBuf,
    },
    /// Run a parameter sweep (an embedded sweep name or a sweep .ron file) on all cores;
    /// write points.csv and charts across points into DIR.
    #[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
    Sweep {
        #[command(subcommand)]
        action: Option<SweepCmd>,
        /// An embedded sweep name (see `lvsim list`) or a path to a sweep .ron file.
        #[arg(required = true)]
        sweep: Option<String>,
        /// Output directory (created if missing).
        #[arg(long, value_name = "DIR", required = true)]
        out: Option<PathBuf>,
        /// Worker threads (default 0: all cores). Results do not depend on it.
        #[arg(long, default_value_t = 0)]
        threads: usize,
        /// Run only slice K of N (points total·(K−1)/N up to total·K/N) and write
        /// DIR/shard-K-of-N.json for `lvsim sweep merge` (see docs/scale-out.md).
        #[arg(long, value_name = "K/N")]
        shard: Option<lvsim::batch::shard::Shard>,
    },
    /// Write the scenario as a POSIX sh script that builds it on a real Linux host
    /// (namespaces, bridges, veths with the scenario's MACs, the run: commands as written,
    /// lvsim's connections replayed, the at: commands at their offsets, captures and tables).
    Lab {
        /// An embedded scenario name (see `lvsim list`) or a path to a .ron file.
        scenario: String,
        /// Write DIR/lab.sh and a copy of this binary (the lab's client and server) instead of
        /// printing the script.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Master seed (default: the scenario's).
        #[arg(long)]
        seed: Option<u64>,
    },
    /// Run scenarios on lvsim and as labs on the real kernel (kernel/run.sh: Linux 6.1 under
    /// QEMU), and compare frames per segment, who served each connection, ARP caches,
    /// routes and the ipvsadm tables. Exit status 1 when an aspect differs.
    ///
    /// With --sched: random scheduler scripts instead (connects, closes, weight and threshold
    /// edits, server additions and deletions, persistence, sh/mh flags), each run by
    /// `lvsim sched --script` and as real connections in the VM (one boot per scheduler);
    /// the pick lists are compared. NAMES are schedulers (default: all 13 of Linux 6.1).
    KernelDiff {
        /// Embedded scenario names or .ron paths; with --sched, scheduler names.
        #[arg(required_unless_present_any = ["arp", "all", "sched"], value_name = "SCENARIOS|NAMES")]
        scenarios: Vec<String>,
        /// Every embedded scenario the suite runs (load scenarios with more than 50
        /// connections are listed as skipped, with the reason).
        #[arg(long)]
        all: bool,
        /// Also the ARP matrix: arp_ignore 0-8 x arp_announce 0-2 x VIP on lo or eth0.
        #[arg(long)]
        arp: bool,
        /// Compare schedulers' picks instead of scenarios.
        #[arg(long, conflicts_with_all = ["all", "arp", "markdown"])]
        sched: bool,
        /// With --sched: scripts per scheduler.
        #[arg(long, default_value_t = 20, requires = "sched")]
        scripts: usize,
        /// The scenario's seed; with --sched, the scripts' seed (default 1).
        #[arg(long)]
        seed: Option<u64>,
        /// The harness directory (default: ./kernel).
        #[arg(long, value_name = "DIR")]
        harness: Option<PathBuf>,
        /// Print the rows as JSON.
        #[arg(long, conflicts_with = "markdown")]
        json: bool,
        /// Print the agreement table of docs/real-lab.md (en) or docs/real-lab.zh.md (zh).
        #[arg(long, value_name = "LANG", value_parser = ["en", "zh"])]
        markdown: Option<String>,
        /// Keep each lab script and the kernel's raw output in DIR (as NAME.lab.sh and
        /// NAME.kernel.txt; NAME is the scheduler with --sched).
        #[arg(long, value_name = "DIR")]
        keep: Option<PathBuf>,
        /// Compare with kernel outputs kept earlier (DIR/NAME.kernel.txt) instead of
        /// booting the VM.
        #[arg(long, value_name = "DIR", conflicts_with_all = ["harness", "keep"])]
        replay: Option<PathBuf>,
    },
    /// The lab's own client and server (run by scripts from `lvsim lab`, on real Linux).
    Agent {
        #[command(subcommand)]
        cmd: AgentCmd,
    },
    /// The packets-per-second benchmark (tracing off).
    Bench {
        /// Requests in all (the reference figure uses 1,000,000).
        #[arg(long, default_value_t = 1_000_000)]
        requests: u64,
        /// Repeat the run this many times and report the median (wall time varies on a
        /// shared machine; the simulation does not).
        #[arg(long, default_value_t = 3)]
        runs: usize,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        /// Measure the TUI instead: opening a scenario, and keys on a 100,000-event trace.
        #[arg(long, conflicts_with = "sweep")]
        tui: bool,
        /// Instead: the sweep bench, 8 bottleneck points of SECS simulated seconds each
        /// (60 for the reference figure), with 1 thread and then all cores.
        #[arg(long, value_name = "SECS")]
        sweep: Option<u64>,
        /// Instead: memory of the director's connection table with N live entries (the
        /// reference figure uses 1,000,000): peak RSS and bytes per connection.
        #[arg(long, value_name = "N", conflicts_with_all = ["sweep", "tui"])]
        conns: Option<u64>,
    },
}

#[derive(Subcommand)]
enum SweepCmd {
    /// Join the slices written by `lvsim sweep SPEC --shard K/N` (directories or
    /// shard-K-of-N.json files) into the files the unsharded sweep writes, byte for byte.
    /// Refuses slices of different sweeps or lvsim versions, and missing or repeated slices.
    Merge {
        /// The slices: directories or shard-K-of-N.json files.
        #[arg(required = true, value_name = "DIR")]
        slices: Vec<PathBuf>,
        /// Output directory (created if missing).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum AgentCmd {
    /// Answer requests: TCP on each --tcp port (any address), UDP on each --udp address.
    Serve {
        /// The name put at the start of every response (the serving host).
        #[arg(long)]
        name: String,
        /// A TCP port to listen on (repeatable).
        #[arg(long, value_name = "PORT")]
        tcp: Vec<u16>,
        /// A UDP address and port to listen on (repeatable).
        #[arg(long, value_name = "ADDR:PORT")]
        udp: Vec<std::net::SocketAddrV4>,
        /// Response size in bytes.
        #[arg(long, default_value_t = 1000)]
        response: u16,
    },
    /// Start the planned connections (or UDP requests) and log who served each.
    Client {
        /// The lab's time 0, in seconds since the epoch (`lvsim agent now`).
        #[arg(long)]
        t0: f64,
        /// Seconds after t0 when the lab ends: connections still waiting then fail.
        #[arg(long)]
        end: f64,
        /// The protocol: tcp or udp.
        #[arg(long, value_parser = ["tcp", "udp"])]
        proto: String,
        /// The destination address and port (VIP:PORT).
        #[arg(long, value_name = "ADDR:PORT")]
        to: std::net::SocketAddrV4,
        /// Request size in bytes.
        #[arg(long, default_value_t = 100)]
        request: u16,
        /// Response size in bytes.
        #[arg(long, default_value_t = 1000)]
        response: u16,
        /// Requests per TCP connection.
        #[arg(long, default_value_t = 1)]
        requests: u32,
        /// T:PORT,... (seconds after t0, source port).
        #[arg(long)]
        plan: String,
    },
    /// Drive one `lvsim sched --script` case on this kernel: real TCP connections from the
    /// script's addresses and ports, ipvsadm in the director's namespace; prints the picks
    /// read from ipvsadm -Lnc as `lvsim sched --script` prints them.
    Sched {
        /// The script (a `lvsim sched --script` case).
        #[arg(long, value_name = "FILE")]
        script: PathBuf,
        /// The director's network namespace (default: this one).
        #[arg(long, value_name = "NS")]
        director: Option<String>,
    },
    /// Sleep until t0 + AT seconds.
    Wait {
        /// The lab's time 0, in seconds since the epoch.
        #[arg(long)]
        t0: f64,
        /// Seconds after t0.
        #[arg(long)]
        at: f64,
    },
    /// Print the time now (+ PLUS seconds), in seconds since the epoch.
    Now {
        /// Seconds to add.
        #[arg(long, default_value_t = 0.0)]
        plus: f64,
    },
}

#[derive(Subcommand)]
enum ImportCmd {
    /// A keepalived.conf: embedded in the director as `keepalived: Text(...)`.
    Keepalived {
        /// The keepalived.conf to read.
        file: PathBuf,
        /// Write the scenario to this file instead of standard output.
        #[arg(long, value_name = "SCENARIO.ron")]
        out: Option<PathBuf>,
    },
    /// `ipvsadm -S -n` output (ipvsadm-save -n): its lines become the director's `run:`.
    IpvsadmSave {
        /// The saved rules to read.
        file: PathBuf,
        /// Write the scenario to this file instead of standard output.
        #[arg(long, value_name = "SCENARIO.ron")]
        out: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum ExerciseCmd {
    /// The exercises: id, kind, topics, title.
    List,
    /// An exercise's task and questions (for a student's variant with --student; the hint
    /// with the course key).
    Show {
        /// The exercise's id (see `lvsim exercise list`).
        id: String,
        /// The student whose variant to show.
        #[arg(long, value_name = "NAME")]
        student: Option<String>,
        /// The course key file (default: $LVSIM_COURSE_KEY).
        #[arg(long, value_name = "FILE")]
        key: Option<PathBuf>,
    },
    /// Write the starting files: answers.txt (questions as comments) or scenario.ron to fix.
    /// Files already there are kept (exit 1) unless --force.
    Start {
        /// The exercise's id (see `lvsim exercise list`).
        id: String,
        /// The student's name: it decides the variant (addresses, weights, orders).
        #[arg(long, value_name = "NAME")]
        student: Option<String>,
        /// Where to write (default: ./ID).
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
        /// Overwrite starting files already there (the work in them is lost).
        #[arg(long)]
        force: bool,
        /// The course key file (default: $LVSIM_COURSE_KEY): records the student's salted variant.
        #[arg(long, value_name = "FILE")]
        key: Option<PathBuf>,
    },
    /// Grade an answer: a directory written by `start`, an answers.txt or a scenario .ron.
    /// Exit status 0 only when fully correct.
    Check {
        /// The exercise's id (default: the exercise named by exercise.txt or answers.txt in the current folder).
        id: Option<String>,
        /// Default: ./ID (the current folder when ID is not given).
        path: Option<PathBuf>,
        /// Grade this student's variant (default: the name written by `start`).
        #[arg(long, value_name = "NAME")]
        student: Option<String>,
        /// Also print the expected answers (needs the course key).
        #[arg(long)]
        show_answers: bool,
        /// The course key file (default: $LVSIM_COURSE_KEY): the teacher's view.
        #[arg(long, value_name = "FILE")]
        key: Option<PathBuf>,
    },
    /// Grade every student's sub-directory of SUBMISSIONS (named after the student): one CSV row each.
    Grade {
        /// The exercise's id (see `lvsim exercise list`).
        id: String,
        /// The class's directory: one sub-directory per student.
        submissions: PathBuf,
        /// CSV output (one row per student, for a spreadsheet); without it, a table to read.
        #[arg(long)]
        csv: bool,
        /// Grade only slice K of N of the class (sorted by name) and write
        /// DIR/grade-K-of-N.json for `lvsim exercise merge` (see docs/scale-out.md).
        #[arg(long, value_name = "K/N", requires = "out")]
        shard: Option<lvsim::batch::shard::Shard>,
        /// Where a slice is written (with --shard).
        #[arg(long, value_name = "DIR", requires = "shard")]
        out: Option<PathBuf>,
        /// The course key file (default: $LVSIM_COURSE_KEY): grades the salted variants.
        #[arg(long, value_name = "FILE")]
        key: Option<PathBuf>,
    },
    /// The teacher's course key: `key new` writes one.
    Key {
        #[command(subcommand)]
        cmd: KeyCmd,
    },
    /// Join the slices written by `lvsim exercise grade ... --shard K/N --out DIR` into the
    /// listing `grade` prints for the whole class; refuses slices of another class,
    /// exercise or lvsim version, and missing or repeated slices.
    Merge {
        /// The slices: directories or grade-K-of-N.json files.
        #[arg(required = true, value_name = "DIR")]
        slices: Vec<PathBuf>,
        /// CSV output.
        #[arg(long)]
        csv: bool,
    },
}

#[derive(Subcommand)]
enum KeyCmd {
    /// Write a new random course key (256 bits from the OS); never overwrites a file.
    New {
        /// The key file to create (default: print it).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum SchedCmd {
    /// One workload through several schedulers: spread, shares, Jain's index.
    Compare {
        /// Server weights, in `ipvsadm -a` order.
        #[arg(long, value_delimiter = ',', default_values_t = [3u32, 2, 1])]
        weights: Vec<u32>,
        /// Distinct client addresses.
        #[arg(long, default_value_t = 50)]
        clients: u32,
        /// Connections in all.
        #[arg(long, default_value_t = 1000)]
        connections: u32,
        /// Each connection stays open while this many later ones arrive.
        #[arg(long, default_value_t = 10)]
        length: u32,
        /// Schedulers to compare (default: all lvsim simulates).
        #[arg(long, value_delimiter = ',')]
        schedulers: Vec<String>,
        /// Scheduler flags (sh-port, sh-fallback, mh-port, mh-fallback).
        #[arg(long, value_delimiter = ',')]
        flags: Vec<String>,
        /// Print CSV.
        #[arg(long)]
        csv: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    quiet_on_closed_stdout();
    // The locale is read here and only here; everything below is handed the language.
    let env_lang = Lang::from_locale(|k| std::env::var(k).ok());
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    // Help and clap's own messages are drawn before `--lang` is parsed: look for it first.
    let help_lang = lang_in_args(&argv).unwrap_or(env_lang);
    let matches = match lvsim::cli::help::localize(Args::command(), help_lang).try_get_matches_from(argv) {
        Ok(m) => m,
        // clap's own errors in Chinese too, when it is asked for; help and version as clap prints them.
        Err(e) => match (help_lang, lvsim::cli::help::error_zh(&e)) {
            (Lang::Zh, Some(msg)) => {
                eprint!("{msg}");
                return ExitCode::from(2);
            }
            _ => e.exit(),
        },
    };
    let args = Args::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let lang = args.lang.unwrap_or(env_lang);
    let result = match args.command {
        // The TUI needs a terminal; in pipes, tests and CI print the trace as before.
        None if std::io::stdout().is_terminal() => lvsim::tui::run(lvsim::scenario::DEFAULT, None, lang),
        None => cli::trace(lvsim::scenario::DEFAULT, false, None, None, None, lang, true),
        Some(Cmd::Tui { exercise: Some(id), student, seed, .. }) => {
            lvsim::exercise::scenario_for(&id, student.as_deref())
                .map_err(|e| e.render_in(lang))
                .and_then(|l| lvsim::tui::run_loaded(l, seed, lang))
        }
        Some(Cmd::Tui { scenario, seed, .. }) => lvsim::tui::run(&scenario, seed, lang),
        Some(Cmd::Exercise { cmd }) => {
            let lang = Some(lang.code());
            match cmd {
                ExerciseCmd::List => cli::exercise::list(lang),
                ExerciseCmd::Show { id, student, key } => {
                    cli::exercise::show(&id, student.as_deref(), lang, key.as_deref())
                }
                ExerciseCmd::Start { id, student, dir, force, key } => {
                    cli::exercise::start(&id, student.as_deref(), dir.as_deref(), lang, force, key.as_deref())
                }
                ExerciseCmd::Check { id, path, student, show_answers, key } => cli::exercise::check(
                    id.as_deref(),
                    path.as_deref(),
                    student.as_deref(),
                    lang,
                    show_answers,
                    key.as_deref(),
                ),
                ExerciseCmd::Grade { id, submissions, csv, shard, out, key } => {
                    cli::exercise::grade_all(&id, &submissions, lang, csv, shard.zip(out.as_deref()), key.as_deref())
                }
                ExerciseCmd::Key { cmd: KeyCmd::New { out } } => cli::exercise::key_new(out.as_deref()),
                ExerciseCmd::Merge { slices, csv } => cli::exercise::grade_merge(&slices, csv),
            }
        }
        Some(Cmd::Import { what: ImportCmd::Keepalived { file, out } }) => {
            cli::import::run(lvsim::import::Kind::Keepalived, &file, out.as_deref(), lang)
        }
        Some(Cmd::Import { what: ImportCmd::IpvsadmSave { file, out } }) => {
            cli::import::run(lvsim::import::Kind::IpvsadmSave, &file, out.as_deref(), lang)
        }
        Some(Cmd::List) => cli::list(lang),
        Some(Cmd::Trace { scenario, json, pcap, seed, filter, no_summary }) => {
            cli::trace(&scenario, json, pcap.as_deref(), seed, filter.as_deref(), lang, !no_summary)
        }
        Some(Cmd::Check { files, deny_warnings }) => cli::check(&files, deny_warnings, lang),
        Some(Cmd::Verify { scenarios, all }) => cli::verify(&scenarios, all, lang),
        Some(Cmd::Ipvsadm { scenario, at, seed, host, args }) => {
            cli::ipvsadm(&scenario, at.as_deref(), seed, host.as_deref(), &args, lang)
        }
        Some(Cmd::Ip { scenario, host, at, seed, exact, args }) => {
            cli::ip(&scenario, &host, at.as_deref(), seed, exact, &args, lang)
        }
        Some(Cmd::Sched { script: Some(script), cmd: None }) => cli::sched_script(&script, lang),
        Some(Cmd::Sched {
            script: None,
            cmd: Some(SchedCmd::Compare { weights, clients, connections, length, schedulers, flags, csv, json }),
        }) => cli::sched_compare(
            &lvsim::ipvs::compare::Workload { weights, clients, connections, length, sched_flags: flags },
            &schedulers,
            csv,
            json,
            lang,
        ),
        Some(Cmd::Sched { .. }) => Err(lang
            .pick(
                "lvsim sched: give either --script CASE.json or the compare subcommand\n",
                "lvsim sched：请给出 --script CASE.json 或 compare 子命令（二者选一）\n",
            )
            .to_string()),
        Some(Cmd::Run { scenario, out, seed, bin, report }) => {
            cli::run(&scenario, &out, seed, bin.as_deref(), report, lang)
        }
        Some(Cmd::Diff { run_a, run_b }) => cli::diff_runs(&run_a, &run_b, lang),
        Some(Cmd::Sweep { action: Some(SweepCmd::Merge { slices, out }), .. }) => cli::sweep_merge(&slices, &out, lang),
        Some(Cmd::Sweep { sweep: Some(sweep), out: Some(out), threads, shard, .. }) => {
            cli::sweep(&sweep, &out, threads, shard, lang)
        }
        Some(Cmd::Sweep { .. }) => unreachable!("clap requires SWEEP and --out without a subcommand"),
        Some(Cmd::Lab { scenario, out, seed }) => cli::lab(&scenario, seed, out.as_deref()),
        Some(Cmd::KernelDiff { scenarios, sched: true, scripts, seed, harness, json, keep, replay, .. }) => {
            let opts = cli::SchedDiff { scripts, seed: seed.unwrap_or(1), json };
            match cli::kernel_diff_sched(&scenarios, &opts, harness.as_deref(), keep.as_deref(), replay.as_deref()) {
                Ok(true) => Ok(()),
                Ok(false) => return ExitCode::FAILURE,
                Err(e) => Err(e),
            }
        }
        Some(Cmd::KernelDiff { mut scenarios, all, arp, seed, harness, json, markdown, keep, replay, .. }) => {
            if all {
                for (name, r) in lvsim::lab::suite() {
                    match r {
                        Ok(()) => scenarios.push(name.to_string()),
                        Err(why) => eprintln!("kernel-diff: skipping {name}: {}", why.trim_end()),
                    }
                }
            }
            let out = match (json, markdown.as_deref()) {
                (true, _) => cli::DiffOut::Json,
                (false, Some(lang)) => cli::DiffOut::Markdown { zh: lang == "zh" },
                (false, None) => cli::DiffOut::Table,
            };
            match cli::kernel_diff(&scenarios, arp, seed, harness.as_deref(), out, keep.as_deref(), replay.as_deref()) {
                Ok(true) => Ok(()),
                Ok(false) => return ExitCode::FAILURE,
                Err(e) => Err(e),
            }
        }
        Some(Cmd::Agent { cmd }) => agent(cmd),
        Some(Cmd::Bench { conns: Some(n), json, .. }) => cli::bench_conns(n, json),
        Some(Cmd::Bench { tui: true, json, .. }) => cli::bench_tui(json),
        Some(Cmd::Bench { sweep: Some(secs), json, .. }) => cli::bench_sweep(secs, json),
        Some(Cmd::Bench { requests, runs, json, .. }) => cli::bench(requests, runs, json),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprint!("{e}");
            ExitCode::FAILURE
        }
    }
}

/// `lvsim run … | head`: once `head` has read its lines the pipe is closed. Rust ignores
/// SIGPIPE, so the next `println!` fails with EPIPE and std panics ("failed printing to
/// stdout: Broken pipe"); a closed standard output means the reader has all it wanted,
/// so that one panic ends the program quietly with status 0, as `head` expects. Every
/// other panic (and a full disk, which is not EPIPE) keeps the default report.
fn quiet_on_closed_stdout() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let msg = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or_default();
        // std's words (library/std/src/io/stdio.rs, `print_to`) around the io::Error of EPIPE.
        if msg.starts_with("failed printing to stdout") && msg.contains("Broken pipe") {
            std::process::exit(0);
        }
        default(info);
    }));
}

/// The value of the last `--lang X` or `--lang=X` before a bare `--` (after it come
/// ipvsadm's or ip's own arguments), if it names a language.
fn lang_in_args(argv: &[std::ffi::OsString]) -> Option<Lang> {
    let args: Vec<&str> = argv.iter().skip(1).map(|a| a.to_str().unwrap_or("")).take_while(|a| *a != "--").collect();
    let mut found = None;
    for (i, a) in args.iter().enumerate() {
        let v = match a.strip_prefix("--lang") {
            Some("") => args.get(i + 1).copied(),
            Some(v) => v.strip_prefix('='),
            None => None,
        };
        found = v.and_then(Lang::parse).or(found);
    }
    found
}

fn agent(cmd: AgentCmd) -> Result<(), String> {
    use lvsim::lab::agent;
    match cmd {
        AgentCmd::Serve { name, tcp, udp, response } => agent::serve(&name, &tcp, &udp, response),
        AgentCmd::Client { t0, end, proto, to, request, response, requests, plan } => {
            agent::client(&agent::ClientSpec {
                tcp: proto == "tcp",
                dst: to,
                request,
                response,
                requests,
                plan: agent::parse_plan(&plan).map_err(|e| format!("--plan: {e}\n"))?,
                t0,
                end,
            })
        }
        AgentCmd::Sched { script, director } => lvsim::lab::agent_sched::run(&script, director.as_deref()),
        AgentCmd::Wait { t0, at } => {
            agent::wait_until(t0, at);
            Ok(())
        }
        AgentCmd::Now { plus } => {
            let now =
                std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64());
            println!("{:.6}", now + plus);
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // `lvsim help X` and `--help` must explain every subcommand and option: walk clap's
    // tree (every subcommand at every depth, every argument of each, positional ones
    // included) and list each one without a help text. clap's own `--help`/`--version`
    // and `help` subcommand are generated with their text, so they pass.
    #[test]
    fn every_subcommand_and_argument_has_help() {
        fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
            for a in cmd.get_arguments() {
                if a.get_help().is_none() && a.get_long_help().is_none() {
                    missing.push(format!("{path} {}", a.get_id()));
                }
            }
            for sub in cmd.get_subcommands() {
                let p = format!("{path} {}", sub.get_name());
                if sub.get_about().is_none() && sub.get_long_about().is_none() {
                    missing.push(p.clone());
                }
                walk(sub, &p, missing);
            }
        }
        let mut cmd = Args::command();
        cmd.build();
        let mut missing = Vec::new();
        walk(&cmd, "lvsim", &mut missing);
        assert!(missing.is_empty(), "without help text:\n{}", missing.join("\n"));
    }

    fn all(cmd: &clap::Command, path: &str, f: &mut dyn FnMut(&str, &clap::Command)) {
        f(path, cmd);
        // clap's own `help` subcommands take no options.
        for s in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
            all(s, &format!("{path} {}", s.get_name()), f);
        }
    }

    // clap's errors in Chinese carry the error's own parts: the value as typed, the
    // parser's message as the phrase table's entry for it (not the English), clap's
    // suggestion; help is not an error and stays clap's. Checked on clap's typed error
    // and the table's entries, so a rewording of the frame does not break it.
    #[test]
    fn clap_errors_in_chinese() {
        use lvsim::cli::help::error_zh;
        use lvsim::lang::zh::phrase;
        let cmd = || lvsim::cli::help::localize(Args::command(), Lang::Zh);
        let e = cmd().try_get_matches_from(["lvsim", "run", "dr", "--out", "x", "--seed", "abc"]).unwrap_err();
        let why = std::error::Error::source(&e).unwrap().to_string();
        let zh = error_zh(&e).unwrap();
        assert!(zh.contains("'abc'") && zh.contains(phrase(&why).as_ref()) && !zh.contains(&why), "{zh}");
        let e = cmd().try_get_matches_from(["lvsim", "trase"]).unwrap_err();
        assert!(error_zh(&e).unwrap().contains("'trace'"));
        let e = cmd().try_get_matches_from(["lvsim", "--help"]).unwrap_err();
        assert_eq!(error_zh(&e), None);
    }

    // `--lang` is one global option: clap propagates it to every subcommand (so `lvsim X
    // --lang zh` parses for every X), and no subcommand defines a `lang` of its own
    // (clap would refuse two arguments with one id when it builds the tree).
    #[test]
    fn every_subcommand_takes_the_global_lang() {
        let mut cmd = Args::command();
        cmd.build();
        all(&cmd, "lvsim", &mut |path, c| {
            let langs: Vec<_> = c.get_arguments().filter(|a| a.get_long() == Some("lang")).collect();
            assert_eq!(langs.len(), 1, "{path}");
            assert!(langs[0].is_global_set(), "{path}: its own --lang");
        });
    }

    // Before and after the subcommand, spelled as a code or a word: the same language.
    #[test]
    fn lang_parses_anywhere() {
        for argv in [
            &["lvsim", "--lang", "zh", "list"][..],
            &["lvsim", "list", "--lang", "zh"],
            &["lvsim", "exercise", "show", "x", "--lang=Chinese"],
        ] {
            assert_eq!(Args::try_parse_from(argv).unwrap().lang, Some(Lang::Zh), "{argv:?}");
        }
        assert_eq!(Args::try_parse_from(["lvsim", "list"]).unwrap().lang, None);
        assert!(Args::try_parse_from(["lvsim", "list", "--lang", "fr"]).is_err());
    }

    // The look-ahead for help: the last `--lang` wins, as clap's own parse would; one
    // after `--` is ipvsadm's or ip's argument, not ours; an unknown word is ignored
    // (clap reports it).
    #[test]
    fn lang_seen_before_parsing() {
        let v = |a: &[&str]| a.iter().map(std::ffi::OsString::from).collect::<Vec<_>>();
        assert_eq!(lang_in_args(&v(&["lvsim", "--lang", "zh", "help", "run"])), Some(Lang::Zh));
        assert_eq!(lang_in_args(&v(&["lvsim", "run", "--lang=zh", "--lang", "en"])), Some(Lang::En));
        assert_eq!(lang_in_args(&v(&["lvsim", "ipvsadm", "dr", "--", "--lang", "zh"])), None);
        assert_eq!(lang_in_args(&v(&["lvsim", "run", "--lang", "fr"])), None);
    }
}

#[cfg(test)]
mod help_tests {
    use super::*;
    use lvsim::cli::help::{ZH, entries};

    // Every about and every argument of the command tree has its English (a doc comment)
    // and exactly one Chinese entry in the table, and the table has nothing else (a stale
    // entry would mean an option renamed without its Chinese). The tree is walked from
    // clap itself, so an option added later without both texts fails here.
    #[test]
    fn every_about_and_argument_has_english_and_chinese() {
        let mut all = Vec::new();
        entries(&Args::command(), "", &mut all);
        let mut missing = Vec::new();
        for (path, id, en) in &all {
            if en.as_deref().is_none_or(str::is_empty) {
                missing.push(format!("English: lvsim {path} {id}"));
            }
            let n = ZH.iter().filter(|(p, a, _)| p == path && a == id).count();
            if n != 1 {
                missing.push(format!("Chinese ({n} entries): (\"{path}\", \"{id}\", ...)"));
            }
        }
        for (p, a, _) in ZH {
            if !all.iter().any(|(path, id, _)| path == p && id == a) {
                missing.push(format!("stale Chinese entry: (\"{p}\", \"{a}\")"));
            }
        }
        assert!(missing.is_empty(), "{}", missing.join("\n"));
    }

    // In zh the rendered help of a subcommand carries the table's Chinese for its about
    // and for each of its options, and none of the English: checked on `run`, whose
    // texts are looked up in the table, not copied here.
    #[test]
    fn zh_help_shows_the_table() {
        let mut cmd = lvsim::cli::help::localize(Args::command(), Lang::Zh);
        let help = cmd.find_subcommand_mut("run").unwrap().render_help().to_string();
        for (p, _, zh) in ZH.iter().filter(|(p, _, _)| *p == "run") {
            assert!(help.contains(zh), "{p}: {zh} not in\n{help}");
        }
        let mut en = Args::command();
        let en_help = en.find_subcommand_mut("run").unwrap().render_help().to_string();
        let about = Args::command().find_subcommand("run").unwrap().get_about().unwrap().to_string();
        assert!(en_help.contains(&about) && !help.contains(&about));
    }
}
