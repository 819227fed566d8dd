use super::*;
use crate::data::parse_table;

fn frame(text: &str) -> Frame {
    parse_table("t.csv", text).unwrap()
}

fn recipe(steps: Vec<Step>) -> Recipe {
    Recipe {
        types: Default::default(),
        steps,
    }
}

fn cols(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

#[test]
fn statistics_come_from_training_rows_only() {
    let f = frame("x,c,y\n1,a,0\n3,b,1\nNA,a,0\n100,c,1\n");
    let r = recipe(vec![
        Step::Impute {
            columns: cols(&["x"]),
            strategy: Impute::Mean,
            indicator: true,
        },
        Step::Scale {
            columns: cols(&["x"]),
            method: Scale::Standard,
        },
        Step::OneHot {
            columns: cols(&["c"]),
            max_levels: 20,
        },
    ]);
    let fitted = FittedRecipe::fit(&r, &f, "y", &[0, 1, 2]).unwrap();
    assert_eq!(
        fitted.steps[0],
        FittedStep::Impute {
            column: "x".into(),
            fill: Fill::Number(2.0),
            indicator: true
        }
    );
    assert_eq!(fitted.features, vec!["x", "x_missing", "c=a", "c=b"]);
    // Row 3 has x = 100 (never seen) and the unseen level "c": all-zero one-hot.
    let std = (2.0f64 / 3.0).sqrt();
    let row = fitted.transform_frame(&f, &[3]);
    assert!((row[0] - 98.0 / std).abs() < 1e-9, "{row:?}");
    assert_eq!(&row[1..], &[0.0, 0.0, 0.0]);
    // The missing row gets the mean, then the indicator.
    assert_eq!(fitted.transform_frame(&f, &[2])[..2], [0.0, 1.0]);
}

#[test]
fn text_rows_transform_exactly_like_frame_rows() {
    let f = frame("x,c,d,y\n1,a,2024-01-01,0\n3,b,2024-06-15,1\n5,a,2023-12-31,1\n");
    let r = recipe(vec![
        Step::DateParts {
            columns: cols(&["d"]),
            parts: vec![DatePart::Year, DatePart::Month, DatePart::Weekday],
        },
        Step::Formula {
            name: "ratio".into(),
            expr: "log(x + 1) / d_month".into(),
        },
        Step::Ordinal {
            columns: cols(&["c"]),
        },
    ]);
    let fitted = FittedRecipe::fit(&r, &f, "y", &[0, 1, 2]).unwrap();
    assert_eq!(
        fitted.features,
        vec!["x", "c", "d_year", "d_month", "d_weekday", "ratio"]
    );
    for row in 0..3 {
        let from_text = fitted
            .transform_text(|c| f.column(c).map(|col| col.cell_text(row)))
            .unwrap();
        assert_eq!(from_text, fitted.transform_frame(&f, &[row]));
    }
    let june = fitted.transform_frame(&f, &[1]);
    assert_eq!(&june[2..5], &[2024.0, 6.0, 5.0]);
    assert!((june[5] - 4f64.ln() / 6.0).abs() < 1e-12);
    let err = fitted
        .transform_text(|c| (c == "d").then(|| "soon".to_string()))
        .unwrap_err();
    assert_eq!(err.to_string(), "column \"d\": \"soon\" is not a date");
}

#[test]
fn one_hot_keeps_top_levels_and_sends_the_rest_to_other() {
    let mut text = String::from("c,y\n");
    for i in 0..100 {
        let c = if i < 60 {
            ["a", "b"][i % 2]
        } else {
            ["c", "d", "e", "f"][i % 4]
        };
        text.push_str(&format!("{c},{}\n", i % 2));
    }
    let f = frame(&text);
    let rows: Vec<usize> = (0..100).collect();
    let r = recipe(vec![Step::OneHot {
        columns: cols(&["c"]),
        max_levels: 2,
    }]);
    let fitted = FittedRecipe::fit(&r, &f, "y", &rows).unwrap();
    assert_eq!(fitted.features, vec!["c=a", "c=b", "c=other"]);
    assert!(
        fitted.notes[0].contains("2 most frequent of 6"),
        "{:?}",
        fitted.notes
    );
    let unseen = fitted
        .transform_text(|_| Some("never-seen".to_string()))
        .unwrap();
    assert_eq!(unseen, vec![0.0, 0.0, 1.0]);
    let missing = fitted.transform_text(|_| None).unwrap();
    assert_eq!(missing, vec![0.0, 0.0, 0.0]);
}

#[test]
fn clip_scale_log_and_bins_learn_their_parameters() {
    let f = frame("x,y\n1,0\n2,1\n3,0\n4,1\n1000,0\n");
    let rows = [0, 1, 2, 3, 4];
    let fit = |steps| FittedRecipe::fit(&recipe(steps), &f, "y", &rows).unwrap();
    let clipped = fit(vec![Step::Clip {
        columns: cols(&["x"]),
        method: Clip::Iqr,
    }]);
    assert_eq!(clipped.transform_frame(&f, &[4]), vec![7.0]);
    let pct = fit(vec![Step::Clip {
        columns: cols(&["x"]),
        method: Clip::Percentiles(0.0, 50.0),
    }]);
    assert_eq!(pct.transform_frame(&f, &[4]), vec![3.0]);
    let minmax = fit(vec![Step::Scale {
        columns: cols(&["x"]),
        method: Scale::MinMax,
    }]);
    assert_eq!(minmax.transform_frame(&f, &[4]), vec![1.0]);
    let robust = fit(vec![Step::Scale {
        columns: cols(&["x"]),
        method: Scale::Robust,
    }]);
    assert_eq!(robust.transform_frame(&f, &[1]), vec![-0.5]);
    let logged = fit(vec![Step::Log1p {
        columns: cols(&["x"]),
    }]);
    assert_eq!(logged.transform_frame(&f, &[0]), vec![2f64.ln()]);
    let binned = fit(vec![Step::Bin {
        columns: cols(&["x"]),
        bins: 2,
    }]);
    assert_eq!(binned.transform_frame(&f, &[0, 4]), vec![0.0, 1.0]);
}

#[test]
fn mistakes_in_a_recipe_name_the_step_and_the_place() {
    let f = frame("income,age,city,y\n10,20,a,1\n20,30,b,0\n");
    let fit = |steps| FittedRecipe::fit(&recipe(steps), &f, "y", &[0, 1]).unwrap_err();
    let err = fit(vec![Step::Formula {
        name: "r".into(),
        expr: "log(income) / agee".into(),
    }]);
    assert_eq!(
        err.to_string(),
        "step 1 (formula): unknown column \"agee\" at character 15 of \"log(income) / agee\""
    );
    let err = fit(vec![Step::Formula {
        name: "r".into(),
        expr: "log(income / age".into(),
    }]);
    assert!(err.to_string().starts_with("step 1 (formula): "), "{err}");
    assert!(err.to_string().contains("character 4"), "{err}");
    let err = fit(vec![Step::Formula {
        name: "r".into(),
        expr: "y * 2".into(),
    }]);
    assert!(
        err.to_string().contains("the target \"y\" cannot be used"),
        "{err}"
    );
    let err = fit(vec![
        Step::Drop {
            columns: cols(&["age"]),
        },
        Step::Scale {
            columns: cols(&["age"]),
            method: Scale::Standard,
        },
    ]);
    assert_eq!(
        err.to_string(),
        "step 2 (scale): there is no column \"age\" at this point"
    );
    let err = fit(vec![Step::Scale {
        columns: cols(&["city"]),
        method: Scale::Standard,
    }]);
    assert_eq!(
        err.to_string(),
        "step 1 (scale): \"city\" holds categories; scale needs numbers"
    );
    let err = fit(vec![Step::Bin {
        columns: cols(&["age"]),
        bins: 1,
    }]);
    assert!(err.to_string().contains("between 2 and 100"), "{err}");
}

#[test]
fn dropped_columns_are_not_asked_for_and_the_target_is_never_touched() {
    let f = frame("id,x,c,y\n1,1,a,5\n2,2,b,6\n3,3,a,7\n");
    let r = recipe(vec![
        Step::Drop {
            columns: cols(&["id"]),
        },
        Step::Scale {
            columns: cols(&["x", "y"]),
            method: Scale::Standard,
        },
    ]);
    let fitted = FittedRecipe::fit(&r, &f, "y", &[0, 1, 2]).unwrap();
    let names: Vec<&str> = fitted.inputs.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, vec!["x", "c"]);
    assert_eq!(fitted.features, vec!["x", "c=a", "c=b"]);
    assert_eq!(fitted.inputs[1].categories, vec!["a", "b"]);
    assert_eq!(fitted.inputs[1].default, "a");
}

