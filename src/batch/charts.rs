//! Charts with plotters, as PNG (1200×700) and SVG. Text is drawn with the DejaVu Sans
//! face compiled into the binary (`dejavu`), registered as "sans-serif" before the first
//! chart, so the bytes do not depend on the fonts a machine has installed.
//!
//! Two kinds: [`Lines`] (one line per series, with an optional min–max band) and
//! [`Bars`] (categories on x, one bar per series in each, optional min–max whiskers).

use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::Once;

pub const WIDTH: u32 = 1200;
pub const HEIGHT: u32 = 700;
const FONT: &str = "sans-serif";

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

/// Registers the embedded DejaVu Sans as "sans-serif" (once per process).
pub fn register_font() {
    FONT_ONCE.call_once(|| {
        // The font is compiled in and valid; a failure here would be a plotters bug.
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular());
    });
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
    pub x_desc: String,
    pub y_desc: String,
    pub lines: Vec<Line>,
    /// Fixed y range (e.g. 0..1 for a fraction); default: 0 to the largest value + 5 %.
    pub y_range: Option<(f64, f64)>,
    /// Small text in the plot's upper left (percentiles, notes).
    pub note: Option<String>,
    /// Label x values with these names (categorical x at 0, 1, 2...).
    pub x_names: Option<Vec<String>>,
    /// Draw no point markers (dense lines, step functions).
    pub no_markers: bool,
}

/// One bar series: its name and (value, low, high) per category.
pub type BarSeries = (String, Vec<(f64, f64, f64)>);

/// A grouped bar chart: `series[s].1[c]` = (value, low, high) of series `s` in category `c`.
#[derive(Clone, Debug, Default)]
pub struct Bars {
    pub title: String,
    pub x_desc: String,
    pub y_desc: String,
    pub categories: Vec<String>,
    pub series: Vec<BarSeries>,
    pub y_range: Option<(f64, f64)>,
}

type DrawResult = Result<(), String>;

fn err<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

fn upper(max: f64) -> f64 {
    if max > 0.0 && max.is_finite() { max * 1.05 } else { 1.0 }
}

fn draw_lines<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, c: &Lines) -> DrawResult
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE).map_err(err)?;
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
    let mut chart = ChartBuilder::on(root)
        .caption(&c.title, (FONT, 34))
        .margin(24)
        .x_label_area_size(70)
        .y_label_area_size(100)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(err)?;
    let names = c.x_names.clone();
    let fmt = move |x: &f64| match &names {
        Some(n) if (x - x.round()).abs() < 1e-6 && x.round() >= 0.0 => {
            n.get(x.round() as usize).cloned().unwrap_or_default()
        }
        Some(_) => String::new(),
        None => short(*x),
    };
    chart
        .configure_mesh()
        .x_desc(&c.x_desc)
        .y_desc(&c.y_desc)
        .x_label_formatter(&fmt)
        .y_label_formatter(&|y| short(*y))
        .x_labels(c.x_names.as_ref().map_or(10, |n| n.len() + 1))
        .label_style((FONT, 20))
        .axis_desc_style((FONT, 24))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(err)?;
    for (i, l) in c.lines.iter().enumerate() {
        let col = colour(i);
        if l.points.iter().any(|p| p.2 < p.1 || p.3 > p.1) {
            let mut band: Vec<(f64, f64)> = l.points.iter().map(|p| (p.0, p.3)).collect();
            band.extend(l.points.iter().rev().map(|p| (p.0, p.2)));
            chart.draw_series(std::iter::once(Polygon::new(band, col.mix(0.18)))).map_err(err)?;
        }
        chart
            .draw_series(LineSeries::new(l.points.iter().map(|p| (p.0, p.1)), col.stroke_width(3)))
            .map_err(err)?
            .label(&l.name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 30, y)], col.stroke_width(4)));
        if l.points.len() <= 30 && !c.no_markers {
            chart.draw_series(l.points.iter().map(|p| Circle::new((p.0, p.1), 5, col.filled()))).map_err(err)?;
        }
    }
    if c.lines.len() > 1 || c.lines.first().is_some_and(|l| !l.name.is_empty()) {
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font((FONT, 20))
            .draw()
            .map_err(err)?;
    }
    if let Some(n) = &c.note {
        for (k, line) in n.lines().enumerate() {
            let y = HEIGHT.cast_signed() - 260 + 26 * i32::try_from(k).unwrap_or(0);
            root.draw(&Text::new(line.to_string(), (WIDTH.cast_signed() - 360, y), (FONT, 20))).map_err(err)?;
        }
    }
    root.present().map_err(err)
}

fn draw_bars<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, c: &Bars) -> DrawResult
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE).map_err(err)?;
    let n = c.categories.len().max(1);
    let ymax = c.series.iter().flat_map(|s| &s.1).fold(0.0, |m: f64, v| m.max(v.0).max(v.2));
    let (y0, y1) = c.y_range.unwrap_or((0.0, upper(ymax)));
    let mut chart = ChartBuilder::on(root)
        .caption(&c.title, (FONT, 34))
        .margin(24)
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
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_desc(&c.x_desc)
        .y_desc(&c.y_desc)
        .x_label_formatter(&fmt)
        .y_label_formatter(&|y| short(*y))
        .x_labels(n + 1)
        .label_style((FONT, 20))
        .axis_desc_style((FONT, 24))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(err)?;
    let k = c.series.len().max(1) as f64;
    let width = 0.8 / k;
    for (si, (name, vals)) in c.series.iter().enumerate() {
        let col = colour(si);
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
        .label_font((FONT, 20))
        .draw()
        .map_err(err)?;
    root.present().map_err(err)
}

/// Short tick text: 12000 → "12k", 0.25 → "0.25".
pub fn short(v: f64) -> String {
    let a = v.abs();
    let t = if a >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if a >= 1e4 {
        format!("{:.0}k", v / 1e3)
    } else if a >= 100.0 || v.fract() == 0.0 {
        format!("{v:.0}")
    } else if a >= 1.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    };
    t.replace(".0k", "k").replace(".0M", "M")
}

/// What a chart is.
#[derive(Clone, Debug)]
pub enum Chart {
    Lines(Lines),
    Bars(Bars),
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
    {
        let root = SVGBackend::new(&svg, (WIDTH, HEIGHT)).into_drawing_area();
        match chart {
            Chart::Lines(c) => draw_lines(&root, c),
            Chart::Bars(c) => draw_bars(&root, c),
        }
        .map_err(|e| format!("{}: {e}", svg.display()))?;
    }
    Ok(vec![png, svg])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tick_text_is_short() {
        // Axis labels stay readable at slide size: thousands as k, fractions with 2 digits.
        assert_eq!(short(12_000.0), "12k");
        assert_eq!(short(1_500_000.0), "1.5M");
        assert_eq!(short(0.25), "0.25");
        assert_eq!(short(0.0), "0");
        assert_eq!(short(250.0), "250");
    }
}
