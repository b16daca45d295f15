//! Year inference for layouts that do not write the year (RFC 3164 syslog, glog/klog).
//!
//! A file is assumed to be in time order. Going forward through it, a wall-clock time that jumps
//! back by more than a day means a new year began (the December → January rollover). The last
//! line gets the latest year that does not put it after the file's modification time; earlier
//! lines count back from there.
//!
//! When the same file also has lines that do carry a year (HAProxy request lines with their
//! accept date among syslog-stamped status lines, say), those anchor the count instead: the
//! yearless lines get the years that keep the whole file in order with them. When it has none
//! but other files of the run do, their time anchors it ([`YearAnchor::Near`]): the file's first
//! line gets the year that puts it nearest to them. Logs copied off a machine months later
//! carry the copy's modification time, but the dated logs beside them still tell the year.
//!
//! To stay parallel, each chunk is first scanned into a [`YearScan`] (first and last position in
//! the year, rollovers inside it). Scans merge associatively, so [`chunk_start_years`] can give
//! every chunk its starting year before the chunks are parsed, and a [`YearTracker`] then assigns
//! years line by line inside each chunk, agreeing with the scan.

use super::{CivilTime, Timestamp};

/// Tolerance before a backwards step counts as a new year: lines within a day of each other may
/// be a little out of order (several writers, clock adjustments) without meaning a year passed.
const BACKWARDS_TOLERANCE: u32 = 86_400;

/// Seconds since the start of a (leap) year for the wall-clock fields, ignoring the year.
pub fn position_in_year(c: &CivilTime) -> u32 {
    // Cumulative days before each month in a leap year, so 29 February has its own place.
    const BEFORE: [u32; 13] = [0, 0, 31, 60, 91, 121, 152, 182, 213, 244, 274, 305, 335];
    let month = (c.month as usize).clamp(1, 12);
    let day = (c.day as u32).max(1);
    (BEFORE[month] + day - 1) * 86_400
        + c.hour as u32 * 3600
        + c.minute as u32 * 60
        + c.second as u32
}

fn is_rollover(previous: u32, current: u32) -> bool {
    current.saturating_add(BACKWARDS_TOLERANCE) < previous
}

/// What a chunk says about the years its lines span.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct YearScan {
    pub first: Option<u32>,
    pub last: Option<u32>,
    pub rollovers: u32,
    /// The year at the start of the chunk implied by its last line that states a year.
    pub anchor: Option<i32>,
}

impl YearScan {
    /// Takes in the next line's time, with or without a year.
    pub fn observe(&mut self, c: &CivilTime) {
        let pos = position_in_year(c);
        match self.last {
            Some(last) if is_rollover(last, pos) => self.rollovers += 1,
            Some(_) => {}
            None => self.first = Some(pos),
        }
        self.last = Some(pos);
        if let Some(year) = c.year {
            self.anchor = Some(year - self.rollovers as i32);
        }
    }

    /// Combines the scan of a chunk with the scan of the chunk that follows it.
    pub fn merge(self, later: YearScan) -> YearScan {
        let boundary = match (self.last, later.first) {
            (Some(a), Some(b)) if is_rollover(a, b) => 1,
            _ => 0,
        };
        let before_later = (self.rollovers + boundary) as i32;
        YearScan {
            first: self.first.or(later.first),
            last: later.last.or(self.last),
            rollovers: self.rollovers + later.rollovers + boundary,
            anchor: later.anchor.map(|y| y - before_later).or(self.anchor),
        }
    }
}

/// The year of the last line: the latest that keeps it no later than `mtime` (one day of slack
/// for clock skew and zones).
pub fn last_line_year(last_position: u32, mtime: Timestamp) -> i32 {
    let now = mtime.to_civil_utc();
    let year = now.year.unwrap_or(1970);
    if last_position > position_in_year(&now).saturating_add(BACKWARDS_TOLERANCE) {
        year - 1
    } else {
        year
    }
}

/// What a yearless file's years are counted from when none of its own lines states one.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum YearAnchor {
    /// The file's modification time (or "now" for a pipe): its last line is no later.
    Modified(Timestamp),
    /// A time the other files of the run state with a year: the first line is nearest to it.
    Near(Timestamp),
}

