//! `lvsim agent`: the small client and server a generated lab runs on real Linux, so the
//! kernel sees the same connections the simulator modelled: the same source ports, the
//! same start times (relative to the lab's `t0`), the same request and response sizes,
//! and the client closes first after the last response, as lvsim's client does.
//!
//! Wire format: a request starts with its own length as a big-endian `u32` (the rest is
//! zeros), so the server answers exactly once per request however TCP splits it; a
//! response starts with `lvsim:NAME\n` (the serving host's name) and is padded with
//! zeros to its size. The client logs one line per connection or datagram:
//! `conn PROTO PORT served NAME` or `conn PROTO PORT failed WHY`.

use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddrV4, TcpListener, TcpStream, UdpSocket};
use std::thread;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The smallest request the agent can send: its length header.
pub const MIN_REQUEST: u16 = 4;

/// One connection (TCP) or datagram (UDP) a client starts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Start {
    /// Seconds after `t0`.
    pub at: f64,
    pub port: u16,
}

/// Parses `T:PORT,T:PORT,...` (seconds after t0, source port).
pub fn parse_plan(s: &str) -> Result<Vec<Start>, String> {
    s.split(',')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (t, port) = p.split_once(':').ok_or_else(|| format!("expected T:PORT, found {p:?}"))?;
            let at: f64 = t.parse().map_err(|_| format!("expected seconds, found {t:?}"))?;
            let port: u16 = port.parse().map_err(|_| format!("expected a port, found {port:?}"))?;
            Ok(Start { at, port })
        })
        .collect()
}

/// How late (seconds) a start may be before the client logs it (`late PROTO PORT SECS`).
pub const LATE: f64 = 0.02;

/// Seconds since the epoch.
pub fn now_secs() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64())
}

/// Sleeps until `t0 + at` (wall clock, seconds since the epoch).
pub fn wait_until(t0: f64, at: f64) {
    let left = t0 + at - now_secs();
    if left > 0.0 {
        thread::sleep(Duration::from_secs_f64(left));
    }
}

/// A server: answers on TCP `ports` (any address) and on UDP `udp` addresses (one socket
/// per local address, so a reply leaves from the address the request was sent to, as a
/// DR real server's must). Runs until killed.
pub fn serve(name: &str, tcp: &[u16], udp: &[SocketAddrV4], response: u16) -> Result<(), String> {
    let mut threads = Vec::new();
    for &port in tcp {
        let l = TcpListener::bind((Ipv4Addr::UNSPECIFIED, port)).map_err(|e| format!("bind tcp :{port}: {e}"))?;
        let name = name.to_string();
        threads.push(thread::spawn(move || {
            for s in l.incoming().flatten() {
                let name = name.clone();
                thread::spawn(move || serve_tcp(s, &name, response));
            }
        }));
    }
    for &addr in udp {
        let s = UdpSocket::bind(addr).map_err(|e| format!("bind udp {addr}: {e}"))?;
        let body = response_body(name, response);
        threads.push(thread::spawn(move || {
            let mut buf = vec![0u8; 65536];
            while let Ok((_, from)) = s.recv_from(&mut buf) {
                let _ = s.send_to(&body, from);
            }
        }));
    }
    for t in threads {
        let _ = t.join();
    }
    Ok(())
}

fn response_body(name: &str, size: u16) -> Vec<u8> {
    let mut body = format!("lvsim:{name}\n").into_bytes();
    body.resize(usize::from(size).max(body.len()), 0);
    body
}

/// One TCP connection: read a request (length header first), answer, until the peer
/// closes; then close.
fn serve_tcp(mut s: TcpStream, name: &str, response: u16) {
    let body = response_body(name, response);
    let mut buf = vec![0u8; 65536];
    let mut have: Vec<u8> = Vec::new();
    loop {
        let n = match s.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        have.extend_from_slice(&buf[..n]);
        while have.len() >= 4 {
            let want = u32::from_be_bytes([have[0], have[1], have[2], have[3]]) as usize;
            let want = want.max(4);
            if have.len() < want {
                break;
            }
            have.drain(..want);
            if s.write_all(&body).is_err() {
                return;
            }
        }
    }
}

/// What a client does.
#[derive(Clone, Debug)]
pub struct ClientSpec {
    pub tcp: bool,
    pub dst: SocketAddrV4,
    pub request: u16,
    pub response: u16,
    /// Requests per TCP connection.
    pub requests: u32,
    pub plan: Vec<Start>,
    pub t0: f64,
    /// Seconds after `t0` when the lab ends: a connection still waiting then is logged
    /// as `failed timeout` (lvsim counts it as in flight).
    pub end: f64,
}

impl ClientSpec {
    /// Time left until the lab's end (at least 10 ms, so a late start still tries).
    fn left(&self) -> Duration {
        Duration::from_secs_f64((self.t0 + self.end - now_secs()).max(0.01))
    }
}

