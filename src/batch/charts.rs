//! Charts with plotters, as PNG (1200×700) and SVG. Text is drawn with the DejaVu Sans
//! face compiled into the binary (`dejavu`), registered as "sans-serif" before the first
//! chart, so the bytes do not depend on the fonts a machine has installed. Chinese charts
//! use a CJK subset the same way; their SVG carries that subset as an `@font-face`, so a
//! browser without Chinese fonts shows the same glyphs.
//!
//! Two kinds: [`Lines`] (one line per series, with an optional min–max band) and
//! [`Bars`] (categories on x, one bar per series in each, optional min–max whiskers).

use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::Once;

use crate::lang::Lang;

pub const WIDTH: u32 = 1200;
pub const HEIGHT: u32 = 700;
const FONT: &str = "sans-serif";
/// The face of Chinese chart text: a subset of WenQuanYi Micro Hei (Apache-2.0) holding
/// printable ASCII and the characters of [`super::words`] (`assets/fonts/subset.sh`).
const CJK: &str = "lvsim-cjk";
pub static CJK_TTF: &[u8] = include_bytes!("../../assets/fonts/lvsim-cjk.ttf");

/// Colour-blind-friendly palette (Okabe–Ito), then greys.
const COLOURS: [RGBColor; 8] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(120, 120, 120),
    RGBColor(0, 0, 0),
];

pub fn colour(i: usize) -> RGBColor {
    COLOURS[i % COLOURS.len()]
}

static FONT_ONCE: Once = Once::new();

/// The face chart text in `lang` is drawn with.
fn family(lang: Lang) -> &'static str {
    match lang {
        Lang::En => FONT,
        Lang::Zh => CJK,
    }
}

/// Registers the embedded DejaVu Sans as "sans-serif" (once per process).
pub fn register_font() {
    FONT_ONCE.call_once(|| {
        // The font is compiled in and valid; a failure here would be a plotters bug.
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular());
        let _ = plotters::style::register_font(CJK, FontStyle::Normal, CJK_TTF);
    });
}

/// A marker shape, drawn as a filled polygon around the point (pixel offsets).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Marker {
    Circle,
    Square,
    Triangle,
    Plus,
    Diamond,
}

impl Marker {
    fn outline(self) -> Vec<(i32, i32)> {
        match self {
            Marker::Circle => (0..12)
                .map(|k| {
                    let a = f64::from(k) * std::f64::consts::PI / 6.0;
                    ((6.5 * a.cos()).round() as i32, (6.5 * a.sin()).round() as i32)
                })
                .collect(),
            Marker::Square => vec![(-5, -5), (5, -5), (5, 5), (-5, 5)],
            Marker::Triangle => vec![(0, -7), (7, 5), (-7, 5)],
            Marker::Plus => vec![
                (-2, -7),
                (2, -7),
                (2, -2),
                (7, -2),
                (7, 2),
                (2, 2),
                (2, 7),
                (-2, 7),
                (-2, 2),
                (-7, 2),
                (-7, -2),
                (-2, -2),
            ],
            Marker::Diamond => vec![(0, -7), (7, 0), (0, 7), (-7, 0)],
        }
    }
}

/// Dash patterns (dash, gap in pixels; `None` solid) and markers, cycled together. Five of
/// them against eight colours: the first 40 series all look different, so two lines on
/// the same points (DR and TUN carry the same load) stay visible, the later one dashed
/// over the earlier.
const DASHES: [Option<(u32, u32)>; 5] = [None, Some((22, 10)), Some((10, 8)), Some((3, 7)), Some((30, 6))];
const MARKERS: [Marker; 5] = [Marker::Circle, Marker::Square, Marker::Triangle, Marker::Plus, Marker::Diamond];

/// How series `i` of a chart is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Style {
    pub colour: RGBColor,
    pub dash: Option<(u32, u32)>,
    pub marker: Marker,
}

/// The style of series `i` (lines and bars alike; bars use the colour only).
pub fn style(i: usize) -> Style {
    Style { colour: colour(i), dash: DASHES[i % DASHES.len()], marker: MARKERS[i % MARKERS.len()] }
}

