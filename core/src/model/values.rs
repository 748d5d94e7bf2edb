//! Small values of the EU micro-credential elements, each valid by construction.
//!
//! EU Council Recommendation 2022/C 243/02, Annex I: level (EQF, element 8), notional workload
//! (ECTS, element 7), country of the issuer (ISO 3166-1, element 3), learning outcomes linked to
//! ESCO skills (element 6).

use std::fmt;

use super::error::ModelError;

/// European Qualifications Framework level, 1 to 8 (Council Recommendation 2017/C 189/03).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EqfLevel(u8);

impl EqfLevel {
    /// Concept scheme of EQF levels in the EU vocabularies.
    pub const SCHEME: &'static str = "http://data.europa.eu/snb/eqf/25831c2";
    const PREFIX: &'static str = "http://data.europa.eu/snb/eqf/";

    /// `level` when it is 1 to 8.
    pub fn new(level: u8) -> Result<Self, ModelError> {
        if (1..=8).contains(&level) {
            Ok(Self(level))
        } else {
            Err(ModelError::new(
                "eqfLevel",
                "",
                format!("EQF level must be 1 to 8, not {level}"),
            ))
        }
    }

    /// The level number.
    pub fn get(self) -> u8 {
        self.0
    }

    /// The concept IRI, e.g. `http://data.europa.eu/snb/eqf/6`.
    pub fn iri(self) -> String {
        format!("{}{}", Self::PREFIX, self.0)
    }

    /// Parses a concept IRI back into a level.
    pub fn from_iri(iri: &str) -> Result<Self, ModelError> {
        iri.strip_prefix(Self::PREFIX)
            .and_then(|n| n.parse::<u8>().ok())
            .ok_or_else(|| {
                ModelError::new(
                    "eqfLevel",
                    "",
                    format!(
                        "`{iri}` is not an EQF level IRI (http://data.europa.eu/snb/eqf/1 to 8)"
                    ),
                )
            })
            .and_then(Self::new)
    }
}

/// ECTS credits: a non-negative number with at most two decimals (ECTS Users' Guide 2015).
///
/// Held as hundredths of a credit so that arithmetic and equality are exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ects(u32);

impl Ects {
    /// The largest value accepted (a sanity bound for a *micro*-credential).
    pub const MAX_HUNDREDTHS: u32 = 100_000;
    /// Concept IRI of the ECTS credit framework in the EU vocabularies.
    pub const FRAMEWORK: &'static str = "http://data.europa.eu/snb/education-credit/6fcec5c5af";

    /// Parses a JSON number such as `5`, `2.5` or `0.75`.
    pub fn from_f64(v: f64) -> Result<Self, ModelError> {
        let err = |m: String| ModelError::new("workload", "/ects", m);
        if !v.is_finite() || v < 0.0 {
            return Err(err(format!(
                "ECTS credits must be a non-negative number, not {v}"
            )));
        }
        let hundredths = (v * 100.0).round();
        if (hundredths / 100.0 - v).abs() > 1e-9 {
            return Err(err(format!(
                "ECTS credits have at most 2 decimals, not {v}"
            )));
        }
        if hundredths > f64::from(Self::MAX_HUNDREDTHS) {
            return Err(err(format!("ECTS credits must be at most 1000, not {v}")));
        }
        Ok(Self(hundredths as u32))
    }

    /// Parses the decimal text used by ELM `creditPoint.point`, e.g. `"2.5"`.
    pub fn from_decimal_str(s: &str) -> Result<Self, ModelError> {
        let ok = !s.is_empty()
            && s.bytes().all(|b| b.is_ascii_digit() || b == b'.')
            && s.bytes().filter(|&b| b == b'.').count() <= 1;
        match s.parse::<f64>() {
            Ok(v) if ok => {
                let e = Self::from_f64(v)?;
                if e.to_decimal_string() != s {
                    return Err(ModelError::new(
                        "workload",
                        "",
                        format!(
                            "`{s}` is not in canonical form (write {})",
                            e.to_decimal_string()
                        ),
                    ));
                }
                Ok(e)
            }
            _ => Err(ModelError::new(
                "workload",
                "",
                format!("`{s}` is not a decimal number of ECTS credits"),
            )),
        }
    }

    /// Hundredths of a credit.
    pub fn hundredths(self) -> u32 {
        self.0
    }

    /// The shortest decimal text: `5`, `2.5`, `0.75`.
    pub fn to_decimal_string(self) -> String {
        let (whole, frac) = (self.0 / 100, self.0 % 100);
        match frac {
            0 => whole.to_string(),
            f if f % 10 == 0 => format!("{whole}.{}", f / 10),
            f => format!("{whole}.{f:02}"),
        }
    }

