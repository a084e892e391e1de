//! Table tests: each keyword read into its field, each default left out resolved to the value
//! keepalived 2.2.7's source sets (constants cited in the parent module, repeated here as
//! numbers so a wrong constant fails), and each kind of error located at the right word.

use super::*;

fn ip(s: &str) -> Ipv4Addr {
    s.parse().unwrap()
}

/// A virtual server with one real server whose block is `rs_body`.
fn one_rs(vs_body: &str, rs_body: &str) -> String {
    format!("virtual_server 10.0.0.100 80 {{\n{vs_body}\nreal_server 10.0.0.11 80 {{\n{rs_body}\n}}\n}}\n")
}

fn vs(text: &str) -> VirtualServer {
    let conf = parse(text).unwrap_or_else(|e| panic!("{e}: {text}"));
    conf.virtual_servers.into_iter().next().expect("one virtual server")
}

fn checker(text: &str) -> Checker {
    vs(text).real_servers[0].checkers[0].clone()
}

#[test]
fn defaults_are_keepalived_s() {
    // Nothing but a TCP_CHECK: every value comes from a default. The numbers are keepalived
    // 2.2.7's (check_data.c alloc_vs: delay_loop 60 s, connection_to 5 s, weight 1, quorum 1,
    // NAT, wlc; check_api.c queue_checker: retry 1, delay_before_retry 1 s), written out here
    // rather than read from the constants under test.
    let v = vs(&one_rs("", "TCP_CHECK {\n}"));
    assert_eq!(v.addr, VsAddr::Ip { addr: ip("10.0.0.100"), port: 80 });
    assert_eq!(v.delay_loop, Micros(60_000_000));
    assert_eq!(v.sched, Sched::Wlc);
    assert_eq!(v.fwd, Fwd::Nat);
    assert_eq!(v.persistence, None);
    assert_eq!(v.granularity, ip("255.255.255.255"));
    assert_eq!(v.proto, Proto::Tcp);
    assert_eq!(v.sorry_server, None);
    assert_eq!(v.quorum, 1);
    let rs = &v.real_servers[0];
    assert_eq!((rs.addr, rs.port, rs.weight, rs.inhibit_on_failure), (ip("10.0.0.11"), 80, 1, false));
    let c = &rs.checkers[0];
    assert_eq!(c.kind, CheckKind::Tcp);
    assert_eq!(
        (c.port, c.connect_timeout, c.retry, c.delay_before_retry),
        (80, Micros(5_000_000), 1, Micros(1_000_000))
    );
}

#[test]
fn http_get_waits_three_seconds_before_a_retry() {
    // check_http.c http_get_handler sets default_delay_before_retry = 3 * TIMER_HZ.
    let c = checker(&one_rs("", "HTTP_GET {\nurl {\npath /\n}\n}"));
    assert_eq!(c.delay_before_retry, Micros(3_000_000));
    assert_eq!(c.kind, CheckKind::Http { urls: vec![Url { path: "/".into(), status_code: None, digest: None }] });
}

#[test]
fn misc_timeout_defaults_to_delay_loop() {
    // check_misc.c: a MISC_CHECK without misc_timeout may run for delay_loop.
    let c = checker(&one_rs("delay_loop 7", "MISC_CHECK {\nmisc_path /bin/false\n}"));
    assert_eq!(c.connect_timeout, Micros(7_000_000));
    assert_eq!(c.kind, CheckKind::Misc { path: "/bin/false".into(), outcome: MiscOutcome::Failure });
}

#[test]
fn every_virtual_server_keyword() {
    // Each row: a line of the virtual_server block and the field it must set.
    type Check = fn(&VirtualServer) -> bool;
    let rows: [(&str, Check); 15] = [
        ("delay_loop 3", |v| v.delay_loop == Micros(3_000_000)),
        ("delay_loop 1.5", |v| v.delay_loop == Micros(1_500_000)),
        ("lb_algo rr", |v| v.sched == Sched::Rr),
        ("lvs_sched sh", |v| v.sched == Sched::Sh),
        ("lb_kind DR", |v| v.fwd == Fwd::Dr),
        ("lb_kind TUN", |v| v.fwd == Fwd::Tun),
        ("lvs_method NAT", |v| v.fwd == Fwd::Nat),
        ("persistence_timeout 50", |v| v.persistence == Some(50)),
        // Without a value: IPVS_SVC_PERSISTENT_TIMEOUT, 360 s (libipvs.h).
        ("persistence_timeout", |v| v.persistence == Some(360)),
        ("persistence_timeout 0", |v| v.persistence.is_none()),
        ("persistence_granularity 255.255.255.0", |v| v.granularity == "255.255.255.0".parse::<Ipv4Addr>().unwrap()),
        ("protocol UDP", |v| v.proto == Proto::Udp),
        ("sorry_server 10.0.0.99 8080", |v| v.sorry_server == Some(("10.0.0.99".parse().unwrap(), 8080))),
        ("quorum 2", |v| v.quorum == 2),
        ("alpha", |_| true),
    ];
    for (line, ok) in rows {
        let v = vs(&one_rs(line, ""));
        assert!(ok(&v), "{line}: {v:?}");
    }
}

