use super::*;
use crate::data::parse_table;

fn messy() -> Frame {
    let mut text = String::from("id,age,income,city,joined,email,constant,score,leak,note\n");
    for i in 0..200 {
        let age = if i % 10 == 0 {
            "NA".to_string()
        } else {
            (20 + i % 40).to_string()
        };
        let income = if i == 7 {
            1_000_000
        } else {
            20_000 + (i * 37) % 5000
        };
        let city = ["Lyon", "Oslo", "Quito"][i % 3];
        let score = if i % 2 == 0 { "high" } else { "low" };
        let leak = if i % 2 == 0 {
            1.0 + (i % 7) as f64 / 100.0
        } else {
            0.0
        };
        text.push_str(&format!(
            "{i},{age},{income},{city},2024-01-{:02},user{i}@example.org,same,{score},{leak},\"free text number {i} written by somebody at length\"\n",
            1 + i % 28
        ));
    }
    parse_table("messy.csv", &text).unwrap()
}

fn kinds(p: &DatasetProfile, column: &str) -> Vec<WarningKind> {
    p.warnings
        .iter()
        .filter(|w| w.column == column)
        .map(|w| w.kind)
        .collect()
}

#[test]
fn columns_get_statistics_and_distributions() {
    let p = profile(&messy(), None, 5);
    assert_eq!(p.rows, 200);
    assert_eq!(p.preview.len(), 5);
    let age = p.columns.iter().find(|c| c.name == "age").unwrap();
    assert_eq!(age.kind, ColumnType::Integer);
    assert_eq!((age.count, age.missing), (180, 20));
    let stats = age.stats.as_ref().unwrap();
    assert_eq!((stats.min, stats.max), (21.0, 59.0));
    let hist = age.histogram.as_ref().unwrap();
    assert_eq!(hist.counts.iter().sum::<u64>(), 180);
    assert_eq!(hist.edges.len(), hist.counts.len() + 1);
    let city = p.columns.iter().find(|c| c.name == "city").unwrap();
    assert_eq!(city.top.len(), 3);
    assert_eq!(city.top.iter().map(|t| t.1).sum::<u64>(), 200);
    let joined = p.columns.iter().find(|c| c.name == "joined").unwrap();
    assert_eq!(joined.kind, ColumnType::Datetime);
}

#[test]
fn warnings_name_what_a_person_should_fix() {
    let p = profile(&messy(), Some("score"), 5);
    assert!(
        kinds(&p, "id").contains(&WarningKind::IdLike),
        "{:?}",
        p.warnings
    );
    assert!(kinds(&p, "constant").contains(&WarningKind::Constant));
    assert!(kinds(&p, "email").contains(&WarningKind::PersonalData));
    assert!(kinds(&p, "income").contains(&WarningKind::Outliers));
    assert!(kinds(&p, "income").contains(&WarningKind::Skew));
    assert!(
        kinds(&p, "leak").contains(&WarningKind::Leak),
        "{:?}",
        p.target
    );
    assert!(!kinds(&p, "age").contains(&WarningKind::Leak));
    let email = p
        .warnings
        .iter()
        .find(|w| w.column == "email" && w.kind == WarningKind::PersonalData)
        .unwrap();
    assert!(email.message.contains("e-mail"), "{}", email.message);
}

#[test]
fn missing_and_imbalance_are_flagged() {
    let mut text = String::from("x,y\n");
    for i in 0..100 {
        let x = if i % 3 == 0 {
            "".to_string()
        } else {
            i.to_string()
        };
        let y = if i < 5 { "rare" } else { "common" };
        text.push_str(&format!("{x},{y}\n"));
    }
    let p = profile(&parse_table("t.csv", &text).unwrap(), Some("y"), 5);
    assert!(kinds(&p, "x").contains(&WarningKind::Missing));
    assert!(kinds(&p, "y").contains(&WarningKind::Imbalance));
}