    /// A JSON number: an integer when whole (so every JSON-LD processor reads the same value).
    pub fn to_json_number(self) -> serde_json::Number {
        if self.0.is_multiple_of(100) {
            serde_json::Number::from(self.0 / 100)
        } else {
            serde_json::Number::from_f64(f64::from(self.0) / 100.0).expect("finite")
        }
    }
}

impl fmt::Display for Ects {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_decimal_string())
    }
}

/// Notional workload in hours, when ECTS do not apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Hours(u32);

impl Hours {
    /// A positive number of hours up to 100 000.
    pub fn new(h: u64) -> Result<Self, ModelError> {
        if (1..=100_000).contains(&h) {
            Ok(Self(h as u32))
        } else {
            Err(ModelError::new(
                "workload",
                "/hours",
                format!("hours must be 1 to 100000, not {h}"),
            ))
        }
    }

    /// The number of hours.
    pub fn get(self) -> u32 {
        self.0
    }

    /// As an `xsd:duration`, e.g. `PT40H` (ELM `volumeOfLearning`).
    pub fn to_duration(self) -> String {
        format!("PT{}H", self.0)
    }

    /// Parses an `xsd:duration` of whole hours (`PT40H`).
    pub fn from_duration(s: &str) -> Result<Self, ModelError> {
        s.strip_prefix("PT")
            .and_then(|r| r.strip_suffix('H'))
            .and_then(|n| n.parse::<u64>().ok())
            .ok_or_else(|| {
                ModelError::new(
                    "workload",
                    "",
                    format!("`{s}` is not a duration in whole hours (e.g. PT40H)"),
                )
            })
            .and_then(Self::new)
    }
}

/// ISO 3166-1 alpha-2 country code, e.g. `MD`, `RO`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CountryCode([u8; 2]);

impl CountryCode {
    /// Parses an officially assigned ISO 3166-1 alpha-2 code (upper case).
    pub fn new(code: &str) -> Result<Self, ModelError> {
        match ISO_3166_ALPHA2.binary_search(&code) {
            Ok(_) => {
                let b = code.as_bytes();
                Ok(Self([b[0], b[1]]))
            }
            Err(_) => Err(ModelError::new(
                "country",
                "",
                format!("`{code}` is not an ISO 3166-1 alpha-2 country code (e.g. MD, RO)"),
            )),
        }
    }

    /// The two-letter code.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("ascii")
    }
}

impl fmt::Display for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An ESCO skill concept IRI (`http://data.europa.eu/esco/skill/{uuid}`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EscoSkill(String);

impl EscoSkill {
    const PREFIX: &'static str = "http://data.europa.eu/esco/skill/";

    /// Parses an ESCO skill IRI.
    pub fn new(iri: &str) -> Result<Self, ModelError> {
        let ok = iri.strip_prefix(Self::PREFIX).is_some_and(|id| {
            id.len() == 36
                && id
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b) || b == b'-')
        });
        if ok {
            Ok(Self(iri.to_owned()))
        } else {
            Err(ModelError::new(
                "learningOutcomes",
                "",
                format!(
                    "`{iri}` is not an ESCO skill IRI (http://data.europa.eu/esco/skill/<uuid>)"
                ),
            ))
        }
    }

    /// The IRI.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An absolute `http(s)` URL.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HttpUrl(String);

impl HttpUrl {
    /// Parses an absolute http or https URL of at most 2000 characters.
    pub fn new(element: &str, url: &str) -> Result<Self, ModelError> {
        let ok = url.len() <= 2000
            && (url.starts_with("https://") || url.starts_with("http://"))
            && url.split("://").nth(1).is_some_and(|rest| {
                !rest.is_empty() && !rest.starts_with('/') && !rest.chars().any(char::is_whitespace)
            });
        if ok {
            Ok(Self(url.to_owned()))
        } else {
            Err(ModelError::new(
                element,
                "",
                format!("`{url}` is not an absolute http(s) URL"),
            ))
        }
    }

    /// The URL.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Every officially assigned ISO 3166-1 alpha-2 code, sorted.
pub const ISO_3166_ALPHA2: [&str; 249] = [
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ",
    "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS",
    "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN",
    "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE",
    "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF",
    "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM",
    "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM",
    "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC",
    "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
    "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA",
    "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG",
    "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW",
    "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS",
    "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO",
    "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
    "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eqf_levels_outside_one_to_eight_cannot_be_built() {
        assert!(EqfLevel::new(0).is_err());
        assert!(EqfLevel::new(9).is_err());
        assert_eq!(
            EqfLevel::new(6).unwrap().iri(),
            "http://data.europa.eu/snb/eqf/6"
        );
        assert_eq!(
            EqfLevel::from_iri("http://data.europa.eu/snb/eqf/6")
                .unwrap()
                .get(),
            6
        );
    }

