//! Deterministic unit conversion between imperial (US customary) and metric, with
//! sensible rounding (three significant figures) and the market's number format.

use crate::market::{MeasurementSystem, NumberFormat};

/// A unit silkroute converts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Inch.
    Inch,
    /// Foot.
    Foot,
    /// Pound (mass).
    Pound,
    /// Ounce (mass).
    Ounce,
    /// US fluid ounce.
    FluidOunce,
    /// US gallon.
    Gallon,
    /// Degree Fahrenheit.
    Fahrenheit,
    /// Millimetre.
    Millimetre,
    /// Centimetre.
    Centimetre,
    /// Metre.
    Metre,
    /// Gram.
    Gram,
    /// Kilogram.
    Kilogram,
    /// Millilitre.
    Millilitre,
    /// Litre.
    Litre,
    /// Degree Celsius.
    Celsius,
}

impl Unit {
    /// Recognise a unit as written after a number (`in`, `"`, `lbs`, `fl oz`, `°F`, `mm`).
    pub fn parse(s: &str) -> Option<Unit> {
        let t = s.trim().trim_end_matches('.').to_ascii_lowercase();
        let t = t.replace(['\u{a0}', ' '], "");
        Some(match t.as_str() {
            "in" | "inch" | "inches" | "\"" | "″" | "''" => Unit::Inch,
            "ft" | "feet" | "foot" | "'" | "′" => Unit::Foot,
            "lb" | "lbs" | "pound" | "pounds" => Unit::Pound,
            "oz" | "ounce" | "ounces" => Unit::Ounce,
            "floz" | "fl.oz" | "fluidounce" | "fluidounces" => Unit::FluidOunce,
            "gal" | "gallon" | "gallons" => Unit::Gallon,
            "°f" | "ºf" | "f°" => Unit::Fahrenheit,
            "mm" => Unit::Millimetre,
            "cm" => Unit::Centimetre,
            "m" => Unit::Metre,
            "g" => Unit::Gram,
            "kg" => Unit::Kilogram,
            "ml" => Unit::Millilitre,
            "l" => Unit::Litre,
            "°c" | "ºc" => Unit::Celsius,
            _ => return None,
        })
    }

    /// The symbol silkroute writes.
    pub fn symbol(self) -> &'static str {
        match self {
            Unit::Inch => "in",
            Unit::Foot => "ft",
            Unit::Pound => "lb",
            Unit::Ounce => "oz",
            Unit::FluidOunce => "fl oz",
            Unit::Gallon => "gal",
            Unit::Fahrenheit => "°F",
            Unit::Millimetre => "mm",
            Unit::Centimetre => "cm",
            Unit::Metre => "m",
            Unit::Gram => "g",
            Unit::Kilogram => "kg",
            Unit::Millilitre => "ml",
            Unit::Litre => "l",
            Unit::Celsius => "°C",
        }
    }

    /// The system the unit belongs to.
    pub fn system(self) -> MeasurementSystem {
        match self {
            Unit::Inch
            | Unit::Foot
            | Unit::Pound
            | Unit::Ounce
            | Unit::FluidOunce
            | Unit::Gallon
            | Unit::Fahrenheit => MeasurementSystem::Imperial,
            _ => MeasurementSystem::Metric,
        }
    }
}

