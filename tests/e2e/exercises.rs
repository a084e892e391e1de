//! Every exercise, graded by the simulator: the reference solution scores full marks, the
//! untouched starting files do not, plausible wrong answers are caught with their
//! message, and two students get different variants that both grade correctly.

use lvsim::exercise::{self, Instance, Kind, Lang, grade};

const STUDENTS: [&str; 2] = ["alice", "bob"];

fn instances() -> Vec<(String, Instance)> {
    let mut v = Vec::new();
    for src in exercise::all().unwrap_or_else(|e| panic!("{}", e.render())) {
        for s in STUDENTS {
            let inst = src.instance(Some(s)).unwrap_or_else(|e| panic!("{}", e.render()));
            v.push((src.raw.id.clone(), inst));
        }
    }
    v
}

/// The reference answer of `inst`: the computed sheet, or the solution scenario.
fn grade_reference(inst: &Instance) -> grade::Report {
    if inst.ex.kind == Kind::Fix {
        let text = inst.solution_text.clone().expect("fix exercises have a solution");
        grade::grade_fix(inst, "solution.ron", &text, Lang::En).unwrap_or_else(|e| panic!("{}", e.render()))
    } else {
        let sheet = grade::reference_sheet(inst).unwrap_or_else(|e| panic!("{}", e.render()));
        // Through the text format, as a student would hand it in.
        let keys: Vec<&str> = inst.ex.questions.iter().map(|q| q.key.as_str()).collect();
        let parsed = grade::parse_sheet("answers.txt", &grade::sheet_text(&sheet), &keys).unwrap();
        grade::grade_sheet(inst, &parsed, Lang::En).unwrap_or_else(|e| panic!("{}", e.render()))
    }
}

#[test]
fn reference_solutions_score_full_marks() {
    // The expected answers are computed by running the variant; feeding them back (or
    // the reference fix) must pass every item, for both students' variants.
    for (id, inst) in instances() {
        let r = grade_reference(&inst);
        assert!(
            r.full(),
            "{id} ({:?}) reference not full:\n{}",
            inst.variant.student,
            r.render(Lang::En, grade::Reveal::ALL)
        );
    }
}

#[test]
fn untouched_starting_files_do_not_pass() {
    // The sheet written by `start` has no answers: zero, with "no answer" per item. The
    // broken scenario must fail at least one goal, and the message shown is the goal's
    // own text (what the student would observe), not a generic one.
    for (id, inst) in instances() {
        let files = grade::start_files(&inst, Lang::En).unwrap();
        if inst.ex.kind == Kind::Fix {
            let text = &files.iter().find(|(n, _)| n == "scenario.ron").expect("scenario.ron written").1;
            let r = grade::grade_fix(&inst, "scenario.ron", text, Lang::En).unwrap();
            assert!(!r.full(), "{id}: the broken scenario passes");
            let fix = inst.ex.fix.as_ref().unwrap();
            let fb = r.feedback();
            let shown = fix.goals.iter().any(|g| {
                let head = g.says.en.split("{got}").next().unwrap_or("").trim();
                !head.is_empty() && fb.contains(head)
            });
            assert!(shown, "{id}: no goal message in the feedback:\n{fb}");
        } else {
            let text = &files.iter().find(|(n, _)| n == "answers.txt").expect("answers.txt written").1;
            let keys: Vec<&str> = inst.ex.questions.iter().map(|q| q.key.as_str()).collect();
            let sheet = grade::parse_sheet("answers.txt", text, &keys).unwrap();
            assert_eq!(sheet.student.as_deref(), inst.variant.student.as_deref(), "{id}: the sheet names its student");
            let r = grade::grade_sheet(&inst, &sheet, Lang::En).unwrap();
            assert!(r.score() == 0.0, "{id}: empty sheet scored {}", r.score());
            assert!(r.feedback().contains("no answer"), "{id}");
        }
    }
}

#[test]
fn plausible_wrong_answers_are_caught_with_their_message() {
    // For each exercise at least one wrong answer that a student could plausibly give is
    // submitted (everything else right); the item fails and the feedback carries the
    // message written for that mistake.
    for (id, inst) in instances() {
        let mut caught = 0;
        if inst.ex.kind == Kind::Fix {
            let start = inst.scenario_text.clone().unwrap();
            for w in &inst.ex.fix.as_ref().unwrap().wrong {
                let mut text = start.clone();
                for e in &w.edits {
                    assert!(text.contains(&e.from), "{id}: wrong-fix edit {:?} does not apply", e.from);
                    text = text.replace(&e.from, &e.to);
                }
                let r = grade::grade_fix(&inst, "wrong.ron", &text, Lang::En).unwrap();
                assert!(!r.full(), "{id}: wrong fix {:?} passes", w.edits);
                assert!(r.feedback().contains(&w.says), "{id}: expected {:?} in:\n{}", w.says, r.feedback());
                caught += 1;
            }
        } else {
            let right = grade::reference_sheet(&inst).unwrap();
            for q in &inst.ex.questions {
                for m in &q.mistakes {
                    let Some(wrong) = m.answer.clone().or_else(|| {
                        let cx = exercise::answer::Ctx::new(&inst);
                        m.computed.as_ref().map(|s| exercise::answer::compute(&cx, s).unwrap().to_string())
                    }) else {
                        continue;
                    };
                    let mut sheet = right.clone();
                    let before = sheet.answers.insert(q.key.clone(), wrong.clone()).unwrap();
                    if grade::normalize(&before) == grade::normalize(&wrong)
                        || before.replace(' ', "") == wrong.replace(' ', "")
                    {
                        continue; // In this variant the "mistake" is the right answer.
                    }
                    let r = grade::grade_sheet(&inst, &sheet, Lang::En).unwrap();
                    let item = r.items.iter().find(|i| i.label.starts_with(&q.key)).unwrap();
                    if item.ok() {
                        continue; // Within tolerance of the right answer in this variant.
                    }
                    assert!(!r.full(), "{id}/{}: {wrong:?} passes", q.key);
                    assert!(
                        item.feedback.iter().any(|f| f.contains(m.says.en.trim())),
                        "{id}/{}: answer {wrong:?} did not get its message:\n{:?}",
                        q.key,
                        item.feedback
                    );
                    caught += 1;
                }
            }
        }
        assert!(caught > 0, "{id} ({:?}): no plausible wrong answer was tried", inst.variant.student);
    }
}

