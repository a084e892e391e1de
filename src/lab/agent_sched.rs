//! `lvsim agent sched --script FILE --director NS`: drives one `lvsim sched --script` case
//! on a real kernel, from the lab's client namespace, and prints the kernel's picks as the
//! same JSON list `lvsim sched --script` prints.
//!
//! * The service and its servers are made with `ipvsadm -A` and `-a` (in the script's
//!   order, `-g`, with the script's weights and thresholds).
//! * `connect`: a real TCP connection from the script's client address and port to the
//!   VIP. The pick is the entry's destination in `ipvsadm -Lnc`, read once the entry is
//!   ESTABLISHED, so the server's counters have settled before the next event, as
//!   lvsim's script model assumes. A refused connection (no server: the director answers
//!   with ICMP port unreachable) is `null`.
//! * `close`: the socket is closed (a FIN; nothing unread, so no RST) and the entry is
//!   polled until it leaves ESTABLISHED (FIN_WAIT: DR's director sees only the client's
//!   half). The FIN of a connection whose server is deleted now is dropped by the
//!   director (no `expire_nodest_conn`), so there is nothing to wait for.
//! * A server's index is its first place in the script's list, as in `ipvs::script`: a
//!   re-added address keeps the index it had.
//! * `set_weight`, `edit_server`, `add_server`, `del_server`: `ipvsadm -e/-a/-d`, always
//!   with every option, since `-e` resets the ones left out.
//!
//! Every command in the director runs through one `sh` started there with
//! `ip netns exec` (a fork per command instead of a namespace switch per command). Lines
//! starting with `# ` are notes: a command the kernel refused, a connection that did not
//! settle in time.

use super::sched::{Event, Script};
use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Write};
use std::net::{Ipv4Addr, SocketAddrV4, TcpStream};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a connect may take, and how long an entry may take to settle.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
const SETTLE_TIMEOUT: Duration = Duration::from_secs(5);

/// A shell in the director's namespace, fed one command at a time.
pub struct Director {
    child: Child,
    stdin: ChildStdin,
    out: BufReader<ChildStdout>,
}

impl Director {
    /// `ip netns exec NS sh`, or a plain `sh` without a namespace.
    pub fn spawn(ns: Option<&str>) -> Result<Self, String> {
        let mut cmd = match ns {
            Some(ns) => {
                let mut c = Command::new("ip");
                c.args(["netns", "exec", ns, "sh"]);
                c
            }
            None => Command::new("sh"),
        };
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot start a shell in the director: {e}\n"))?;
        let stdin = child.stdin.take().ok_or("no stdin")?;
        let out = BufReader::new(child.stdout.take().ok_or("no stdout")?);
        Ok(Director { child, stdin, out })
    }

    /// Runs one command line; returns its exit status and output (stdout and stderr).
    pub fn run(&mut self, cmd: &str) -> Result<(i32, String), String> {
        writeln!(self.stdin, "{{ {cmd}\n}} </dev/null 2>&1; echo \"@@rc=$?\"")
            .and_then(|()| self.stdin.flush())
            .map_err(|e| format!("director shell: {e}"))?;
        let mut text = String::new();
        loop {
            let mut line = String::new();
            let n = self.out.read_line(&mut line).map_err(|e| format!("director shell: {e}"))?;
            if n == 0 {
                return Err(format!("director shell ended during `{cmd}`"));
            }
            if let Some(p) = line.find("@@rc=") {
                text.push_str(&line[..p]);
                let rc = line[p + 5..].trim().parse().unwrap_or(-1);
                return Ok((rc, text));
            }
            text.push_str(&line);
        }
    }
}

impl Drop for Director {
    fn drop(&mut self) {
        let _ = writeln!(self.stdin, "exit");
        let _ = self.child.wait();
    }
}

/// One line of `ipvsadm -Lnc`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub state: String,
    pub client: SocketAddrV4,
    pub virt: SocketAddrV4,
    pub dest: SocketAddrV4,
}

/// Parses `ipvsadm -Lnc` (`pro expire state source virtual destination`), skipping the
/// title lines.
pub fn parse_lnc(text: &str) -> Vec<Entry> {
    text.lines()
        .filter_map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            let [_, _, state, src, virt, dst, ..] = w[..] else { return None };
            Some(Entry {
                state: state.to_string(),
                client: src.parse().ok()?,
                virt: virt.parse().ok()?,
                dest: dst.parse().ok()?,
            })
        })
        .collect()
}