/// One line: points (x, y, low, high); low/high draw a band when they differ from y.
#[derive(Clone, Debug, Default)]
pub struct Line {
    pub name: String,
    pub points: Vec<(f64, f64, f64, f64)>,
}

impl Line {
    pub fn new(name: impl Into<String>, xy: impl IntoIterator<Item = (f64, f64)>) -> Self {
        Line { name: name.into(), points: xy.into_iter().map(|(x, y)| (x, y, y, y)).collect() }
    }
}

/// A line chart.
#[derive(Clone, Debug, Default)]
pub struct Lines {
    pub title: String,
    /// A second, smaller title line (the run's setup: scheduler, weights, mode, seed).
    pub subtitle: String,
    pub x_desc: String,
    pub y_desc: String,
    pub lines: Vec<Line>,
    /// Fixed y range (e.g. 0..1 for a fraction); default: 0 to the largest value + 5 %.
    pub y_range: Option<(f64, f64)>,
    /// Vertical marker lines at these x values, labelled (p50, p95, p99).
    pub marks: Vec<(String, f64)>,
    /// Label x values with these names (categorical x at 0, 1, 2...).
    pub x_names: Option<Vec<String>>,
    /// Draw no point markers (dense lines, step functions).
    pub no_markers: bool,
    /// The language of the text, which picks the face (CJK for Chinese).
    pub lang: Lang,
}

/// One bar series: its name and (value, low, high) per category.
pub type BarSeries = (String, Vec<(f64, f64, f64)>);

/// A grouped bar chart: `series[s].1[c]` = (value, low, high) of series `s` in category `c`.
#[derive(Clone, Debug, Default)]
pub struct Bars {
    pub title: String,
    pub subtitle: String,
    pub x_desc: String,
    pub y_desc: String,
    pub categories: Vec<String>,
    pub series: Vec<BarSeries>,
    pub y_range: Option<(f64, f64)>,
    pub lang: Lang,
}

type DrawResult = Result<(), String>;

fn err<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

fn upper(max: f64) -> f64 {
    if max > 0.0 && max.is_finite() { max * 1.05 } else { 1.0 }
}

/// How many labels an axis asks plotters for.
const LABELS: usize = 10;

/// The distance between two labels plotters puts on `lo..hi` when asked for at most
/// `max_points` (the scale search of plotters' `compute_f64_key_points`, which picks a
/// step of 1, 2 or 5 × 10^k).
pub fn tick_step(lo: f64, hi: f64, max_points: usize) -> f64 {
    let range = (hi - lo).abs();
    if !range.is_finite() || range < f64::EPSILON || max_points == 0 {
        return 1.0;
    }
    let rem = |a: f64, b: f64| {
        let r = a - (a / b).floor() * b;
        if (r - b).abs() < f64::EPSILON { 0.0 } else { r }
    };
    let (lo, hi) = (lo.min(hi), lo.max(hi));
    let mut scale = 10f64.powf(range.log10().floor());
    if 1 + (range / scale).floor() as usize > max_points {
        scale *= 10.0;
    }
    loop {
        let old = scale;
        for nxt in [2.0, 5.0, 10.0] {
            let mut left = lo - rem(lo, old / nxt);
            if left < lo {
                left += old / nxt;
            }
            let right = hi - rem(hi, old / nxt);
            if (1.0 + (right - left) / old * nxt).round() as usize > max_points {
                return scale;
            }
            scale = old / nxt;
        }
        scale = old / 10.0;
    }
}

/// Tick text with as many decimals as the step between ticks needs (`0.002, 0.004`, never
/// `0.00, 0.00`); axes reaching 10 000 count in k, a million in M, all ticks alike.
pub fn tick_text(v: f64, step: f64, top: f64) -> String {
    let (unit, suffix) = if top.abs() >= 1e6 {
        (1e6, "M")
    } else if top.abs() >= 1e4 {
        (1e3, "k")
    } else {
        (1.0, "")
    };
    if v.abs() < step * 1e-6 {
        return "0".to_string();
    }
    let decimals = (-((step / unit).log10() + 1e-9).floor()).clamp(0.0, 9.0) as usize;
    format!("{:.decimals$}{suffix}", v / unit)
}