#[test]
fn two_students_get_different_variants() {
    // Different names change what the student sees (addresses, weights, orders in the
    // task, the scenario or the excerpt), and the same name always gives the same one.
    for src in exercise::all().unwrap() {
        let see = |s: &str| {
            let i = src.instance(Some(s)).unwrap();
            let files = grade::start_files(&i, Lang::En).unwrap();
            files.into_iter().map(|(_, t)| t.replace(s, "")).collect::<Vec<_>>().join("\n")
        };
        assert_ne!(see("alice"), see("bob"), "{}: alice and bob see the same exercise", src.raw.id);
        assert_eq!(see("carol"), see("carol"), "{}: not deterministic", src.raw.id);
    }
}

#[test]
fn every_topic_of_the_notes_has_exercises() {
    // Terms, the three modes, the ARP problem, the misconfigurations, every scheduler
    // and the measure/trace kinds all appear; every text exists in both languages.
    use lvsim::exercise::schema::Topic;
    let all = exercise::all().unwrap();
    assert!(all.len() >= 20, "{} exercises", all.len());
    for t in Topic::ALL {
        assert!(all.iter().any(|s| s.raw.topics.contains(&t)), "no exercise on {}", t.name());
    }
    for k in [Kind::Predict, Kind::Fix, Kind::Measure, Kind::TraceReading] {
        assert!(all.iter().any(|s| s.raw.kind == k), "no {} exercise", k.name());
    }
    for s in &all {
        let e = &s.raw;
        for t in [&e.title, &e.task, &e.hint, &e.explanation].into_iter().chain(e.questions.iter().map(|q| &q.text)) {
            assert!(!t.en.trim().is_empty() && !t.zh.trim().is_empty(), "{}: a text lacks a language", e.id);
            assert!(
                t.zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{}: zh text is not Chinese: {}",
                e.id,
                t.zh
            );
        }
    }
    // The fixes of the notes' ARP problem: sysctls, static neighbour, arptables.
    for id in ["fix-dr-arp-sysctl", "fix-dr-static-neigh", "fix-dr-arptables"] {
        assert!(all.iter().any(|s| s.raw.id == id), "{id}");
    }
}

#[test]
fn tui_gets_the_variant_scenario() {
    // `lvsim tui --exercise ID --student NAME` opens the student's variant: its VIP is in it.
    let inst = exercise::load("fix-dr-arp-sysctl").unwrap().instance(Some("alice")).unwrap();
    let l = exercise::scenario_for("fix-dr-arp-sysctl", Some("alice")).unwrap();
    assert!(l.source.contains(&inst.variant.vars["vip"]));
    assert!(l.build().is_ok());
}

fn render_err(origin: &str, text: &str) -> String {
    match exercise::parse(origin, text) {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.render(),
    }
}

fn terms_with(from: &str, to: &str) -> String {
    let src = exercise::EMBEDDED.iter().find(|(n, _)| *n == "terms-roles").unwrap().1;
    assert!(src.contains(from));
    src.replacen(from, to, 1)
}

#[test]
fn exercise_file_errors_point_at_the_token() {
    // Like scenario errors: file:line:col, expected/found, a hint, never a panic.
    let e = render_err("bad.ron", &terms_with("{dip}", "{dipp}"));
    assert!(e.contains("bad.ron:"), "{e}");
    insta::assert_snapshot!("exercise_unknown_placeholder", e);
    let e = render_err("bad.ron", &terms_with("explanation:", "explanaton:"));
    insta::assert_snapshot!("exercise_misspelled_field", e);
    let e = render_err("bad.ron", &terms_with("Base(\"dr\")", "Base(\"dsr\")"));
    insta::assert_snapshot!("exercise_unknown_base", e);
}

#[test]
fn answer_sheet_errors_point_at_the_line() {
    let keys = ["role1", "role2"];
    let e = grade::parse_sheet("answers.txt", "# q\nrole1 = VIP\nrole3 = DIP\n", &keys).unwrap_err().render();
    insta::assert_snapshot!("sheet_unknown_key", e);
    let e = grade::parse_sheet("answers.txt", "role1 VIP\n", &keys).unwrap_err().render();
    insta::assert_snapshot!("sheet_no_equals", e);
}