#[test]
fn every_real_server_and_checker_keyword() {
    type Check = fn(&RealServer) -> bool;
    let rows: [(&str, Check); 12] = [
        ("weight 3", |r| r.weight == 3),
        ("weight 0", |r| r.weight == 0),
        ("inhibit_on_failure", |r| r.inhibit_on_failure),
        ("inhibit_on_failure off", |r| !r.inhibit_on_failure),
        ("TCP_CHECK {\nconnect_port 8080\n}", |r| r.checkers[0].port == 8080),
        ("TCP_CHECK {\nconnect_timeout 3\n}", |r| r.checkers[0].connect_timeout == Micros(3_000_000)),
        ("TCP_CHECK {\nretry 3\n}", |r| r.checkers[0].retry == 3),
        ("HTTP_GET {\nnb_get_retry 2\nurl {\npath /\n}\n}", |r| r.checkers[0].retry == 2),
        ("TCP_CHECK {\ndelay_before_retry 0.5\n}", |r| r.checkers[0].delay_before_retry == Micros(500_000)),
        ("HTTP_GET {\nurl {\npath /health\nstatus_code 204\ndigest 9b3a0c85a887a256d6939da88aabd8cd\n}\n}", |r| {
            r.checkers[0].kind
                == CheckKind::Http {
                    urls: vec![Url {
                        path: "/health".into(),
                        status_code: Some(204),
                        digest: Some("9b3a0c85a887a256d6939da88aabd8cd".into()),
                    }],
                }
        }),
        ("MISC_CHECK {\nmisc_path \"/usr/bin/true\"\nmisc_timeout 2\n}", |r| {
            r.checkers[0].connect_timeout == Micros(2_000_000)
                && r.checkers[0].kind == CheckKind::Misc { path: "/usr/bin/true".into(), outcome: MiscOutcome::Success }
        }),
        ("TCP_CHECK {\n}\nMISC_CHECK {\nmisc_path /bin/true\n}", |r| r.checkers.len() == 2),
    ];
    for (body, ok) in rows {
        let v = vs(&one_rs("", body));
        assert!(ok(&v.real_servers[0]), "{body}: {v:?}");
    }
}

#[test]
fn fwmark_virtual_server() {
    let v = vs("virtual_server fwmark 7 {\n}\n");
    assert_eq!(v.addr, VsAddr::Fwmark(7));
}

const VRRP: &str = "\
global_defs {
   router_id LVS_A
   notification_email {
      admin@example.com
   }
}
vrrp_instance VI_1 {
    state MASTER
    interface eth0
    virtual_router_id 51
    priority 150
    advert_int 2
    nopreempt
    lvs_sync_daemon_interface eth1
    authentication {
        auth_type PASS
        auth_pass 1111
    }
    virtual_ipaddress {
        10.0.0.100/24 dev eth0
        10.0.0.101
    }
}
";

#[test]
fn every_vrrp_keyword() {
    let conf = parse(VRRP).unwrap();
    assert_eq!(conf.router_id.as_deref(), Some("LVS_A"));
    let v = &conf.vrrp_instances[0];
    assert_eq!(v.name, "VI_1");
    assert_eq!(v.state, VrrpState::Master);
    assert_eq!(v.interface, "eth0");
    assert_eq!((v.virtual_router_id, v.priority, v.advert_int, v.preempt), (51, 150, Micros(2_000_000), false));
    assert_eq!(v.lvs_sync_daemon_interface.as_deref(), Some("eth1"));
    assert_eq!(
        v.virtual_ipaddress,
        vec![
            Vip { addr: ip("10.0.0.100"), prefix: 24, dev: Some("eth0".into()) },
            Vip { addr: ip("10.0.0.101"), prefix: 32, dev: None },
        ]
    );
}

#[test]
fn vrrp_defaults() {
    // vrrp.c vrrp_complete_instance: no priority → 255 for MASTER, 100 otherwise; no state →
    // MASTER only at priority 255. advert_int 1 s, preempt on (vrrp_data.c alloc_vrrp).
    let base = "vrrp_instance V {\ninterface eth0\nvirtual_router_id 1\n";
    let pick = |extra: &str| parse(&format!("{base}{extra}}}\n")).unwrap().vrrp_instances[0].clone();
    let m = pick("state MASTER\n");
    assert_eq!((m.priority, m.advert_int, m.preempt), (255, Micros(1_000_000), true));
    let b = pick("state BACKUP\n");
    assert_eq!((b.state, b.priority), (VrrpState::Backup, 100));
    assert_eq!(pick("").state, VrrpState::Backup);
    assert_eq!(pick("priority 255\n").state, VrrpState::Master);
}

