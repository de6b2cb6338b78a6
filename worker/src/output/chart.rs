//! Bar charts for the committee paper, laid out here and drawn by the template as inline SVG.
//!
//! A chart is a list of plain shapes (rectangles, lines, text) in a fixed coordinate space
//! (`viewBox`), so the template can draw it with autoescaped labels and no script, and it
//! prints at any size. Each chart carries its title and a text alternative that gives every
//! value in words, for screen readers and for anyone who cannot see the bars.
//!
//! A suppressed count (public edition) has no bar: its length would give the number away.
//! Horizontal charts say "withheld" where the bar would be; the monthly charts, too narrow
//! for that, mark it `*` with a note under the chart.

use api::reports::model::{Figure, SUPPRESSED_TEXT};
use serde::Serialize;

/// Width of every chart's coordinate space; the page scales it to the column width.
const WIDTH: f64 = 680.0;
/// Average width of a character of the 11-unit label font, for fitting labels.
const CHAR_WIDTH: f64 = 5.8;

/// A chart, ready for the template.
#[derive(Clone, Debug, Serialize)]
pub(super) struct Chart {
    /// Element id (the title and text alternative are `{id}-title`, `{id}-desc`).
    pub id: String,
    /// Title, shown above the chart and read as its name.
    pub title: String,
    /// Text alternative: every value in words.
    pub description: String,
    /// `viewBox` width.
    pub width: f64,
    /// `viewBox` height.
    pub height: f64,
    /// Bars and legend keys.
    pub rects: Vec<Rect>,
    /// Axis and grid lines.
    pub lines: Vec<Line>,
    /// Labels.
    pub texts: Vec<Text>,
    /// A note under the chart (what `*` means).
    pub note: Option<String>,
}

/// A rectangle.
#[derive(Clone, Debug, Serialize)]
pub(super) struct Rect {
    x: f64,
    y: f64,
    width: f64,
    height: f64,
    class: &'static str,
}

/// A line.
#[derive(Clone, Debug, Serialize)]
pub(super) struct Line {
    x1: f64,
    y1: f64,
    x2: f64,
    y2: f64,
    class: &'static str,
}

/// A label.
#[derive(Clone, Debug, Serialize)]
pub(super) struct Text {
    x: f64,
    y: f64,
    anchor: &'static str,
    class: &'static str,
    text: String,
}

/// One value of a series: the count, or `None` with whether it was suppressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Value {
    count: Option<i64>,
    suppressed: bool,
}

impl Value {
    /// This year's figure.
    pub fn current(figure: &Figure) -> Value {
        Value {
            count: figure.count,
            suppressed: figure.count_suppressed,
        }
    }

    /// The previous year's figure.
    pub fn previous(figure: &Figure) -> Value {
        Value {
            count: figure.previous_count,
            suppressed: figure.previous_count_suppressed,
        }
    }

    /// In words, for labels and text alternatives.
    fn words(self) -> String {
        match self.count {
            Some(n) => thousands(n),
            None if self.suppressed => SUPPRESSED_TEXT.to_string(),
            None => "no figure".to_string(),
        }
    }
}

/// One series of bars: a year's values, one per category.
#[derive(Clone, Debug)]
pub(super) struct Series {
    /// Legend text, e.g. `2024-25`.
    pub name: String,
    /// `current` or `previous` (the bar's CSS class is `bar-{kind}`).
    pub kind: SeriesKind,
    /// One value per category.
    pub values: Vec<Value>,
}

/// Which year a series shows, which sets its colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum SeriesKind {
    /// The reporting year (dark).
    Current,
    /// The previous year (light).
    Previous,
}

impl SeriesKind {
    fn class(self) -> &'static str {
        match self {
            SeriesKind::Current => "bar-current",
            SeriesKind::Previous => "bar-previous",
        }
    }
}

