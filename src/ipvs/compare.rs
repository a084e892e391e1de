//! `lvsim sched compare`: one workload through several schedulers, and how evenly each
//! spreads it (connections per server, share against weight share, Jain's index,
//! max/mean, weight-share error).
//!
//! The workload: `connections` connections from `clients` client addresses, one after the
//! other; each stays open while the next `length` connections arrive (so least-connection
//! schedulers see real activeconns), then closes. Everything runs through
//! [`crate::ipvs::script`], that is through the real IPVS code.

use crate::ipvs::Sched;
use crate::ipvs::script::{Script, ServerSpec};
use crate::metrics::fairness;
use serde::Serialize;
use serde_json::json;
use std::fmt::Write as _;
use std::net::Ipv4Addr;

/// The workload of a comparison.
#[derive(Clone, Debug)]
pub struct Workload {
    pub weights: Vec<u32>,
    pub clients: u32,
    pub connections: u32,
    /// Connections each one stays open for (its lifetime, counted in later arrivals).
    pub length: u32,
    pub sched_flags: Vec<String>,
}

/// One scheduler's result.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    pub scheduler: String,
    pub per_server: Vec<u64>,
    pub refused: u64,
    pub share: Vec<f64>,
    pub weight_share: Vec<f64>,
    pub jain: Option<f64>,
    pub weighted_jain: Option<f64>,
    pub max_over_mean: Option<f64>,
    pub weight_share_error: f64,
}

fn client_addr(i: u32) -> String {
    format!("198.18.{}.{}", i / 250, 1 + i % 250)
}

/// The script of `w` for `sched`, as a value: no JSON text is written or read back.
pub fn script(w: &Workload, sched: Sched) -> Script {
    // 10.0.0.11, 10.0.0.12, ... (past .255 the count runs on into 10.0.1.0).
    let first = u32::from(Ipv4Addr::new(10, 0, 0, 11));
    let servers = (first..)
        .zip(&w.weights)
        .map(|(a, &weight)| ServerSpec { addr: Ipv4Addr::from(a), port: 80, weight, x: 0, y: 0 })
        .collect();
    let mut events = Vec::new();
    for k in 0..w.connections {
        if k >= w.length && w.length > 0 {
            events.push(json!({"op": "close", "conn": k - w.length}));
        }
        let c = k % w.clients.max(1);
        events.push(json!({"op": "connect", "client": client_addr(c), "cport": 1024 + (k / w.clients.max(1)) % 60000, "vip": "10.0.0.100", "vport": 80}));
    }
    // sh-* flags go to sh, mh-* to mh (ipvsadm refuses them for other schedulers).
    let prefix = format!("{}-", sched.name());
    let sched_flags = w.sched_flags.iter().filter(|f| f.starts_with(&prefix)).cloned().collect();
    Script { scheduler: sched.name().to_string(), servers, events, sched_flags, ..Script::default() }
}

/// Runs the workload through each scheduler.
pub fn compare(w: &Workload, scheds: &[Sched]) -> Result<Vec<Row>, String> {
    scheds
        .iter()
        .map(|s| {
            let picks = crate::ipvs::script::run_script(&script(w, *s)).map_err(|e| format!("{}: {e}", s.name()))?;
            let mut per_server = vec![0u64; w.weights.len()];
            let mut refused = 0;
            for p in picks {
                match p {
                    Some(i) if i < per_server.len() => per_server[i] += 1,
                    _ => refused += 1,
                }
            }
            let f = fairness::Spread::of(&per_server, &w.weights);
            Ok(Row {
                scheduler: s.name().to_string(),
                share: f.share,
                weight_share: f.weight_share,
                jain: f.jain,
                weighted_jain: f.weighted_jain,
                max_over_mean: f.max_over_mean,
                weight_share_error: f.weight_share_error,
                per_server,
                refused,
            })
        })
        .collect()
}

fn opt(x: Option<f64>) -> String {
    x.map_or_else(|| "-".to_string(), |v| format!("{v:.3}"))
}

/// A text table, one block per scheduler.
pub fn table(w: &Workload, rows: &[Row], lang: crate::lang::Lang) -> String {
    use crate::lang::{Lang, pad_end, pad_start};
    let mut o = String::new();
    let (n, c, len, ws) = (w.connections, w.clients, w.length, &w.weights);
    let _ = match lang {
        Lang::En => {
            writeln!(o, "{n} connections from {c} clients, each open for the next {len} arrivals; weights {ws:?}")
        }
        Lang::Zh => {
            writeln!(o, "{n} 个连接，来自 {c} 个客户端，每个连接保持打开直到之后又到达 {len} 个连接；权重 {ws:?}")
        }
    };
    let [jain, weighted, max_mean, error, refused] = match lang {
        Lang::En => ["Jain", "weighted Jain", "max/mean", "weight-share error", "refused"],
        Lang::Zh => ["Jain", "加权 Jain", "最大/平均", "权重份额误差", "拒绝"],
    };
    let head = match lang {
        Lang::En => ["server", "weight", "conns", "share", "weight share"],
        Lang::Zh => ["真实服务器", "权重", "连接数", "份额", "权重份额"],
    };
    let head = format!(
        "  {} {} {} {} {}",
        pad_end(head[0], 12),
        pad_start(head[1], 7),
        pad_start(head[2], 6),
        pad_start(head[3], 7),
        pad_start(head[4], 13)
    );
    for r in rows {
        let _ = writeln!(
            o,
            "\n{:<6} {jain} {}  {weighted} {}  {max_mean} {}  {error} {:.3}{}",
            r.scheduler,
            opt(r.jain),
            opt(r.weighted_jain),
            opt(r.max_over_mean),
            r.weight_share_error,
            if r.refused > 0 { format!("  {refused} {}", r.refused) } else { String::new() }
        );
        let _ = writeln!(o, "{head}");
        for (i, c) in r.per_server.iter().enumerate() {
            let _ = writeln!(
                o,
                "  10.0.0.{:<5} {:>7} {:>6} {:>7.3} {:>13.3}",
                11 + i,
                w.weights[i],
                c,
                r.share[i],
                r.weight_share[i]
            );
        }
    }
    o
}

/// CSV: one row per (scheduler, server).
pub fn csv(w: &Workload, rows: &[Row]) -> String {
    let mut o = String::from(
        "scheduler,server,weight,conns,share,weight_share,jain,weighted_jain,max_over_mean,weight_share_error\n",
    );
    for r in rows {
        for (i, c) in r.per_server.iter().enumerate() {
            let _ = writeln!(
                o,
                "{},10.0.0.{},{},{},{:.6},{:.6},{},{},{},{:.6}",
                r.scheduler,
                11 + i,
                w.weights[i],
                c,
                r.share[i],
                r.weight_share[i],
                opt(r.jain),
                opt(r.weighted_jain),
                opt(r.max_over_mean),
                r.weight_share_error
            );
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rr_and_wlc_on_unequal_weights() {
        // rr ignores weights (even spread, weighted Jain < 1); wlc with long-lived
        // connections follows them (weight-share error small).
        let w = Workload { weights: vec![3, 1], clients: 10, connections: 400, length: 20, sched_flags: vec![] };
        let rows = compare(&w, &[Sched::Rr, Sched::Wlc]).unwrap();
        assert_eq!(rows[0].per_server, [200, 200]);
        assert!((rows[0].weight_share_error - 0.25).abs() < 1e-9);
        assert!(rows[1].weight_share_error < 0.05, "{:?}", rows[1]);
        insta::assert_snapshot!(table(&w, &rows, crate::lang::Lang::En));
    }
}