#[test]
fn braces_comments_and_quotes_as_keepalived_reads_them() {
    // `{` on the next line, comments with ! and #, a quoted value, CRLF line ends, and a
    // closing brace on the same line as a keyword all read as the plain form does.
    let text = "! comment\r\nvirtual_server 10.0.0.100 80\r\n{ # opens here\r\n  delay_loop 2 ! trailing\r\n  real_server 10.0.0.11 80 {\r\n    MISC_CHECK\r\n    {\r\n      misc_path \"/bin/true\"\r\n    } }\r\n}\r\n";
    let v = vs(text);
    assert_eq!(v.delay_loop, Micros(2_000_000));
    assert_eq!(
        v.real_servers[0].checkers[0].kind,
        CheckKind::Misc { path: "/bin/true".into(), outcome: MiscOutcome::Success }
    );
}

/// The error's kind, and the text its span starts at (line:col as a person counts).
fn err(text: &str) -> (ConfErrorKind, (usize, usize), ConfError) {
    let e = parse(text).expect_err(text);
    (e.kind, e.line_col(text), e)
}

#[test]
fn every_error_kind_is_located() {
    use ConfErrorKind::*;
    // Each row: a configuration, the kind of error, and where (line, column) it must point,
    // counted by hand in the text.
    let rows: [(&str, ConfErrorKind, (usize, usize)); 17] = [
        ("virtual_server 10.0.0.100 80 {\n  dealy_loop 3\n}\n", UnknownKeyword, (2, 3)),
        ("vitual_server 10.0.0.100 80 {\n}\n", UnknownKeyword, (1, 1)),
        (
            "virtual_server 10.0.0.100 80 {\n  real_server 10.0.0.11 80 {\n    SSL_GET {\n}\n}\n}\n",
            UnknownKeyword,
            (3, 5),
        ),
        ("virtual_server 10.0.0.100 80 {\n  delay_loop\n}\n", MissingValue, (2, 13)),
        ("virtual_server 10.0.0.100 {\n}\n", MissingValue, (1, 26)),
        ("virtual_server 10.0.0.100 80 {\n  lb_algo rrr\n}\n", BadValue, (2, 11)),
        ("virtual_server 10.0.0.100 80 {\n  lb_kind DSR\n}\n", BadValue, (2, 11)),
        ("virtual_server 10.0.0.300 80 {\n}\n", BadValue, (1, 16)),
        ("virtual_server 10.0.0.100 80 {\n  persistence_granularity 0.255.255.255\n}\n", BadValue, (2, 27)),
        ("virtual_server 10.0.0.100 80 {\n  real_server 10.0.0.11 80 {\n    weight 70000\n}\n}\n", BadValue, (3, 12)),
        (
            "virtual_server 10.0.0.100 80 {\n  real_server 10.0.0.11 80 {\n    MISC_CHECK {\n      misc_path /usr/local/bin/check.sh\n}\n}\n}\n",
            BadValue,
            (4, 17),
        ),
        ("virtual_server 10.0.0.100 80 {\n  delay_loop 3 4\n}\n", ExtraValue, (2, 16)),
        ("virtual_server 10.0.0.100 80\n  delay_loop 3\n", MissingOpenBrace, (2, 3)),
        ("virtual_server 10.0.0.100 80 {\n  delay_loop 3\n", UnclosedBlock, (3, 1)),
        ("}\n", StrayBrace, (1, 1)),
        (
            "virtual_server 10.0.0.100 80 {\n  real_server 10.0.0.11 80 {\n    MISC_CHECK {\n    }\n}\n}\n",
            Incomplete,
            (3, 5),
        ),
        ("vrrp_instance V {\n  virtual_router_id 1\n}\n", Incomplete, (1, 1)),
    ];
    for (text, kind, at) in rows {
        let (k, lc, e) = err(text);
        assert_eq!((k, lc), (kind, at), "{text}\n{e}");
    }
}

#[test]
fn unknown_keywords_suggest_the_nearest() {
    // The hint names the keyword an edit or two away; the test reads the typed `expected`
    // list and checks the suggestion is in it, not the sentence around it.
    let (_, _, e) = err("virtual_server 10.0.0.100 80 {\n  dealy_loop 3\n}\n");
    assert!(e.expected.contains("delay_loop"));
    assert!(e.hint.as_deref().is_some_and(|h| h.contains("delay_loop")));
    let (_, _, e) = err("virtual_server 10.0.0.100 80 {\n  lb_algo rrr\n}\n");
    assert!(e.hint.as_deref().is_some_and(|h| h.contains("rr")));
}

