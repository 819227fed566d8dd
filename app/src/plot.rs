//! SVG plots for evaluations, drawn by hand like the loss curve in `charts`: an x–y plot
//! (lines, dots or both, several series with a legend, optional y = x and y = 0 guides) for
//! ROC, precision-recall, calibration, predicted-vs-actual and residual plots, and a bar plot
//! (with an optional running-total line) for cluster sizes and explained variance.

use leptos::prelude::*;

/// Series colours, in order; a series past the end wraps around.
pub const PALETTE: [&str; 8] = [
    "#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#4b5563",
];

pub fn colour(i: usize) -> &'static str {
    PALETTE[i % PALETTE.len()]
}

const W: f64 = 440.0;
const H: f64 = 320.0;
const LEFT: f64 = 52.0;
const RIGHT: f64 = 14.0;
const TOP: f64 = 14.0;
const BOTTOM: f64 = 40.0;

/// How a series is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marks {
    Line,
    Dots,
    LineDots,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub label: String,
    pub points: Vec<(f64, f64)>,
    pub marks: Marks,
    /// Index into [`PALETTE`].
    pub colour: usize,
}

impl Series {
    pub fn new(
        label: impl Into<String>,
        points: Vec<(f64, f64)>,
        marks: Marks,
        colour: usize,
    ) -> Self {
        Self {
            label: label.into(),
            points,
            marks,
            colour,
        }
    }
}

/// A tick spacing of 1, 2 or 5 times a power of ten, about `span / 4`.
fn nice_step(span: f64) -> f64 {
    let raw = (span / 4.0).max(f64::MIN_POSITIVE);
    let power = 10f64.powf(raw.log10().floor());
    let f = raw / power;
    let nice = if f < 1.5 {
        1.0
    } else if f < 3.0 {
        2.0
    } else if f < 7.0 {
        5.0
    } else {
        10.0
    };
    nice * power
}

fn tick_text(v: f64, step: f64) -> String {
    let decimals = if step >= 1.0 {
        0
    } else {
        (-step.log10()).ceil().clamp(0.0, 6.0) as usize
    };
    let v = if v.abs() < step * 1e-9 { 0.0 } else { v };
    if v.abs() >= 1e5 {
        format!("{v:.1e}")
    } else {
        format!("{v:.decimals$}")
    }
}

/// Ticks inside `[lo, hi]`.
fn ticks(lo: f64, hi: f64) -> (Vec<f64>, f64) {
    let step = nice_step(hi - lo);
    let first = (lo / step).ceil() * step;
    let ticks = (0..12)
        .map(|i| first + step * f64::from(i))
        .take_while(|v| *v <= hi + step * 1e-9)
        .collect();
    (ticks, step)
}

/// Smallest and largest finite values, widened when they coincide.
fn extent(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    if hi - lo < 1e-12 {
        let pad = (lo.abs() * 0.1).max(0.5);
        return (lo - pad, hi + pad);
    }
    let margin = (hi - lo) * 0.04;
    (lo - margin, hi + margin)
}

/// Maps data coordinates into the plot area.
#[derive(Debug, Clone, Copy)]
struct Frame {
    x: (f64, f64),
    y: (f64, f64),
}

impl Frame {
    fn px(&self, x: f64) -> f64 {
        LEFT + (W - LEFT - RIGHT) * (x - self.x.0) / (self.x.1 - self.x.0)
    }
    fn py(&self, y: f64) -> f64 {
        H - BOTTOM - (H - TOP - BOTTOM) * (y - self.y.0) / (self.y.1 - self.y.0)
    }
    fn point(&self, (x, y): (f64, f64)) -> String {
        format!("{:.1},{:.1}", self.px(x), self.py(y))
    }
}