impl YearAnchor {
    fn year(self) -> i32 {
        let (Self::Modified(t) | Self::Near(t)) = self;
        t.to_civil_utc().year.unwrap_or(1970)
    }
}

/// The year that puts a line at `position` in the year nearest to `near`.
pub fn nearest_year(position: u32, near: Timestamp) -> i32 {
    let reference = near.to_civil_utc();
    let year = reference.year.unwrap_or(1970);
    let here = position_in_year(&reference) as i64;
    // A year apart is about 366 days of positions (the positions count 29 February always).
    const YEAR: i64 = 366 * 86_400;
    let delta = position as i64 - here;
    if delta > YEAR / 2 {
        year - 1
    } else if delta < -YEAR / 2 {
        year + 1
    } else {
        year
    }
}

/// The year in force at the start of each chunk, given the chunks' scans in file order and
/// what to count from when no line states a year.
pub fn chunk_start_years(scans: &[YearScan], anchor: YearAnchor) -> Vec<i32> {
    let whole = scans
        .iter()
        .copied()
        .fold(YearScan::default(), YearScan::merge);
    let (Some(first), Some(last)) = (whole.first, whole.last) else {
        return vec![anchor.year(); scans.len()];
    };
    let first_year = whole.anchor.unwrap_or_else(|| match anchor {
        YearAnchor::Modified(mtime) => last_line_year(last, mtime) - whole.rollovers as i32,
        YearAnchor::Near(near) => nearest_year(first, near),
    });
    let mut years = Vec::with_capacity(scans.len());
    let mut so_far = YearScan::default();
    for scan in scans {
        // The rollovers before this chunk, including one between the previous chunk and this one.
        let with_first = so_far.merge(YearScan {
            first: scan.first,
            last: scan.first,
            rollovers: 0,
            anchor: None,
        });
        years.push(first_year + with_first.rollovers as i32);
        so_far = so_far.merge(*scan);
    }
    years
}

/// Assigns years to the yearless lines of one chunk, starting from the chunk's start year.
#[derive(Clone, Debug)]
pub struct YearTracker {
    year: i32,
    previous: Option<u32>,
}

impl YearTracker {
    pub fn new(start_year: i32) -> YearTracker {
        YearTracker {
            year: start_year,
            previous: None,
        }
    }

