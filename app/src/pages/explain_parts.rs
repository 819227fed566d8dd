//! The Explain page's fairness card: mark a column as sensitive, name the class that counts as
//! selected and the largest gap allowed; the worker measures each group on the test rows and
//! the card shows the figures, the gaps and a plain warning when one is too large.

use kiln_protocol::explain::{FairnessReport, FairnessRequest};
use leptos::prelude::*;

use crate::state::use_studio;

fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), |v| format!("{:.1}%", v * 100.0))
}

#[component]
pub fn FairnessCard(
    columns: Signal<Vec<String>>,
    classes: Vec<String>,
    report: Signal<Option<FairnessReport>>,
    check: Callback<FairnessRequest>,
) -> impl IntoView {
    let studio = use_studio();
    let column = RwSignal::new(String::new());
    let positive = RwSignal::new(classes.last().cloned().unwrap_or_default());
    let threshold = RwSignal::new("10".to_string());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let column = column.get_untracked();
        if column.is_empty() {
            return studio.fail("Choose the sensitive column to compare groups of.");
        }
        let points = threshold.get_untracked();
        let Some(threshold) = points
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|p| (0.0..=100.0).contains(p))
        else {
            return studio.fail(format!(
                "The largest gap allowed must be between 0 and 100 points (got \"{points}\")."
            ));
        };
        check.run(FairnessRequest {
            column,
            positive: positive.get_untracked(),
            threshold: threshold / 100.0,
        });
    };
    let class_options = classes
        .iter()
        .map(|c| {
            let chosen = c.clone();
            view! { <option value=c.clone() selected=move || positive.get() == chosen>{c.clone()}</option> }
        })
        .collect_view();
    let shown = move || {
        report.get().map(|r| {
            let rows = r
                .groups
                .iter()
                .map(|g| {
                    view! {
                        <tr data-testid="fairness-group" data-group=g.group.clone()>
                            <th scope="row">{g.group.clone()}</th>
                            <td>{g.size}</td>
                            <td>{pct(Some(g.accuracy))}</td>
                            <td data-testid="fairness-selection">{pct(Some(g.selection_rate))}</td>
                            <td>{pct(g.true_positive_rate)}</td>
                            <td>{pct(g.false_positive_rate)}</td>
                        </tr>
                    }
                })
                .collect_view();
            let gaps = r
                .gaps
                .iter()
                .map(|g| {
                    view! {
                        <li data-testid="fairness-gap" data-metric=g.metric.clone() data-exceeds=g.exceeds.to_string()>
                            {format!("{}: {:.1} points (\"{}\" highest, \"{}\" lowest)", g.metric.replace('_', " "), g.gap * 100.0, g.highest, g.lowest)}
                        </li>
                    }
                })
                .collect_view();
            view! {
                <p data-testid="fairness-summary">{format!(
                    "\"{}\" on the test rows, \"{}\" counted as selected: largest gap {:.1} points (allowed {:.1}).",
                    r.column, r.positive, r.largest_gap * 100.0, r.threshold * 100.0
                )}</p>
                {r.warning.clone().map(|w| view! { <p class="banner error" role="alert" data-testid="fairness-warning">{w}</p> })}
                <table data-testid="fairness-table" style="width: auto;">
                    <thead><tr><th>"Group"</th><th>"Rows"</th><th>"Accuracy"</th><th>"Selection rate"</th><th>"True positive rate"</th><th>"False positive rate"</th></tr></thead>
                    <tbody>{rows}</tbody>
                </table>
                <ul>{gaps}</ul>
                <p class="hint">"Groups under 5 rows are shown but not compared."</p>
            }
        })
    };
    view! {
        <form class="card" data-testid="fairness-form" on:submit=submit>
            <h3>"Fairness across groups"</h3>
            <div class="fields">
                <label>"Sensitive column "
                    <select data-testid="fairness-column" on:change=move |ev| column.set(event_target_value(&ev))>
                        <option value="">"choose…"</option>
                        {move || columns.get().into_iter().map(|c| view! { <option value=c.clone()>{c.clone()}</option> }).collect_view()}
                    </select>
                </label>
                <label>"Selected class "
                    <select data-testid="fairness-positive" on:change=move |ev| positive.set(event_target_value(&ev))>
                        {class_options}
                    </select>
                </label>
                <label>"Largest gap allowed (points) "
                    <input data-testid="fairness-threshold" inputmode="decimal" prop:value=move || threshold.get()
                        on:input=move |ev| threshold.set(event_target_value(&ev)) />
                </label>
            </div>
            <button type="submit" data-testid="fairness-check">"Compare groups"</button>
            {shown}
        </form>
    }
}
