//! The files of `lvsim run --out DIR`: `summary.json`, CSV tables (columns listed in
//! [`COLUMNS`] and in docs/batch.md; their order is stable) and the terminal table.

use super::Run;
use std::fmt::Write as _;
use std::io;
use std::path::{Path, PathBuf};

/// Every CSV file `lvsim run` writes and its columns, in order.
pub const COLUMNS: &[(&str, &[&str])] = &[
    ("timeseries.csv", &["t_s", "started_per_s", "completed_per_s", "failed_per_s", "mean_latency_ms", "drops_per_s"]),
    ("servers_timeseries.csv", &["t_s", "server", "served_per_s", "activeconns", "inactconns"]),
    ("hosts_timeseries.csv", &["t_s", "host", "rx_per_s", "drops_per_s", "cpu_util", "link_util"]),
    ("servers.csv", &["server", "served", "share", "weight", "weight_share"]),
    ("hosts.csv", &["host", "role", "rx", "tx", "dropped", "rx_per_s", "cpu_util", "link_util"]),
    ("latency_cdf.csv", &["latency_ms", "fraction"]),
];

fn columns(file: &str) -> &'static [&'static str] {
    COLUMNS.iter().find(|(f, _)| *f == file).map(|(_, c)| *c).expect("a documented CSV file")
}

/// Formats a float with at most 6 decimals, no trailing zeros: stable across platforms.
pub fn num(x: f64) -> String {
    if !x.is_finite() {
        return String::new();
    }
    let s = format!("{x:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".to_string() } else { s.to_string() }
}

fn opt(x: Option<f64>) -> String {
    x.map(num).unwrap_or_default()
}

fn write_csv(path: &Path, file: &str, rows: &[Vec<String>]) -> io::Result<PathBuf> {
    let p = path.join(file);
    let mut w = csv::Writer::from_path(&p)?;
    w.write_record(columns(file))?;
    for r in rows {
        w.write_record(r)?;
    }
    w.flush()?;
    Ok(p)
}

/// Bins of the series: (end time in s, bin length in s, previous sample, this sample).
fn bins(
    run: &Run,
) -> impl Iterator<Item = (f64, f64, &crate::metrics::series::Sample, &crate::metrics::series::Sample)> {
    run.series.samples.windows(2).map(|w| {
        let dt = (w[1].t_ns - w[0].t_ns) as f64 / 1e9;
        (w[1].t_ns as f64 / 1e9, dt, &w[0], &w[1])
    })
}

/// Per-bin rows of the run-wide series.
pub fn timeseries_rows(run: &Run) -> Vec<Vec<String>> {
    bins(run)
        .filter(|(_, dt, _, _)| *dt > 0.0)
        .map(|(t, dt, a, b)| {
            let done = b.completed - a.completed;
            let lat = (done > 0).then(|| (b.latency_sum_ns - a.latency_sum_ns) as f64 / done as f64 / 1e6);
            vec![
                num(t),
                num((b.started - a.started) as f64 / dt),
                num(done as f64 / dt),
                num((b.failed - a.failed) as f64 / dt),
                opt(lat),
                num((b.drops_total - a.drops_total) as f64 / dt),
            ]
        })
        .collect()
}

pub fn server_series_rows(run: &Run) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for (t, dt, a, b) in bins(run).filter(|(_, dt, _, _)| *dt > 0.0) {
        for (i, s) in run.summary.servers.iter().enumerate() {
            rows.push(vec![
                num(t),
                s.name.clone(),
                num((b.served[i] - a.served[i]) as f64 / dt),
                b.active[i].to_string(),
                b.inactive[i].to_string(),
            ]);
        }
    }
    rows
}

pub fn host_series_rows(run: &Run) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for (t, dt, a, b) in bins(run).filter(|(_, dt, _, _)| *dt > 0.0) {
        for (i, h) in run.summary.hosts.iter().enumerate() {
            let cpu = h.cpu_util.map(|_| (b.cpu_ns[i] - a.cpu_ns[i]) as f64 / (dt * 1e9));
            let bytes = (b.tx_bytes[i] - a.tx_bytes[i]).max(b.rx_bytes[i] - a.rx_bytes[i]) as f64;
            let cap = run.host_bandwidth[i] as f64 * dt;
            rows.push(vec![
                num(t),
                h.name.clone(),
                num((b.rx[i] - a.rx[i]) as f64 / dt),
                num((b.dropped[i] - a.dropped[i]) as f64 / dt),
                opt(cpu),
                num(if cap > 0.0 { bytes * 8.0 / cap } else { 0.0 }),
            ]);
        }
    }
    rows
}