/// `1234` as `1,234`.
pub(super) fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Coordinates to one decimal place, which keeps the HTML small.
fn r(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

/// A round step for about `ticks` grid lines up to `max`, and the axis maximum.
fn scale(max: i64, ticks: i64) -> (i64, i64) {
    let max = max.max(1);
    let rough = (max as f64 / ticks as f64).max(1.0);
    let magnitude = 10f64.powf(rough.log10().floor());
    // Steps of 1, 2, 2.5 or 5 times a power of ten (2.5 only where it stays whole).
    let step = [1.0_f64, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .filter(|m| magnitude >= 10.0 || m.fract() == 0.0)
        .map(|m| m * magnitude)
        .find(|s| *s >= rough)
        .unwrap_or(10.0 * magnitude)
        .max(1.0) as i64;
    let top = max.div_euclid(step) * step + if max % step == 0 { 0 } else { step };
    (step, top.max(step))
}

fn max_count(series: &[Series]) -> i64 {
    series
        .iter()
        .flat_map(|s| s.values.iter().filter_map(|v| v.count))
        .max()
        .unwrap_or(0)
}

/// A label cut to `chars` characters with an ellipsis (the full text is in the description).
fn fit(label: &str, chars: usize) -> String {
    if label.chars().count() <= chars {
        label.to_string()
    } else {
        let cut: String = label.chars().take(chars.saturating_sub(1)).collect();
        format!("{}…", cut.trim_end())
    }
}

/// The text alternative: `Title. Category: 12 in 2024-25, 9 in 2023-24. …`
fn describe(title: &str, categories: &[String], series: &[Series]) -> String {
    let mut out = format!("Bar chart: {title}.");
    for (i, category) in categories.iter().enumerate() {
        let values: Vec<String> = series
            .iter()
            .filter_map(|s| {
                s.values
                    .get(i)
                    .map(|v| format!("{} in {}", v.words(), s.name))
            })
            .collect();
        out.push_str(&format!(" {category}: {}.", values.join(", ")));
    }
    out
}

/// The legend: a key and the series name for each series, left to right from `x`.
fn legend(series: &[Series], x: f64, y: f64, rects: &mut Vec<Rect>, texts: &mut Vec<Text>) {
    let mut x = x;
    for s in series {
        rects.push(Rect {
            x: r(x),
            y: r(y),
            width: 10.0,
            height: 10.0,
            class: s.kind.class(),
        });
        texts.push(Text {
            x: r(x + 14.0),
            y: r(y + 9.0),
            anchor: "start",
            class: "legend",
            text: s.name.clone(),
        });
        x += 14.0 + s.name.chars().count() as f64 * CHAR_WIDTH + 18.0;
    }
}

/// Horizontal grouped bars: one group per category (a restriction type, a service), one bar
/// per series, the value written after each bar. `bar` is each bar's thickness.
pub(super) fn horizontal(
    id: &str,
    title: &str,
    categories: &[String],
    series: &[Series],
    bar: f64,
) -> Chart {
    let longest = categories
        .iter()
        .map(|c| c.chars().count())
        .max()
        .unwrap_or(0);
    let label_chars = longest.min(40);
    let label_width = label_chars as f64 * CHAR_WIDTH;
    let x0 = label_width + 14.0;
    // Room after the longest bar for "withheld" or a large number.
    let x1 = WIDTH - 74.0;
    let plot = x1 - x0;
    let top = 24.0;
    let gap = 1.0;
    let group = series.len() as f64 * (bar + gap) - gap + bar.max(6.0);
    let bottom = top + categories.len() as f64 * group;
    let (step, axis) = scale(max_count(series), 5);
    let x_of = |count: i64| x0 + plot * count as f64 / axis as f64;

    let mut rects = Vec::new();
    let mut lines = Vec::new();
    let mut texts = Vec::new();
    legend(series, x0, 2.0, &mut rects, &mut texts);
    let mut tick = 0;
    while tick <= axis {
        let x = r(x_of(tick));
        lines.push(Line {
            x1: x,
            y1: top - 2.0,
            x2: x,
            y2: bottom,
            class: if tick == 0 { "axis" } else { "grid" },
        });
        texts.push(Text {
            x,
            y: r(bottom + 13.0),
            anchor: "middle",
            class: "tick",
            text: thousands(tick),
        });
        tick += step;
    }
    for (i, category) in categories.iter().enumerate() {
        let y0 = top + i as f64 * group + bar.max(6.0) / 2.0;
        let height = series.len() as f64 * (bar + gap) - gap;
        texts.push(Text {
            x: r(x0 - 6.0),
            y: r(y0 + height / 2.0 + 4.0),
            anchor: "end",
            class: "category",
            text: fit(category, label_chars),
        });
        for (j, s) in series.iter().enumerate() {
            let Some(value) = s.values.get(i) else {
                continue;
            };
            let y = y0 + j as f64 * (bar + gap);
            let end = match value.count {
                Some(n) => {
                    let w = x_of(n) - x0;
                    if n > 0 {
                        rects.push(Rect {
                            x: r(x0),
                            y: r(y),
                            width: r(w.max(0.8)),
                            height: bar,
                            class: s.kind.class(),
                        });
                    }
                    x0 + w
                }
                None => x0,
            };
            texts.push(Text {
                x: r(end + 3.0),
                y: r(y + bar / 2.0 + 3.5),
                anchor: "start",
                class: match (value.count.is_some(), bar < 10.0) {
                    (true, false) => "value",
                    (true, true) => "value small",
                    (false, false) => "value suppressed",
                    (false, true) => "value small suppressed",
                },
                text: value.words(),
            });
        }
    }
    Chart {
        id: id.to_string(),
        title: title.to_string(),
        description: describe(title, categories, series),
        width: WIDTH,
        height: r(bottom + 20.0),
        rects,
        lines,
        texts,
        note: None,
    }
}

/// Vertical grouped bars over the months of the year; the values are written above the bars
/// while they are small enough to fit, and a suppressed value is marked `*`.
pub(super) fn monthly(id: &str, title: &str, months: &[String], series: &[Series]) -> Chart {
    let x0 = 44.0;
    let x1 = WIDTH - 6.0;
    let top = 30.0;
    let bottom = 156.0;
    let plot_h = bottom - top;
    let (step, axis) = scale(max_count(series), 4);
    let y_of = |count: i64| bottom - plot_h * count as f64 / axis as f64;
    let group = (x1 - x0) / months.len().max(1) as f64;
    let bar = ((group - 10.0) / series.len().max(1) as f64).min(22.0);
    let show_values = max_count(series) < 1000;

    let mut rects = Vec::new();
    let mut lines = Vec::new();
    let mut texts = Vec::new();
    let mut starred = false;
    legend(series, x0, 2.0, &mut rects, &mut texts);
    let mut tick = 0;
    while tick <= axis {
        let y = r(y_of(tick));
        lines.push(Line {
            x1: x0,
            y1: y,
            x2: x1,
            y2: y,
            class: if tick == 0 { "axis" } else { "grid" },
        });
        texts.push(Text {
            x: x0 - 5.0,
            y: r(y + 3.5),
            anchor: "end",
            class: "tick",
            text: thousands(tick),
        });
        tick += step;
    }
    for (i, month) in months.iter().enumerate() {
        let left = x0 + i as f64 * group + (group - bar * series.len() as f64) / 2.0;
        texts.push(Text {
            x: r(x0 + (i as f64 + 0.5) * group),
            y: r(bottom + 14.0),
            anchor: "middle",
            class: "category",
            text: month.clone(),
        });
        for (j, s) in series.iter().enumerate() {
            let Some(value) = s.values.get(i) else {
                continue;
            };
            let x = left + j as f64 * bar;
            match value.count {
                Some(n) => {
                    let y = y_of(n);
                    if n > 0 {
                        rects.push(Rect {
                            x: r(x + 0.5),
                            y: r(y),
                            width: r(bar - 1.0),
                            height: r(bottom - y),
                            class: s.kind.class(),
                        });
                    }
                    if show_values {
                        texts.push(Text {
                            x: r(x + bar / 2.0),
                            y: r(y - 3.0),
                            anchor: "middle",
                            class: "value small",
                            text: thousands(n),
                        });
                    }
                }
                None => {
                    starred |= value.suppressed;
                    texts.push(Text {
                        x: r(x + bar / 2.0),
                        y: r(bottom - 3.0),
                        anchor: "middle",
                        class: "value suppressed",
                        text: if value.suppressed { "*" } else { "–" }.to_string(),
                    });
                }
            }
        }
    }
    Chart {
        id: id.to_string(),
        title: title.to_string(),
        description: describe(title, months, series),
        width: WIDTH,
        height: r(bottom + 22.0),
        rects,
        lines,
        texts,
        note: starred.then(|| format!("* {SUPPRESSED_TEXT}: not shown.")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_006_776), "1,006,776");
        assert_eq!(thousands(-12_345), "-12,345");
    }

    #[test]
    fn scales_round_up_to_a_whole_step() {
        assert_eq!(scale(0, 5), (1, 1));
        assert_eq!(scale(7, 5), (2, 8));
        assert_eq!(scale(10, 5), (2, 10));
        assert_eq!(scale(143, 5), (50, 150));
        assert_eq!(scale(114, 5), (25, 125));
        assert_eq!(scale(3, 5), (1, 3));
        assert_eq!(scale(1_000_000, 4), (250_000, 1_000_000));
    }

    #[test]
    fn suppressed_values_have_no_bar_and_say_fewer_than_5() {
        let figure = Figure {
            count: None,
            previous_count: Some(12),
            count_suppressed: true,
            previous_count_suppressed: false,
        };
        let series = [
            Series {
                name: "2024-25".into(),
                kind: SeriesKind::Current,
                values: vec![Value::current(&figure)],
            },
            Series {
                name: "2023-24".into(),
                kind: SeriesKind::Previous,
                values: vec![Value::previous(&figure)],
            },
        ];
        let chart = horizontal("c", "T", &["Time limits".into()], &series, 10.0);
        let bars: Vec<_> = chart.rects.iter().filter(|r| r.y > 20.0).collect();
        assert_eq!(bars.len(), 1, "only the previous year's bar is drawn");
        assert_eq!(bars[0].class, "bar-previous");
        assert!(chart.texts.iter().any(|t| t.text == SUPPRESSED_TEXT));
        assert!(
            chart
                .description
                .contains("Time limits: withheld in 2024-25, 12 in 2023-24.")
        );
        let monthly = monthly("m", "T", &["Apr".into()], &series);
        assert_eq!(monthly.note.as_deref(), Some("* withheld: not shown."));
    }
}