/// Starts every planned connection at its time; prints a line when a start is late
/// and when a connection ends, at once (the lab may kill the client after lvsim's run
/// ends, and what was printed by then is what counts).
pub fn client(spec: &ClientSpec) -> Result<(), String> {
    let mut handles = Vec::new();
    for &st in &spec.plan {
        let spec = spec.clone();
        handles.push(thread::spawn(move || {
            wait_until(spec.t0, st.at);
            let proto = if spec.tcp { "tcp" } else { "udp" };
            let late = now_secs() - (spec.t0 + st.at);
            // A start more than 20 ms late may change the order the kernel sees.
            if late > LATE {
                say(&format!("late {proto} {} {late:.3}", st.port));
            }
            let r = if spec.tcp { tcp_conn(&spec, st.port) } else { udp_req(&spec, st.port) };
            match r {
                Ok(name) => say(&format!("conn {proto} {} served {name}", st.port)),
                Err(why) => say(&format!("conn {proto} {} failed {why}", st.port)),
            }
        }));
    }
    for h in handles {
        let _ = h.join();
    }
    Ok(())
}

/// One whole line to standard output, flushed.
fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

fn request_body(len: u16) -> Vec<u8> {
    let mut b = vec![0u8; usize::from(len.max(MIN_REQUEST))];
    b[..4].copy_from_slice(&u32::from(len.max(MIN_REQUEST)).to_be_bytes());
    b
}

fn served_name(buf: &[u8]) -> String {
    let text = String::from_utf8_lossy(buf);
    text.strip_prefix("lvsim:").and_then(|r| r.split('\n').next()).unwrap_or("?").to_string()
}

fn kind(e: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::ConnectionRefused => "refused".into(),
        K::ConnectionReset => "reset".into(),
        K::TimedOut | K::WouldBlock => "timeout".into(),
        K::HostUnreachable | K::NetworkUnreachable => "unreachable".into(),
        _ => format!("{:?}", e.kind()).to_lowercase(),
    }
}

fn tcp_conn(spec: &ClientSpec, port: u16) -> Result<String, String> {
    let s = Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP)).map_err(|e| kind(&e))?;
    s.set_reuse_address(true).map_err(|e| kind(&e))?;
    s.bind(&SockAddr::from(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, port)))
        .map_err(|e| format!("bind-{}", kind(&e)))?;
    s.connect_timeout(&SockAddr::from(spec.dst), spec.left()).map_err(|e| kind(&e))?;
    let mut s: TcpStream = s.into();
    s.set_read_timeout(Some(spec.left())).map_err(|e| kind(&e))?;
    let mut name = String::from("?");
    let mut buf = vec![0u8; 65536];
    for _ in 0..spec.requests.max(1) {
        s.write_all(&request_body(spec.request)).map_err(|e| kind(&e))?;
        let mut got = Vec::new();
        while got.len() < usize::from(spec.response) {
            let n = s.read(&mut buf).map_err(|e| kind(&e))?;
            if n == 0 {
                return Err("closed".into());
            }
            got.extend_from_slice(&buf[..n]);
        }
        name = served_name(&got);
    }
    drop(s);
    Ok(name)
}

fn udp_req(spec: &ClientSpec, port: u16) -> Result<String, String> {
    let s = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP)).map_err(|e| kind(&e))?;
    s.set_reuse_address(true).map_err(|e| kind(&e))?;
    s.bind(&SockAddr::from(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, port)))
        .map_err(|e| format!("bind-{}", kind(&e)))?;
    let s: UdpSocket = s.into();
    s.set_read_timeout(Some(spec.left())).map_err(|e| kind(&e))?;
    s.send_to(&request_body(spec.request), spec.dst).map_err(|e| kind(&e))?;
    let mut buf = vec![0u8; 65536];
    let (n, _) = s.recv_from(&mut buf).map_err(|e| kind(&e))?;
    Ok(served_name(&buf[..n]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_parses_and_rejects() {
        // Two entries as the lab writes them; a missing port is an error, not port 0.
        assert_eq!(
            parse_plan("0:51660,0.1:51661").unwrap(),
            vec![Start { at: 0.0, port: 51660 }, Start { at: 0.1, port: 51661 }]
        );
        assert!(parse_plan("0.1").is_err());
        assert!(parse_plan("x:1").is_err());
    }

    #[test]
    fn loopback_round_trip_names_the_server() {
        // A real server and client over the host's loopback: the client learns the
        // server's name from the response, which proves the framing (length header,
        // exact response size) works end to end through a real TCP stack.
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        thread::spawn(move || {
            for s in l.incoming().flatten() {
                serve_tcp(s, "rs9", 1000);
            }
        });
        let spec = ClientSpec {
            tcp: true,
            dst: SocketAddrV4::new(Ipv4Addr::LOCALHOST, port),
            request: 100,
            response: 1000,
            requests: 2,
            plan: vec![],
            t0: SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs_f64(),
            end: 5.0,
        };
        assert_eq!(tcp_conn(&spec, 0).unwrap(), "rs9");
    }
}
