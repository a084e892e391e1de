//! `ipvsadm -S -n` output read line by line: each line is an ipvsadm command without the
//! program name (`-A -t 10.0.0.100:80 -s rr`, `-a -t 10.0.0.100:80 -r 10.0.0.11:80 -g -w 1`),
//! parsed by `cmdline` like a `run:` line. A line may also start with `ipvsadm`; blank
//! lines and `#` comments are skipped. The commands are applied to a small model of the
//! table (a `-d` after an `-a` removes the server again), and kept as written for `run:`.

use super::{Model, Rs, Svc, word_at};
use crate::cmdline::{self, Command, IpvsadmCmd};
use crate::lang::Lang;
use crate::scenario::ScenarioError;

pub(crate) fn parse(origin: &str, text: &str, lang: Lang) -> Result<Model, ScenarioError> {
    let mut m = Model::default();
    let mut offset = 0;
    for raw in text.split_inclusive('\n') {
        let start = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        let lead = line.len() - line.trim_start().len();
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let prefixed = line.split_whitespace().next().is_some_and(|w| w == "ipvsadm" || w.ends_with("/ipvsadm"));
        let (cmd, shift) = if prefixed { (line.to_string(), 0) } else { (format!("ipvsadm {line}"), 8) };
        let at = |r: std::ops::Range<usize>| {
            let s = (start + lead + r.start).saturating_sub(shift).max(start + lead);
            let e = (start + lead + r.end).saturating_sub(shift).max(s);
            s..e
        };
        let parsed = match cmdline::parse(&cmd) {
            Ok(Command::Ipvsadm(c)) => c,
            Ok(_) => unreachable_command(origin, text, start + lead..start + lead + line.len(), lang)?,
            Err(e) => {
                let r = at(e.span.clone());
                let hint = e.hint.or_else(|| {
                    Some(
                        lang.pick(
                            "each line is one ipvsadm rule as `ipvsadm -S -n` prints it (numeric: -n)",
                            "每行是一条 ipvsadm 规则，即 `ipvsadm -S -n` 打印的样子（数字形式：-n）",
                        )
                        .to_string(),
                    )
                });
                return Err(ScenarioError::at(origin, text, r.start, r.end, e.expected, e.found, hint));
            }
        };
        let here = start + lead..start + lead + line.len();
        apply(&mut m, parsed, &here, origin, text, lang)?;
        m.run.push(if prefixed { line.to_string() } else { format!("ipvsadm {line}") });
    }
    if m.services.is_empty() {
        return Err(ScenarioError::at_end(
            origin,
            text,
            lang.pick("an `-A` line (a virtual service)", "一行 `-A`（一个虚拟服务）"),
            lang.pick("no service", "没有服务"),
            Some(
                lang.pick(
                    "produce the file with `ipvsadm -S -n > rules.txt`",
                    "用 `ipvsadm -S -n > rules.txt` 生成该文件",
                )
                .into(),
            ),
        ));
    }
    Ok(m)
}

/// A line that starts with a program other than ipvsadm cannot reach here (every line is
/// read as ipvsadm's); kept as an error rather than a panic.
fn unreachable_command(
    origin: &str,
    text: &str,
    r: std::ops::Range<usize>,
    lang: Lang,
) -> Result<IpvsadmCmd, ScenarioError> {
    Err(ScenarioError::at(
        origin,
        text,
        r.start,
        r.end,
        lang.pick("an ipvsadm rule", "一条 ipvsadm 规则"),
        cmdline::quote(text.get(r.clone()).unwrap_or("")),
        None,
    ))
}

fn apply(
    m: &mut Model,
    c: IpvsadmCmd,
    here: &std::ops::Range<usize>,
    origin: &str,
    text: &str,
    lang: Lang,
) -> Result<(), ScenarioError> {
    let svc_err = |what: &str| {
        let r = word_at(text, here.start);
        ScenarioError::at(
            origin,
            text,
            r.start,
            here.end,
            lang.pick("a service added by an earlier `-A` line", "前面某行 `-A` 添加过的服务"),
            what.to_string(),
            Some(
                lang.pick(
                    "`ipvsadm -S` prints each -A before its -a lines",
                    "`ipvsadm -S` 总是先打印 -A 行，再打印其 -a 行",
                )
                .into(),
            ),
        )
    };
    let key = |s: &Svc| (s.vip.unwrap_or(std::net::Ipv4Addr::UNSPECIFIED), s.port, s.proto, s.fwmark);
    let of = |a: cmdline::ipvsadm::ServiceAddr| (a.addr, a.port, a.proto, a.fwmark);
    match c {
        IpvsadmCmd::AddService(o) => {
            if m.services.iter().any(|s| key(s) == of(o.svc)) {
                return Err(ScenarioError::at(
                    origin,
                    text,
                    here.start,
                    here.end,
                    lang.pick("a service not added before", "一个之前没有添加过的服务"),
                    format!("{} {}", lang.pick("a second -A for", "重复的 -A："), o.svc.option()),
                    Some(
                        lang.pick(
                            "ipvsadm refuses it: Service already exists",
                            "ipvsadm 会拒绝：Service already exists",
                        )
                        .into(),
                    ),
                ));
            }
            m.services.push(Svc {
                at: here.clone(),
                vip: (o.svc.fwmark == 0).then_some(o.svc.addr),
                port: o.svc.port,
                proto: o.svc.proto,
                fwmark: o.svc.fwmark,
                servers: Vec::new(),
                sorry: None,
            });
        }
        IpvsadmCmd::AddServer(o) | IpvsadmCmd::EditServer(o) => {
            let add = matches!(c, IpvsadmCmd::AddServer(_));
            let Some(s) = m.services.iter_mut().find(|s| key(s) == of(o.svc)) else {
                return Err(svc_err(&format!("{}", o.svc.option())));
            };
            let rs = Rs {
                at: here.clone(),
                addr: o.addr,
                port: o.port,
                fwd: o.fwd,
                weight: o.weight,
                check_ports: Vec::new(),
            };
            match s.servers.iter_mut().find(|r| r.addr == o.addr && r.port == o.port) {
                Some(r) => *r = rs,
                None if add => s.servers.push(rs),
                None => return Err(svc_err(&format!("-e {} -r {}:{}", o.svc.option(), o.addr, o.port))),
            }
        }
        IpvsadmCmd::DelServer { svc, addr, port } => {
            if let Some(s) = m.services.iter_mut().find(|s| key(s) == of(svc)) {
                s.servers.retain(|r| !(r.addr == addr && r.port == port));
            }
        }
        IpvsadmCmd::DelService(svc) => m.services.retain(|s| key(s) != of(svc)),
        IpvsadmCmd::Clear => m.services.clear(),
        IpvsadmCmd::EditService(_)
        | IpvsadmCmd::SetTimeouts { .. }
        | IpvsadmCmd::StartDaemon(_)
        | IpvsadmCmd::StopDaemon { .. } => {}
    }
    Ok(())
}
