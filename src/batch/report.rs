//! `lvsim run … --report`: one self-contained `report.html` a teacher can open or hand
//! out. The charts are inline SVG, the tables are the run's summary, the scenario file is
//! quoted; styles are inline and the only font (Chinese pages) is a data URL, so the page
//! loads nothing from anywhere.

use super::words::Word;
use super::{Run, charts, output::num, run_charts};
use crate::lang::Lang;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The file name the report is written to.
pub const FILE: &str = "report.html";

/// Escapes text for HTML.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            _ => o.push(c),
        }
    }
    o
}

/// An HTML table: a header row and rows of cells (already escaped).
pub fn table(out: &mut String, head: &[&str], rows: &[Vec<String>]) {
    out.push_str("<table>\n<tr>");
    for h in head {
        let _ = write!(out, "<th>{}</th>", esc(h));
    }
    out.push_str("</tr>\n");
    for r in rows {
        out.push_str("<tr>");
        for c in r {
            let _ = write!(out, "<td>{c}</td>");
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n");
}

/// The page's `<head>`: title, inline style, and for Chinese the CJK subset as a data URL
/// (the page's own text then draws without system fonts too).
pub fn head(title: &str, lang: Lang) -> String {
    use base64::Engine as _;
    let face = match lang {
        Lang::En => String::new(),
        Lang::Zh => format!(
            "@font-face{{font-family:\"lvsim-cjk\";src:url(data:font/ttf;base64,{}) format(\"truetype\")}}\n",
            base64::engine::general_purpose::STANDARD.encode(charts::CJK_TTF)
        ),
    };
    format!(
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>\n{face}\
body{{font-family:\"lvsim-cjk\",\"DejaVu Sans\",sans-serif;max-width:1240px;margin:2em auto;padding:0 1em;color:#222}}\n\
table{{border-collapse:collapse;margin:0.5em 0 1.5em}}\nth,td{{border:1px solid #bbb;padding:0.25em 0.7em;text-align:right}}\n\
th:first-child,td:first-child{{text-align:left}}\nfigure.chart{{margin:1em 0}}\nfigure.chart svg{{max-width:100%;height:auto}}\n\
pre{{background:#f4f4f4;padding:1em;overflow-x:auto}}\n</style>\n</head>\n",
        if lang == Lang::Zh { "zh-CN" } else { "en" },
        esc(title)
    )
}

/// A host's role (`summary.json`'s `role` key) in `lang`; an unknown key as it is.
fn role_text(role: &str, lang: Lang) -> &str {
    let word = match role {
        "client" => Word::RoleClient,
        "router" => Word::RoleRouter,
        "director" => Word::RoleDirector,
        "real server" => Word::RealServer,
        "host" => Word::Host,
        _ => return role,
    };
    word.text(lang)
}

/// The report of `run` (scenario source `source`) in `lang`.
pub fn html(run: &Run, source: &str, lang: Lang) -> Result<String, String> {
    let s = &run.summary;
    let w = |x: Word| x.text(lang);
    let title = super::words::join(lang, w(Word::Report), &s.scenario);
    let mut o = head(&title, lang);
    let _ = write!(o, "<body>\n<h1>{}</h1>\n<p class=\"setup\">{}</p>\n", esc(&title), esc(&run.setup(lang)));
    let opt = |x: Option<f64>| x.map(num).unwrap_or_default();

    let _ = writeln!(o, "<section id=\"summary\">\n<h2>{}</h2>", esc(w(Word::Summary)));
    let c = &s.clients;
    let l = &c.latency_ms;
    let _ = writeln!(o, "<h3>{}</h3>", esc(w(Word::Clients)));
    let lat = w(Word::Latency);
    table(
        &mut o,
        &[
            w(Word::Duration),
            w(Word::Started),
            w(Word::Completed),
            w(Word::Failed),
            w(Word::Throughput),
            &format!("p50 {lat}"),
            &format!("p95 {lat}"),
            &format!("p99 {lat}"),
            &format!("max {lat}"),
        ],
        &[vec![
            num(s.duration_s),
            c.started.to_string(),
            c.completed.to_string(),
            (c.refused + c.unreachable + c.timed_out).to_string(),
            num(c.throughput_per_s),
            opt(l.p50),
            opt(l.p95),
            opt(l.p99),
            opt(l.max),
        ]],
    );
    let _ = writeln!(o, "<h3>{}</h3>", esc(w(Word::RealServer)));
    let rows: Vec<Vec<String>> = s
        .servers
        .iter()
        .map(|v| vec![esc(&v.name), v.served.to_string(), num(v.share), v.weight.to_string(), num(v.weight_share)])
        .collect();
    table(
        &mut o,
        &[w(Word::RealServer), w(Word::ServedCount), w(Word::Share), w(Word::Weight), w(Word::WeightShare)],
        &rows,
    );
    let _ = writeln!(o, "<h3>{}</h3>", esc(w(Word::Hosts)));
    let rows: Vec<Vec<String>> = s
        .hosts
        .iter()
        .map(|h| {
            vec![
                esc(&h.name),
                esc(role_text(&h.role, lang)),
                num(h.rx_per_s),
                h.dropped.to_string(),
                h.cpu_util.map_or_else(|| "-".into(), |u| format!("{:.1}%", u * 100.0)),
                format!("{:.1}%", h.link_util * 100.0),
            ]
        })
        .collect();
    table(
        &mut o,
        &[w(Word::Host), w(Word::Role), w(Word::RxPerS), w(Word::DroppedFrames), w(Word::CpuUtil), w(Word::LinkUtil)],
        &rows,
    );
    if !s.drops.is_empty() {
        let _ = writeln!(o, "<h3>{}</h3>", esc(w(Word::Drops)));
        let rows: Vec<Vec<String>> =
            s.drops.iter().map(|(k, v)| vec![format!("<code>{}</code>", esc(k)), v.to_string()]).collect();
        table(&mut o, &[w(Word::Reason), w(Word::Count)], &rows);
    }
    o.push_str("</section>\n");

    let _ = writeln!(o, "<section id=\"charts\">\n<h2>{}</h2>", esc(w(Word::Charts)));
    for (stem, chart) in run_charts(run, lang) {
        let svg = charts::svg_text(&chart)?;
        let svg = svg.trim_start_matches(|c| c != '<');
        let _ = writeln!(o, "<figure class=\"chart\" id=\"chart-{stem}\">\n{svg}\n</figure>");
    }
    o.push_str("</section>\n");

    let _ = writeln!(
        o,
        "<section id=\"scenario\">\n<h2>{}</h2>\n<pre>{}</pre>\n</section>",
        esc(w(Word::ScenarioFile)),
        esc(source)
    );
    o.push_str("</body>\n</html>\n");
    Ok(o)
}

/// Writes `dir/report.html`; returns its path.
pub fn write(run: &Run, source: &str, dir: &Path, lang: Lang) -> Result<PathBuf, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let p = dir.join(FILE);
    std::fs::write(&p, html(run, source, lang)?).map_err(|e| format!("writing {}: {e}", p.display()))?;
    Ok(p)
}