/// Writes `summary.json` and the CSV tables into `dir`; returns the paths written.
pub fn write_tables(run: &Run, dir: &Path) -> io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut out = Vec::new();
    let p = dir.join("summary.json");
    let mut json = serde_json::to_string_pretty(&run.summary).map_err(io::Error::other)?;
    json.push('\n');
    std::fs::write(&p, json)?;
    out.push(p);
    out.push(write_csv(dir, "timeseries.csv", &timeseries_rows(run))?);
    out.push(write_csv(dir, "servers_timeseries.csv", &server_series_rows(run))?);
    out.push(write_csv(dir, "hosts_timeseries.csv", &host_series_rows(run))?);
    let servers: Vec<Vec<String>> = run
        .summary
        .servers
        .iter()
        .map(|s| vec![s.name.clone(), s.served.to_string(), num(s.share), s.weight.to_string(), num(s.weight_share)])
        .collect();
    out.push(write_csv(dir, "servers.csv", &servers)?);
    let hosts: Vec<Vec<String>> = run
        .summary
        .hosts
        .iter()
        .map(|h| {
            vec![
                h.name.clone(),
                h.role.clone(),
                h.rx.to_string(),
                h.tx.to_string(),
                h.dropped.to_string(),
                num(h.rx_per_s),
                opt(h.cpu_util),
                num(h.link_util),
            ]
        })
        .collect();
    out.push(write_csv(dir, "hosts.csv", &hosts)?);
    let cdf: Vec<Vec<String>> = run.latency.cdf().iter().map(|(ns, f)| vec![num(*ns as f64 / 1e6), num(*f)]).collect();
    out.push(write_csv(dir, "latency_cdf.csv", &cdf)?);
    Ok(out)
}

/// The short table `lvsim run` prints.
pub fn table(run: &Run, lang: crate::lang::Lang) -> String {
    use crate::lang::{Lang, pad_end, pad_start};
    let s = &run.summary;
    let c = &s.clients;
    let l = &c.latency_ms;
    let mut t = String::new();
    let (name, seed, secs) = (&s.scenario, s.seed, num(s.duration_s));
    let (started, completed, failed, per_s) =
        (c.started, c.completed, c.refused + c.unreachable + c.timed_out, num(c.throughput_per_s));
    let (p50, p95, p99, max) = (opt(l.p50), opt(l.p95), opt(l.p99), opt(l.max));
    let _ = match lang {
        Lang::En => writeln!(
            t,
            "{name} (seed {seed}), {secs} s simulated\n  clients   started {started}  completed {completed}  failed {failed}  throughput {per_s}/s\n  latency   p50 {p50} ms  p95 {p95} ms  p99 {p99} ms  max {max} ms"
        ),
        Lang::Zh => writeln!(
            t,
            "{name}（种子 {seed}），模拟 {secs} 秒\n  客户端    发起 {started}  完成 {completed}  失败 {failed}  吞吐量 {per_s}/秒\n  时延      p50 {p50} 毫秒  p95 {p95} 毫秒  p99 {p99} 毫秒  最大 {max} 毫秒"
        ),
    };
    let [server, served, share, weight, w_share, host, rx, dropped, cpu, link, drops] = match lang {
        Lang::En => {
            ["server", "served", "share", "weight", "w-share", "host", "rx/s", "dropped", "cpu", "link", "drops"]
        }
        Lang::Zh => {
            ["真实服务器", "服务数", "份额", "权重", "权重份额", "主机", "接收/秒", "丢弃", "cpu", "链路", "丢弃"]
        }
    };
    let _ = writeln!(
        t,
        "  {} {} {} {} {}",
        pad_end(server, 12),
        pad_start(served, 9),
        pad_start(share, 7),
        pad_start(weight, 6),
        pad_start(w_share, 8)
    );
    for r in &s.servers {
        let _ =
            writeln!(t, "  {:<12} {:>9} {:>7.3} {:>6} {:>8.3}", r.name, r.served, r.share, r.weight, r.weight_share);
    }
    let _ = writeln!(
        t,
        "  {} {} {} {} {}",
        pad_end(host, 12),
        pad_start(rx, 9),
        pad_start(dropped, 9),
        pad_start(cpu, 8),
        pad_start(link, 6)
    );
    for h in &s.hosts {
        let cpu = h.cpu_util.map_or_else(|| "-".to_string(), |u| format!("{:.1}%", u * 100.0));
        let _ = writeln!(
            t,
            "  {:<12} {:>9.0} {:>9} {:>8} {:>5.1}%",
            h.name,
            h.rx_per_s,
            h.dropped,
            cpu,
            h.link_util * 100.0
        );
    }
    if !s.drops.is_empty() {
        // In Chinese the reason's words; in English its key, as the CSV and JSON name it.
        let words = |k: &str| match (lang, crate::why::DropReason::ALL.iter().find(|r| r.key() == k)) {
            (Lang::Zh, Some(r)) => r.words(lang).to_string(),
            _ => k.to_string(),
        };
        let d: Vec<String> = s.drops.iter().map(|(k, v)| format!("{} {v}", words(k))).collect();
        let _ = writeln!(t, "  {}{}", pad_end(drops, 10), d.join(lang.pick(", ", "，")));
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_short_and_stable() {
        // Trailing zeros go and -0 becomes 0, so equal values always print the same text.
        assert_eq!(num(1.5), "1.5");
        assert_eq!(num(2.0), "2");
        assert_eq!(num(-0.0), "0");
        assert_eq!(num(1.0 / 3.0), "0.333333");
        assert_eq!(num(f64::NAN), "");
    }
}
