//! Charts drawn as SVG straight from the view: a loss curve and a confusion-matrix heat map.
//! Both are a handful of shapes that update reactively; a plotting crate would add weight to
//! the studio's download without drawing them any better.

use kiln_protocol::project::ConfusionMatrix;
use leptos::prelude::*;

const W: f64 = 480.0;
const H: f64 = 180.0;
const PAD: f64 = 28.0;

/// Loss by step; the y axis runs from zero to the largest loss seen.
#[component]
pub fn LossCurve(#[prop(into)] losses: Signal<Vec<f64>>) -> impl IntoView {
    let points = move || {
        let values = losses.get();
        let max = values.iter().copied().fold(f64::MIN_POSITIVE, f64::max);
        let steps = values.len().saturating_sub(1).max(1) as f64;
        values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let x = PAD + (W - 2.0 * PAD) * i as f64 / steps;
                let y = H - PAD - (H - 2.0 * PAD) * (v / max).clamp(0.0, 1.0);
                format!("{x:.1},{y:.1}")
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    let last = move || {
        losses
            .get()
            .last()
            .map(|l| format!("latest loss {l:.4}"))
            .unwrap_or_default()
    };
    view! {
        <figure class="chart">
            <svg
                data-testid="loss-curve"
                viewBox=format!("0 0 {W} {H}")
                role="img"
                aria-label="Training loss by step"
                data-points=move || losses.get().len()
            >
                <line x1=PAD y1=H - PAD x2=W - PAD y2=H - PAD class="axis" />
                <line x1=PAD y1=PAD x2=PAD y2=H - PAD class="axis" />
                <text x=PAD y=PAD - 8.0 class="axis-label">"loss"</text>
                <text x=W - PAD y=H - 8.0 class="axis-label" text-anchor="end">"step"</text>
                <polyline points=points class="series" fill="none" />
            </svg>
            <figcaption>{last}</figcaption>
        </figure>
    }
}

/// Rows are the actual class, columns the predicted one; darker means more rows.
#[component]
pub fn ConfusionChart(matrix: ConfusionMatrix) -> impl IntoView {
    let n = matrix.labels.len().max(1);
    let cell = 84.0;
    let label_w = 110.0;
    let size_w = label_w + cell * n as f64 + 10.0;
    let size_h = 40.0 + cell * n as f64 + 30.0;
    let max = matrix
        .counts
        .iter()
        .flatten()
        .copied()
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let cells = matrix
        .counts
        .iter()
        .enumerate()
        .flat_map(|(a, row)| row.iter().enumerate().map(move |(p, &c)| (a, p, c)))
        .map(|(a, p, count)| {
            let x = label_w + p as f64 * cell;
            let y = 40.0 + a as f64 * cell;
            let shade = count as f64 / max;
            let fill = format!("rgba(37, 99, 235, {:.3})", 0.08 + 0.92 * shade);
            let text_class = if shade > 0.55 { "cell-text dark" } else { "cell-text" };
            view! {
                <g data-testid="confusion-cell" data-actual=a data-predicted=p data-count=count>
                    <rect x=x y=y width=cell - 2.0 height=cell - 2.0 fill=fill rx="4" />
                    <text x=x + cell / 2.0 y=y + cell / 2.0 + 5.0 text-anchor="middle" class=text_class>
                        {count}
                    </text>
                </g>
            }
        })
        .collect_view();
    let row_labels = matrix
        .labels
        .iter()
        .enumerate()
        .map(|(i, l)| {
            view! {
                <text x=label_w - 8.0 y=40.0 + i as f64 * cell + cell / 2.0 + 5.0 text-anchor="end">
                    {l.clone()}
                </text>
            }
        })
        .collect_view();
    let col_labels = matrix
        .labels
        .iter()
        .enumerate()
        .map(|(i, l)| {
            view! {
                <text x=label_w + i as f64 * cell + cell / 2.0 y="32" text-anchor="middle">
                    {l.clone()}
                </text>
            }
        })
        .collect_view();
    view! {
        <figure class="chart">
            <svg
                data-testid="confusion-matrix"
                viewBox=format!("0 0 {size_w} {size_h}")
                width=size_w
                role="img"
                aria-label="Confusion matrix: rows actual class, columns predicted class"
            >
                <text x=label_w y="14" class="axis-label">"predicted →"</text>
                {row_labels}
                {col_labels}
                {cells}
                <text x="4" y=size_h - 8.0 class="axis-label">"↓ actual"</text>
            </svg>
        </figure>
    }
}
