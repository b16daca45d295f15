//! Clusters: the occurrences of one kind of event that keep recurring, kept as one timeline
//! entry while no quiet gap longer than `--gap` separates them.
//!
//! For one key, clusters are kept sorted by time and always more than a gap apart. Adding an
//! occurrence joins the cluster it falls within a gap of (possibly bridging two into one) or
//! starts a new one; merging two lists coalesces the same way. That is single-linkage
//! clustering of the occurrence times, whose result does not depend on the order occurrences
//! arrive in or how they were split into chunks.

use crate::format::Level;
use crate::time::Timestamp;

/// At most this many hosts, files and values per field are named per entry.
pub const MAX_NAMED: usize = 16;
/// At most this many runs are kept per key. A signal that recurs in more separate runs than
/// that (timestamps scattered over centuries, say) has its runs joined with a wider gap,
/// doubled until half as many remain: memory stays bounded and every occurrence counted,
/// where a million one-line runs used to cost gigabytes and quadratic inserts.
pub const MAX_RUNS: usize = 500;
/// An example line is kept to this many bytes.
const EXAMPLE_BYTES: usize = 2048;

/// The earliest occurrence of a cluster: its raw line and where it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Example {
    pub time: Timestamp,
    pub file: u32,
    pub line: u64,
    pub text: String,
}

impl Example {
    fn key(&self) -> (Timestamp, u32, u64) {
        (self.time, self.file, self.line)
    }
}

/// One run of occurrences.
#[derive(Clone, Debug, PartialEq)]
pub struct Cluster {
    pub first: Timestamp,
    pub last: Timestamp,
    pub count: u64,
    pub example: Example,
    pub hosts: Vec<String>,
    pub files: Vec<u32>,
    /// Values of the pattern's named captures, by name.
    pub fields: Vec<(String, Vec<String>)>,
    /// The most severe level seen.
    pub level: Level,
}

/// One occurrence, borrowed from the line it is in.
#[derive(Copy, Clone)]
pub struct Occurrence<'a> {
    pub time: Timestamp,
    pub file: u32,
    pub line: u64,
    pub text: &'a [u8],
    pub host: Option<&'a [u8]>,
    pub level: Level,
    pub fields: &'a [(&'a str, &'a [u8])],
}

fn add_named(list: &mut Vec<String>, value: &[u8]) {
    if list.len() < MAX_NAMED && !list.iter().any(|v| v.as_bytes() == value) {
        list.push(String::from_utf8_lossy(value).into_owned());
    }
}

impl Cluster {
    fn new(o: &Occurrence<'_>) -> Cluster {
        let mut c = Cluster {
            first: o.time,
            last: o.time,
            count: 0,
            example: Example {
                time: o.time,
                file: o.file,
                line: o.line,
                text: String::from_utf8_lossy(&o.text[..o.text.len().min(EXAMPLE_BYTES)])
                    .into_owned(),
            },
            hosts: Vec::new(),
            files: Vec::new(),
            fields: Vec::new(),
            level: o.level,
        };
        c.absorb(o);
        c
    }

    fn absorb(&mut self, o: &Occurrence<'_>) {
        self.count += 1;
        self.first = self.first.min(o.time);
        self.last = self.last.max(o.time);
        self.level = self.level.max(o.level);
        if (o.time, o.file, o.line) < self.example.key() {
            self.example = Example {
                time: o.time,
                file: o.file,
                line: o.line,
                text: String::from_utf8_lossy(&o.text[..o.text.len().min(EXAMPLE_BYTES)])
                    .into_owned(),
            };
        }
        if let Some(h) = o.host {
            add_named(&mut self.hosts, h);
        }
        if !self.files.contains(&o.file) && self.files.len() < MAX_NAMED {
            self.files.push(o.file);
        }
        for (name, value) in o.fields {
            match self.fields.iter_mut().find(|(n, _)| n == name) {
                Some((_, values)) => add_named(values, value),
                None => self.fields.push((
                    name.to_string(),
                    vec![String::from_utf8_lossy(value).into_owned()],
                )),
            }
        }
    }