#[test]
fn type_overrides_in_the_recipe_change_how_columns_are_read() {
    let f = frame("zip,y\n1000,1\n2000,0\n1000,1\n");
    let mut r = recipe(Vec::new());
    r.types.insert("zip".into(), ColumnType::Categorical);
    let fitted = FittedRecipe::fit(&r, &f, "y", &[0, 1, 2]).unwrap();
    assert_eq!(fitted.features, vec!["zip=1000", "zip=2000"]);
}

#[test]
fn free_text_and_identifiers_left_in_are_taken_out_with_a_note() {
    let mut text = String::from("name,x,y\n");
    for i in 0..30 {
        text.push_str(&format!("user{i},{},{}\n", i % 3, i % 2));
    }
    let f = frame(&text);
    let rows: Vec<usize> = (0..30).collect();
    let fitted = FittedRecipe::fit(&recipe(Vec::new()), &f, "y", &rows).unwrap();
    assert_eq!(fitted.features, vec!["x"]);
    assert!(fitted.notes[0].contains("\"name\""), "{:?}", fitted.notes);
    assert_eq!(fitted.inputs.len(), 1);
}

#[test]
fn a_table_without_usable_features_is_refused() {
    let f = frame("x,y\nNA,1\nNA,2\n");
    let r = recipe(vec![Step::Drop {
        columns: cols(&["x"]),
    }]);
    assert_eq!(
        FittedRecipe::fit(&r, &f, "y", &[0, 1]).unwrap_err(),
        PrepError::NoFeatures
    );
}

#[test]
fn imputing_a_column_without_training_values_fills_zero_and_says_so() {
    let f = frame("x,z,y\nNA,1,0\nNA,2,1\n5,3,0\n");
    let r = recipe(vec![Step::Impute {
        columns: cols(&["x"]),
        strategy: Impute::Median,
        indicator: true,
    }]);
    let fitted = FittedRecipe::fit(&r, &f, "y", &[0, 1]).unwrap();
    assert!(
        fitted.notes[0].contains("no values in the training rows"),
        "{:?}",
        fitted.notes
    );
    assert_eq!(fitted.transform_frame(&f, &[0]), vec![0.0, 1.0, 1.0]);
}
