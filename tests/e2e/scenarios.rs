//! Every scenario is also a test: its `expect:` list says what a student should observe
//! (which MAC the router holds, which server served, which drops and why, what the client
//! saw), and `verify` checks it against a real run.
use crate::common::assert_conserved;

#[test]
fn every_embedded_scenario_meets_its_expectations() {
    // A scenario without expectations would prove nothing, so each must have some; each
    // failing check is listed with what was seen instead.
    let mut failures = Vec::new();
    for (name, _) in lvsim::scenario::EMBEDDED {
        let l = lvsim::scenario::load(name).unwrap();
        assert!(!l.scenario.expect.is_empty(), "{name} has no expectations");
        let checks = lvsim::scenario::expect::verify(&l).unwrap_or_else(|e| panic!("{}", e.render()));
        failures.extend(checks.iter().filter(|c| !c.ok).map(|c| format!("{name}: {c}")));
        let mut e = l.build().unwrap();
        e.run();
        assert_conserved(&e);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_file_in_scenarios_is_embedded() {
    // `lvsim list` and the test above cover what ships in scenarios/: nothing is left out.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    for f in std::fs::read_dir(dir).unwrap() {
        let path = f.unwrap().path();
        // scenarios/sweeps/ holds sweep files, checked in batch.rs.
        if path.is_dir() {
            continue;
        }
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        assert!(lvsim::scenario::EMBEDDED.iter().any(|(n, _)| *n == name), "scenarios/{name}.ron is not embedded");
    }
}

#[test]
fn a_failed_expectation_is_reported() {
    // The checker must be able to fail: the DR scenario with a wrong expectation.
    let src = lvsim::scenario::EMBEDDED.iter().find(|(n, _)| *n == "dr").unwrap().1;
    let bad = src.replace(
        "Neigh(host: \"router\", ip: \"10.0.0.100\", mac_of: \"director\")",
        "Neigh(host: \"router\", ip: \"10.0.0.100\", mac_of: \"rs1\")",
    );
    let l = lvsim::scenario::parse("dr-bad", &bad).unwrap();
    let checks = lvsim::scenario::expect::verify(&l).unwrap();
    let failed: Vec<_> = checks.iter().filter(|c| !c.ok).collect();
    assert_eq!(failed.len(), 1);
    assert!(failed[0].got.contains("(director)"), "{}", failed[0]);
}