    #[test]
    fn ects_keep_at_most_two_decimals() {
        assert_eq!(Ects::from_f64(2.5).unwrap().to_decimal_string(), "2.5");
        assert_eq!(Ects::from_f64(0.75).unwrap().to_decimal_string(), "0.75");
        assert_eq!(
            Ects::from_f64(5.0).unwrap().to_json_number().to_string(),
            "5"
        );
        assert!(Ects::from_f64(2.555).is_err());
        assert!(Ects::from_f64(-1.0).is_err());
        assert_eq!(Ects::from_decimal_str("2.5").unwrap().hundredths(), 250);
        assert!(Ects::from_decimal_str("2.50").is_err());
        assert!(Ects::from_decimal_str("-2").is_err());
    }

    #[test]
    fn only_assigned_country_codes_are_accepted() {
        assert_eq!(CountryCode::new("MD").unwrap().as_str(), "MD");
        assert!(CountryCode::new("XX").is_err());
        assert!(CountryCode::new("md").is_err());
        let mut sorted = ISO_3166_ALPHA2;
        sorted.sort();
        assert_eq!(
            sorted, ISO_3166_ALPHA2,
            "the table must stay sorted for binary search"
        );
    }
}

/// How long credentials of an achievement stay valid: an ISO 8601 duration of years, months
/// and days (`P3Y`, `P18M`, `P90D`, `P1Y6M`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ValidityPeriod {
    years: u16,
    months: u16,
    days: u16,
}

impl ValidityPeriod {
    /// Parses `P[nY][nM][nD]` (at least one part, total at most 100 years).
    pub fn parse(s: &str) -> Result<Self, ModelError> {
        let err = || {
            ModelError::new(
                "validityPeriod",
                "/validityPeriod",
                format!("`{s}` is not a duration in years, months and days (e.g. P3Y, P18M, P90D)"),
            )
        };
        let rest = s.strip_prefix('P').ok_or_else(err)?;
        let (mut years, mut months, mut days) = (0u32, 0u32, 0u32);
        let mut num = String::new();
        let mut seen = Vec::new();
        for c in rest.chars() {
            if c.is_ascii_digit() {
                num.push(c);
                continue;
            }
            let n: u32 = num.parse().map_err(|_| err())?;
            num.clear();
            let slot = match c {
                'Y' => &mut years,
                'M' => &mut months,
                'D' => &mut days,
                _ => return Err(err()),
            };
            if seen.last().is_some_and(|&p| "YMD".find(p) >= "YMD".find(c)) {
                return Err(err());
            }
            seen.push(c);
            *slot = n;
        }
        if !num.is_empty() || seen.is_empty() {
            return Err(err());
        }
        let total_days = years * 366 + months * 31 + days;
        if total_days == 0 || total_days > 100 * 366 {
            return Err(ModelError::new(
                "validityPeriod",
                "/validityPeriod",
                "must be between 1 day and 100 years",
            ));
        }
        Ok(Self {
            years: years as u16,
            months: months as u16,
            days: days as u16,
        })
    }

    /// The ISO 8601 text.
    pub fn to_iso(&self) -> String {
        let mut s = "P".to_owned();
        for (n, u) in [(self.years, 'Y'), (self.months, 'M'), (self.days, 'D')] {
            if n > 0 {
                s.push_str(&format!("{n}{u}"));
            }
        }
        s
    }

    /// `t` plus this period (a month end stays within the target month: 31 Jan + P1M = 28/29 Feb).
    pub fn after(&self, t: time::OffsetDateTime) -> time::OffsetDateTime {
        let months_total =
            i32::from(t.month() as u8) - 1 + i32::from(self.months) + 12 * i32::from(self.years);
        let year = t.year() + months_total.div_euclid(12);
        let month = time::Month::try_from((months_total.rem_euclid(12) + 1) as u8).expect("1-12");
        let last = month.length(year);
        let date =
            time::Date::from_calendar_date(year, month, t.day().min(last)).expect("valid date");
        t.replace_date(date) + time::Duration::days(i64::from(self.days))
    }
}

#[cfg(test)]
mod validity_tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn periods_parse_and_add_calendar_time() {
        let p = ValidityPeriod::parse("P1Y6M").unwrap();
        assert_eq!(p.to_iso(), "P1Y6M");
        assert_eq!(
            p.after(datetime!(2026-06-30 12:00 UTC)),
            datetime!(2027-12-30 12:00 UTC)
        );
        assert_eq!(
            ValidityPeriod::parse("P1M")
                .unwrap()
                .after(datetime!(2027-01-31 0:00 UTC)),
            datetime!(2027-02-28 0:00 UTC)
        );
        for bad in ["", "P", "1Y", "P1H", "PT1H", "P1D1Y", "P0D", "P200Y"] {
            assert!(ValidityPeriod::parse(bad).is_err(), "{bad}");
        }
    }
}