/// Convert `values` (one number, or the ends of a range, or dimensions) in `unit`
/// to the `target` system. All values share one output unit, chosen from the
/// largest value. Returns `None` when the unit is already in the target system.
pub fn convert(values: &[f64], unit: Unit, target: MeasurementSystem) -> Option<(Vec<f64>, Unit)> {
    if unit.system() == target || values.is_empty() {
        return None;
    }
    let max = values.iter().cloned().fold(f64::MIN, f64::max);
    let (to, f): (Unit, Box<dyn Fn(f64) -> f64>) = match unit {
        Unit::Inch if max * 25.4 < 100.0 => (Unit::Millimetre, Box::new(|v| v * 25.4)),
        Unit::Inch => (Unit::Centimetre, Box::new(|v| v * 2.54)),
        Unit::Foot if max * 30.48 < 100.0 => (Unit::Centimetre, Box::new(|v| v * 30.48)),
        Unit::Foot => (Unit::Metre, Box::new(|v| v * 0.3048)),
        Unit::Pound if max * 453.592_37 < 1000.0 => (Unit::Gram, Box::new(|v| v * 453.592_37)),
        Unit::Pound => (Unit::Kilogram, Box::new(|v| v * 0.453_592_37)),
        Unit::Ounce if max * 28.349_523 < 1000.0 => (Unit::Gram, Box::new(|v| v * 28.349_523)),
        Unit::Ounce => (Unit::Kilogram, Box::new(|v| v * 0.028_349_523)),
        Unit::FluidOunce if max * 29.573_53 < 1000.0 => {
            (Unit::Millilitre, Box::new(|v| v * 29.573_53))
        }
        Unit::FluidOunce => (Unit::Litre, Box::new(|v| v * 0.029_573_53)),
        Unit::Gallon => (Unit::Litre, Box::new(|v| v * 3.785_411_8)),
        Unit::Fahrenheit => (Unit::Celsius, Box::new(|v| (v - 32.0) * 5.0 / 9.0)),
        Unit::Millimetre => (Unit::Inch, Box::new(|v| v / 25.4)),
        Unit::Centimetre if max < 91.44 => (Unit::Inch, Box::new(|v| v / 2.54)),
        Unit::Centimetre => (Unit::Foot, Box::new(|v| v / 30.48)),
        Unit::Metre => (Unit::Foot, Box::new(|v| v / 0.3048)),
        Unit::Gram if max < 453.592_37 => (Unit::Ounce, Box::new(|v| v / 28.349_523)),
        Unit::Gram => (Unit::Pound, Box::new(|v| v / 453.592_37)),
        Unit::Kilogram => (Unit::Pound, Box::new(|v| v / 0.453_592_37)),
        Unit::Millilitre => (Unit::FluidOunce, Box::new(|v| v / 29.573_53)),
        Unit::Litre if max < 3.785 => (Unit::FluidOunce, Box::new(|v| v / 0.029_573_53)),
        Unit::Litre => (Unit::Gallon, Box::new(|v| v / 3.785_411_8)),
        Unit::Celsius => (Unit::Fahrenheit, Box::new(|v| v * 9.0 / 5.0 + 32.0)),
    };
    Some((values.iter().map(|&v| f(v)).collect(), to))
}

/// Round to three significant figures; temperatures and values of 100 or more to
/// whole numbers.
pub fn round_sensibly(v: f64, unit: Unit) -> f64 {
    if v == 0.0 || !v.is_finite() {
        return 0.0;
    }
    if matches!(unit, Unit::Celsius | Unit::Fahrenheit) || v.abs() >= 100.0 {
        return v.round();
    }
    let digits = 2 - v.abs().log10().floor() as i32;
    let p = 10f64.powi(digits);
    (v * p).round() / p
}

/// Write a number with the market's separators: no trailing zeros, grouping from
/// 10,000 up (`12.500` in German, `1500` stays ungrouped).
pub fn format_number(v: f64, nf: &NumberFormat) -> String {
    let s = format!("{v:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    let (sign, int) = int.strip_prefix('-').map_or(("", int), |i| ("-", i));
    let mut grouped = String::new();
    if int.len() > 4 && !nf.grouping.is_empty() {
        for (i, c) in int.chars().enumerate() {
            if i > 0 && (int.len() - i) % 3 == 0 {
                grouped.push_str(&nf.grouping);
            }
            grouped.push(c);
        }
    } else {
        grouped.push_str(int);
    }
    if frac.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}{}{frac}", nf.decimal)
    }
}

