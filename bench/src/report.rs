//! Results: one row per (scenario, metric) with both servers' figures and the ratio
//! syncwire / baseline ([`row`]; [`median`] over rounds), printed as a table or as JSON
//! lines.

/// One measured figure for both servers.
#[derive(Clone, Debug)]
pub struct Row {
    /// Scenario name, e.g. `fanout_100`.
    pub scenario: String,
    /// Metric name, e.g. `deliveries_per_sec`.
    pub metric: String,
    /// syncwire's figure.
    pub syncwire: f64,
    /// The baseline's figure.
    pub baseline: f64,
    /// Unit of both figures.
    pub unit: &'static str,
}

impl Row {
    /// syncwire / baseline (NaN when the baseline is 0).
    pub fn ratio(&self) -> f64 {
        if self.baseline == 0.0 {
            f64::NAN
        } else {
            self.syncwire / self.baseline
        }
    }

    /// One JSON object with the fields `scenario`, `metric`, `syncwire`, `baseline`,
    /// `ratio`, `unit` (names are plain identifiers: no escaping needed).
    pub fn json(&self) -> String {
        format!(
            "{{\"scenario\":\"{}\",\"metric\":\"{}\",\"syncwire\":{},\"baseline\":{},\"ratio\":{},\"unit\":\"{}\"}}",
            self.scenario,
            self.metric,
            num(self.syncwire),
            num(self.baseline),
            num(self.ratio()),
            self.unit
        )
    }
}

fn num(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.3}")
    } else {
        "null".to_owned()
    }
}

/// Prints `rows` as a readable table.
pub fn print_table(rows: &[Row]) {
    println!(
        "{:<16} {:<22} {:>14} {:>14} {:>8}  unit",
        "scenario", "metric", "syncwire", "baseline", "ratio"
    );
    for r in rows {
        println!(
            "{:<16} {:<22} {:>14.1} {:>14.1} {:>8.2}  {}",
            r.scenario,
            r.metric,
            r.syncwire,
            r.baseline,
            r.ratio(),
            r.unit
        );
    }
}

/// The value at quantile `q` (0..=1) of `sorted` (nearest rank), 0 when empty.
pub fn quantile(sorted: &[u64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((sorted.len() as f64) * q).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1] as f64
}

/// The median of `values` (the mean of the middle two for an even count).
pub fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => f64::NAN,
        _ if n % 2 == 1 => values[n / 2],
        _ => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

pub fn row(scenario: String, metric: &str, v: [f64; 2], unit: &'static str) -> Row {
    Row {
        scenario,
        metric: metric.to_owned(),
        syncwire: v[0],
        baseline: v[1],
        unit,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_line_has_the_documented_fields_and_ratio() {
        let row = Row {
            scenario: "fanout_100".into(),
            metric: "deliveries_per_sec".into(),
            syncwire: 900.0,
            baseline: 1000.0,
            unit: "1/s",
        };
        assert_eq!(
            row.json(),
            "{\"scenario\":\"fanout_100\",\"metric\":\"deliveries_per_sec\",\
             \"syncwire\":900.000,\"baseline\":1000.000,\"ratio\":0.900,\"unit\":\"1/s\"}"
        );
    }

    #[test]
    fn ratio_against_a_zero_baseline_is_null_in_json() {
        let row = Row {
            scenario: "s".into(),
            metric: "m".into(),
            syncwire: 1.0,
            baseline: 0.0,
            unit: "us",
        };
        assert!(row.json().contains("\"ratio\":null"));
    }

    #[test]
    fn quantiles_use_the_nearest_rank() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(quantile(&v, 0.50), 50.0);
        assert_eq!(quantile(&v, 0.99), 99.0);
        assert_eq!(quantile(&v, 1.0), 100.0);
        assert_eq!(quantile(&[7], 0.99), 7.0);
        assert_eq!(quantile(&[], 0.5), 0.0);
    }
}
