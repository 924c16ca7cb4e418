//! Reading back numbers that JSON cannot hold. `serde_json` writes NaN and the infinities
//! as `null` and refuses to read `null` as an `f64`, so a stored run summary with one
//! figure that has no value (the mean P(alive) of the simple formulas, the range of a fit
//! without one) could not be read back at all, and the dashboard showed zeros. Fields that
//! may hold such a figure read `null` back as NaN with these functions.

use serde::{Deserialize, Deserializer};

/// An `f64` field: `null` reads as NaN ("no such figure").
pub fn number<'de, D: Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(deserializer)?.unwrap_or(f64::NAN))
}

/// A `Vec<f64>` field: each `null` reads as NaN.
pub fn numbers<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<f64>, D::Error> {
    Ok(Vec::<Option<f64>>::deserialize(deserializer)?
        .into_iter()
        .map(|v| v.unwrap_or(f64::NAN))
        .collect())
}

#[cfg(test)]
mod tests {
    #[derive(Debug, serde::Serialize, serde::Deserialize)]
    struct Figures {
        #[serde(deserialize_with = "super::number")]
        one: f64,
        #[serde(deserialize_with = "super::numbers")]
        many: Vec<f64>,
    }

    #[test]
    fn nan_written_as_null_reads_back_as_nan_and_numbers_as_themselves() {
        let written = serde_json::to_string(&Figures {
            one: f64::NAN,
            many: vec![1.5, f64::INFINITY, -2.0],
        })
        .unwrap();
        assert_eq!(written, r#"{"one":null,"many":[1.5,null,-2.0]}"#);
        let read: Figures = serde_json::from_str(&written).unwrap();
        assert!(read.one.is_nan());
        assert_eq!(read.many[0], 1.5);
        assert!(read.many[1].is_nan());
        assert_eq!(read.many[2], -2.0);
        let plain: Figures = serde_json::from_str(r#"{"one":3.25,"many":[]}"#).unwrap();
        assert_eq!((plain.one, plain.many.len()), (3.25, 0));
    }
}
