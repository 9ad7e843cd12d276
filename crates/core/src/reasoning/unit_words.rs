//! The unit names the reasoner knows, with their dimensions and factors: the unit-conversion
//! skill converts with them, and normalization (course correction) recognizes them.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dim {
    Length,
    Mass,
    Volume,
    Temperature,
    Time,
    Speed,
    Data,
}

#[derive(Debug)]
pub(crate) struct Unit {
    /// Every way to say it; the first is the singular to speak, the second the plural.
    pub(crate) names: &'static [&'static str],
    pub(crate) dim: Dim,
    /// Value in the dimension's base unit (m, kg, l, K, s, m/s, byte) = value * factor + offset.
    pub(crate) factor: f64,
    pub(crate) offset: f64,
}

const fn u(names: &'static [&'static str], dim: Dim, factor: f64) -> Unit {
    Unit {
        names,
        dim,
        factor,
        offset: 0.0,
    }
}

pub(crate) const UNITS: &[Unit] = &[
    u(
        &[
            "millimeter",
            "millimeters",
            "millimetre",
            "millimetres",
            "mm",
        ],
        Dim::Length,
        0.001,
    ),
    u(
        &[
            "centimeter",
            "centimeters",
            "centimetre",
            "centimetres",
            "cm",
        ],
        Dim::Length,
        0.01,
    ),
    u(
        &["meter", "meters", "metre", "metres", "m"],
        Dim::Length,
        1.0,
    ),
    u(
        &[
            "kilometer",
            "kilometers",
            "kilometre",
            "kilometres",
            "km",
            "kms",
        ],
        Dim::Length,
        1000.0,
    ),
    u(&["inch", "inches"], Dim::Length, 0.0254),
    u(&["foot", "feet", "ft"], Dim::Length, 0.3048),
    u(&["yard", "yards", "yd", "yds"], Dim::Length, 0.9144),
    u(&["mile", "miles", "mi"], Dim::Length, 1609.344),
    u(&["nautical mile", "nautical miles"], Dim::Length, 1852.0),
    u(&["milligram", "milligrams", "mg"], Dim::Mass, 1e-6),
    u(&["gram", "grams", "g"], Dim::Mass, 0.001),
    u(
        &["kilogram", "kilograms", "kilo", "kilos", "kg", "kgs"],
        Dim::Mass,
        1.0,
    ),
    u(&["ounce", "ounces", "oz"], Dim::Mass, 0.028_349_523_125),
    u(&["pound", "pounds", "lb", "lbs"], Dim::Mass, 0.453_592_37),
    u(&["stone", "stones"], Dim::Mass, 6.350_293_18),
    u(
        &["tonne", "tonnes", "metric ton", "metric tons"],
        Dim::Mass,
        1000.0,
    ),
    u(&["ton", "tons"], Dim::Mass, 907.184_74),
    u(
        &[
            "milliliter",
            "milliliters",
            "millilitre",
            "millilitres",
            "ml",
        ],
        Dim::Volume,
        0.001,
    ),
    u(
        &["liter", "liters", "litre", "litres", "l"],
        Dim::Volume,
        1.0,
    ),
    u(
        &["fluid ounce", "fluid ounces", "fl oz"],
        Dim::Volume,
        0.029_573_529_562_5,
    ),
    u(
        &["teaspoon", "teaspoons", "tsp"],
        Dim::Volume,
        0.004_928_921_593_75,
    ),
    u(
        &["tablespoon", "tablespoons", "tbsp"],
        Dim::Volume,
        0.014_786_764_781_25,
    ),
    u(&["cup", "cups"], Dim::Volume, 0.236_588_236_5),
    u(&["pint", "pints"], Dim::Volume, 0.473_176_473),
    u(&["quart", "quarts"], Dim::Volume, 0.946_352_946),
    u(&["gallon", "gallons"], Dim::Volume, 3.785_411_784),
    Unit {
        names: &[
            "degree celsius",
            "degrees celsius",
            "celsius",
            "centigrade",
            "c",
        ],
        dim: Dim::Temperature,
        factor: 1.0,
        offset: 273.15,
    },
    Unit {
        names: &["degree fahrenheit", "degrees fahrenheit", "fahrenheit", "f"],
        dim: Dim::Temperature,
        factor: 5.0 / 9.0,
        offset: 273.15 - 32.0 * 5.0 / 9.0,
    },
    u(&["kelvin", "kelvin", "kelvins", "k"], Dim::Temperature, 1.0),
    u(&["millisecond", "milliseconds", "ms"], Dim::Time, 0.001),
    u(&["second", "seconds", "sec", "secs"], Dim::Time, 1.0),
    u(&["minute", "minutes", "min", "mins"], Dim::Time, 60.0),
    u(&["hour", "hours", "hr", "hrs"], Dim::Time, 3600.0),
    u(&["day", "days"], Dim::Time, 86_400.0),
    u(&["week", "weeks"], Dim::Time, 604_800.0),
    u(&["year", "years"], Dim::Time, 31_557_600.0),
    u(
        &["mile per hour", "miles per hour", "miles an hour", "mph"],
        Dim::Speed,
        0.447_04,
    ),
    u(
        &[
            "kilometer per hour",
            "kilometers per hour",
            "kilometres per hour",
            "kilometers an hour",
            "kilometres an hour",
            "km per hour",
            "km/h",
            "kph",
            "kmh",
        ],
        Dim::Speed,
        1.0 / 3.6,
    ),
    u(
        &[
            "meter per second",
            "meters per second",
            "metres per second",
            "m/s",
        ],
        Dim::Speed,
        1.0,
    ),
    u(&["knot", "knots"], Dim::Speed, 1852.0 / 3600.0),
    u(&["bit", "bits"], Dim::Data, 0.125),
    u(&["byte", "bytes"], Dim::Data, 1.0),
    u(&["kilobyte", "kilobytes", "kb"], Dim::Data, 1e3),
    u(&["megabyte", "megabytes", "mb"], Dim::Data, 1e6),
    u(&["gigabyte", "gigabytes", "gb"], Dim::Data, 1e9),
    u(&["terabyte", "terabytes", "tb"], Dim::Data, 1e12),
];

/// Is this one token a unit name? Used by course correction ("5 minutes no seconds").
pub fn is_unit_word(token: &str) -> bool {
    token == "degrees"
        || UNITS
            .iter()
            .any(|u| u.names.iter().any(|n| *n == token && !n.contains(' ')))
}
