//! Zones: what `--tz` accepts, which zone each file is assumed to be in, and the converter that
//! turns a line's wall-clock time into UTC.

use super::{CivilTime, LineTime, Timestamp, days_from_civil};
use crate::input::{PathRule, PathRules};
use chrono::{Offset, TimeZone};
use std::fmt;
use std::path::Path;

/// A time zone for lines that do not state their own: a fixed offset or an IANA zone.
#[derive(Clone, Debug, PartialEq)]
pub enum Zone {
    /// Seconds east of UTC, with the text the user wrote for it.
    Fixed(i32, String),
    Iana(chrono_tz::Tz),
}

impl Zone {
    pub fn utc() -> Zone {
        Zone::Fixed(0, "UTC".to_string())
    }

    /// Parses `UTC`, `Z`, `+02:00`, `-0530`, `+5`, a zone abbreviation such as `CEST`, or an IANA
    /// name such as `Europe/Berlin`.
    pub fn parse(text: &str) -> Result<Zone, String> {
        let t = text.trim();
        if t.is_empty() {
            return Err("empty time zone".to_string());
        }
        if let Some(secs) = parse_offset_text(t) {
            return Ok(Zone::Fixed(secs, t.to_string()));
        }
        if let Some(secs) = abbreviation_offset(t.as_bytes()) {
            return Ok(Zone::Fixed(secs, t.to_string()));
        }
        t.parse::<chrono_tz::Tz>().map(Zone::Iana).map_err(|_| {
            format!(
                "unknown time zone '{t}': use an IANA name (Europe/Berlin), an offset (+02:00) or an abbreviation (UTC, CET, PDT)"
            )
        })
    }

    pub fn name(&self) -> String {
        match self {
            Zone::Fixed(_, name) => name.clone(),
            Zone::Iana(tz) => tz.name().to_string(),
        }
    }

    /// The offset in force at a local wall-clock second, in seconds east of UTC.
    ///
    /// In the hour repeated when clocks go back the earlier reading is taken; in the hour
    /// skipped when they go forward (times that cannot occur, written by misconfigured
    /// clocks) the offset from before the change is used.
    fn offset_at_local(&self, local_seconds: i64) -> i32 {
        match self {
            Zone::Fixed(secs, _) => *secs,
            Zone::Iana(tz) => {
                let Some(naive) =
                    chrono::DateTime::from_timestamp(local_seconds, 0).map(|d| d.naive_utc())
                else {
                    return 0;
                };
                match tz.offset_from_local_datetime(&naive) {
                    chrono::LocalResult::Single(o) => o.fix().local_minus_utc(),
                    chrono::LocalResult::Ambiguous(earliest, _) => earliest.fix().local_minus_utc(),
                    chrono::LocalResult::None => {
                        let before = naive - chrono::Duration::hours(3);
                        tz.offset_from_local_datetime(&before)
                            .earliest()
                            .map(|o| o.fix().local_minus_utc())
                            .unwrap_or(0)
                    }
                }
            }
        }
    }
}

impl Zone {
    /// The offset in force at a UTC instant, in seconds east of UTC.
    pub fn offset_at_utc(&self, utc: Timestamp) -> i32 {
        match self {
            Zone::Fixed(secs, _) => *secs,
            Zone::Iana(tz) => chrono::DateTime::from_timestamp(utc.unix_seconds(), 0)
                .map(|d| {
                    tz.offset_from_utc_datetime(&d.naive_utc())
                        .fix()
                        .local_minus_utc()
                })
                .unwrap_or(0),
        }
    }

    /// `yyyy-MM-dd HH:mm:ss` of an instant in this zone, for people to read.
    pub fn format(&self, t: Timestamp) -> String {
        let local = Timestamp(t.0 + self.offset_at_utc(t) as i64 * 1_000_000).to_civil_utc();
        format!(
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
            local.year.unwrap_or(0),
            local.month,
            local.day,
            local.hour,
            local.minute,
            local.second
        )
    }
}