    /// Folds another cluster of the same key into this one.
    fn join(&mut self, other: Cluster) {
        self.count += other.count;
        self.first = self.first.min(other.first);
        self.last = self.last.max(other.last);
        self.level = self.level.max(other.level);
        if other.example.key() < self.example.key() {
            self.example = other.example;
        }
        for h in other.hosts {
            add_named(&mut self.hosts, h.as_bytes());
        }
        for f in other.files {
            if !self.files.contains(&f) && self.files.len() < MAX_NAMED {
                self.files.push(f);
            }
        }
        for (name, values) in other.fields {
            match self.fields.iter_mut().find(|(n, _)| *n == name) {
                Some((_, mine)) => values.iter().for_each(|v| add_named(mine, v.as_bytes())),
                None => self.fields.push((name, values)),
            }
        }
    }

    /// Puts the named lists in a canonical order, so results do not depend on arrival order.
    pub fn normalize(&mut self) {
        self.hosts.sort();
        self.files.sort_unstable();
        self.fields.sort_by(|a, b| a.0.cmp(&b.0));
        self.fields.iter_mut().for_each(|(_, v)| v.sort());
    }
}

/// Whether an occurrence at `time` joins the latest cluster and that cluster already names
/// [`MAX_NAMED`] values of each of `fields` fields: then new values would be dropped anyway,
/// and the caller need not find them. (Only the latest cluster is looked at; any other answer
/// is `false`, which is always safe.)
pub fn names_all_it_can(clusters: &[Cluster], time: Timestamp, gap: i64, fields: usize) -> bool {
    clusters.last().is_some_and(|last| {
        time >= last.first
            && time.0 - last.last.0 <= gap
            && last.fields.len() == fields
            && last
                .fields
                .iter()
                .all(|(_, values)| values.len() >= MAX_NAMED)
    })
}

/// Adds an occurrence to a key's clusters (sorted by time, more than `gap` apart).
pub fn add(clusters: &mut Vec<Cluster>, o: &Occurrence<'_>, gap: i64) {
    // The common case: in time order, joining the latest cluster.
    if let Some(last) = clusters.last_mut()
        && o.time >= last.first
        && o.time.0 - last.last.0 <= gap
    {
        last.absorb(o);
        return;
    }
    let at = clusters.partition_point(|c| c.first <= o.time);
    let joins_before = at > 0 && o.time.0 - clusters[at - 1].last.0 <= gap;
    let joins_after = at < clusters.len() && clusters[at].first.0 - o.time.0 <= gap;
    match (joins_before, joins_after) {
        (true, true) => {
            clusters[at - 1].absorb(o);
            let next = clusters.remove(at);
            clusters[at - 1].join(next);
        }
        (true, false) => clusters[at - 1].absorb(o),
        (false, true) => clusters[at].absorb(o),
        (false, false) => {
            clusters.insert(at, Cluster::new(o));
            bound(clusters, gap);
        }
    }
}

/// Joins runs with ever wider gaps while there are more than [`MAX_RUNS`]; see there.
fn bound(clusters: &mut Vec<Cluster>, gap: i64) {
    if clusters.len() <= MAX_RUNS {
        return;
    }
    let mut wider = gap.max(1);
    while clusters.len() > MAX_RUNS / 2 {
        wider = wider.saturating_mul(2);
        let runs = std::mem::take(clusters);
        *clusters = coalesce(runs, wider);
    }
}

/// Joins consecutive clusters (sorted by start) that are at most `gap` apart.
fn coalesce(sorted: Vec<Cluster>, gap: i64) -> Vec<Cluster> {
    let mut out: Vec<Cluster> = Vec::with_capacity(sorted.len());
    for c in sorted {
        match out.last_mut() {
            Some(prev) if c.first.0.saturating_sub(prev.last.0) <= gap => prev.join(c),
            _ => out.push(c),
        }
    }
    out
}

