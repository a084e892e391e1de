//! Every scheduler works end to end from a scenario written with ipvsadm's syntax.

#[test]
fn every_scheduler_serves_the_dr_scenario() {
    // Replacing `-s rr` in the DR scenario by each scheduler (with its flags where it has
    // some) must still give four completed connections, each scheduled by that scheduler:
    // the name in the trace proves the factory and the flags reached the kernel code.
    let src = lvsim::scenario::EMBEDDED.iter().find(|(n, _)| *n == "dr").unwrap().1;
    for s in lvsim::ipvs::Sched::ALL {
        let opts = match s.name() {
            "sh" => "-s sh -b sh-port,sh-fallback".to_string(),
            "mh" => "-s mh -b mh-port".to_string(),
            n => format!("-s {n}"),
        };
        let text = src.replace("-s rr\"", &format!("{opts}\""));
        let l = lvsim::scenario::parse("dr-sched", &text).unwrap_or_else(|e| panic!("{}", e.render()));
        let mut e = l.build().unwrap_or_else(|e| panic!("{}", e.render()));
        let rec = std::rc::Rc::new(std::cell::RefCell::new(lvsim::trace::VecRecorder::default()));
        e.set_recorder(Box::new(rec.clone()));
        e.run();
        assert_eq!(e.metrics.clients[0].completed, 4, "{}", s.name());
        let picked = format!("{} picked", s.name());
        assert!(
            rec.borrow().steps.iter().any(|st| st.reason.contains(&picked)),
            "{}: no \"{picked}\" in the trace",
            s.name()
        );
    }
}
