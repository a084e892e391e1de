//! One language switch for the whole program: the global `--lang`, the locale variables
//! as POSIX orders them, and what each output looks like in Chinese (snapshots in both
//! languages). Expected titles come from the scenario files through the library, never
//! from the output under test.

use lvsim::lang::Lang;
use std::process::{Command, Output};

/// `lvsim ARGS` with exactly the locale variables given (the developer's are removed).
fn lvsim(env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_lvsim"));
    c.env_remove("LC_ALL").env_remove("LC_MESSAGES").env_remove("LANG").args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

fn stdout(o: &Output) -> String {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn about(name: &str, lang: Lang) -> String {
    lvsim::scenario::load(name).unwrap().scenario.about.get(lang).to_string()
}

// `lvsim list` prints each scenario's title in the language chosen: by the locale when
// there is no --lang (LC_ALL before LC_MESSAGES before LANG), by --lang over any locale,
// placed before or after the subcommand. Each case's variables disagree, so the title
// printed shows which one was obeyed.
#[test]
fn list_follows_lang_then_locale() {
    type Env<'a> = &'a [(&'a str, &'a str)];
    let (en, zh) = (about("dr", Lang::En), about("dr", Lang::Zh));
    assert_ne!(en, zh);
    let cases: &[(Env, &[&str], &str)] = &[
        (&[], &["list"], &en),
        (&[("LANG", "zh_CN.UTF-8")], &["list"], &zh),
        (&[("LC_ALL", "C"), ("LANG", "zh_CN.UTF-8")], &["list"], &en),
        (&[("LC_MESSAGES", "zh_TW.UTF-8"), ("LANG", "en_US.UTF-8")], &["list"], &zh),
        (&[("LC_ALL", "zh_CN.UTF-8")], &["list", "--lang", "en"], &en),
        (&[], &["--lang", "zh", "list"], &zh),
    ];
    for (env, args, want) in cases {
        let out = stdout(&lvsim(env, args));
        let line = out.lines().find(|l| l.starts_with("dr ")).unwrap();
        assert!(line.ends_with(want), "{env:?} {args:?}: {line}");
    }
}

// Every subcommand takes --lang, as a whole program switch: `X --lang zh --help` is
// accepted for each one lvsim lists in its own help, and the help is then the Chinese
// help (the table's about of X appears in it).
#[test]
fn every_subcommand_accepts_lang() {
    for (path, _, zh) in lvsim::cli::help::ZH.iter().filter(|(p, a, _)| !p.is_empty() && a.is_empty()) {
        let mut args: Vec<&str> = path.split(' ').collect();
        args.extend(["--lang", "zh", "--help"]);
        let out = stdout(&lvsim(&[], &args));
        assert!(out.contains(zh), "{path}: {out}");
    }
}

// `check` and `verify` in Chinese: the scenario's Chinese title, not the English one.
#[test]
fn check_and_verify_print_the_chinese_title() {
    for cmd in ["check", "verify"] {
        let out = stdout(&lvsim(&[], &[cmd, "dr", "--lang", "zh"]));
        assert!(out.contains(&about("dr", Lang::Zh)) && !out.contains(&about("dr", Lang::En)), "{out}");
        insta::assert_snapshot!(format!("{cmd}_zh"), out);
    }
}

// A located error in Chinese keeps the place (file:line:col) and the found token as typed,
// and says the expected phrase and the hint in Chinese: each rendering contains its own
// language's version of the error's fields (the Chinese ones are the table's entries for
// them), the Chinese one none of the English phrases.
#[test]
fn errors_keep_their_fields_in_chinese() {
    use lvsim::lang::zh::{knows, phrase};
    let src = "Scenario(about: \"x\", duration: \"1s\", segments: [], hosts: [], durration: 3)";
    let e = lvsim::scenario::parse("bad.ron", src).unwrap_err();
    let lvsim::scenario::ScenarioError::At { line, col, expected, found, help, .. } = &e else { panic!("{e:?}") };
    let help = help.as_deref().unwrap();
    let (en, zh) = (e.render_in(Lang::En), e.render_in(Lang::Zh));
    assert!(knows(expected) && knows(help), "{expected:?} {help:?}");
    for (r, exp, hint) in
        [(&en, expected.clone(), help.to_string()), (&zh, phrase(expected).into(), phrase(help).into())]
    {
        let flat = r.replace('\n', " ").replace(" │ ", "");
        assert!(r.contains(&format!("bad.ron:{line}:{col}")) && r.contains(found.as_str()), "{r}");
        assert!(flat.contains(&exp.chars().take(12).collect::<String>()) && flat.contains(&hint), "{r}");
    }
    assert!(!zh.contains(help) && !zh.contains(&expected[..12]), "{zh}");
    insta::assert_snapshot!("error_zh", zh);
}

// The printed summary of `lvsim run` and the `sched compare` table in both languages; in
// Chinese a drop is named by its reason's Chinese words, which come from `DropReason`.
#[test]
fn run_and_sched_tables_in_both_languages() {
    let l = lvsim::scenario::load("tun-rp-filter").unwrap();
    let run = lvsim::batch::run_full(&l, l.scenario.seed, None).unwrap();
    let w = lvsim::ipvs::compare::Workload {
        weights: vec![3, 2, 1],
        clients: 50,
        connections: 1000,
        length: 10,
        sched_flags: vec![],
    };
    let rows = lvsim::ipvs::compare::compare(&w, &[lvsim::ipvs::Sched::Rr, lvsim::ipvs::Sched::Wlc]).unwrap();
    for lang in [Lang::En, Lang::Zh] {
        let t = lvsim::batch::output::table(&run, lang);
        let rp = lvsim::why::DropReason::RpFilter;
        assert!(t.contains(if lang == Lang::Zh { rp.words(lang) } else { rp.key() }), "{t}");
        insta::assert_snapshot!(format!("run_{}", lang.code()), t);
        insta::assert_snapshot!(format!("sched_compare_{}", lang.code()), lvsim::ipvs::compare::table(&w, &rows, lang));
    }
}

// The trace's column header lines up in both languages: the `|` before the reasons sits
// at the same terminal column (Chinese characters take two), where the step lines put it.
#[test]
fn trace_header_columns_line_up() {
    let bar = |s: &str| lvsim::lang::width(&s[..s.find(" | ").unwrap()]);
    let en = lvsim::trace::text::header_in(Lang::En);
    let zh = lvsim::trace::text::header_in(Lang::Zh);
    assert_ne!(en, zh);
    assert_eq!(bar(&en), bar(&zh));
    let out = stdout(&lvsim(&[], &["trace", "dr", "--lang", "zh"]));
    let step = out.lines().nth(3).unwrap();
    assert_eq!(bar(step), bar(&zh), "{step}");
}

// Every embedded sweep has its own Chinese title too (the `zh` half itself, with Chinese
// characters in it), as `lvsim list` prints the sweeps after the scenarios.
#[test]
fn embedded_sweeps_have_chinese_titles() {
    for (name, _) in lvsim::batch::sweep::EMBEDDED {
        let about = lvsim::batch::sweep::load(name).unwrap().spec.about;
        let zh = about.zh.as_deref().unwrap_or_else(|| panic!("{name}: no zh title"));
        assert!(zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "{name}: {zh}");
    }
}