#[test]
fn target_relations_rank_the_informative_feature_first() {
    let mut text = String::from("noise,signal,y\n");
    for i in 0..300u64 {
        let noise = (i * 7919) % 101;
        let y = i % 3;
        text.push_str(&format!(
            "{noise},{},{y}\n",
            y as f64 * 10.0 + (i % 5) as f64
        ));
    }
    let p = profile(&parse_table("t.csv", &text).unwrap(), Some("y"), 5);
    let rel = p.target.unwrap();
    assert_eq!(rel.features[0].column, "signal");
    assert!(rel.features[0].strength > 0.9);
    assert!(rel.features[1].strength < 0.2, "{:?}", rel.features);
    let corr = p.correlations.unwrap();
    assert_eq!(corr.columns, vec!["noise", "signal", "y"]);
    assert_eq!(corr.values[1][1], Some(1.0));
}

#[test]
fn regression_targets_use_the_correlation_ratio() {
    let mut text = String::from("x,z,y\n");
    for i in 0..200 {
        text.push_str(&format!(
            "{},{},{}\n",
            i * 3,
            (i * 31) % 17,
            6.0 * i as f64 + 0.5
        ));
    }
    let p = profile(&parse_table("t.csv", &text).unwrap(), Some("y"), 5);
    let rel = p.target.unwrap();
    assert!(rel.measure.contains("η²"));
    assert_eq!(rel.features[0].column, "x");
    assert!(rel.features[0].strength > 0.95);
}

#[test]
fn the_default_recipe_follows_the_profile() {
    let p = profile(&messy(), Some("score"), 5);
    let steps = &p.default_recipe.steps;
    let Step::Drop { columns } = &steps[0] else {
        panic!("{steps:?}")
    };
    for c in ["id", "constant", "note", "email"] {
        assert!(
            columns.contains(&c.to_string()),
            "{c} not dropped: {columns:?}"
        );
    }
    assert!(steps.iter().any(|s| matches!(s, Step::DateParts { .. })));
    assert!(
        steps
            .iter()
            .all(|s| !s.columns().contains(&"score".to_string()))
    );
}

use crate::recipe::Step;

#[test]
fn common_values_are_not_mistaken_for_problems() {
    let mut text = String::from("flag,amount,day,ip,name,y\n");
    for i in 0..15 {
        let flag = if i % 3 == 0 { "Y" } else { "" };
        text.push_str(&format!(
            "{flag},{}.67,2024-01-{:02}x,192.168.1.{i},person{i},{}\n",
            12345 + i,
            1 + i,
            i % 2
        ));
    }
    let p = profile(&parse_table("t.csv", &text).unwrap(), Some("y"), 5);
    // One value plus blanks carries information: not constant, and kept by the default recipe.
    assert!(
        !kinds(&p, "flag").contains(&WarningKind::Constant),
        "{:?}",
        p.warnings
    );
    assert!(
        p.default_recipe
            .steps
            .iter()
            .all(|s| !matches!(s, Step::Drop { columns } if columns.contains(&"flag".to_string())))
    );
    for c in ["amount", "day", "ip"] {
        assert!(
            !kinds(&p, c).contains(&WarningKind::PersonalData),
            "{c}: {:?}",
            p.warnings
        );
    }
    // Fifteen unique names predict anything "perfectly"; that is not a leak.
    assert!(
        !kinds(&p, "name").contains(&WarningKind::Leak),
        "{:?}",
        p.warnings
    );
}

#[test]
fn huge_values_give_no_statistics_instead_of_infinities() {
    let p = profile(
        &parse_table("t.csv", "x,y\n1e308,1\n-1e308,0\n1e307,1\n").unwrap(),
        None,
        5,
    );
    let x = &p.columns[0];
    assert!(x.stats.is_none());
    assert!(serde_json::to_string(&p).unwrap().len() > 10);
}
