//! The form that adds a step to the recipe: pick the operation, the columns it applies to and
//! its settings. Checking is left to the engine, whose message (naming the step and, for a
//! formula, the character) appears in place of the preview.

use kiln_protocol::recipe::{Clip, DatePart, Impute, Scale, Step, default_max_levels};
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::pages::prepare::set_steps;
use crate::state::use_studio;

const OPS: [(&str, &str); 10] = [
    ("drop", "Drop columns"),
    ("impute", "Fill missing values"),
    ("clip", "Clip outliers"),
    ("scale", "Scale"),
    ("log1p", "log1p"),
    ("one_hot", "One-hot encode"),
    ("ordinal", "Ordinal encode"),
    ("date_parts", "Date parts"),
    ("bin", "Quantile bins"),
    ("formula", "Derived column (formula)"),
];

fn selected_values(ev: &leptos::ev::Event) -> Vec<String> {
    let Some(select) = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlSelectElement>().ok())
    else {
        return Vec::new();
    };
    let options = select.selected_options();
    (0..options.length())
        .filter_map(|i| options.item(i))
        .filter_map(|o| o.dyn_into::<web_sys::HtmlOptionElement>().ok())
        .map(|o| o.value())
        .collect()
}

#[component]
pub fn AddStep() -> impl IntoView {
    let studio = use_studio();
    let op = RwSignal::new("impute".to_string());
    let columns = RwSignal::new(Vec::<String>::new());
    let strategy = RwSignal::new("median".to_string());
    let constant = RwSignal::new(String::new());
    let indicator = RwSignal::new(false);
    let clip = RwSignal::new("iqr".to_string());
    let low = RwSignal::new(1.0f64);
    let high = RwSignal::new(99.0f64);
    let scale = RwSignal::new("standard".to_string());
    let levels = RwSignal::new(default_max_levels());
    let parts = RwSignal::new(vec![
        "year".to_string(),
        "month".to_string(),
        "weekday".to_string(),
    ]);
    let bins = RwSignal::new(5usize);
    let name = RwSignal::new(String::new());
    let expr = RwSignal::new(String::new());
    let available = move || {
        let target = studio.project().and_then(|p| p.target);
        let mut names = studio.column_names();
        names.retain(|c| Some(c) != target.as_ref());
        names
    };
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let cols = columns.get_untracked();
        let step = match op.get_untracked().as_str() {
            "drop" => Step::Drop { columns: cols },
            "impute" => Step::Impute {
                columns: cols,
                strategy: match strategy.get_untracked().as_str() {
                    "mean" => Impute::Mean,
                    "most_frequent" => Impute::MostFrequent,
                    "constant" => Impute::Constant(constant.get_untracked()),
                    _ => Impute::Median,
                },
                indicator: indicator.get_untracked(),
            },
            "clip" => Step::Clip {
                columns: cols,
                method: if clip.get_untracked() == "iqr" {
                    Clip::Iqr
                } else {
                    Clip::Percentiles(low.get_untracked(), high.get_untracked())
                },
            },
            "scale" => Step::Scale {
                columns: cols,
                method: match scale.get_untracked().as_str() {
                    "min_max" => Scale::MinMax,
                    "robust" => Scale::Robust,
                    _ => Scale::Standard,
                },
            },
            "log1p" => Step::Log1p { columns: cols },
            "one_hot" => Step::OneHot {
                columns: cols,
                max_levels: levels.get_untracked(),
            },
            "ordinal" => Step::Ordinal { columns: cols },
            "date_parts" => Step::DateParts {
                columns: cols,
                parts: DatePart::ALL
                    .into_iter()
                    .filter(|p| parts.with_untracked(|ps| ps.iter().any(|x| x == p.label())))
                    .collect(),
            },
            "bin" => Step::Bin {
                columns: cols,
                bins: bins.get_untracked(),
            },
            _ => Step::Formula {
                name: name.get_untracked().trim().to_string(),
                expr: expr.get_untracked(),
            },
        };
        if !matches!(step, Step::Formula { .. }) && step.columns().is_empty() {
            studio.fail("Choose at least one column for the step.");
            return;
        }
        let mut steps = studio
            .project()
            .and_then(|p| crate::jobs::recipe_of(&p))
            .map(|r| r.steps)
            .unwrap_or_default();
        steps.push(step);
        set_steps(studio, steps);
        studio.error.set(None);
        columns.set(Vec::new());
    };
    let is = move |o: &'static str| move || op.get() == o;
    view! {
        <form class="card add-step" data-testid="add-step-form" on:submit=add>
            <h3>"Add a step"</h3>
            <label>"Operation "
                <select data-testid="step-op" on:change=move |ev| op.set(event_target_value(&ev))>
                    {OPS.iter().map(|(v, l)| view! { <option value=*v selected=*v == "impute">{*l}</option> }).collect_view()}
                </select>
            </label>
            <Show when=move || op.get() != "formula">
                <label>"Columns "
                    <select multiple data-testid="step-columns" size="6"
                        on:change=move |ev| columns.set(selected_values(&ev))>
                        {move || available().into_iter().map(|c| {
                            let chosen = c.clone();
                            view! { <option value=c.clone() selected=move || columns.with(|s| s.contains(&chosen))>{c.clone()}</option> }
                        }).collect_view()}
                    </select>
                </label>
            </Show>
            <Show when=is("impute")>
                <label>"Fill with "
                    <select data-testid="step-strategy" on:change=move |ev| strategy.set(event_target_value(&ev))>
                        <option value="median">"median"</option>
                        <option value="mean">"mean"</option>
                        <option value="most_frequent">"most frequent"</option>
                        <option value="constant">"a constant"</option>
                    </select>
                </label>
                <Show when=move || strategy.get() == "constant">
                    <input data-testid="step-constant" placeholder="value" on:input=move |ev| constant.set(event_target_value(&ev)) />
                </Show>
                <label><input type="checkbox" data-testid="step-indicator" on:change=move |ev| indicator.set(event_target_checked(&ev)) />" add a missing indicator"</label>
            </Show>
            <Show when=is("clip")>
                <select data-testid="step-clip" on:change=move |ev| clip.set(event_target_value(&ev))>
                    <option value="iqr">"1.5 × IQR beyond the quartiles"</option>
                    <option value="percentiles">"percentiles"</option>
                </select>
                <Show when=move || clip.get() == "percentiles">
                    <input type="number" min="0" max="100" prop:value=move || low.get().to_string()
                        on:change=move |ev| { if let Ok(v) = event_target_value(&ev).parse() { low.set(v) } } />
                    <input type="number" min="0" max="100" prop:value=move || high.get().to_string()
                        on:change=move |ev| { if let Ok(v) = event_target_value(&ev).parse() { high.set(v) } } />
                </Show>
            </Show>
            <Show when=is("scale")>
                <select data-testid="step-scale" on:change=move |ev| scale.set(event_target_value(&ev))>
                    <option value="standard">"standard (mean 0, sd 1)"</option>
                    <option value="min_max">"min-max (0 to 1)"</option>
                    <option value="robust">"robust (median, IQR)"</option>
                </select>
            </Show>
            <Show when=is("one_hot")>
                <label>"At most "
                    <input type="number" min="1" max="500" data-testid="step-levels" prop:value=move || levels.get().to_string()
                        on:change=move |ev| { if let Ok(v) = event_target_value(&ev).parse() { levels.set(v) } } />
                    " levels (the rest become \"other\")"</label>
            </Show>
            <Show when=is("date_parts")>
                <select multiple data-testid="step-parts" on:change=move |ev| parts.set(selected_values(&ev))>
                    {DatePart::ALL.iter().map(|p| view! {
                        <option value=p.label() selected=parts.get_untracked().iter().any(|x| x == p.label())>{p.label()}</option>
                    }).collect_view()}
                </select>
            </Show>
            <Show when=is("bin")>
                <label>"Bins "
                    <input type="number" min="2" max="100" data-testid="step-bins" prop:value=move || bins.get().to_string()
                        on:change=move |ev| { if let Ok(v) = event_target_value(&ev).parse() { bins.set(v) } } />
                </label>
            </Show>
            <Show when=is("formula")>
                <label>"New column "
                    <input data-testid="formula-name" placeholder="e.g. income_per_year" on:input=move |ev| name.set(event_target_value(&ev)) />
                </label>
                <label>" = "
                    <input data-testid="formula-expr" class="formula" placeholder="e.g. log(income) / age"
                        on:input=move |ev| expr.set(event_target_value(&ev)) />
                </label>
                <p class="hint">"Numbers, numeric columns (`back ticks` for names with spaces), + − × ÷ ^, log, log10, log1p, exp, sqrt, abs, round, floor, ceil, min, max, pow."</p>
            </Show>
            <button type="submit" class="primary" data-testid="add-step">"Add step"</button>
        </form>
    }
}
