//! Hyperparameters as a person writes them (`--param max_depth=6`, a form field), read into
//! typed values with their allowed ranges checked before anything is fitted. An error names the
//! parameter, the allowed range and what was given; an unknown name lists the known ones.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

/// A rejected hyperparameter.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{model}: parameter \"{param}\" {message}")]
pub struct ParamError {
    pub model: String,
    pub param: String,
    pub message: String,
}

/// The hyperparameters given for one model, read one by one by the model's `from_params`.
pub struct Params<'a> {
    model: &'a str,
    given: &'a BTreeMap<String, String>,
    known: RefCell<BTreeSet<&'static str>>,
}

impl<'a> Params<'a> {
    pub fn new(model: &'a str, given: &'a BTreeMap<String, String>) -> Self {
        Self {
            model,
            given,
            known: RefCell::new(BTreeSet::new()),
        }
    }

    pub fn error(&self, param: &str, message: String) -> ParamError {
        ParamError {
            model: self.model.to_string(),
            param: param.to_string(),
            message,
        }
    }

    /// The value as written, if given (the name is then known).
    pub fn text(&self, name: &'static str) -> Option<&'a str> {
        self.raw(name)
    }

    fn raw(&self, name: &'static str) -> Option<&'a str> {
        self.known.borrow_mut().insert(name);
        self.given.get(name).map(|v| v.trim())
    }

    /// A real number in `[min, max]` (`max` may be infinite).
    pub fn float(
        &self,
        name: &'static str,
        default: f64,
        min: f64,
        max: f64,
    ) -> Result<f64, ParamError> {
        let range = if max.is_finite() {
            format!("a number from {min} to {max}")
        } else {
            format!("a number of at least {min}")
        };
        self.real(name, default, |v| v >= min && v <= max, &range)
    }

    /// A real number in `(min, max]`: strictly above `min`.
    pub fn positive(
        &self,
        name: &'static str,
        default: f64,
        min: f64,
        max: f64,
    ) -> Result<f64, ParamError> {
        let range = if max.is_finite() {
            format!("a number above {min} and at most {max}")
        } else {
            format!("a number above {min}")
        };
        self.real(name, default, |v| v > min && v <= max, &range)
    }

    /// A finite real number that passes `fits`, else an error saying it must be `range`.
    fn real(
        &self,
        name: &'static str,
        default: f64,
        fits: impl Fn(f64) -> bool,
        range: &str,
    ) -> Result<f64, ParamError> {
        let Some(raw) = self.raw(name) else {
            return Ok(default);
        };
        match raw.parse::<f64>() {
            Ok(v) if v.is_finite() && fits(v) => Ok(v),
            _ => Err(self.error(name, format!("must be {range} (got \"{raw}\")"))),
        }
    }

    /// A whole number in `[min, max]`.
    pub fn int(
        &self,
        name: &'static str,
        default: usize,
        min: usize,
        max: usize,
    ) -> Result<usize, ParamError> {
        let Some(raw) = self.raw(name) else {
            return Ok(default);
        };
        match raw.parse::<usize>() {
            Ok(v) if v >= min && v <= max => Ok(v),
            _ => Err(self.error(
                name,
                format!("must be a whole number from {min} to {max} (got \"{raw}\")"),
            )),
        }
    }

    /// A whole number in `[min, max]`, or `None` when given as `none` (no limit).
    pub fn int_or_none(
        &self,
        name: &'static str,
        default: Option<usize>,
        min: usize,
        max: usize,
    ) -> Result<Option<usize>, ParamError> {
        match self.raw(name) {
            Some(raw) if raw.eq_ignore_ascii_case("none") => Ok(None),
            Some(_) => self.int(name, 0, min, max).map(Some),
            None => Ok(default),
        }
    }

    /// One of a fixed set of words.
    pub fn choice(
        &self,
        name: &'static str,
        default: &'static str,
        allowed: &[&'static str],
    ) -> Result<&'static str, ParamError> {
        let Some(raw) = self.raw(name) else {
            return Ok(default);
        };
        allowed
            .iter()
            .find(|a| a.eq_ignore_ascii_case(raw))
            .copied()
            .ok_or_else(|| {
                self.error(
                    name,
                    format!("must be one of {} (got \"{raw}\")", allowed.join(", ")),
                )
            })
    }

    /// `true` or `false`.
    pub fn flag(&self, name: &'static str, default: bool) -> Result<bool, ParamError> {
        match self.raw(name) {
            None => Ok(default),
            Some(raw) => match raw.to_ascii_lowercase().as_str() {
                "true" | "yes" | "1" => Ok(true),
                "false" | "no" | "0" => Ok(false),
                _ => Err(self.error(name, format!("must be true or false (got \"{raw}\")"))),
            },
        }
    }

    /// Fails on any given name that no read asked for.
    pub fn finish(self) -> Result<(), ParamError> {
        let known = self.known.into_inner();
        match self.given.keys().find(|k| !known.contains(k.as_str())) {
            None => Ok(()),
            Some(unknown) => Err(ParamError {
                model: self.model.to_string(),
                param: unknown.clone(),
                message: if known.is_empty() {
                    "is not known: this model takes no parameters".into()
                } else {
                    format!(
                        "is not known; the parameters are: {}",
                        known.into_iter().collect::<Vec<_>>().join(", ")
                    )
                },
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn given(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn reads_values_and_defaults() {
        let g = given(&[
            ("max_depth", "6"),
            ("alpha", "0.5"),
            ("criterion", "Entropy"),
        ]);
        let p = Params::new("tree", &g);
        assert_eq!(p.int("max_depth", 3, 1, 64).unwrap(), 6);
        assert_eq!(p.float("alpha", 1.0, 0.0, f64::INFINITY).unwrap(), 0.5);
        assert_eq!(
            p.choice("criterion", "gini", &["gini", "entropy"]).unwrap(),
            "entropy"
        );
        assert_eq!(p.int("min_samples_leaf", 1, 1, 1000).unwrap(), 1);
        p.finish().unwrap();
    }

    #[test]
    fn errors_name_the_parameter_and_range() {
        let g = given(&[("max_depth", "0")]);
        let p = Params::new("tree", &g);
        let e = p.int("max_depth", 3, 1, 64).unwrap_err();
        assert_eq!(
            e.to_string(),
            "tree: parameter \"max_depth\" must be a whole number from 1 to 64 (got \"0\")"
        );
        let g = given(&[("learning_rate", "0")]);
        let p = Params::new("gbdt", &g);
        let e = p.positive("learning_rate", 0.1, 0.0, 1.0).unwrap_err();
        assert!(e.to_string().contains("above 0 and at most 1"), "{e}");
    }

    #[test]
    fn unknown_parameters_list_the_known_ones() {
        let g = given(&[("depth", "3")]);
        let p = Params::new("tree", &g);
        p.int("max_depth", 3, 1, 64).unwrap();
        let e = p.finish().unwrap_err();
        assert_eq!(e.param, "depth");
        assert!(e.to_string().contains("max_depth"), "{e}");
    }
}