impl fmt::Display for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// `Z`, `+02:00`, `-0530`, `+05`, `UTC+2`; seconds east of UTC.
fn parse_offset_text(t: &str) -> Option<i32> {
    if t.eq_ignore_ascii_case("z") {
        return Some(0);
    }
    let t = t
        .strip_prefix("UTC")
        .or_else(|| t.strip_prefix("GMT"))
        .unwrap_or(t);
    let (sign, rest) = match t.as_bytes().first()? {
        b'+' => (1, &t[1..]),
        b'-' => (-1, &t[1..]),
        _ => return None,
    };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    if digits.is_empty() || digits.len() > 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (h, m) = match digits.len() {
        1 | 2 => (digits.parse::<i32>().ok()?, 0),
        3 => (digits[..1].parse().ok()?, digits[1..].parse().ok()?),
        _ => (digits[..2].parse().ok()?, digits[2..].parse().ok()?),
    };
    if h > 14 || m > 59 {
        return None;
    }
    Some(sign * (h * 3600 + m * 60))
}

/// The offset of a zone abbreviation as logs write them (`UTC`, `CEST`, `PDT`, …).
///
/// Abbreviations are ambiguous worldwide; where they are, this follows PostgreSQL's default
/// abbreviation set (`CST` is US Central, `IST` is Israel), since PostgreSQL's `%t`/`%m` prefixes
/// are where abbreviations appear in logs most.
pub fn abbreviation_offset(abbr: &[u8]) -> Option<i32> {
    const H: i32 = 3600;
    let mut upper = [0u8; 5];
    if abbr.is_empty() || abbr.len() > upper.len() {
        return None;
    }
    for (dst, src) in upper.iter_mut().zip(abbr) {
        *dst = src.to_ascii_uppercase();
    }
    Some(match &upper[..abbr.len()] {
        b"UTC" | b"GMT" | b"UT" | b"Z" | b"WET" => 0,
        b"BST" | b"WEST" | b"CET" | b"MET" => H,
        b"CEST" | b"MEST" | b"EET" | b"SAST" | b"IST" => 2 * H,
        b"EEST" | b"MSK" | b"IDT" => 3 * H,
        b"GST" => 4 * H,
        b"PKT" => 5 * H,
        b"ICT" | b"WIB" => 7 * H,
        b"AWST" | b"SGT" | b"HKT" | b"PHT" => 8 * H,
        b"JST" | b"KST" => 9 * H,
        b"ACST" => 9 * H + H / 2,
        b"AEST" => 10 * H,
        b"ACDT" => 10 * H + H / 2,
        b"AEDT" => 11 * H,
        b"NZST" => 12 * H,
        b"NZDT" => 13 * H,
        b"NST" => -(3 * H + H / 2),
        b"NDT" => -(2 * H + H / 2),
        b"AST" => -4 * H,
        b"ADT" => -3 * H,
        b"EST" => -5 * H,
        b"EDT" => -4 * H,
        b"CST" => -6 * H,
        b"CDT" => -5 * H,
        b"MST" => -7 * H,
        b"MDT" => -6 * H,
        b"PST" => -8 * H,
        b"PDT" => -7 * H,
        b"AKST" => -9 * H,
        b"AKDT" => -8 * H,
        b"HST" => -10 * H,
        _ => return None,
    })
}

/// One `--tz` argument: a zone for every file, or `GLOB=ZONE` for the matching files.
pub type ZoneRule = PathRule<Zone>;
/// All `--tz` rules; the last matching rule wins.
pub type ZoneRules = PathRules<Zone>;

impl PathRule<Zone> {
    /// Parses `ZONE` or `GLOB=ZONE`.
    pub fn parse(arg: &str) -> Result<ZoneRule, String> {
        PathRule::parse_with(arg, "--tz", Zone::parse)
    }
}

