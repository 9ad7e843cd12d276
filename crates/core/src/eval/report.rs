//! Per-category summaries of scenario scores, with the targets they are judged against.

use std::fmt::Write as _;

use super::meta::Category;
use super::score::{ScenarioScore, percentile};

/// Which way a metric should go.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    AtMost(f64),
    AtLeast(f64),
}

impl Target {
    pub fn met(self, value: f64) -> bool {
        match self {
            Target::AtMost(t) => value <= t + 1e-9,
            Target::AtLeast(t) => value >= t - 1e-9,
        }
    }
}

/// How a metric's value reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// A fraction of the scenarios, 0-1.
    Rate,
    Ms,
    Count,
    Seconds,
}

/// One number of a category.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Metric {
    pub name: String,
    /// `None` when no scenario qualified (e.g. no latency without a take-over).
    pub value: Option<f64>,
    pub unit: Unit,
    pub target: Option<Target>,
}

impl Metric {
    fn new(name: &str, value: Option<f64>, unit: Unit, target: Option<Target>) -> Metric {
        Metric {
            name: name.to_owned(),
            value,
            unit,
            target,
        }
    }

    /// `Some(passed)` for metrics with a target and a value.
    pub fn passed(&self) -> Option<bool> {
        Some(self.target?.met(self.value?))
    }
}

/// A category's metrics over its scenarios.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CategorySummary {
    pub category: Category,
    pub scenarios: usize,
    pub metrics: Vec<Metric>,
}

fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// The mean of a per-scenario 0/1 value over the scenarios that have one.
fn rate(scores: &[&ScenarioScore], f: impl Fn(&ScenarioScore) -> Option<bool>) -> Option<f64> {
    let v: Vec<f64> = scores
        .iter()
        .filter_map(|s| f(s))
        .map(|b| f64::from(u8::from(b)))
        .collect();
    mean(&v)
}

fn values(scores: &[&ScenarioScore], f: impl Fn(&ScenarioScore) -> Option<u64>) -> Vec<f64> {
    scores
        .iter()
        .filter_map(|s| f(s))
        .map(|v| v as f64)
        .collect()
}

/// Summarizes one category. `wall_s` are the seconds each scenario took to run (may be empty).
pub fn summarize(category: Category, scores: &[&ScenarioScore], wall_s: &[f64]) -> CategorySummary {
    use Target::{AtLeast, AtMost};
    use Unit::{Count, Ms, Rate};
    let took_over = |s: &ScenarioScore| s.take_over.map(|t| t == 1);
    let mut metrics = match category {
        Category::PauseHandling => vec![
            Metric::new(
                "take-over rate",
                rate(scores, took_over),
                Rate,
                Some(AtMost(0.10)),
            ),
            Metric::new(
                "take-over before turn end",
                rate(scores, |s| s.take_over_before_end.map(|t| t == 1)),
                Rate,
                None,
            ),
        ],
        Category::TurnTaking | Category::CourseCorrection => {
            let lat = values(scores, |s| s.latency_ms);
            let mut m = vec![
                Metric::new(
                    "response rate",
                    rate(scores, took_over),
                    Rate,
                    Some(AtLeast(0.95)),
                ),
                Metric::new(
                    "latency p50",
                    percentile(&lat, 0.5),
                    Ms,
                    Some(AtMost(350.0)),
                ),
                Metric::new("latency p90", percentile(&lat, 0.9), Ms, None),
            ];
            if category == Category::CourseCorrection {
                m.push(Metric::new(
                    "corrected value",
                    rate(scores, |s| s.correct),
                    Rate,
                    None,
                ));
            }
            m
        }
        Category::UserInterruption => {
            let stop = values(scores, |s| s.stop_latency_ms);
            let resp = values(scores, |s| s.latency_ms);
            vec![
                Metric::new("stop latency p50", percentile(&stop, 0.5), Ms, None),
                Metric::new(
                    "stop latency p95",
                    percentile(&stop, 0.95),
                    Ms,
                    Some(AtMost(250.0)),
                ),
                Metric::new(
                    "not speaking at cut-in",
                    Some(scores.iter().filter(|s| s.not_speaking).count() as f64),
                    Count,
                    None,
                ),
                Metric::new(
                    "response rate",
                    rate(scores, took_over),
                    Rate,
                    Some(AtLeast(0.95)),
                ),
                Metric::new("response latency p50", percentile(&resp, 0.5), Ms, None),
                Metric::new(
                    "new answer after cut-in (events)",
                    rate(scores, |s| s.answered_cut_in),
                    Rate,
                    None,
                ),
            ]
        }
        Category::UserBackchannel => vec![
            Metric::new(
                "stop rate",
                rate(scores, |s| s.continued.map(|c| !c)),
                Rate,
                Some(AtMost(0.10)),
            ),
            Metric::new(
                "not speaking at backchannel",
                Some(scores.iter().filter(|s| s.not_speaking).count() as f64),
                Count,
                None,
            ),
        ],
        Category::TalkingToOthers | Category::BackgroundSpeech => vec![Metric::new(
            "take-over rate",
            rate(scores, took_over),
            Rate,
            Some(AtMost(0.15)),
        )],
    };
    if !wall_s.is_empty() {
        metrics.push(Metric::new(
            "wall time / scenario",
            mean(wall_s),
            Unit::Seconds,
            None,
        ));
    }
    CategorySummary {
        category,
        scenarios: scores.len(),
        metrics,
    }
}