/// Merges two keys' cluster lists into one, coalescing clusters within `gap`.
pub fn merge(mut a: Vec<Cluster>, b: Vec<Cluster>, gap: i64) -> Vec<Cluster> {
    if b.is_empty() {
        return a;
    }
    a.extend(b);
    a.sort_by_key(|c| c.first);
    let mut out = coalesce(a, gap);
    bound(&mut out, gap);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn occ(secs: i64, line: u64) -> Occurrence<'static> {
        Occurrence {
            time: Timestamp::from_unix_seconds(secs, 0),
            file: 0,
            line,
            text: b"x",
            host: None,
            level: Level::Error,
            fields: &[],
        }
    }

    const GAP: i64 = 300 * 1_000_000;

    fn spans(c: &[Cluster]) -> Vec<(i64, i64, u64)> {
        c.iter()
            .map(|c| (c.first.unix_seconds(), c.last.unix_seconds(), c.count))
            .collect()
    }

    #[test]
    fn full_field_lists_need_no_more_values() {
        let mut c = Vec::new();
        let t = |s| Timestamp::from_unix_seconds(s, 0);
        assert!(!names_all_it_can(&c, t(0), GAP, 1));
        let values: Vec<String> = (0..MAX_NAMED + 2).map(|i| format!("up{i}")).collect();
        for (i, v) in values.iter().enumerate() {
            let fields = [("upstream", v.as_bytes())];
            let o = Occurrence {
                fields: &fields,
                ..occ(i as i64, i as u64)
            };
            // Until the list is full, every value is wanted.
            assert_eq!(names_all_it_can(&c, o.time, GAP, 1), i >= MAX_NAMED, "{i}");
            add(&mut c, &o, GAP);
        }
        assert_eq!(c[0].fields[0].1.len(), MAX_NAMED);
        assert!(names_all_it_can(&c, t(100), GAP, 1));
        // A pattern with a second field not seen yet, a new run, or an earlier time: wanted.
        assert!(!names_all_it_can(&c, t(100), GAP, 2));
        assert!(!names_all_it_can(&c, t(10_000), GAP, 1));
        assert!(!names_all_it_can(&c, t(-1), GAP, 1));
    }

    #[test]
    fn gaps_split_and_bridges_join() {
        let mut c = Vec::new();
        for (i, t) in [0, 100, 1000, 1200, 700].iter().enumerate() {
            add(&mut c, &occ(*t, i as u64), GAP);
        }
        // 700 is within 300 s of 1000 but not of 100: it extends the second cluster back.
        assert_eq!(spans(&c), vec![(0, 100, 2), (700, 1200, 3)]);
        // 1600 is more than 300 s from the last: a cluster of its own.
        add(&mut c, &occ(1600, 8), GAP);
        assert_eq!(
            spans(&c),
            vec![(0, 100, 2), (700, 1200, 3), (1600, 1600, 1)]
        );
        // 400 is exactly 300 s from 100 and from 700: it bridges them.
        add(&mut c, &occ(400, 9), GAP);
        assert_eq!(spans(&c), vec![(0, 1200, 6), (1600, 1600, 1)]);
        assert_eq!(c[0].example.time.unix_seconds(), 0);
    }

    #[test]
    fn scattered_runs_are_joined_not_kept_one_by_one() {
        let mut c = Vec::new();
        // Runs a day apart, in a scrambled order.
        let n = 20_000u64;
        for i in 0..n {
            let day = (i * 7919) % n;
            add(&mut c, &occ(day as i64 * 86_400, i), GAP);
            assert!(c.len() <= MAX_RUNS);
        }
        assert_eq!(c.iter().map(|c| c.count).sum::<u64>(), n);
        assert!(c.windows(2).all(|w| w[0].last < w[1].first));
        let halves = merge(c.clone(), c, GAP);
        assert!(halves.len() <= MAX_RUNS);
        assert_eq!(halves.iter().map(|c| c.count).sum::<u64>(), 2 * n);
    }

    #[test]
    fn any_split_and_order_gives_the_same_clusters() {
        let times = [5, 900, 20, 2000, 310, 1500, 1800, 615, 3000, 2301];
        let mut whole = Vec::new();
        for (i, t) in times.iter().enumerate() {
            add(&mut whole, &occ(*t, i as u64), GAP);
        }
        for split in 0..=times.len() {
            let (mut a, mut b) = (Vec::new(), Vec::new());
            for (i, t) in times.iter().enumerate() {
                let target = if i < split { &mut a } else { &mut b };
                add(target, &occ(*t, i as u64), GAP);
            }
            assert_eq!(merge(a.clone(), b.clone(), GAP), whole, "split {split}");
            assert_eq!(merge(b, a, GAP), whole, "split {split} reversed");
        }
    }
}