impl PathRules<Zone> {
    /// The zone assumed for lines of `path` that do not state their own (UTC by default).
    pub fn zone_for(&self, path: &Path) -> Zone {
        self.value_for(path).cloned().unwrap_or_else(Zone::utc)
    }
}

/// Converts the times of one stream of lines to UTC.
///
/// It remembers the last wall-clock second it converted, so a run of lines within the same
/// second (the common case in a busy log) costs one comparison instead of a zone lookup.
#[derive(Clone, Debug)]
pub struct ZoneConverter {
    zone: Zone,
    /// Year given to yearless timestamps; set by year inference before the lines are read.
    pub default_year: Option<i32>,
    last_key: Option<super::SecondKey>,
    last_seconds: i64,
    /// Whether any line relied on the assumed zone (the report names the zone only then).
    pub used_assumed_zone: bool,
}

impl ZoneConverter {
    pub fn new(zone: Zone) -> ZoneConverter {
        ZoneConverter {
            zone,
            default_year: None,
            last_key: None,
            last_seconds: 0,
            used_assumed_zone: false,
        }
    }

    pub fn zone(&self) -> &Zone {
        &self.zone
    }

    pub fn to_utc(&mut self, time: LineTime) -> Option<Timestamp> {
        match time {
            LineTime::Utc(ts) => Some(ts),
            LineTime::Civil(civil) => self.civil_to_utc(&civil),
        }
    }

    pub fn civil_to_utc(&mut self, civil: &CivilTime) -> Option<Timestamp> {
        let micros = (civil.nanos / 1000) as i64;
        let key = civil.second_key();
        if self.last_key == Some(key) {
            if civil.offset.is_none() {
                self.used_assumed_zone = true;
            }
            return Some(Timestamp(self.last_seconds * 1_000_000 + micros));
        }
        if !civil.is_valid() {
            return None;
        }
        let year = civil.year.or(self.default_year)? as i64;
        let days = days_from_civil(year, civil.month as u32, civil.day as u32);
        let local = days * 86_400
            + civil.hour as i64 * 3600
            + civil.minute as i64 * 60
            + civil.second.min(59) as i64;
        let offset = match civil.offset {
            Some(o) => o,
            None => {
                self.used_assumed_zone = true;
                self.offset_for_local(local)
            }
        };
        let utc = local - offset as i64;
        if !super::PRINTABLE_SECONDS.contains(&utc) {
            return None;
        }
        self.last_key = Some(key);
        self.last_seconds = utc;
        Some(Timestamp(utc * 1_000_000 + micros))
    }