/// Axes with ticks and labels for `frame`.
fn axes(frame: Frame, x_label: &'static str, y_label: &'static str) -> impl IntoView {
    let (xt, xs) = ticks(frame.x.0, frame.x.1);
    let (yt, ys) = ticks(frame.y.0, frame.y.1);
    let x_ticks = xt
        .into_iter()
        .map(|v| {
            let x = frame.px(v);
            view! {
                <line x1=x y1=H - BOTTOM x2=x y2=H - BOTTOM + 4.0 class="axis" />
                <text x=x y=H - BOTTOM + 16.0 text-anchor="middle" class="axis-label">{tick_text(v, xs)}</text>
            }
        })
        .collect_view();
    let y_ticks = yt
        .into_iter()
        .map(|v| {
            let y = frame.py(v);
            view! {
                <line x1=LEFT - 4.0 y1=y x2=LEFT y2=y class="axis" />
                <line x1=LEFT y1=y x2=W - RIGHT y2=y stroke="currentColor" stroke-opacity="0.08" />
                <text x=LEFT - 7.0 y=y + 4.0 text-anchor="end" class="axis-label">{tick_text(v, ys)}</text>
            }
        })
        .collect_view();
    view! {
        <line x1=LEFT y1=H - BOTTOM x2=W - RIGHT y2=H - BOTTOM class="axis" stroke="currentColor" />
        <line x1=LEFT y1=TOP x2=LEFT y2=H - BOTTOM class="axis" stroke="currentColor" />
        {x_ticks}
        {y_ticks}
        <text x=(LEFT + W - RIGHT) / 2.0 y=H - 6.0 text-anchor="middle" class="axis-label">{x_label}</text>
        <text x=12.0 y=(TOP + H - BOTTOM) / 2.0 text-anchor="middle" class="axis-label"
            transform=format!("rotate(-90 12 {})", (TOP + H - BOTTOM) / 2.0)>{y_label}</text>
    }
}

fn legend(items: Vec<(String, usize)>) -> impl IntoView {
    let items = items
        .into_iter()
        .map(|(label, c)| {
            view! {
                <li data-testid="legend-item" style="display: inline-flex; align-items: center; gap: .3rem; margin-right: 1rem;">
                    <span style=format!("display: inline-block; width: .8rem; height: .8rem; border-radius: 2px; background: {}", colour(c))></span>
                    {label}
                </li>
            }
        })
        .collect_view();
    view! { <ul class="legend" style="list-style: none; padding: 0; margin: .25rem 0 0;">{items}</ul> }
}

/// The vertices of a line worth drawing: where several points fall in one pixel column (a
/// network's thousands of epochs), only the lowest and the highest of them, in their order, so
/// the line keeps its shape and the SVG stays small however long the series.
fn thin(points: &[(f64, f64)], frame: Frame) -> Vec<(f64, f64)> {
    if points.len() <= (W - LEFT - RIGHT) as usize {
        return points.to_vec();
    }
    let mut kept = Vec::new();
    let mut i = 0;
    while i < points.len() {
        let column = frame.px(points[i].0).floor();
        let mut end = i + 1;
        while end < points.len() && frame.px(points[end].0).floor() == column {
            end += 1;
        }
        let group = &points[i..end];
        let lo = group
            .iter()
            .enumerate()
            .min_by(|a, b| a.1.1.total_cmp(&b.1.1));
        let hi = group
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.1.total_cmp(&b.1.1));
        if let (Some((l, &low)), Some((h, &high))) = (lo, hi) {
            match l.cmp(&h) {
                std::cmp::Ordering::Less => kept.extend([low, high]),
                std::cmp::Ordering::Greater => kept.extend([high, low]),
                std::cmp::Ordering::Equal => kept.push(low),
            }
        }
        i = end;
    }
    kept
}