/// A server as the agent tracks it (the values `ipvsadm -e` must repeat).
#[derive(Clone, Copy, Debug)]
struct Srv {
    addr: Ipv4Addr,
    port: u16,
    weight: u32,
    x: u32,
    y: u32,
    present: bool,
}

struct Run {
    d: Director,
    svc: String,
    servers: Vec<Srv>,
}

impl Run {
    fn note(at: usize, msg: &str) {
        println!("# events[{at}]: {}", msg.trim_end().replace('\n', " / "));
    }

    fn ipvsadm(&mut self, at: &str, args: &str) -> Result<(), String> {
        let (rc, out) = self.d.run(&format!("ipvsadm {args}"))?;
        if rc != 0 {
            println!("# {at}: ipvsadm {args} failed ({rc}): {}", out.trim_end().replace('\n', " / "));
        }
        Ok(())
    }

    fn server_args(&self, k: usize) -> String {
        let s = self.servers[k];
        format!("-t {} -r {}:{} -g -w {} -x {} -y {}", self.svc, s.addr, s.port, s.weight, s.x, s.y)
    }

    fn entry(&mut self, client: SocketAddrV4, virt: SocketAddrV4) -> Result<Option<Entry>, String> {
        let (_, text) = self.d.run("ipvsadm -Lnc")?;
        Ok(parse_lnc(&text).into_iter().find(|e| e.client == client && e.virt == virt))
    }