    fn offset_for_local(&self, local_seconds: i64) -> i32 {
        self.zone.offset_at_local(local_seconds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn civil(y: i32, mo: u8, d: u8, h: u8, mi: u8, s: u8) -> CivilTime {
        CivilTime {
            year: Some(y),
            month: mo,
            day: d,
            hour: h,
            minute: mi,
            second: s,
            nanos: 0,
            offset: None,
        }
    }

    #[test]
    fn parses_offsets_abbreviations_and_iana_names() {
        assert_eq!(
            Zone::parse("+02:00").unwrap(),
            Zone::Fixed(7200, "+02:00".into())
        );
        assert_eq!(
            Zone::parse("-0530").unwrap(),
            Zone::Fixed(-19800, "-0530".into())
        );
        assert_eq!(
            Zone::parse("UTC+1").unwrap(),
            Zone::Fixed(3600, "UTC+1".into())
        );
        assert_eq!(
            Zone::parse("PDT").unwrap(),
            Zone::Fixed(-7 * 3600, "PDT".into())
        );
        assert!(matches!(
            Zone::parse("Europe/Berlin").unwrap(),
            Zone::Iana(_)
        ));
        assert!(
            Zone::parse("Mars/Olympus")
                .unwrap_err()
                .contains("Mars/Olympus")
        );
    }

    #[test]
    fn converts_across_dst_changes() {
        let mut conv = ZoneConverter::new(Zone::parse("Europe/Berlin").unwrap());
        // Winter: UTC+1.
        let t = conv.civil_to_utc(&civil(2024, 1, 15, 12, 0, 0)).unwrap();
        assert_eq!(t.to_string(), "2024-01-15T11:00:00Z");
        // Summer: UTC+2.
        let t = conv.civil_to_utc(&civil(2024, 7, 15, 12, 0, 0)).unwrap();
        assert_eq!(t.to_string(), "2024-07-15T10:00:00Z");
        // 2024-03-31 02:30 does not exist in Berlin: the pre-change offset (+1) is used.
        let t = conv.civil_to_utc(&civil(2024, 3, 31, 2, 30, 0)).unwrap();
        assert_eq!(t.to_string(), "2024-03-31T01:30:00Z");
        // 2024-10-27 02:30 happens twice: the first (+2) is taken.
        let t = conv.civil_to_utc(&civil(2024, 10, 27, 2, 30, 0)).unwrap();
        assert_eq!(t.to_string(), "2024-10-27T00:30:00Z");
        assert!(conv.used_assumed_zone);
    }

    #[test]
    fn formats_instants_in_a_zone() {
        let t = Timestamp::from_unix_seconds(1_720_000_000, 0); // 2024-07-03T09:46:40Z
        assert_eq!(Zone::utc().format(t), "2024-07-03 09:46:40");
        assert_eq!(
            Zone::parse("Europe/Berlin").unwrap().format(t),
            "2024-07-03 11:46:40"
        );
        assert_eq!(
            Zone::parse("-05:00").unwrap().format(t),
            "2024-07-03 04:46:40"
        );
    }

    #[test]
    fn stated_offset_wins_over_assumed_zone() {
        let mut conv = ZoneConverter::new(Zone::parse("America/New_York").unwrap());
        let mut c = civil(2024, 7, 1, 12, 0, 0);
        c.offset = Some(0);
        assert_eq!(
            conv.civil_to_utc(&c).unwrap().to_string(),
            "2024-07-01T12:00:00Z"
        );
        assert!(!conv.used_assumed_zone);
    }

    #[test]
    fn cache_keeps_fractions_apart() {
        let mut conv = ZoneConverter::new(Zone::utc());
        let mut c = civil(2024, 7, 1, 12, 0, 0);
        c.nanos = 5_000_000;
        let a = conv.civil_to_utc(&c).unwrap();
        c.nanos = 7_000_000;
        let b = conv.civil_to_utc(&c).unwrap();
        assert_eq!(b.0 - a.0, 2000);
    }

    #[test]
    fn rules_match_by_path_or_file_name_last_wins() {
        let rules = ZoneRules::new(vec![
            ZoneRule::parse("UTC").unwrap(),
            ZoneRule::parse("*error*=Europe/Berlin").unwrap(),
        ]);
        assert_eq!(
            rules.zone_for(Path::new("logs/nginx/error.log")).name(),
            "Europe/Berlin"
        );
        assert_eq!(
            rules.zone_for(Path::new("logs/nginx/access.log")).name(),
            "UTC"
        );
        assert_eq!(ZoneRules::default().zone_for(Path::new("x")).name(), "UTC");
        assert!(ZoneRule::parse("*.log=Nowhere/Else").is_err());
    }

    #[test]
    fn yearless_needs_a_default_year_and_rejects_bad_dates() {
        let mut conv = ZoneConverter::new(Zone::utc());
        let mut c = civil(2024, 2, 30, 0, 0, 0);
        assert_eq!(conv.civil_to_utc(&c), None);
        c.day = 28;
        c.year = None;
        assert_eq!(conv.civil_to_utc(&c), None);
        conv.default_year = Some(2023);
        assert_eq!(
            conv.civil_to_utc(&c).unwrap().to_string(),
            "2023-02-28T00:00:00Z"
        );
        let mut far = civil(9999, 12, 31, 23, 59, 59);
        far.offset = Some(-14 * 3600);
        assert_eq!(conv.civil_to_utc(&far), None);
    }
}