/// Fills `root` white, writes the title (and the subtitle under it) and returns the
/// area left for the plot.
fn titled<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    subtitle: &str,
    font: &str,
) -> Result<DrawingArea<DB, Shift>, String>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE).map_err(err)?;
    let area = root.margin(16, 0, 0, 0).titled(title, (font, 34)).map_err(err)?;
    if subtitle.is_empty() {
        return Ok(area);
    }
    area.titled(subtitle, (font, 22).into_font().color(&RGBColor(80, 80, 80))).map_err(err)
}

fn draw_lines<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, c: &Lines) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let font = family(c.lang);
    let area = titled(root, &c.title, &c.subtitle, font)?;
    let pts = || c.lines.iter().flat_map(|l| &l.points);
    let (mut x0, mut x1) = pts().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| (a.min(p.0), b.max(p.0)));
    if !x0.is_finite() {
        (x0, x1) = (0.0, 1.0);
    }
    if c.x_names.is_some() {
        (x0, x1) = (x0 - 0.5, x1 + 0.5);
    } else if x1 <= x0 {
        x1 = x0 + 1.0;
    }
    let (y0, y1) = c.y_range.unwrap_or_else(|| (0.0, upper(pts().fold(0.0, |m, p| m.max(p.3).max(p.1)))));
    let mut chart = ChartBuilder::on(&area)
        .margin(24)
        .margin_top(8)
        .x_label_area_size(70)
        .y_label_area_size(100)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(err)?;
    let names = c.x_names.clone();
    let x_step = tick_step(x0, x1, LABELS);
    let fmt = move |x: &f64| match &names {
        Some(n) if (x - x.round()).abs() < 1e-6 && x.round() >= 0.0 => {
            n.get(x.round() as usize).cloned().unwrap_or_default()
        }
        Some(_) => String::new(),
        None => tick_text(*x, x_step, x1),
    };
    let y_step = tick_step(y0, y1, LABELS);
    chart
        .configure_mesh()
        .x_desc(&c.x_desc)
        .y_desc(&c.y_desc)
        .x_label_formatter(&fmt)
        .y_label_formatter(&|y| tick_text(*y, y_step, y1))
        .x_labels(c.x_names.as_ref().map_or(LABELS, |n| n.len() + 1))
        .y_labels(LABELS)
        .label_style((font, 20))
        .axis_desc_style((font, 24))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(err)?;
    for (i, l) in c.lines.iter().enumerate() {
        let st = style(i);
        let col = st.colour;
        if l.points.iter().any(|p| p.2 < p.1 || p.3 > p.1) {
            let mut band: Vec<(f64, f64)> = l.points.iter().map(|p| (p.0, p.3)).collect();
            band.extend(l.points.iter().rev().map(|p| (p.0, p.2)));
            chart.draw_series(std::iter::once(Polygon::new(band, col.mix(0.18)))).map_err(err)?;
        }
        let xy = l.points.iter().map(|p| (p.0, p.1));
        let line = col.stroke_width(3);
        let drawn = match st.dash {
            None => chart.draw_series(LineSeries::new(xy, line)),
            Some((d, g)) => chart.draw_series(DashedLineSeries::new(xy, d, g, line)),
        }
        .map_err(err)?;
        let markers = l.points.len() <= 30 && !c.no_markers;
        drawn.label(&l.name).legend(move |(x, y)| {
            let (d, g) = st.dash.unwrap_or((40, 1));
            let mark = if markers { st.marker.outline() } else { vec![] };
            EmptyElement::at((x, y))
                + DashedPathElement::new(vec![(0, 0), (40, 0)], d, g, col.stroke_width(4))
                + Polygon::new(mark.into_iter().map(|(px, py)| (px + 20, py)).collect::<Vec<_>>(), col.filled())
        });
        if markers {
            let shape = st.marker.outline();
            chart
                .draw_series(
                    l.points.iter().map(|p| EmptyElement::at((p.0, p.1)) + Polygon::new(shape.clone(), col.filled())),
                )
                .map_err(err)?;
        }
    }
    let grey = RGBColor(60, 60, 60);
    for (k, (label, x)) in c.marks.iter().enumerate() {
        let top = y1 - (y1 - y0) * (0.04 + 0.07 * k as f64);
        chart
            .draw_series(std::iter::once(DashedPathElement::new(vec![(*x, y0), (*x, y1)], 8, 6, grey.stroke_width(2))))
            .map_err(err)?;
        chart
            .draw_series(std::iter::once(
                EmptyElement::at((*x, top)) + Text::new(label.clone(), (6, 0), (font, 20).into_font().color(&grey)),
            ))
            .map_err(err)?;
    }
    if c.lines.len() > 1 || c.lines.first().is_some_and(|l| !l.name.is_empty()) {
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .legend_area_size(50)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font((font, 20))
            .draw()
            .map_err(err)?;
    }
    root.present().map_err(err)
}

