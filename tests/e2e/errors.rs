//! Bad input gets a clear error, never a panic: file:line:col, what was expected, what was
//! found, and a hint. The rendered messages are snapshots, so a change in wording is seen.

fn dr_with(from: &str, to: &str) -> String {
    let src = lvsim::scenario::EMBEDDED.iter().find(|(n, _)| *n == "dr").unwrap().1;
    assert!(src.contains(from), "test setup: {from:?} not in dr.ron");
    src.replacen(from, to, 1)
}

fn error_of(text: &str) -> String {
    let r = lvsim::scenario::parse("bad.ron", text).and_then(|l| l.build().map(|_| ()));
    match r {
        Ok(()) => panic!("expected an error"),
        Err(e) => e.render(),
    }
}

#[test]
fn unknown_command() {
    // A command lvsim does not know names the token and where it is.
    let e = error_of(&dr_with("\"ip route add default via 203.0.113.1\"", "\"ifconfig eth0 up\""));
    assert!(e.contains("bad.ron:"), "{e}");
    insta::assert_snapshot!(e);
}

#[test]
fn bad_address() {
    let e = error_of(&dr_with("10.0.0.11/24 dev eth0", "10.0.0.300/24 dev eth0"));
    insta::assert_snapshot!(e);
}

#[test]
fn unknown_sysctl() {
    let e = error_of(&dr_with("net.ipv4.conf.all.arp_ignore=1", "net.ipv4.conf.all.arp_ingore=1"));
    insta::assert_snapshot!(e);
}

#[test]
fn gateway_not_reachable() {
    // `via` must be in a connected subnet, as the kernel's "Network is unreachable" says.
    let e = error_of(&dr_with("\"ip route add default via 203.0.113.1\"", "\"ip route add default via 192.0.2.1\""));
    insta::assert_snapshot!(e);
}

#[test]
fn duplicate_ip() {
    // rs2 configured with rs1's address on eth0: an IP conflict.
    let e = error_of(&dr_with("10.0.0.12/24 dev eth0", "10.0.0.11/24 dev eth0"));
    insta::assert_snapshot!(e);
}

#[test]
fn unsupported_ipvsadm_option() {
    let e = error_of(&dr_with("ipvsadm -A -t 10.0.0.100:80 -s rr", "ipvsadm -A --sctp-service 10.0.0.100:80 -s rr"));
    insta::assert_snapshot!(e);
}

#[test]
fn misspelled_field() {
    // ron's own errors carry positions too: a misspelled field is named with its line.
    let e = error_of(&dr_with("duration:", "durration:"));
    insta::assert_snapshot!(e);
}

#[test]
fn unknown_segment() {
    let e = error_of(&dr_with("{\"eth0\": \"wan\"}", "{\"eth0\": \"internet\"}"));
    insta::assert_snapshot!(e);
}

fn verify_error_of(text: &str) -> String {
    let l = lvsim::scenario::parse("bad.ron", text).unwrap_or_else(|e| panic!("{}", e.render()));
    match lvsim::scenario::expect::verify(&l) {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.render(),
    }
}

/// How many lines of `text` come before `needle` (its line is this + 1).
fn line_of(text: &str, needle: &str) -> usize {
    text[..text.find(needle).unwrap()].matches('\n').count()
}

#[test]
fn saw_text_is_refused_with_the_new_form() {
    // `Saw(text: ...)` matched the wording of a sentence; it is refused at the old text's
    // line (found by searching the source independently), and the hint shows `filter:`.
    let old = "Saw(host: \"rs1\", text: \"not answered\")";
    let src = dr_with("Saw(host: \"director\", filter:", &format!("{old},\n        Saw(host: \"director\", filter:"));
    let e = verify_error_of(&src);
    let line = line_of(&src, "text: \"not answered\"") + 1;
    assert!(e.contains(&format!("bad.ron:{line}:")), "{e}");
    assert!(e.contains("filter: \\\"why == ipvs.schedule") || e.contains("filter: \"why == ipvs.schedule"), "{e}");
}

#[test]
fn saw_unknown_reason_key_is_located() {
    // A misspelt reason key in a Saw filter is an error at that filter's line, with the
    // closest key offered.
    let src = dr_with("why == ipvs.schedule && why.template", "why == ipvs.schedul && why.template");
    let e = verify_error_of(&src);
    let line = line_of(&src, "why == ipvs.schedul &&") + 1;
    assert!(e.contains(&format!("bad.ron:{line}:")), "{e}");
    assert!(e.contains("`ipvs.schedule`"), "{e}");
}