#[test]
fn never_panics_on_fragments() {
    // Every prefix of a full configuration either parses or returns an error: no panic, and
    // an error span inside the text.
    let full = format!(
        "{VRRP}{}",
        one_rs("lb_kind DR\nsorry_server 10.0.0.99 80", "weight 2\nHTTP_GET {\nurl {\npath /\n}\n}")
    );
    for end in (0..=full.len()).filter(|i| full.is_char_boundary(*i)) {
        if let Err(e) = parse(&full[..end]) {
            assert!(e.span.end <= end, "{e:?}");
        }
    }
}

#[test]
fn micros_display() {
    assert_eq!(Micros(3_000_000).to_string(), "3 s");
    assert_eq!(Micros(1_500_000).to_string(), "1.5 s");
    assert_eq!(Micros(250_000).to_string(), "0.25 s");
}

proptest::proptest! {
    // Any text, and any text made of keepalived's own words, braces and numbers: parse
    // returns a value or an error whose span lies inside the text, never a panic.
    #[test]
    fn never_panics(text in "\\PC{0,200}") {
        if let Err(e) = parse(&text) {
            proptest::prop_assert!(e.span.end <= text.len() && e.span.start <= e.span.end);
        }
    }

    #[test]
    fn never_panics_on_keywords(words in proptest::collection::vec(proptest::sample::select(vec![
        "virtual_server", "real_server", "10.0.0.1", "80", "{", "}", "\n", "TCP_CHECK", "HTTP_GET", "url",
        "path", "/", "MISC_CHECK", "misc_path", "/bin/true", "retry", "1.5", "vrrp_instance", "V",
        "virtual_ipaddress", "10.0.0.100/24", "dev", "fwmark", "!", "\"", "weight", "lb_kind", "DR",
    ]), 0..60)) {
        let text = words.join(" ");
        if let Err(e) = parse(&text) {
            proptest::prop_assert!(e.span.end <= text.len() && e.span.start <= e.span.end);
        }
    }
}

#[test]
fn timers_are_inherited_checker_then_real_server_then_virtual_server() {
    // check_data.c: a checker's retry, connect_timeout, delay_before_retry and delay_loop
    // come from the checker, else its real server, else its virtual server, else the
    // checker's default; a real server's inhibit_on_failure from itself, else its virtual
    // server. Each row: virtual server lines, real server lines, checker lines, and the
    // (retry, connect_timeout s, delay_before_retry s, delay_loop s, inhibit) expected.
    type Want = (u32, u64, u64, u64, bool);
    let rows: [(&str, &str, &str, Want); 7] = [
        ("", "", "", (1, 5, 1, 60, false)),
        (
            "retry 3\nconnect_timeout 2\ndelay_before_retry 4\ndelay_loop 7\ninhibit_on_failure",
            "",
            "",
            (3, 2, 4, 7, true),
        ),
        ("retry 3\ninhibit_on_failure", "retry 2\ninhibit_on_failure off\ndelay_loop 9", "", (2, 5, 1, 9, false)),
        ("retry 3", "retry 2", "retry 4", (4, 5, 1, 60, false)),
        ("connect_timeout 2", "connect_timeout 3", "connect_timeout 4", (1, 4, 1, 60, false)),
        ("delay_before_retry 2", "", "delay_before_retry 0", (1, 5, 0, 60, false)),
        ("delay_loop 7", "", "delay_loop 2", (1, 5, 1, 2, false)),
    ];
    for (vsl, rsl, ckl, want) in rows {
        let text = format!(
            "virtual_server 10.0.0.100 80 {{\n{vsl}\nreal_server 10.0.0.11 80 {{\n{rsl}\nTCP_CHECK {{\n{ckl}\n}}\n}}\n}}\n"
        );
        let v = vs(&text);
        let (rs, c) = (&v.real_servers[0], &v.real_servers[0].checkers[0]);
        let s = |m: Micros| m.0 / 1_000_000;
        let got = (c.retry, s(c.connect_timeout), s(c.delay_before_retry), s(c.delay_loop), rs.inhibit_on_failure);
        assert_eq!(got, want, "{text}");
    }
    // HTTP_GET's own default (3 s) yields to a virtual server's delay_before_retry.
    let c = checker(&one_rs("delay_before_retry 2", "HTTP_GET {\nurl {\npath /\n}\n}"));
    assert_eq!(c.delay_before_retry, Micros(2_000_000));
}