#[test]
fn cli_check_and_grade() {
    // The commands a class uses: start writes the files, check exits 1 until the answer
    // is right and 0 then, grade prints one CSV row per student directory.
    use std::process::Command;
    let bin = env!("CARGO_BIN_EXE_lvsim");
    let dir = std::env::temp_dir().join(format!("lvsim-ex-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for s in ["ann", "ben"] {
        let out = Command::new(bin)
            .env("LC_ALL", "C")
            .args(["exercise", "start", "fix-quiescent", "--student", s, "--lang", "en", "--dir"])
            .arg(dir.join(s))
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let check = |p: &std::path::Path| {
        Command::new(bin)
            .env("LC_ALL", "C")
            .args(["exercise", "check", "fix-quiescent"])
            .arg(p)
            .args(["--lang", "en"])
            .output()
            .unwrap()
    };
    let out = check(&dir.join("ann"));
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("rs2 served 0 connections"));
    // ann fixes her file: weight 0 → 2.
    let f = dir.join("ann/scenario.ron");
    let text = std::fs::read_to_string(&f).unwrap();
    std::fs::write(&f, text.replace(" -g -w 0\"", " -g -w 2\"")).unwrap();
    let out = check(&dir.join("ann"));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    let out = Command::new(bin)
        .env("LC_ALL", "C")
        .args(["exercise", "grade", "fix-quiescent"])
        .arg(&dir)
        .arg("--csv")
        .output()
        .unwrap();
    let csv = String::from_utf8_lossy(&out.stdout);
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows.len(), 3, "{csv}");
    assert!(rows[1].starts_with("ann,") && rows[1].contains(",true,"), "{csv}");
    assert!(rows[2].starts_with("ben,") && rows[2].contains(",false,"), "{csv}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn require_and_forbid_match_commands_not_text() {
    // `forbid` used to be a substring test, so a comment that only names arp_ignore failed
    // a correct fix. Entries are now command patterns matched against parsed commands:
    // (1) the reference fix with a comment naming arp_ignore keeps full marks, since a
    //     comment is no command; (2) the fix plus an arp_ignore write spelled
    //     `echo 1 > /proc/sys/.../eth0/arp_ignore` loses the forbid item (the last item)
    //     and nothing else: the forbidden `sysctl net.ipv4.conf.*.arp_ignore` is the same
    //     setting whatever the spelling and device.
    let inst = exercise::load("fix-dr-arptables").unwrap().instance(Some("alice")).unwrap();
    let sol = inst.solution_text.clone().unwrap();
    let at = sol.find("\"arptables -A INPUT").expect("the solution drops requests for the VIP");
    let end = at + 1 + sol[at + 1..].find('"').unwrap();
    let commented = format!("{} # instead of arp_ignore and arp_announce{}", &sol[..end], &sol[end..]);
    let r = grade::grade_fix(&inst, "fixed.ron", &commented, Lang::En).unwrap();
    assert!(r.full(), "a comment counted as a command:\n{}", r.render(Lang::En, grade::Reveal::ALL));

    let spelled = format!("{}\",\n\"echo 1 > /proc/sys/net/ipv4/conf/eth0/arp_ignore{}", &sol[..end], &sol[end..]);
    let r = grade::grade_fix(&inst, "fixed.ron", &spelled, Lang::En).unwrap();
    let (forbid, others) = r.items.split_last().unwrap();
    assert!(!forbid.ok(), "the echo write escaped forbid:\n{}", r.render(Lang::En, grade::Reveal::ALL));
    assert!(others.iter().all(grade::Item::ok), "{}", r.render(Lang::En, grade::Reveal::ALL));
}

#[test]
fn a_bad_require_or_forbid_pattern_points_at_its_word() {
    // Entries are read by the command parser when the exercise loads, so a misspelled key
    // is an error at file:line:col of the wrong word (the key after `sysctl `), found by
    // hand here from the text, not from the error.
    let src = exercise::EMBEDDED.iter().find(|(n, _)| *n == "fix-dr-arptables").unwrap().1;
    let good = "\"sysctl net.ipv4.conf.*.arp_ignore\"";
    assert!(src.contains(good));
    let text = src.replacen(good, "\"sysctl net.ipv4.conf.*.arp_ignor\"", 1);
    let at = text.find("\"sysctl net.ipv4.conf.*.arp_ignor\"").unwrap() + "\"sysctl ".len();
    let line = text[..at].matches('\n').count() + 1;
    let col = at - text[..at].rfind('\n').map_or(0, |i| i + 1) + 1;
    let e = render_err("bad.ron", &text);
    assert!(e.contains(&format!("bad.ron:{line}:{col}")), "expected bad.ron:{line}:{col} in:\n{e}");
}

/// Runs lvsim in `dir` with `args`; (exit code, stdout, stderr). LVSIM_COURSE_KEY is
/// cleared so a teacher's environment does not change what a student sees.
fn lvsim_in(dir: &std::path::Path, args: &[&str]) -> (Option<i32>, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_lvsim"))
        .args(args)
        .current_dir(dir)
        .env_remove(exercise::key::ENV)
        .output()
        .unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

fn scratch(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("lvsim-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// `text` (a sheet written by `start`) with `key = value` filled in for every answer.
fn fill(text: &str, answers: &grade::Sheet) -> String {
    text.lines()
        .map(|l| match l.strip_suffix(" = ").and_then(|k| answers.answers.get(k).map(|v| (k, v))) {
            Some((k, v)) => format!("{k} = {v}"),
            None => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

#[test]
fn start_keeps_work_and_check_reads_the_current_folder() {
    // (1) A second `start` into a folder with work in it exits 1 and leaves the sheet as
    //     it was (byte for byte); --force writes the starting sheet again (the answer is
    //     gone). (2) `check` without an ID, run inside the folder, grades the same sheet
    //     as `check terms-roles ann`: the same exit code and the same report.
    let d = scratch("start-keep");
    let start = ["exercise", "start", "terms-roles", "--student", "ann", "--lang", "en", "--dir", "ann"];
    assert_eq!(lvsim_in(&d, &start).0, Some(0));
    let sheet = d.join("ann/answers.txt");
    let work = std::fs::read_to_string(&sheet).unwrap().replace("role1 = \n", "role1 = VIP\n");
    std::fs::write(&sheet, &work).unwrap();
    assert_eq!(lvsim_in(&d, &start).0, Some(1));
    assert_eq!(std::fs::read_to_string(&sheet).unwrap(), work, "start overwrote the work");
    let named = lvsim_in(&d, &["exercise", "check", "terms-roles", "ann", "--lang", "en"]);
    let here = lvsim_in(&d.join("ann"), &["exercise", "check", "--lang", "en"]);
    assert_eq!((named.0, &named.1), (here.0, &here.1));
    assert_eq!(here.0, Some(1));
    // Outside any exercise folder, `check` without an ID is an error, not a panic.
    assert_eq!(lvsim_in(&d, &["exercise", "check", "--lang", "en"]).0, Some(1));
    let forced: Vec<&str> = start.iter().copied().chain(["--force"]).collect();
    assert_eq!(lvsim_in(&d, &forced).0, Some(0));
    assert!(std::fs::read_to_string(&sheet).unwrap().contains("role1 = \n"), "--force did not start over");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn the_course_key_salts_variants_and_keeps_answers_for_the_teacher() {
    use exercise::key::CourseKey;
    let d = scratch("course-key");
    assert_eq!(lvsim_in(&d, &["exercise", "key", "new", "--out", "course.key"]).0, Some(0));
    // Never overwritten: a course's variants hang on it.
    let before = std::fs::read_to_string(d.join("course.key")).unwrap();
    assert_eq!(lvsim_in(&d, &["exercise", "key", "new", "--out", "course.key"]).0, Some(1));
    assert_eq!(std::fs::read_to_string(d.join("course.key")).unwrap(), before);
    let key = CourseKey::parse("course.key", &before).unwrap();
    // A second key from the OS source is another secret (two equal 256-bit draws would
    // mean the source is not random).
    let (_, other, _) = lvsim_in(&d, &["exercise", "key", "new"]);
    assert_ne!(CourseKey::parse("k", &other).unwrap().secret, key.secret);

    let start = ["exercise", "start", "terms-roles", "--student", "ann", "--lang", "en", "--key", "course.key"];
    assert_eq!(lvsim_in(&d, &[&start[..], &["--dir", "ann"]].concat()).0, Some(0));
    let text = std::fs::read_to_string(d.join("ann/answers.txt")).unwrap();
    let src = exercise::load("terms-roles").unwrap();
    let keyed = src.instance_seeded(Some("ann"), Some(key.variant_seed("terms-roles", "ann"))).unwrap();
    let open = src.instance(Some("ann")).unwrap();
    // The keyed variant is not the one anybody can compute from the name: their
    // addresses differ (the VIP is drawn from 100 values per LAN, the LAN from 65024).
    assert_ne!(keyed.variant.vars, open.variant.vars);
    // The student checks without the key: the sheet's recorded seed gives the keyed
    // variant, so its reference answers get full marks, and the open variant's do not.
    let right = grade::reference_sheet(&keyed).unwrap();
    std::fs::write(d.join("ann/answers.txt"), fill(&text, &right)).unwrap();
    assert_eq!(lvsim_in(&d.join("ann"), &["exercise", "check", "--lang", "en"]).0, Some(0));
    let wrong = grade::reference_sheet(&open).unwrap();
    std::fs::write(d.join("ann/answers.txt"), fill(&text, &wrong)).unwrap();
    // The key is drawn from the OS, so now and then the two variants differ only in
    // values no question asks about: the open variant's answers are then right too.
    // When they differ, they must lose marks.
    if wrong.answers != right.answers {
        assert_eq!(lvsim_in(&d.join("ann"), &["exercise", "check", "--lang", "en"]).0, Some(1));
    }
    // --show-answers is refused without the key (exit 1, nothing on stdout) and prints
    // every expected answer of the keyed variant with it.
    let (code, out, _) = lvsim_in(&d.join("ann"), &["exercise", "check", "--show-answers"]);
    assert_eq!((code, out.as_str()), (Some(1), ""));
    let (_, out, _) =
        lvsim_in(&d.join("ann"), &["exercise", "check", "--show-answers", "--key", "../course.key", "--lang", "en"]);
    for v in right.answers.values() {
        assert!(out.contains(v.as_str()), "{v} missing:\n{out}");
    }
    // LVSIM_COURSE_KEY naming the file does what --key does.
    let env = std::process::Command::new(env!("CARGO_BIN_EXE_lvsim"))
        .args(["exercise", "check", "--show-answers", "--lang", "en"])
        .current_dir(d.join("ann"))
        .env(exercise::key::ENV, d.join("course.key"))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&env.stdout), out);
    // `show` gives the hint (the exercise file's text) to the teacher only: a student
    // gets it from `check` after a wrong attempt.
    let hint = keyed.ex.hint.en.trim();
    let show = ["exercise", "show", "terms-roles", "--student", "ann", "--lang", "en"];
    assert!(!lvsim_in(&d, &show).1.contains(hint));
    assert!(lvsim_in(&d, &[&show[..], &["--key", "course.key"]].concat()).1.contains(hint));
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn the_explanation_waits_for_a_correct_answer_or_the_deadline() {
    // The explanation text is the exercise's own (typed data from the file). A wrong
    // attempt shows the hint but not the explanation; a correct one shows it; after the
    // deadline of the course key (copied into the folder by start) a wrong attempt shows
    // it too. 2000-01-01 has passed and 2999-01-01 has not, whatever day the test runs.
    let d = scratch("deadline");
    let src = exercise::load("terms-roles").unwrap();
    let secret = "ab".repeat(32);
    for (name, deadline, shown_when_wrong) in
        [("past", "2000-01-01 00:00 +08:00", true), ("future", "2999-01-01 00:00 UTC", false)]
    {
        std::fs::write(d.join(format!("{name}.key")), format!("key = {secret}\ndeadline = {deadline}\n")).unwrap();
        let key = format!("{name}.key");
        let args =
            ["exercise", "start", "terms-roles", "--student", "ann", "--lang", "en", "--key", &key, "--dir", name];
        assert_eq!(lvsim_in(&d, &args).0, Some(0));
        let inst = src
            .instance_seeded(
                Some("ann"),
                Some(
                    exercise::key::CourseKey::parse("k", &format!("key = {secret}\n"))
                        .unwrap()
                        .variant_seed("terms-roles", "ann"),
                ),
            )
            .unwrap();
        let (explanation, hint) = (inst.ex.explanation.en.trim().to_string(), inst.ex.hint.en.trim().to_string());
        let (code, out, _) = lvsim_in(&d.join(name), &["exercise", "check", "--lang", "en"]);
        assert_eq!(code, Some(1));
        assert!(out.contains(&hint), "{name}: no hint after a wrong attempt");
        assert_eq!(out.contains(&explanation), shown_when_wrong, "{name}:\n{out}");
        let sheet = d.join(name).join("answers.txt");
        let text = std::fs::read_to_string(&sheet).unwrap();
        std::fs::write(&sheet, fill(&text, &grade::reference_sheet(&inst).unwrap())).unwrap();
        let (code, out, _) = lvsim_in(&d.join(name), &["exercise", "check", "--lang", "en"]);
        assert_eq!(code, Some(0));
        assert!(out.contains(&explanation), "{name}: no explanation after a correct answer");
        assert!(!out.contains(&hint), "{name}: a hint after a correct answer");
    }
    let _ = std::fs::remove_dir_all(&d);
}

/// A CSV listing as rows of fields (the csv crate reads the quoting).
fn csv_rows(text: &str) -> Vec<Vec<String>> {
    csv::Reader::from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

#[test]
fn grade_flags_what_the_teacher_must_look_at() {
    // Columns: student,score,max,percent,full,failed,flags,error. A class graded with
    // the key:
    // - ann started with the key and answered right: clean, except that carl handed in
    //   her sheet (1 flag: the copy);
    // - carl: ann's sheet copied (student = ann, ann's variant line): 3 flags (the name,
    //   the variant line, the copy);
    // - dan started without the key and wrote student = ann: 2 flags (name, no key);
    // - bob started without --student: 1 flag (the default variant);
    // - fay started without the key and answered her open variant right: graded on
    //   that variant (the one she worked on), full marks, 1 flag (no key);
    // - eve's sheet does not parse: score 0 out of the real maximum (one point per
    //   question: 6 for terms-roles), the located error kept in the error column.
    // Flags are counted, not read: the wording is the program's.
    let d = scratch("grade-flags");
    std::fs::write(d.join("course.key"), format!("key = {}\n", "cd".repeat(32))).unwrap();
    let key = exercise::key::CourseKey::parse("k", &format!("key = {}\n", "cd".repeat(32))).unwrap();
    let start = |who: Option<&str>, dir: &str, keyed: bool| {
        let mut a = vec!["exercise", "start", "terms-roles", "--lang", "en", "--dir", dir];
        if let Some(w) = who {
            a.extend(["--student", w]);
        }
        if keyed {
            a.extend(["--key", "course.key"]);
        }
        assert_eq!(lvsim_in(&d, &a).0, Some(0));
    };
    start(Some("ann"), "class/ann", true);
    start(Some("carl"), "class/carl", true);
    start(Some("dan"), "class/dan", false);
    start(None, "class/bob", true);
    start(Some("fay"), "class/fay", false);
    std::fs::create_dir_all(d.join("class/eve")).unwrap();
    std::fs::write(d.join("class/eve/answers.txt"), "role1 VIP\n").unwrap();
    let src = exercise::load("terms-roles").unwrap();
    let ann = src.instance_seeded(Some("ann"), Some(key.variant_seed("terms-roles", "ann"))).unwrap();
    let sheet = d.join("class/ann/answers.txt");
    let filled = fill(&std::fs::read_to_string(&sheet).unwrap(), &grade::reference_sheet(&ann).unwrap());
    std::fs::write(&sheet, &filled).unwrap();
    std::fs::write(d.join("class/carl/answers.txt"), &filled).unwrap();
    let fay = d.join("class/fay/answers.txt");
    let open = grade::reference_sheet(&src.instance(Some("fay")).unwrap()).unwrap();
    std::fs::write(&fay, fill(&std::fs::read_to_string(&fay).unwrap(), &open)).unwrap();
    let dan = d.join("class/dan/answers.txt");
    std::fs::write(&dan, std::fs::read_to_string(&dan).unwrap().replace("student = dan", "student = ann")).unwrap();

    let (code, out, err) =
        lvsim_in(&d, &["exercise", "grade", "terms-roles", "class", "--csv", "--key", "course.key", "--lang", "en"]);
    assert_eq!(code, Some(0), "{err}");
    let rows = csv_rows(&out);
    let by = |n: &str| rows.iter().find(|r| r[0] == n).unwrap_or_else(|| panic!("{n} missing:\n{out}"));
    let nflags = |n: &str| by(n)[6].split("; ").filter(|f| !f.is_empty()).count();
    assert_eq!((by("ann")[4].as_str(), by("fay")[4].as_str()), ("true", "true"));
    assert_eq!(
        [nflags("ann"), nflags("carl"), nflags("dan"), nflags("bob"), nflags("fay"), nflags("eve")],
        [1, 3, 2, 1, 1, 0],
        "{out}"
    );
    assert!(by("ann")[6].contains("carl") && by("carl")[6].contains("ann"), "the copy names the other student");
    let eve = by("eve");
    assert_eq!((eve[1].as_str(), eve[2].as_str()), ("0", src.raw.questions.len().to_string().as_str()));
    // The failed column holds the line that locates the error, not miette's code line.
    assert!(eve[7].contains("answers.txt:1:1") && eve[5].contains("answers.txt:1:1"), "{eve:?}");
    // Every row's maximum is the exercise's, whether it parsed or not.
    assert!(rows.iter().all(|r| r[2] == eve[2]), "{out}");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn a_fix_that_does_not_load_is_out_of_the_real_maximum() {
    // fix-quiescent has 2 goals, the 3 guards every fix has, and `only: ["director"]`:
    // 6 points (counted from the exercise file). A scenario that does not parse scores
    // 0 of those 6, not of the 3 it used to be out of.
    let inst = exercise::load("fix-quiescent").unwrap().instance(Some("ann")).unwrap();
    let fix = inst.ex.fix.as_ref().unwrap();
    assert_eq!((fix.goals.len(), fix.only.len(), fix.require.len(), fix.forbid.len()), (2, 1, 0, 0));
    let r = grade::grade_fix(&inst, "scenario.ron", "Scenario(", Lang::En).unwrap();
    assert_eq!((r.score(), r.max()), (0.0, 6.0));
}

#[test]
fn chinese_reports_use_full_width_punctuation() {
    // In a zh report no ASCII colon or parenthesis touches a Chinese character: the
    // course writes 得分：6/6 and （学生：alice）. Every exercise's starting sheet (or
    // broken scenario) is graded in zh, so every label and message is exercised.
    let cjk = |c: Option<char>| c.is_some_and(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
    for (id, inst) in instances() {
        let files = grade::start_files(&inst, Lang::Zh).unwrap();
        let r = if inst.ex.kind == Kind::Fix {
            let text = &files.iter().find(|(n, _)| n == "scenario.ron").unwrap().1;
            grade::grade_fix(&inst, "scenario.ron", text, Lang::Zh).unwrap()
        } else {
            let text = &files.iter().find(|(n, _)| n == "answers.txt").unwrap().1;
            let keys: Vec<&str> = inst.ex.questions.iter().map(|q| q.key.as_str()).collect();
            grade::grade_sheet(&inst, &grade::parse_sheet("answers.txt", text, &keys).unwrap(), Lang::Zh).unwrap()
        };
        // The exercise's own texts may quote command syntax (`ipvsadm -A -t VIP:端口`):
        // what is checked is what lvsim writes around them.
        let mut out = r.render(Lang::Zh, grade::Reveal::ALL);
        let e = &inst.ex;
        let mut texts: Vec<String> =
            [&e.title, &e.hint, &e.explanation].iter().map(|t| t.zh.trim().to_string()).collect();
        texts.extend(e.questions.iter().flat_map(|q| q.text.zh.lines().map(|l| l.trim().to_string())));
        texts.extend(e.questions.iter().flat_map(|q| q.mistakes.iter().map(|m| m.says.zh.trim().to_string())));
        for g in e.fix.iter().flat_map(|f| &f.goals) {
            texts.extend(g.says.zh.split("{got}").map(|p| p.trim().to_string()));
        }
        texts.sort_by_key(|t| std::cmp::Reverse(t.len()));
        for t in texts.iter().filter(|t| !t.is_empty()) {
            out = out.replace(t.as_str(), "");
        }
        for line in out.lines() {
            let c: Vec<char> = line.chars().collect();
            for (i, ch) in c.iter().enumerate() {
                if matches!(ch, ':' | '(' | ')') {
                    let (before, after) = (i.checked_sub(1).map(|j| c[j]), c.get(i + 1).copied());
                    assert!(!cjk(before) && !cjk(after), "{id}: ASCII {ch:?} next to Chinese in: {line}");
                }
            }
        }
    }
}

/// The comments of RON text: what follows `//` outside string literals, one per line.
fn ron_comments(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let (mut in_str, mut escaped) = (false, false);
    let b: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if in_str {
            in_str = escaped || c != '"';
            escaped = !escaped && c == '\\';
        } else if c == '"' {
            in_str = true;
        } else if c == '/' && b.get(i + 1) == Some(&'/') {
            let end = b[i..].iter().position(|&x| x == '\n').map_or(b.len(), |n| i + n);
            out.push(b[i + 2..end].iter().collect());
            i = end;
            continue;
        }
        i += 1;
    }
    out
}

/// What would give a fix exercise away, derived from its answer: for each command the
/// reference solution adds on a host (parsed as a typed command), the setting it
/// changes, written as a student would search for it: a sysctl's leaf (`arp_ignore`;
/// with its value or device when the broken file already sets that leaf, as in
/// `rp_filter=2` or `all.arp_ignore`), a route's `via GW`, an address with its prefix,
/// the program of an arptables or neighbour command, `-w` for an ipvsadm weight; plus the
/// program or sysctl leaf of each `require` entry; plus each word a changed
/// keepalived.conf uses more often than the broken one (words with a letter: not a number).
fn give_away_terms(inst: &Instance) -> Vec<String> {
    use lvsim::cmdline::{self, Command, IpvsadmCmd};
    let (start, sol) = (inst.scenario().unwrap(), inst.solution().unwrap());
    let mut terms = Vec::new();
    for h in &sol.scenario.hosts {
        let before: Vec<&String> =
            start.scenario.hosts.iter().filter(|x| x.name == h.name).flat_map(|x| &x.run).collect();
        let before_cmds: Vec<Command> = before.iter().filter_map(|c| cmdline::parse(c).ok()).collect();
        for c in h.run.iter().filter(|c| !before.contains(c)) {
            let Ok(cmd) = cmdline::parse(c) else { continue };
            match cmd {
                Command::Sysctl { key, value } => {
                    let same_leaf: Vec<_> = before_cmds
                        .iter()
                        .filter_map(|b| match b {
                            Command::Sysctl { key: k, value: v } if k.leaf() == key.leaf() => Some((k.to_string(), *v)),
                            _ => None,
                        })
                        .collect();
                    if same_leaf.is_empty() {
                        terms.push(key.leaf().to_string());
                    } else if same_leaf.iter().any(|(k, v)| *k == key.to_string() && *v != value) {
                        terms.push(format!("{}={value}", key.leaf()));
                    } else {
                        let full = key.to_string();
                        terms.push(
                            full.trim_start_matches("net.ipv4.conf.").trim_start_matches("net.ipv4.").to_string(),
                        );
                    }
                }
                Command::RouteAdd { via: Some(gw), .. } => terms.push(format!("via {gw}")),
                Command::AddrAdd { addr, prefix, .. } => terms.push(format!("{addr}/{prefix}")),
                Command::Ipvsadm(IpvsadmCmd::AddServer(_) | IpvsadmCmd::EditServer(_)) => terms.push("-w ".into()),
                _ => terms.push(c.split_whitespace().next().unwrap_or("").to_string()),
            }
        }
    }
    // A keepalived.conf the solution changes: each word it uses more often than the
    // broken file does (the checker put in place of another, `TCP_CHECK`).
    let ka = |l: &lvsim::scenario::Loaded, name: &str| -> String {
        l.scenario
            .hosts
            .iter()
            .find(|x| x.name == name)
            .and_then(|x| match &x.keepalived {
                Some(lvsim::scenario::KeepalivedSpec::Text(t)) => Some(t.clone()),
                _ => None,
            })
            .unwrap_or_default()
    };
    for h in &sol.scenario.hosts {
        let (before, after) = (ka(&start, &h.name), ka(&sol, &h.name));
        let count = |t: &str, w: &str| t.split_whitespace().filter(|x| *x == w).count();
        let mut added: Vec<&str> = after
            .split_whitespace()
            .filter(|w| w.bytes().any(|c| c.is_ascii_alphabetic()) && count(&after, w) > count(&before, w))
            .collect();
        added.sort_unstable();
        added.dedup();
        terms.extend(added.into_iter().map(str::to_string));
    }
    for r in &inst.ex.fix.as_ref().unwrap().require {
        let mut w = r.split_whitespace();
        match (w.next(), w.next()) {
            (Some("sysctl"), Some(k)) => terms.push(k.rsplit('.').next().unwrap_or(k).to_string()),
            (Some(p), _) => terms.push(p.to_string()),
            _ => {}
        }
    }
    terms.retain(|t| !t.is_empty());
    terms
}

#[test]
fn fix_starting_files_do_not_give_the_fix_away() {
    // Every fix exercise's broken scenario, as `start` writes it in both languages: no
    // comment names what the answer changes (terms derived from the reference solution
    // and the require patterns, see give_away_terms). A term the task itself names is
    // the question, not the answer (fix-dr-arptables asks for arptables), so the task's
    // own words are allowed. This caught the old nat1 base, whose diagram said the real
    // servers' route was `default via DIP`: the whole of fix-nat-gateway.
    let mut checked = 0;
    for (id, inst) in instances().into_iter().filter(|(_, i)| i.ex.kind == Kind::Fix) {
        let terms = give_away_terms(&inst);
        assert!(!terms.is_empty(), "{id}: no term derived from the answer");
        for lang in [Lang::En, Lang::Zh] {
            let task = inst.ex.task.get(lang).to_lowercase();
            let files = grade::start_files(&inst, lang).unwrap();
            let text = &files.iter().find(|(n, _)| n == "scenario.ron").unwrap().1;
            let comments = ron_comments(text).join("\n").to_lowercase();
            for t in terms.iter().map(|t| t.to_lowercase()).filter(|t| !task.contains(t.as_str())) {
                assert!(!comments.contains(&t), "{id} ({lang:?}): a comment names {t:?}:\n{comments}");
                checked += 1;
            }
        }
    }
    assert!(checked >= 20, "only {checked} term checks");
}

/// The (column, character) of every box-drawing character of each diagram line.
fn diagram_columns(text: &str) -> Vec<Vec<(usize, char)>> {
    text.lines()
        .filter(|l| exercise::variant::is_diagram(l))
        .map(|l| l.chars().enumerate().filter(|(_, c)| ('\u{2500}'..='\u{257f}').contains(c)).collect())
        .collect()
}

#[test]
fn diagrams_stay_aligned_in_every_variant() {
    // A diagram's box characters must stay in their template columns once addresses are
    // filled in. Checked (1) on the scenario of every exercise for ten students, against
    // its base template, and (2) on every base template with the longest and shortest
    // values an address plan can take (every number 255 or 65535, every number 0), so
    // no student's variant can break it.
    use lvsim::exercise::{BASES, Variant, schema::ScenarioRef};
    let names = ["alice", "bob", "carol", "dan", "eve", "fay", "gus", "hu", "li", "wang"];
    let mut checked = 0;
    for src in exercise::all().unwrap() {
        for s in names {
            let inst = src.instance(Some(s)).unwrap();
            // The base may itself be a variable ({cbase}): the variant's own.
            let Some(ScenarioRef::Base(b)) = &inst.ex.scenario else { continue };
            let template = BASES.iter().find(|(n, _)| n == b).unwrap().1;
            let want = diagram_columns(template);
            assert!(!want.is_empty(), "base {b} has no diagram");
            assert_eq!(diagram_columns(inst.scenario_text.as_deref().unwrap()), want, "{} for {s}", src.raw.id);
            checked += 1;
        }
    }
    assert!(checked >= 100, "{checked} variants checked");
    let drawn = exercise::variant::draw("any", Some("alice"), &[]);
    for (digits, long) in [("255", "65535"), ("0", "0")] {
        let mut v = Variant::default();
        for (k, val) in &drawn.vars {
            let parts: Vec<&str> = val.split('.').collect();
            let numeric = parts.iter().all(|p| !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit()));
            let x = match (numeric, parts.len()) {
                (true, 1) => long.to_string(),
                (true, n) => vec![digits; n].join("."),
                _ => val.clone(),
            };
            v.vars.insert(k.clone(), x);
        }
        for (b, template) in BASES {
            assert_eq!(diagram_columns(&v.apply(template)), diagram_columns(template), "base {b} with {digits}");
        }
    }
}

/// The reference answers of `id` for `student`, by key, as text.
fn answers(id: &str, student: &str) -> (Instance, std::collections::BTreeMap<String, String>) {
    let inst = exercise::load(id).unwrap().instance(Some(student)).unwrap();
    let sheet = grade::reference_sheet(&inst).unwrap_or_else(|e| panic!("{}", e.render()));
    (inst, sheet.answers)
}

const CLASS: [&str; 12] = ["alice", "bob", "carol", "dan", "eve", "fay", "gus", "hu", "li", "wang", "zhang", "chen"];

#[test]
fn keepalived_answers_match_the_timers_worked_out_by_hand() {
    // measure-ka-detection: rs2's link goes down at 2 s. Checks start at 1 s and the next
    // starts delay_loop (1 s) after the previous one ended, one round trip (~50 µs) later:
    // at ~2.00005 s, just after the fault. That try and each of the `retry` retries fail
    // after connect_timeout, and every retry waits delay_before_retry first, so the
    // `ipvsadm -d` comes at 2 + ct·(retry + 1) + dbr·retry s (plus the round trips, well
    // under 0.01 s). The formula is written here from docs/keepalived.md, not copied from
    // a run; a model that removed the server after one timeout, or retried at once, is off
    // by whole seconds.
    let mut cases = std::collections::BTreeSet::new();
    for s in CLASS {
        let (inst, a) = answers("measure-ka-detection", s);
        let v = |k: &str| inst.variant.vars[k].parse::<f64>().unwrap();
        let want = 2.0 + v("ct") * (v("retry") + 1.0) + v("dbr") * v("retry");
        // The sheet rounds to 3 decimals; the computed value keeps the round trips.
        let q = inst.ex.questions.iter().find(|q| q.key == "removed_at").unwrap();
        let exercise::answer::Value::Number(got) =
            exercise::answer::compute(&exercise::answer::Ctx::new(&inst), &q.answer).unwrap()
        else {
            panic!("{s}: removed_at is not a number")
        };
        assert!(got > want && got - want < 0.01, "{s}: removed at {got}, by hand {want}");
        assert!((a["removed_at"].parse::<f64>().unwrap() - want).abs() < 0.01);
        cases.insert(inst.variant.vars["timers"].clone());
    }
    assert!(cases.len() >= 3, "only cases {cases:?} drawn: the class does not exercise the timers");

    // ka-inhibit: without inhibit_on_failure keepalived's down is `ipvsadm -d` and its up
    // `ipvsadm -a` (check/ipwrapper.c); with it, `-e -w 0` and `-e -w 1`. Both cases occur
    // in the class, so both branches of the answer are proved.
    let mut seen = std::collections::BTreeSet::new();
    for s in CLASS {
        let (inst, a) = answers("ka-inhibit", s);
        let inhibit = inst.variant.vars["mode"] == "inhibit";
        let want = if inhibit { ("weight0", "edit") } else { ("removed", "add") };
        assert_eq!((a["down"].as_str(), a["up"].as_str()), want, "{s}");
        seen.insert(inhibit);
    }
    assert_eq!(seen.len(), 2, "both modes drawn");
}

#[test]
fn fault_and_vrrp_answers_match_what_the_kernel_and_vrrp_do() {
    // fault-stop-vs-crash: rr hands rs2 the connection at 200 ms, after the fault at 150 ms.
    // A stopped service leaves a live kernel, which answers the SYN with RST (refused, and
    // nothing dropped at rs2 for being down); a crash drops it at rs2 as host_down and a
    // link down as iface_down, with nothing sent back (docs/faults.md).
    let mut kinds = std::collections::BTreeSet::new();
    for s in CLASS {
        let (inst, a) = answers("fault-stop-vs-crash", s);
        let kind = inst.variant.vars["kind"].clone();
        let want = match kind.as_str() {
            "stop" => ("rst", "none"),
            "crash" => ("silence", "host_down"),
            _ => ("silence", "iface_down"),
        };
        assert_eq!((a["client"].as_str(), a["rs2_drop"].as_str()), want, "{s} ({kind})");
        kinds.insert(kind);
    }
    assert_eq!(kinds.len(), 3, "every fault drawn: {kinds:?}");

    // vrrp-takeover: director1 (priority 150) becomes master when its master-down timer,
    // 3 s + (256 − 150)/256 s = 3.414062 s (skew kept in whole µs), runs out, and
    // advertises then and every second. director2 restarts its timer on each advertisement
    // (10 µs of LAN later), so it takes over at last + 3 + (256 − prio)/256 s, `last` being
    // the last advertisement before the crash. The router then holds director2's MAC for
    // the VIP (its gratuitous ARP).
    let mut prios = std::collections::BTreeSet::new();
    for s in CLASS {
        let (inst, a) = answers("vrrp-takeover", s);
        let v = |k: &str| inst.variant.vars[k].parse::<f64>().unwrap();
        let master = 3.0 + (106_000_000 / 256) as f64 / 1e6;
        let last = master + (v("crash") - master).floor();
        let skew = ((256.0 - v("prio")) * 1e6 / 256.0).floor() / 1e6;
        let want = last + 3.0 + skew;
        let got: f64 = a["master_at"].parse().unwrap();
        assert!((got - want).abs() < 0.001, "{s}: MASTER at {got}, by hand {want}");
        assert_eq!(a["router_mac"], "director2", "{s}");
        prios.insert(inst.variant.vars["prio"].clone());
    }
    assert!(prios.len() >= 3, "only priorities {prios:?} drawn");

    // failover-conns: with the sync daemon director2 has every entry when it takes over
    // and all 8 connections complete; without it the next segment of each finds no entry,
    // goes to director2's own stack (the VIP is local, nothing listens) and is reset. Both
    // cases occur in the class.
    let mut seen = std::collections::BTreeSet::new();
    for s in CLASS {
        let (inst, a) = answers("failover-conns", s);
        let sync = inst.variant.vars["sync"] == "on";
        assert_eq!(a["conns"], if sync { "completed" } else { "reset" }, "{s}");
        seen.insert(sync);
    }
    assert_eq!(seen.len(), 2, "both cases drawn");
}
