//! Expected observations: what a student should see when the scenario runs, written in
//! the scenario file so every scenario is also a test (`lvsim verify`, tests/e2e).
//!
//! ```ron
//! expect: [
//!     Completed(client: "client1", min: 4),
//!     Neigh(host: "router", ip: "10.0.0.100", mac_of: "rs1"),
//!     Dropped(host: "rs1", reason: "rp_filter", min: 1),
//!     Saw(host: "director", filter: "why == ipvs.schedule && why.sched == rr", max: 0),
//! ]
//! ```
//! `min`/`max` bound a count; with neither, at least one is expected. `Saw` counts trace
//! steps matching a [filter](crate::trace::filter) — typed reasons (`why == KEY`,
//! `why.FIELD == VALUE`), never the wording of the sentence.

use super::locate::Locator;
use super::{Loaded, ScenarioError};
use crate::engine::Engine;
use crate::trace::filter::Filter;
use crate::trace::{Names, VecRecorder};
use crate::why::DropReason;
use serde::Deserialize;
use std::cell::RefCell;
use std::fmt::{self, Write as _};
use std::net::Ipv4Addr;
use std::rc::Rc;

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Expect {
    /// Connections (TCP) or requests (UDP) of a client application that got their answer.
    Completed {
        client: String,
        #[serde(default)]
        min: Option<u64>,
        #[serde(default)]
        max: Option<u64>,
    },
    /// Refused: RST, or ICMP port/protocol unreachable.
    Refused {
        client: String,
        #[serde(default)]
        min: Option<u64>,
        #[serde(default)]
        max: Option<u64>,
    },
    /// Failed with ICMP host/net unreachable or no route.
    Unreachable {
        client: String,
        #[serde(default)]
        min: Option<u64>,
        #[serde(default)]
        max: Option<u64>,
    },
    /// Gave up after retransmitting.
    TimedOut {
        client: String,
        #[serde(default)]
        min: Option<u64>,
        #[serde(default)]
        max: Option<u64>,
    },
    /// Responses sent by the server application on `host`.
    Served {
        host: String,
        #[serde(default)]
        min: Option<u64>,
        #[serde(default)]
        max: Option<u64>,
    },
    /// At the end, `host`'s neighbour entry for `ip` holds the MAC of host `mac_of` and/or
    /// is in NUD state `state` (`REACHABLE`, `STALE`, `FAILED`...).
    Neigh {
        host: String,
        ip: String,
        #[serde(default)]
        mac_of: Option<String>,
        #[serde(default)]
        state: Option<String>,
    },
    /// Frames or packets `host` dropped for `reason` (a drop key such as `rp_filter`).
    Dropped {
        host: String,
        reason: String,
        #[serde(default)]
        min: Option<u64>,
        #[serde(default)]
        max: Option<u64>,
    },
    /// Trace steps (at `host`, if given) matching the trace filter `filter`
    /// (`why == ipvs.schedule && why.sched == rr`). `text` is the old substring search,
    /// refused with a hint.
    Saw {
        #[serde(default)]
        host: Option<String>,
        #[serde(default)]
        filter: Option<String>,
        #[serde(default)]
        text: Option<String>,
        #[serde(default)]
        min: Option<u64>,
        #[serde(default)]
        max: Option<u64>,
    },
}

/// One checked expectation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    pub expect: String,
    pub ok: bool,
    pub got: String,
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", if self.ok { "ok  " } else { "FAIL" }, self.expect, self.got)
    }
}

fn range_text(min: Option<u64>, max: Option<u64>) -> String {
    match (min, max) {
        (None, None) => "≥ 1".into(),
        (Some(a), None) => format!("≥ {a}"),
        (None, Some(b)) => format!("≤ {b}"),
        (Some(a), Some(b)) if a == b => format!("= {a}"),
        (Some(a), Some(b)) => format!("{a}..={b}"),
    }
}