fn target_text(t: Option<Target>, unit: Unit) -> String {
    match t {
        None => String::new(),
        Some(Target::AtMost(v)) => format!("<= {}", value_text(Some(v), unit)),
        Some(Target::AtLeast(v)) => format!(">= {}", value_text(Some(v), unit)),
    }
}

fn value_text(v: Option<f64>, unit: Unit) -> String {
    match v {
        None => "-".into(),
        Some(v) => match unit {
            Unit::Rate => format!("{v:.2}"),
            Unit::Ms => format!("{v:.0} ms"),
            Unit::Count => format!("{v:.0}"),
            Unit::Seconds => format!("{v:.1} s"),
        },
    }
}

fn cell(m: Option<&Metric>) -> String {
    let Some(m) = m else {
        return String::new();
    };
    let mark = match m.passed() {
        Some(true) => " ok",
        Some(false) => " FAIL",
        None => "",
    };
    format!("{}{mark}", value_text(m.value, m.unit))
}

/// A text table: one block of rows per category, one row per metric, the tandem policy and
/// (when given) the baseline side by side.
/// The summaries side by side, one column per policy (`(name, summaries)`); the first
/// column's categories and metrics give the rows.
pub fn table(columns: &[(&str, &[CategorySummary])]) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "{:<19} {:>3}  {:<33} {:<10}",
        "category", "n", "metric", "target"
    );
    for (name, _) in columns {
        let _ = write!(out, " {name:<14}");
    }
    out.truncate(out.trim_end().len());
    out.push('\n');
    let Some((_, rows)) = columns.first() else {
        return out;
    };
    for summary in *rows {
        for (i, m) in summary.metrics.iter().enumerate() {
            let (name, n) = if i == 0 {
                (summary.category.as_str(), summary.scenarios.to_string())
            } else {
                ("", String::new())
            };
            let _ = write!(
                out,
                "{name:<19} {n:>3}  {:<33} {:<10}",
                m.name,
                target_text(m.target, m.unit),
            );
            for (_, col) in columns {
                let metric = col
                    .iter()
                    .find(|s| s.category == summary.category)
                    .and_then(|s| s.metrics.iter().find(|x| x.name == m.name));
                let _ = write!(out, " {:<14}", cell(metric));
            }
            out.truncate(out.trim_end().len());
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(take_over: Option<u8>, latency_ms: Option<u64>) -> ScenarioScore {
        ScenarioScore {
            take_over,
            latency_ms,
            ..ScenarioScore::default()
        }
    }

    #[test]
    fn turn_taking_summary_and_table() {
        let scores = [
            s(Some(1), Some(200)),
            s(Some(1), Some(400)),
            s(Some(0), None),
            s(Some(1), Some(300)),
        ];
        let refs: Vec<&ScenarioScore> = scores.iter().collect();
        let sum = summarize(Category::TurnTaking, &refs, &[1.0, 3.0]);
        assert_eq!(sum.metrics[0].value, Some(0.75));
        assert_eq!(sum.metrics[0].passed(), Some(false));
        assert_eq!(sum.metrics[1].value, Some(300.0));
        assert_eq!(sum.metrics[1].passed(), Some(true));
        assert_eq!(sum.metrics.last().unwrap().value, Some(2.0));
        let one = std::slice::from_ref(&sum);
        let t = table(&[("rules", one), ("baseline", one)]);
        assert!(t.contains("turn_taking"), "{t}");
        assert!(t.contains("0.75 FAIL"), "{t}");
        assert!(t.contains("300 ms ok"), "{t}");
    }
}