fn draw_bars<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, c: &Bars) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let font = family(c.lang);
    let area = titled(root, &c.title, &c.subtitle, font)?;
    let n = c.categories.len().max(1);
    let ymax = c.series.iter().flat_map(|s| &s.1).fold(0.0, |m: f64, v| m.max(v.0).max(v.2));
    let (y0, y1) = c.y_range.unwrap_or((0.0, upper(ymax)));
    let mut chart = ChartBuilder::on(&area)
        .margin(24)
        .margin_top(8)
        .x_label_area_size(70)
        .y_label_area_size(100)
        .build_cartesian_2d(-0.5..(n as f64 - 0.5), y0..y1)
        .map_err(err)?;
    let cats = c.categories.clone();
    let fmt = move |x: &f64| {
        if (x - x.round()).abs() < 1e-6 && x.round() >= 0.0 {
            cats.get(x.round() as usize).cloned().unwrap_or_default()
        } else {
            String::new()
        }
    };
    let y_step = tick_step(y0, y1, LABELS);
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_desc(&c.x_desc)
        .y_desc(&c.y_desc)
        .x_label_formatter(&fmt)
        .y_label_formatter(&|y| tick_text(*y, y_step, y1))
        .x_labels(n + 1)
        .y_labels(LABELS)
        .label_style((font, 20))
        .axis_desc_style((font, 24))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(err)?;
    let k = c.series.len().max(1) as f64;
    let width = 0.8 / k;
    for (si, (name, vals)) in c.series.iter().enumerate() {
        let col = style(si).colour;
        let left = |ci: usize| ci as f64 - 0.4 + width * si as f64;
        chart
            .draw_series(
                vals.iter().enumerate().map(|(ci, v)| {
                    Rectangle::new([(left(ci) + 0.01, 0.0), (left(ci) + width - 0.01, v.0)], col.filled())
                }),
            )
            .map_err(err)?
            .label(name)
            .legend(move |(x, y)| Rectangle::new([(x, y - 8), (x + 24, y + 8)], col.filled()));
        for (ci, v) in vals.iter().enumerate().filter(|(_, v)| v.1 < v.0 || v.2 > v.0) {
            let mid = left(ci) + width / 2.0;
            chart
                .draw_series(std::iter::once(PathElement::new(vec![(mid, v.1), (mid, v.2)], BLACK.stroke_width(2))))
                .map_err(err)?;
        }
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font((font, 20))
        .draw()
        .map_err(err)?;
    root.present().map_err(err)
}

/// What a chart is.
#[derive(Clone, Debug)]
pub enum Chart {
    Lines(Lines),
    Bars(Bars),
}