fn in_range(n: u64, min: Option<u64>, max: Option<u64>) -> bool {
    let lo = if min.is_none() && max.is_none() { 1 } else { min.unwrap_or(0) };
    n >= lo && max.is_none_or(|m| n <= m)
}

struct Ctx<'a> {
    l: &'a Loaded,
    loc: Locator,
    from: usize,
}

impl Ctx<'_> {
    fn err(&self, text: &str, expected: &str, help: Option<String>) -> ScenarioError {
        let (s, e) = self.loc.find_after(self.from, text).map_or((self.from, self.from), |l| (l.start, l.end));
        ScenarioError::at(&self.l.origin, &self.l.source, s, e, expected, format!("\"{text}\""), help)
    }
}

/// Runs the scenario (with tracing) and checks every expectation. Unknown names in the
/// expectations are scenario errors with a position.
pub fn verify(l: &Loaded) -> Result<Vec<Check>, ScenarioError> {
    let mut engine = l.build()?;
    let rec = Rc::new(RefCell::new(VecRecorder::default()));
    engine.set_recorder(Box::new(rec.clone()));
    engine.run();
    let steps = std::mem::take(&mut rec.borrow_mut().steps);
    check_all(l, &engine, &steps, &l.scenario.expect)
}

/// Checks `expects` against a finished run of `l` (its engine and recorded steps), so a
/// caller that already ran the scenario (the exercise checker) need not run it again.
pub fn check_all(
    l: &Loaded,
    engine: &Engine,
    steps: &[crate::trace::Step],
    expects: &[Expect],
) -> Result<Vec<Check>, ScenarioError> {
    let names = engine.names();
    let from = l.source.find("expect:").unwrap_or(0);
    let cx = Ctx { l, loc: Locator::new(&l.source), from };
    expects.iter().map(|x| check_one(&cx, engine, &names, steps, x)).collect()
}

/// The filter of a `Saw`: parsed, or a located error (an old `text:` gets the new form).
fn saw_filter(cx: &Ctx, filter: Option<&str>, text: Option<&str>) -> Result<Filter, ScenarioError> {
    if let Some(t) = text {
        return Err(cx.err(
            t,
            "a `filter:` on the trace's typed reasons",
            Some(
                "`Saw(text: ...)` matched the wording of a sentence and is gone; write \
                 Saw(host: \"director\", filter: \"why == ipvs.schedule && why.sched == rr\"): \
                 `why == KEY` and `why.FIELD == VALUE` (see docs/tui.md, Filters)"
                    .into(),
            ),
        ));
    }
    let Some(f) = filter else {
        return Err(cx.err(
            "Saw(",
            "`filter:` in Saw",
            Some("for example: Saw(host: \"director\", filter: \"why == ipvs.schedule\")".into()),
        ));
    };
    Filter::parse(f).map_err(|e| cx.err(f, "a trace filter", Some(e.to_string())))
}

fn host_id(cx: &Ctx, e: &Engine, name: &str) -> Result<usize, ScenarioError> {
    e.hosts.iter().position(|h| h.name == name).ok_or_else(|| {
        let all: Vec<_> = e.hosts.iter().map(|h| h.name.as_str()).collect();
        cx.err(name, "the name of a host", Some(format!("hosts: {}", all.join(", "))))
    })
}

