//! SVG charts of the Explain and Monitor pages: horizontal importance bars with their spread,
//! a waterfall of one prediction's contributions, and the training-versus-batch shares of a
//! drifting feature.

use kiln_protocol::explain::Contributions;
use kiln_protocol::monitor::DriftBin;
use leptos::prelude::*;

use crate::plot::colour;

const W: f64 = 460.0;
const LABEL: f64 = 170.0;
const ROW: f64 = 22.0;
const PAD: f64 = 12.0;

fn fmt(v: f64) -> String {
    if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

/// One bar per name, longest first as given; `spread` draws a whisker of ± that much.
#[component]
pub fn ImportanceBars(
    testid: &'static str,
    /// (name, value, spread)
    items: Vec<(String, f64, f64)>,
    #[prop(into)] unit: String,
) -> impl IntoView {
    let top = items
        .iter()
        .map(|(_, v, s)| v + s)
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max)
        .max(f64::MIN_POSITIVE);
    let span = W - LABEL - PAD * 2.0 - 50.0;
    let px = move |v: f64| LABEL + PAD + (v.max(0.0) / top) * span;
    let height = ROW * items.len() as f64 + PAD * 2.0 + 14.0;
    let rows = items
        .iter()
        .enumerate()
        .map(|(i, (name, v, s))| {
            let y = PAD + ROW * i as f64;
            let whisker = (*s > 0.0).then(|| {
                view! {
                    <line x1=px(v - s) x2=px(v + s) y1=y + ROW / 2.0 y2=y + ROW / 2.0
                        stroke="currentColor" stroke-width="1.5" />
                }
            });
            view! {
                <g data-testid="importance-bar" data-label=name.clone() data-value=*v>
                    <text x=LABEL y=y + ROW * 0.68 text-anchor="end" class="axis-label">{name.clone()}</text>
                    <rect x=LABEL + PAD y=y + 3.0 width=(px(*v) - LABEL - PAD).max(0.5) height=ROW - 6.0 rx="2"
                        style=format!("fill: {}; fill-opacity: 0.8", colour(0))>
                        <title>{format!("{name}: {} ± {}", fmt(*v), fmt(*s))}</title>
                    </rect>
                    {whisker}
                    <text x=px(v + s) + 4.0 y=y + ROW * 0.68 class="axis-label">{fmt(*v)}</text>
                </g>
            }
        })
        .collect_view();
    view! {
        <figure class="chart">
            <svg data-testid=testid viewBox=format!("0 0 {W} {height}") role="img"
                style="width: 100%; max-width: 32rem; height: auto;" aria-label=unit.clone()>
                {rows}
                <text x=LABEL + PAD y=height - 4.0 class="axis-label">{unit.clone()}</text>
            </svg>
        </figure>
    }
}