/// Lines and/or dots for each series, on shared axes.
#[component]
pub fn XyPlot(
    testid: &'static str,
    series: Vec<Series>,
    x_label: &'static str,
    y_label: &'static str,
    /// Both axes from 0 to 1 (curves of rates and probabilities).
    #[prop(optional)]
    unit: bool,
    /// The same range on both axes (predicted against actual).
    #[prop(optional)]
    square: bool,
    /// Draw y = x.
    #[prop(optional)]
    identity: bool,
    /// Draw y = 0 (and keep it in view).
    #[prop(optional)]
    zero: bool,
    #[prop(optional, into)] caption: String,
) -> impl IntoView {
    let all = || series.iter().flat_map(|s| s.points.iter().copied());
    let frame = if unit {
        Frame {
            x: (0.0, 1.0),
            y: (0.0, 1.0),
        }
    } else if square {
        let r = extent(all().flat_map(|(x, y)| [x, y]));
        Frame { x: r, y: r }
    } else {
        let x = extent(all().map(|p| p.0));
        let y = extent(all().map(|p| p.1).chain(zero.then_some(0.0)));
        Frame { x, y }
    };
    let guide_identity = identity.then(|| {
        let lo = frame.x.0.max(frame.y.0);
        let hi = frame.x.1.min(frame.y.1);
        view! {
            <line data-testid="guide-identity" x1=frame.px(lo) y1=frame.py(lo) x2=frame.px(hi) y2=frame.py(hi)
                stroke="currentColor" stroke-opacity="0.45" stroke-dasharray="5 4" />
        }
    });
    let guide_zero = zero.then(|| {
        let y = frame.py(0.0);
        view! {
            <line data-testid="guide-zero" x1=LEFT y1=y x2=W - RIGHT y2=y
                stroke="currentColor" stroke-opacity="0.45" stroke-dasharray="5 4" />
        }
    });
    let drawn = series
        .iter()
        .map(|s| {
            let c = colour(s.colour);
            let finite: Vec<(f64, f64)> = s
                .points
                .iter()
                .copied()
                .filter(|(x, y)| x.is_finite() && y.is_finite())
                .collect();
            let line = matches!(s.marks, Marks::Line | Marks::LineDots).then(|| {
                let pts = thin(&finite, frame)
                    .into_iter()
                    .map(|p| frame.point(p))
                    .collect::<Vec<_>>()
                    .join(" ");
                view! { <polyline points=pts fill="none" style=format!("stroke: {c}; stroke-width: 2") /> }
            });
            let dots = matches!(s.marks, Marks::Dots | Marks::LineDots).then(|| {
                let r = if s.marks == Marks::Dots { 2.5 } else { 3.5 };
                finite
                    .iter()
                    .map(|&(x, y)| {
                        view! { <circle cx=format!("{:.1}", frame.px(x)) cy=format!("{:.1}", frame.py(y)) r=r style=format!("fill: {c}; fill-opacity: 0.6") /> }
                    })
                    .collect_view()
            });
            view! {
                <g data-testid="plot-series" data-label=s.label.clone() data-points=finite.len()>
                    {line}
                    {dots}
                </g>
            }
        })
        .collect_view();
    let items: Vec<(String, usize)> = series.iter().map(|s| (s.label.clone(), s.colour)).collect();
    let show_legend = items.len() > 1 || items.first().is_some_and(|(l, _)| !l.is_empty());
    view! {
        <figure class="chart">
            <svg data-testid=testid data-series=series.len() viewBox=format!("0 0 {W} {H}") role="img" style="width: 100%; max-width: 30rem; height: auto;"
                aria-label=format!("{y_label} against {x_label}")>
                {axes(frame, x_label, y_label)}
                {guide_identity}
                {guide_zero}
                {drawn}
            </svg>
            <figcaption>
                {show_legend.then(|| legend(items))}
                {(!caption.is_empty()).then(|| view! { <span class="hint">{caption}</span> })}
            </figcaption>
        </figure>
    }
}

