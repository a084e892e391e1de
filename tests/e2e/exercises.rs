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
        assert!(r.full(), "{id} ({:?}) reference not full:\n{}", inst.variant.student, r.render(Lang::En, true));
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
    assert!(r.full(), "a comment counted as a command:\n{}", r.render(Lang::En, true));

    let spelled = format!("{}\",\n\"echo 1 > /proc/sys/net/ipv4/conf/eth0/arp_ignore{}", &sol[..end], &sol[end..]);
    let r = grade::grade_fix(&inst, "fixed.ron", &spelled, Lang::En).unwrap();
    let (forbid, others) = r.items.split_last().unwrap();
    assert!(!forbid.ok(), "the echo write escaped forbid:\n{}", r.render(Lang::En, true));
    assert!(others.iter().all(grade::Item::ok), "{}", r.render(Lang::En, true));
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