/// Parse a source-language quantity: `12`, `1.5`, `1,234.5`, `9/16`, `1 1/2`, `1-1/2`.
/// Source text is read with English conventions (`.` decimal, `,` thousands when
/// followed by exactly three digits, otherwise a decimal comma).
pub fn parse_quantity(s: &str) -> Option<f64> {
    let s = s.trim();
    if let Some((whole, frac)) = s.rsplit_once([' ', '-', '\u{a0}'])
        && frac.contains('/')
    {
        return Some(parse_quantity(whole)? + parse_quantity(frac)?);
    }
    if let Some((n, d)) = s.split_once('/') {
        let n: f64 = n.trim().parse().ok()?;
        let d: f64 = d.trim().parse().ok()?;
        return (d != 0.0).then_some(n / d);
    }
    let normalised = match s.rsplit_once(',') {
        Some((_, tail)) if tail.len() == 3 && !s.contains('.') || s.contains('.') => {
            s.replace(',', "")
        }
        Some(_) => s.replace('.', "").replace(',', "."),
        None => s.to_string(),
    };
    normalised.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn de() -> NumberFormat {
        NumberFormat {
            decimal: ",".into(),
            grouping: ".".into(),
        }
    }
    fn us() -> NumberFormat {
        NumberFormat {
            decimal: ".".into(),
            grouping: ",".into(),
        }
    }

    fn conv(v: &[f64], u: &str, t: MeasurementSystem) -> String {
        let (vals, to) = convert(v, Unit::parse(u).unwrap(), t).unwrap();
        let vals: Vec<String> = vals
            .iter()
            .map(|&x| format_number(round_sensibly(x, to), &us()))
            .collect();
        format!("{} {}", vals.join("-"), to.symbol())
    }

    #[test]
    fn conversion_table_to_metric() {
        use MeasurementSystem::Metric as M;
        let table = [
            (vec![0.25], "\"", "6.35 mm"),
            (vec![0.5625], "in", "14.3 mm"),
            (vec![10.0], "inches", "25.4 cm"),
            (vec![6.0], "ft", "1.83 m"),
            (vec![2.0], "ft", "61 cm"),
            (vec![5.0], "lbs", "2.27 kg"),
            (vec![1.0], "lb", "454 g"),
            (vec![8.0], "oz", "227 g"),
            (vec![24.0], "fl oz", "710 ml"),
            (vec![64.0], "fl oz", "1.89 l"),
            (vec![1.0], "gal", "3.79 l"),
            (vec![350.0], "°F", "177 °C"),
            (vec![32.0], "°F", "0 °C"),
            (vec![10.0, 12.0], "in", "25.4-30.5 cm"),
        ];
        for (v, u, want) in table {
            assert_eq!(conv(&v, u, M), want, "{v:?} {u}");
        }
    }

    #[test]
    fn conversion_table_to_imperial() {
        use MeasurementSystem::Imperial as I;
        let table = [
            (vec![10.0, 12.0], "mm", "0.394-0.472 in"),
            (vec![30.0], "cm", "11.8 in"),
            (vec![2.0], "m", "6.56 ft"),
            (vec![500.0], "g", "1.1 lb"),
            (vec![100.0], "g", "3.53 oz"),
            (vec![2.5], "kg", "5.51 lb"),
            (vec![750.0], "ml", "25.4 fl oz"),
            (vec![5.0], "l", "1.32 gal"),
            (vec![180.0], "°C", "356 °F"),
        ];
        for (v, u, want) in table {
            assert_eq!(conv(&v, u, I), want, "{v:?} {u}");
        }
        assert!(convert(&[3.0], Unit::Millimetre, MeasurementSystem::Metric).is_none());
    }

    #[test]
    fn numbers_parse_and_format() {
        assert_eq!(parse_quantity("9/16"), Some(0.5625));
        assert_eq!(parse_quantity("1 1/2"), Some(1.5));
        assert_eq!(parse_quantity("1-1/2"), Some(1.5));
        assert_eq!(parse_quantity("1,234.5"), Some(1234.5));
        assert_eq!(parse_quantity("1,500"), Some(1500.0));
        assert_eq!(parse_quantity("1,5"), Some(1.5));
        assert_eq!(parse_quantity("x"), None);
        assert_eq!(format_number(14.3, &de()), "14,3");
        assert_eq!(format_number(12500.0, &de()), "12.500");
        assert_eq!(format_number(1500.0, &de()), "1500");
        assert_eq!(format_number(2.0, &us()), "2");
    }
}