/// One bar per entry; `running` adds a line (share-scaled bars only: both in [0, 1]).
#[component]
pub fn BarPlot(
    testid: &'static str,
    bars: Vec<(String, f64)>,
    x_label: &'static str,
    y_label: &'static str,
    /// A line over the bars, one value per bar (e.g. a cumulative share).
    #[prop(optional)]
    running: Vec<f64>,
    /// The y axis from 0 to 1.
    #[prop(optional)]
    unit: bool,
    #[prop(optional, into)] caption: String,
) -> impl IntoView {
    let n = bars.len().max(1);
    let top = if unit {
        1.0
    } else {
        bars.iter()
            .map(|b| b.1)
            .chain(running.iter().copied())
            .filter(|v| v.is_finite())
            .fold(0.0, f64::max)
            .max(f64::MIN_POSITIVE)
            * 1.05
    };
    let frame = Frame {
        x: (0.0, n as f64),
        y: (0.0, top),
    };
    let slot = (W - LEFT - RIGHT) / n as f64;
    let width = (slot * 0.7).min(60.0);
    let labels_every = n.div_ceil(16);
    let rects = bars
        .iter()
        .enumerate()
        .map(|(i, (label, v))| {
            let v = if v.is_finite() { v.max(0.0) } else { 0.0 };
            let x = LEFT + slot * (i as f64 + 0.5) - width / 2.0;
            let y = frame.py(v);
            let show = i % labels_every == 0;
            view! {
                <g data-testid="bar" data-label=label.clone() data-value=v>
                    <rect x=x y=y width=width height=(H - BOTTOM - y).max(0.0) rx="2" style=format!("fill: {}; fill-opacity: 0.8", colour(0)) >
                        <title>{format!("{label}: {v}")}</title>
                    </rect>
                    {show.then(|| view! {
                        <text x=x + width / 2.0 y=H - BOTTOM + 16.0 text-anchor="middle" class="axis-label">{label.clone()}</text>
                    })}
                </g>
            }
        })
        .collect_view();
    let line = (!running.is_empty()).then(|| {
        let pts = running
            .iter()
            .enumerate()
            .map(|(i, v)| format!("{:.1},{:.1}", LEFT + slot * (i as f64 + 0.5), frame.py(*v)))
            .collect::<Vec<_>>()
            .join(" ");
        let dots = running
            .iter()
            .enumerate()
            .map(|(i, v)| view! { <circle cx=LEFT + slot * (i as f64 + 0.5) cy=frame.py(*v) r="3" style=format!("fill: {}", colour(1)) /> })
            .collect_view();
        view! {
            <g data-testid="bar-running" data-points=running.len()>
                <polyline points=pts fill="none" style=format!("stroke: {}; stroke-width: 2", colour(1)) />
                {dots}
            </g>
        }
    });
    let (yt, ys) = ticks(0.0, top);
    let y_ticks = yt
        .into_iter()
        .map(|v| {
            let y = frame.py(v);
            view! {
                <line x1=LEFT - 4.0 y1=y x2=W - RIGHT y2=y stroke="currentColor" stroke-opacity="0.08" />
                <text x=LEFT - 7.0 y=y + 4.0 text-anchor="end" class="axis-label">{tick_text(v, ys)}</text>
            }
        })
        .collect_view();
    view! {
        <figure class="chart">
            <svg data-testid=testid data-bars=bars.len() viewBox=format!("0 0 {W} {H}") role="img" style="width: 100%; max-width: 30rem; height: auto;"
                aria-label=format!("{y_label} by {x_label}")>
                <line x1=LEFT y1=H - BOTTOM x2=W - RIGHT y2=H - BOTTOM class="axis" stroke="currentColor" />
                <line x1=LEFT y1=TOP x2=LEFT y2=H - BOTTOM class="axis" stroke="currentColor" />
                {y_ticks}
                {rects}
                {line}
                <text x=(LEFT + W - RIGHT) / 2.0 y=H - 6.0 text-anchor="middle" class="axis-label">{x_label}</text>
                <text x=12.0 y=(TOP + H - BOTTOM) / 2.0 text-anchor="middle" class="axis-label"
                    transform=format!("rotate(-90 12 {})", (TOP + H - BOTTOM) / 2.0)>{y_label}</text>
            </svg>
            {(!caption.is_empty()).then(|| view! { <figcaption class="hint">{caption}</figcaption> })}
        </figure>
    }
}