    /// Polls until the entry's state satisfies `done`; returns the last entry seen.
    fn settle(
        &mut self,
        client: SocketAddrV4,
        virt: SocketAddrV4,
        done: impl Fn(&str) -> bool,
    ) -> Result<(Option<Entry>, bool), String> {
        let start = Instant::now();
        loop {
            let e = self.entry(client, virt)?;
            if e.as_ref().is_some_and(|e| done(&e.state)) {
                return Ok((e, true));
            }
            if start.elapsed() > SETTLE_TIMEOUT {
                return Ok((e, false));
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    fn index_of(&self, dest: SocketAddrV4) -> Option<usize> {
        self.servers.iter().position(|s| s.addr == *dest.ip() && s.port == dest.port())
    }
}

fn tcp_connect(client: SocketAddrV4, virt: SocketAddrV4) -> std::io::Result<TcpStream> {
    let s = Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP))?;
    s.set_reuse_address(true)?;
    s.bind(&SockAddr::from(client))?;
    s.connect_timeout(&SockAddr::from(virt), CONNECT_TIMEOUT)?;
    Ok(s.into())
}

/// An open connection: its socket and the server the kernel chose.
type Open = Option<(TcpStream, SocketAddrV4)>;

/// Runs the script in `path` against the director `ns` (None: this namespace) and prints
/// the picks.
pub fn run(path: &std::path::Path, ns: Option<&str>) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}\n", path.display()))?;
    let sc: Script = serde_json::from_str(&text).map_err(|e| format!("{}: {e}\n", path.display()))?;
    let (vip, vport) = sc.service();
    let virt = SocketAddrV4::new(vip, vport);
    let mut r = Run {
        d: Director::spawn(ns)?,
        svc: virt.to_string(),
        servers: sc
            .servers
            .iter()
            .map(|s| Srv { addr: s.addr, port: s.port, weight: s.weight, x: s.x, y: s.y, present: true })
            .collect(),
    };
    let mut add = format!("-A -t {virt} -s {}", sc.scheduler);
    if let Some(p) = sc.persistence {
        let _ = write!(add, " -p {}", p.timeout);
        if let Some(m) = p.netmask {
            let _ = write!(add, " -M {m}");
        }
    }
    if !sc.sched_flags.is_empty() {
        let _ = write!(add, " -b {}", sc.sched_flags.join(","));
    }
    r.ipvsadm("service", &add)?;
    for k in 0..r.servers.len() {
        let a = format!("-a {}", r.server_args(k));
        r.ipvsadm(&format!("servers[{k}]"), &a)?;
    }

    let mut picks: Vec<Option<usize>> = Vec::new();
    // Per connect: its addresses, and while open, the socket and the kernel's server.
    let mut conns: Vec<(SocketAddrV4, SocketAddrV4, Open)> = Vec::new();
    for (i, e) in sc.events.iter().enumerate() {
        match *e {
            Event::Connect { client, cport, vip, vport } => {
                let client = SocketAddrV4::new(client, cport);
                let virt = SocketAddrV4::new(vip, vport);
                match tcp_connect(client, virt) {
                    Ok(s) => {
                        let (entry, settled) = r.settle(client, virt, |st| st == "ESTABLISHED")?;
                        if !settled {
                            Run::note(i, &format!("not ESTABLISHED after {SETTLE_TIMEOUT:?}: {entry:?}"));
                        }
                        let dest = entry.map(|e| e.dest);
                        picks.push(dest.and_then(|d| r.index_of(d)));
                        conns.push((client, virt, dest.map(|d| (s, d))));
                    }
                    Err(err) => {
                        if err.kind() != std::io::ErrorKind::ConnectionRefused {
                            Run::note(i, &format!("connect {client} → {virt}: {err}"));
                        }
                        picks.push(None);
                        conns.push((client, virt, None));
                    }
                }
            }
            Event::Close { conn } => {
                let Some((c, v, open)) = conns.get_mut(conn) else {
                    return Err(format!("events[{i}]: no connect {conn}\n"));
                };
                let (c, v) = (*c, *v);
                let Some((s, dest)) = open.take() else { continue };
                drop(s);
                if r.servers.iter().any(|s| s.addr == *dest.ip() && s.port == dest.port() && s.present) {
                    let (entry, settled) = r.settle(c, v, |st| st != "ESTABLISHED")?;
                    if !settled || entry.as_ref().is_some_and(|e| e.state != "FIN_WAIT") {
                        Run::note(i, &format!("after close: {entry:?}"));
                    }
                }
            }
            Event::SetWeight { server, weight } => {
                r.servers[server].weight = weight;
                let a = format!("-e {}", r.server_args(server));
                r.ipvsadm(&format!("events[{i}]"), &a)?;
            }
            Event::EditServer { server, weight, x, y } => {
                let s = &mut r.servers[server];
                s.weight = weight.unwrap_or(s.weight);
                s.x = x.unwrap_or(s.x);
                s.y = y.unwrap_or(s.y);
                let a = format!("-e {}", r.server_args(server));
                r.ipvsadm(&format!("events[{i}]"), &a)?;
            }
            Event::AddServer { addr, port, weight } => {
                r.servers.push(Srv { addr, port, weight, x: 0, y: 0, present: true });
                let a = format!("-a {}", r.server_args(r.servers.len() - 1));
                r.ipvsadm(&format!("events[{i}]"), &a)?;
            }
            Event::DelServer { server } => {
                r.servers[server].present = false;
                let s = r.servers[server];
                let a = format!("-d -t {} -r {}:{}", r.svc, s.addr, s.port);
                r.ipvsadm(&format!("events[{i}]"), &a)?;
            }
        }
    }
    println!("{}", serde_json::to_string(&picks).expect("picks serialize"));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lnc_parses_entries_and_templates() {
        // ipvsadm -Lnc as 1.31 prints it: the title lines are skipped; a persistence
        // template (client port 0) is an entry like any other, so callers match the
        // exact client address and port.
        let text = "IPVS connection entries\n\
                    pro expire state       source             virtual            destination\n\
                    TCP 14:59  ESTABLISHED 192.0.2.7:40001    10.0.1.1:80        10.0.0.12:80\n\
                    TCP 05:59  NONE        192.0.2.0:0        10.0.1.1:80        10.0.0.12:80\n\
                    TCP 01:58  FIN_WAIT    192.0.2.8:1234     10.0.1.1:80        10.0.0.11:80\n";
        let e = parse_lnc(text);
        assert_eq!(e.len(), 3);
        assert_eq!(e[0].state, "ESTABLISHED");
        assert_eq!(e[0].dest, "10.0.0.12:80".parse().unwrap());
        assert_eq!(e[1].client, "192.0.2.0:0".parse().unwrap());
        assert_eq!(e[2].state, "FIN_WAIT");
    }

    #[test]
    fn director_shell_reports_status_and_output() {
        // The shell protocol: output (even without a final newline) and the exit status
        // of each command come back separately, command after command.
        let mut d = Director::spawn(None).unwrap();
        assert_eq!(d.run("echo hi").unwrap(), (0, "hi\n".to_string()));
        assert_eq!(d.run("printf x; false").unwrap(), (1, "x".to_string()));
        assert_eq!(d.run("echo oops >&2; (exit 3)").unwrap(), (3, "oops\n".to_string()));
    }
}
