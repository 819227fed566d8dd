//! Small SVG charts for the Data page: a column's histogram or top values, the correlation
//! heat map and the feature–target relation bars. Plain shapes, like `charts`.

use kiln_protocol::profile::{ColumnProfile, Correlations, TargetRelations};
use leptos::prelude::*;

const MINI_W: f64 = 120.0;
const MINI_H: f64 = 32.0;

/// A column's distribution in a thumbnail: histogram bars for numbers, top values otherwise.
#[component]
pub fn MiniChart(column: ColumnProfile) -> impl IntoView {
    let counts: Vec<u64> = match &column.histogram {
        Some(h) => h.counts.clone(),
        None => column.top.iter().map(|(_, n)| *n).collect(),
    };
    let title = match &column.histogram {
        Some(h) => format!(
            "{} bins from {} to {}",
            h.counts.len(),
            h.edges.first().copied().unwrap_or(0.0),
            h.edges.last().copied().unwrap_or(0.0)
        ),
        None => column
            .top
            .iter()
            .map(|(v, n)| format!("{v}: {n}"))
            .collect::<Vec<_>>()
            .join(", "),
    };
    let max = counts.iter().copied().max().unwrap_or(1).max(1) as f64;
    let bar = MINI_W / counts.len().max(1) as f64;
    let bars = counts
        .iter()
        .enumerate()
        .map(|(i, &n)| {
            let h = (MINI_H - 2.0) * n as f64 / max;
            view! {
                <rect x=format!("{:.1}", i as f64 * bar) y=format!("{:.1}", MINI_H - h)
                    width=format!("{:.1}", (bar - 1.0).max(0.5)) height=format!("{h:.1}") class="bar" />
            }
        })
        .collect_view();
    view! {
        <svg class="mini-chart" data-testid=format!("chart-{}", column.name)
            viewBox=format!("0 0 {MINI_W} {MINI_H}") width=MINI_W height=MINI_H role="img"
            aria-label=title.clone()>
            <title>{title.clone()}</title>
            {bars}
        </svg>
    }
}

/// Correlations as a heat map: blue for positive, red for negative.
#[component]
pub fn Heatmap(correlations: Correlations) -> impl IntoView {
    let n = correlations.columns.len();
    let cell = (360.0 / n.max(1) as f64).clamp(10.0, 36.0);
    let label_w = 120.0;
    let size = label_w + cell * n as f64;
    let labels = correlations
        .columns
        .iter()
        .enumerate()
        .map(|(i, name)| {
            view! {
                <text x=label_w - 4.0 y=format!("{:.1}", label_w + cell * (i as f64 + 0.7))
                    text-anchor="end" class="axis">{name.clone()}</text>
                <text transform=format!("translate({:.1},{:.1}) rotate(-60)", label_w + cell * (i as f64 + 0.6), label_w - 4.0)
                    class="axis">{name.clone()}</text>
            }
        })
        .collect_view();
    let cells = correlations
        .values
        .iter()
        .enumerate()
        .flat_map(|(i, row)| {
            let names = &correlations.columns;
            row.iter().enumerate().map(move |(j, v)| {
                let (fill, text) = match v {
                    Some(r) if *r >= 0.0 => (format!("rgba(37, 99, 235, {:.2})", r.abs()), format!("{r:.2}")),
                    Some(r) => (format!("rgba(220, 38, 38, {:.2})", r.abs()), format!("{r:.2}")),
                    None => ("transparent".to_string(), "n/a".to_string()),
                };
                let title = format!("{} × {}: {text}", names[i], names[j]);
                view! {
                    <rect x=format!("{:.1}", label_w + cell * j as f64) y=format!("{:.1}", label_w + cell * i as f64)
                        width=format!("{:.1}", cell - 1.0) height=format!("{:.1}", cell - 1.0) fill=fill>
                        <title>{title}</title>
                    </rect>
                }
            })
        })
        .collect_view();
    view! {
        <figure class="chart">
            <svg data-testid="correlation-heatmap" viewBox=format!("0 0 {size:.0} {size:.0}")
                width=format!("{size:.0}") role="img" aria-label="Correlations between numeric columns">
                {labels}
                {cells}
            </svg>
            <figcaption>"Pearson correlation between numeric columns (hover a cell for its value)."</figcaption>
        </figure>
    }
}

/// Each feature's relation to the target, strongest first.
#[component]
pub fn RelationBars(relations: TargetRelations) -> impl IntoView {
    let rows = relations
        .features
        .iter()
        .take(15)
        .map(|f| {
            let width = format!("{:.0}%", f.strength * 100.0);
            view! {
                <tr data-testid="relation-row" data-column=f.column.clone()>
                    <td>{f.column.clone()}</td>
                    <td class="bar-cell"><span class="hbar" style:width=width></span></td>
                    <td>{format!("{:.3}", f.strength)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div data-testid="target-relations">
            <h4>{format!("Relation to \"{}\"", relations.target)}</h4>
            <p class="hint">{relations.measure.clone()}</p>
            <table class="relations"><tbody>{rows}</tbody></table>
        </div>
    }
}