fn check_one(
    cx: &Ctx,
    e: &Engine,
    names: &Names,
    steps: &[crate::trace::Step],
    x: &Expect,
) -> Result<Check, ScenarioError> {
    let m = &e.metrics;
    let client = |name: &str| {
        e.client_names.iter().position(|n| n == name).ok_or_else(|| {
            cx.err(
                name,
                "the host name of a client application",
                Some(format!("clients: {}", e.client_names.join(", "))),
            )
        })
    };
    let counted = |what: String, n: u64, min: Option<u64>, max: Option<u64>| Check {
        expect: format!("{what} {}", range_text(min, max)),
        ok: in_range(n, min, max),
        got: n.to_string(),
    };
    Ok(match x {
        Expect::Completed { client: c, min, max } => {
            counted(format!("{c}: completed"), m.clients[client(c)?].completed, *min, *max)
        }
        Expect::Refused { client: c, min, max } => {
            counted(format!("{c}: refused"), m.clients[client(c)?].refused, *min, *max)
        }
        Expect::Unreachable { client: c, min, max } => {
            counted(format!("{c}: unreachable"), m.clients[client(c)?].unreachable, *min, *max)
        }
        Expect::TimedOut { client: c, min, max } => {
            counted(format!("{c}: timed out"), m.clients[client(c)?].timed_out, *min, *max)
        }
        Expect::Served { host, min, max } => {
            let h = host_id(cx, e, host)?;
            let n = e
                .apps
                .iter()
                .filter_map(|a| match a {
                    crate::workload::App::Server(s) if s.host as usize == h => Some(m.served[s.stats]),
                    _ => None,
                })
                .sum();
            counted(format!("{host}: served"), n, *min, *max)
        }
        Expect::Dropped { host, reason, min, max } => {
            let h = host_id(cx, e, host)?;
            let r = DropReason::ALL.iter().find(|r| r.key() == reason).ok_or_else(|| {
                let keys: Vec<_> = DropReason::ALL.iter().map(|r| r.key()).collect();
                cx.err(reason, "a drop reason", Some(format!("reasons: {}", keys.join(", "))))
            })?;
            counted(format!("{host}: dropped {reason}"), m.host_drops[h][*r as usize], *min, *max)
        }
        Expect::Saw { host, filter, text, min, max } => {
            let h = host.as_deref().map(|n| host_id(cx, e, n)).transpose()?;
            let f = saw_filter(cx, filter.as_deref(), text.as_deref())?;
            let n = steps.iter().filter(|s| h.is_none_or(|h| s.host as usize == h) && f.matches(s, names)).count();
            let at = host.as_deref().map_or(String::new(), |h| format!(" at {h}"));
            counted(format!("trace{at} matching `{}`", filter.as_deref().unwrap_or_default()), n as u64, *min, *max)
        }
        Expect::Neigh { host, ip, mac_of, state } => {
            let h = host_id(cx, e, host)?;
            let addr: Ipv4Addr = ip.parse().map_err(|_| cx.err(ip, "an IPv4 address", None))?;
            let mut want = format!("{host}: neigh {ip}");
            let mac = match mac_of {
                Some(o) => {
                    let oh = host_id(cx, e, o)?;
                    let _ = write!(want, " lladdr of {o}");
                    Some(e.hosts[oh].ifaces.iter().map(|i| i.mac).collect::<Vec<_>>())
                }
                None => None,
            };
            if let Some(st) = state {
                let _ = write!(want, " {st}");
            }
            let entry = e.hosts[h].neigh.entries.iter().find(|n| n.ip == addr);
            let (ok, got) = match entry {
                None => (false, "no entry".to_string()),
                Some(n) => {
                    let owner = names
                        .hosts
                        .iter()
                        .enumerate()
                        .find(|(i, _)| e.hosts[*i].ifaces.iter().any(|f| f.mac == n.mac && n.state.is_valid()));
                    let got = format!(
                        "{} {}{}",
                        n.mac,
                        n.state.name(),
                        owner.map_or(String::new(), |(_, o)| format!(" ({o})"))
                    );
                    let mac_ok = mac.as_ref().is_none_or(|ms| n.state.is_valid() && ms.contains(&n.mac));
                    let state_ok = state.as_deref().is_none_or(|s| s.eq_ignore_ascii_case(n.state.name()));
                    (mac_ok && state_ok, got)
                }
            };
            Check { expect: want, ok, got }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        // No bound means "at least one"; explicit bounds are inclusive.
        assert!(!in_range(0, None, None));
        assert!(in_range(1, None, None));
        assert!(in_range(0, None, Some(0)));
        assert!(!in_range(5, Some(1), Some(4)));
        assert_eq!(range_text(Some(4), Some(4)), "= 4");
    }
}
