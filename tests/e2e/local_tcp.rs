//! TCP to an address of the client's own host: the packets go over `lo`, as in the
//! kernel, where `loopback_xmit` queues them to the backlog (`netif_rx`) and they are
//! received in a later softirq. lvsim used to deliver them inside the sender's call and
//! panicked when the answer (a RST) freed the socket that was still sending (issue 16).

use super::common::run_text;

/// One host, a server on port 80, and a client connecting to `to`.
fn scenario(to: &str) -> String {
    format!(
        r#"Scenario(
    about: "local tcp",
    seed: 1,
    duration: "1s",
    segments: [ Segment(name: "lan", latency: "10us") ],
    hosts: [ Host(name: "a", ifaces: {{"eth0": "lan"}}, run: [ "ip addr add 10.0.0.1/24 dev eth0" ]) ],
    apps: [
        Server(host: "a", proto: tcp, port: 80, response: 1000),
        Client(host: "a", proto: tcp, to: "{to}", count: 3, every: "100ms"),
    ],
)"#
    )
}

/// Runs with tracing on and off (both paths used to panic) and returns the client's
/// (completed, refused) counts, which must agree.
fn outcome(to: &str) -> (u64, u64) {
    let text = scenario(to);
    let traced = run_text("local.ron", &text);
    let c = &traced.engine.metrics.clients[0];
    let l = lvsim::scenario::parse("local.ron", &text).unwrap();
    let mut quiet = l.build().unwrap();
    quiet.run();
    let q = &quiet.metrics.clients[0];
    assert_eq!((c.completed, c.refused), (q.completed, q.refused), "tracing changed the outcome");
    (c.completed, c.refused)
}

#[test]
fn connecting_to_an_own_address_completes_over_lo() {
    // Linux: `curl http://<own address>/` is answered by the local server over lo; all
    // three connections complete and nothing leaves the host.
    assert_eq!(outcome("10.0.0.1:80"), (3, 0));
    assert_eq!(outcome("127.0.0.1:80"), (3, 0));
}

#[test]
fn a_closed_local_port_is_refused_by_rst() {
    // Linux: nothing listens on 81, so tcp_v4_send_reset answers the SYN and connect()
    // fails with ECONNREFUSED: three refusals, no completion, no panic.
    assert_eq!(outcome("10.0.0.1:81"), (0, 3));
    assert_eq!(outcome("127.0.0.1:81"), (0, 3));
}