/// What each series of `chart` puts on the page: its style (the one [`render`] draws it
/// with) and its points (x, y; bars: category index, value).
pub fn drawn(chart: &Chart) -> Vec<(Style, Vec<(f64, f64)>)> {
    match chart {
        Chart::Lines(c) => {
            c.lines.iter().enumerate().map(|(i, l)| (style(i), l.points.iter().map(|p| (p.0, p.1)).collect())).collect()
        }
        Chart::Bars(c) => c
            .series
            .iter()
            .enumerate()
            .map(|(i, s)| (style(i), s.1.iter().enumerate().map(|(k, v)| (k as f64, v.0)).collect()))
            .collect(),
    }
}

/// Draws `chart` to `base.png` and `base.svg`; returns both paths.
pub fn render(chart: &Chart, base: &Path) -> Result<Vec<PathBuf>, String> {
    register_font();
    let png = base.with_extension("png");
    let svg = base.with_extension("svg");
    {
        let root = BitMapBackend::new(&png, (WIDTH, HEIGHT)).into_drawing_area();
        match chart {
            Chart::Lines(c) => draw_lines(&root, c),
            Chart::Bars(c) => draw_bars(&root, c),
        }
        .map_err(|e| format!("{}: {e}", png.display()))?;
    }
    std::fs::write(&svg, svg_text(chart)?).map_err(|e| format!("{}: {e}", svg.display()))?;
    Ok(vec![png, svg])
}

/// The language of a chart's text.
fn lang_of(chart: &Chart) -> Lang {
    match chart {
        Chart::Lines(c) => c.lang,
        Chart::Bars(c) => c.lang,
    }
}

/// `chart` as an SVG document; in Chinese with the CJK subset embedded as a data URL.
pub fn svg_text(chart: &Chart) -> Result<String, String> {
    use base64::Engine as _;
    register_font();
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (WIDTH, HEIGHT)).into_drawing_area();
        match chart {
            Chart::Lines(c) => draw_lines(&root, c),
            Chart::Bars(c) => draw_bars(&root, c),
        }?;
    }
    if lang_of(chart) == Lang::Zh
        && let Some(end) = out.find('>')
    {
        let font = base64::engine::general_purpose::STANDARD.encode(CJK_TTF);
        let face = format!(
            "\n<defs><style>@font-face{{font-family:\"{CJK}\";src:url(data:font/ttf;base64,{font}) format(\"truetype\")}}</style></defs>"
        );
        out.insert_str(end + 1, &face);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tick_decimals_follow_the_step() {
        // plotters labels 0..0.0105 (a weight-share error) every 0.001: three decimals
        // tell the ticks apart, where a fixed two gave `0.00, 0.00, 0.01`. The steps are
        // worked out by hand: 10 labels over 0.0105 need a step of at least 0.00105, and
        // plotters only refines a step of 10^k by 2, 5, 10 while at most 10 labels fit.
        assert!((tick_step(0.0, 0.0105, 10) - 0.002).abs() < 1e-12);
        let labels: Vec<String> = [0.0, 0.002, 0.004, 0.01].iter().map(|v| tick_text(*v, 0.002, 0.0105)).collect();
        assert_eq!(labels, ["0", "0.002", "0.004", "0.010"]);
        // 0..105 % by 20 (no decimals), 0..25 000 by 5000 in k, 0..1 by 0.1.
        assert!((tick_step(0.0, 105.0, 10) - 20.0).abs() < 1e-12);
        assert_eq!(tick_text(40.0, 20.0, 105.0), "40");
        assert!((tick_step(0.0, 25_000.0, 10) - 5000.0).abs() < 1e-12);
        assert_eq!(tick_text(15_000.0, 5000.0, 25_000.0), "15k");
        assert_eq!(tick_text(2_500.0, 500.0, 12_000.0), "2.5k");
        assert_eq!(tick_text(0.3, 0.1, 1.0), "0.3");
        assert_eq!(tick_text(1_500_000.0, 500_000.0, 2e6), "1.5M");
    }

    #[test]
    fn first_forty_series_look_different() {
        // Colours cycle by 8 and dash/marker by 5: only i ≡ j (mod 40) share a style.
        for i in 0..40 {
            for j in 0..i {
                assert_ne!(style(i), style(j), "series {i} and {j}");
            }
        }
    }
}