/// How the prediction is reached from the expected output, one feature at a time: the ten
/// largest contributions, then the rest together.
#[component]
pub fn Waterfall(contributions: Contributions, output: usize) -> impl IntoView {
    let c = contributions;
    let values = c.values.get(output).cloned().unwrap_or_default();
    let expected = c.expected.get(output).copied().unwrap_or(0.0);
    let prediction = c.prediction.get(output).copied().unwrap_or(expected);
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[b].abs().total_cmp(&values[a].abs()));
    let mut steps: Vec<(String, f64)> = order
        .iter()
        .take(10)
        .map(|&j| {
            let shown = c.feature_values.get(j).map_or(String::new(), |v| fmt(*v));
            (format!("{} = {shown}", c.features[j]), values[j])
        })
        .collect();
    if order.len() > 10 {
        let rest: f64 = order[10..].iter().map(|&j| values[j]).sum();
        steps.push((format!("{} other features", order.len() - 10), rest));
    }
    let mut running = expected;
    let mut lo = expected.min(prediction);
    let mut hi = expected.max(prediction);
    for (_, v) in &steps {
        running += v;
        lo = lo.min(running);
        hi = hi.max(running);
    }
    let span = (hi - lo).max(1e-12);
    let left = LABEL + PAD;
    let width = W - left - PAD - 50.0;
    let px = move |v: f64| left + (v - lo) / span * width;
    let height = ROW * (steps.len() + 2) as f64 + PAD * 2.0;
    let mut at = expected;
    let bars = steps
        .iter()
        .enumerate()
        .map(|(i, (label, v))| {
            let y = PAD + ROW * (i + 1) as f64;
            let (from, to) = (at, at + v);
            at = to;
            let colour = if *v >= 0.0 { "#dc2626" } else { "#2563eb" };
            view! {
                <g data-testid="waterfall-step" data-label=label.clone() data-value=*v>
                    <text x=LABEL y=y + ROW * 0.68 text-anchor="end" class="axis-label">{label.clone()}</text>
                    <rect x=px(from.min(to)) y=y + 3.0 width=(px(from.max(to)) - px(from.min(to))).max(0.5) height=ROW - 6.0
                        style=format!("fill: {colour}; fill-opacity: 0.8") />
                    <text x=px(from.max(to)) + 4.0 y=y + ROW * 0.68 class="axis-label">
                        {format!("{}{}", if *v >= 0.0 { "+" } else { "" }, fmt(*v))}
                    </text>
                </g>
            }
        })
        .collect_view();
    let end_y = PAD + ROW * (steps.len() + 1) as f64;
    view! {
        <figure class="chart">
            <svg data-testid="waterfall" data-expected=expected data-prediction=prediction
                viewBox=format!("0 0 {W} {height}") role="img" style="width: 100%; max-width: 32rem; height: auto;"
                aria-label="Contributions from the average prediction to this row's">
                <g>
                    <text x=LABEL y=PAD + ROW * 0.68 text-anchor="end" class="axis-label">"average prediction"</text>
                    <line x1=px(expected) x2=px(expected) y1=PAD y2=end_y + ROW stroke="currentColor" stroke-opacity="0.35" stroke-dasharray="4 3" />
                    <text x=px(expected) + 4.0 y=PAD + ROW * 0.68 class="axis-label">{fmt(expected)}</text>
                </g>
                {bars}
                <g>
                    <text x=LABEL y=end_y + ROW * 0.68 text-anchor="end" class="axis-label"><tspan font-weight="bold">"this prediction"</tspan></text>
                    <line x1=px(prediction) x2=px(prediction) y1=PAD y2=end_y + ROW stroke="currentColor" stroke-width="2" />
                    <text x=px(prediction) + 4.0 y=end_y + ROW * 0.68 class="axis-label">{fmt(prediction)}</text>
                </g>
            </svg>
        </figure>
    }
}

/// Training and batch shares per bin, side by side.
#[component]
pub fn DriftBins(bins: Vec<DriftBin>, name: String) -> impl IntoView {
    let n = bins.len().max(1);
    let h = 120.0;
    let top = bins
        .iter()
        .flat_map(|b| [b.reference, b.batch])
        .fold(0.0, f64::max)
        .max(f64::MIN_POSITIVE);
    let slot = (W - PAD * 2.0) / n as f64;
    let bar = (slot * 0.4).min(20.0);
    let rects = bins
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let x = PAD + slot * i as f64 + slot / 2.0;
            let y = |v: f64| h - 16.0 - v / top * (h - 28.0);
            view! {
                <g>
                    <title>{format!("{}: training {:.1}%, batch {:.1}%", b.label, b.reference * 100.0, b.batch * 100.0)}</title>
                    <rect x=x - bar y=y(b.reference) width=bar height=h - 16.0 - y(b.reference) style=format!("fill: {}; fill-opacity: 0.6", colour(7)) />
                    <rect x=x y=y(b.batch) width=bar height=h - 16.0 - y(b.batch) style=format!("fill: {}; fill-opacity: 0.8", colour(3)) />
                    <text x=x y=h - 3.0 text-anchor="middle" class="axis-label" style="font-size: 9px">{b.label.clone()}</text>
                </g>
            }
        })
        .collect_view();
    view! {
        <svg data-testid="drift-bins" data-feature=name.clone() viewBox=format!("0 0 {W} {h}") role="img"
            style="width: 100%; max-width: 32rem; height: auto;"
            aria-label=format!("{name}: training (grey) and batch (orange) shares per bin")>
            {rects}
        </svg>
    }
}