    /// Gives a yearless time its year; a time with a year only moves the count along, as it
    /// did in the scan.
    pub fn assign(&mut self, c: &mut CivilTime) {
        let pos = position_in_year(c);
        if let Some(prev) = self.previous
            && is_rollover(prev, pos)
        {
            self.year += 1;
        }
        self.previous = Some(pos);
        if c.year.is_none() {
            c.year = Some(self.year);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn md(month: u8, day: u8, hour: u8) -> CivilTime {
        CivilTime {
            year: None,
            month,
            day,
            hour,
            minute: 0,
            second: 0,
            nanos: 0,
            offset: None,
        }
    }

    fn mtime(y: i64, m: u32, d: u32) -> Timestamp {
        Timestamp::from_unix_seconds(crate::time::days_from_civil(y, m, d) * 86_400, 0)
    }

    fn scan(lines: &[CivilTime]) -> YearScan {
        let mut s = YearScan::default();
        lines.iter().for_each(|c| s.observe(c));
        s
    }

    #[test]
    fn file_crossing_new_year_counts_back_from_mtime() {
        let lines = [md(12, 30, 10), md(12, 31, 23), md(1, 1, 0), md(1, 2, 5)];
        let years = chunk_start_years(&[scan(&lines)], YearAnchor::Modified(mtime(2025, 1, 3)));
        assert_eq!(years, vec![2024]);
        let mut t = YearTracker::new(years[0]);
        let assigned: Vec<i32> = lines
            .iter()
            .map(|c| {
                let mut c = *c;
                t.assign(&mut c);
                c.year.unwrap()
            })
            .collect();
        assert_eq!(assigned, vec![2024, 2024, 2025, 2025]);
    }

    #[test]
    fn lines_after_mtime_date_belong_to_last_year() {
        // Written in December, copied (mtime) in February: December is last year's.
        assert_eq!(
            chunk_start_years(
                &[scan(&[md(12, 1, 0)])],
                YearAnchor::Modified(mtime(2025, 2, 10))
            ),
            vec![2024]
        );
        assert_eq!(
            chunk_start_years(
                &[scan(&[md(2, 9, 0)])],
                YearAnchor::Modified(mtime(2025, 2, 10))
            ),
            vec![2025]
        );
    }

    #[test]
    fn chunking_does_not_change_years() {
        let lines = [
            md(11, 5, 1),
            md(12, 31, 22),
            md(1, 1, 1),
            md(6, 1, 1),
            md(12, 31, 1),
            md(1, 1, 2),
            md(1, 1, 3),
        ];
        let reference: Vec<i32> = {
            let years = chunk_start_years(&[scan(&lines)], YearAnchor::Modified(mtime(2026, 3, 1)));
            let mut t = YearTracker::new(years[0]);
            lines
                .iter()
                .map(|c| {
                    let mut c = *c;
                    t.assign(&mut c);
                    c.year.unwrap()
                })
                .collect()
        };
        assert_eq!(reference, vec![2024, 2024, 2025, 2025, 2025, 2026, 2026]);
        for split in 0..=lines.len() {
            let parts = [&lines[..split], &lines[split..]];
            let scans: Vec<YearScan> = parts.iter().map(|p| scan(p)).collect();
            let starts = chunk_start_years(&scans, YearAnchor::Modified(mtime(2026, 3, 1)));
            let mut got = Vec::new();
            for (part, start) in parts.iter().zip(starts) {
                let mut t = YearTracker::new(start);
                for c in part.iter() {
                    let mut c = *c;
                    t.assign(&mut c);
                    got.push(c.year.unwrap());
                }
            }
            assert_eq!(got, reference, "split at {split}");
        }
    }

    #[test]
    fn dated_lines_anchor_the_yearless_ones() {
        let mut dated = md(2, 25, 16);
        dated.year = Some(2019);
        let lines = [md(2, 25, 15), dated, md(2, 25, 17), md(1, 2, 0)];
        assert_eq!(
            chunk_start_years(&[scan(&lines)], YearAnchor::Modified(mtime(2026, 11, 1))),
            vec![2019]
        );
        for split in 0..=lines.len() {
            let parts = [&lines[..split], &lines[split..]];
            let scans: Vec<YearScan> = parts.iter().map(|p| scan(p)).collect();
            let starts = chunk_start_years(&scans, YearAnchor::Modified(mtime(2026, 11, 1)));
            let mut got = Vec::new();
            for (part, start) in parts.iter().zip(starts) {
                let mut t = YearTracker::new(start);
                for c in part.iter() {
                    let mut c = *c;
                    t.assign(&mut c);
                    got.push(c.year.unwrap());
                }
            }
            assert_eq!(got, vec![2019, 2019, 2019, 2020], "split at {split}");
        }
    }

    #[test]
    fn small_reordering_is_not_a_new_year() {
        let s = scan(&[md(3, 1, 12), md(3, 1, 11), md(3, 1, 13)]);
        assert_eq!(s.rollovers, 0);
    }

    #[test]
    fn dated_files_beside_anchor_a_copied_file() {
        // November lines copied in March two years on: the dated logs beside them say 2024.
        let near = mtime(2024, 11, 14);
        let lines = [md(11, 14, 8), md(11, 14, 16)];
        assert_eq!(
            chunk_start_years(&[scan(&lines)], YearAnchor::Near(near)),
            vec![2024]
        );
        // A December file next to January logs is last year's; a January one next to December
        // logs, next year's.
        assert_eq!(
            nearest_year(position_in_year(&md(12, 28, 0)), mtime(2025, 1, 3)),
            2024
        );
        assert_eq!(
            nearest_year(position_in_year(&md(1, 2, 0)), mtime(2024, 12, 30)),
            2025
        );
        // A line that states its year still wins.
        let mut dated = md(11, 14, 8);
        dated.year = Some(2019);
        assert_eq!(
            chunk_start_years(&[scan(&[dated, md(11, 14, 9)])], YearAnchor::Near(near)),
            vec![2019]
        );
    }
}
