//! Mergeable summaries of a stream of values, small enough to keep one per time bucket:
//! a log-scale latency histogram for percentiles, and a distinct-count sketch for clients
//! (exact while small, HyperLogLog after).

/// Latencies in log-spaced bins: bin 0 holds < 1 ms, bin `i` holds [GROWTHᶦ⁻¹, GROWTHᶦ) ms, up to
/// an hour; larger values go in the last bin. Percentiles are read back as the bin's geometric
/// middle, so within ±5% of the true value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LatencyHistogram {
    bins: Box<[u32; BINS]>,
    count: u64,
}

const GROWTH: f64 = 1.1;
/// Whole-millisecond latencies below this have their bin looked up.
const WHOLE_MS: usize = 1 << 14;

/// The bin of every whole millisecond below [`WHOLE_MS`].
fn whole_ms_bins() -> &'static [u8; WHOLE_MS] {
    static TABLE: std::sync::OnceLock<Box<[u8; WHOLE_MS]>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t = Box::new([0u8; WHOLE_MS]);
        for (ms, bin) in t.iter_mut().enumerate() {
            *bin = LatencyHistogram::bin_by_log(ms as f64) as u8;
        }
        t
    })
}
/// 1.1^160 ms is about 4.1 million ms, past an hour.
const BINS: usize = 161;

impl Default for LatencyHistogram {
    fn default() -> Self {
        LatencyHistogram {
            bins: Box::new([0; BINS]),
            count: 0,
        }
    }
}

impl LatencyHistogram {
    fn bin(ms: f64) -> usize {
        // Access and load-balancer logs mostly write whole milliseconds: their bins come from
        // a table the logarithm filled once, the same bins without a logarithm per request.
        // (Whole is tested by converting back, not with `fract`, a call to libm's `trunc`
        // where the x86-64 baseline has no rounding instruction.)
        let whole = ms as usize;
        if (0.0..WHOLE_MS as f64).contains(&ms) && whole as f64 == ms {
            return whole_ms_bins()[whole] as usize;
        }
        Self::bin_by_log(ms)
    }

    fn bin_by_log(ms: f64) -> usize {
        if ms.is_nan() || ms < 1.0 {
            return 0;
        }
        ((ms.ln() / GROWTH.ln()).floor() as usize + 1).min(BINS - 1)
    }

    /// The value a bin stands for: the geometric middle of its bounds.
    fn value(bin: usize) -> f64 {
        if bin == 0 {
            return 0.5;
        }
        GROWTH.powf(bin as f64 - 0.5)
    }

    pub fn record(&mut self, ms: f64) {
        // The bin is found once (it used to be computed twice, a logarithm each).
        let bin = &mut self.bins[Self::bin(ms)];
        *bin = bin.saturating_add(1);
        self.count += 1;
    }

    pub fn merge(&mut self, other: &LatencyHistogram) {
        for (a, b) in self.bins.iter_mut().zip(other.bins.iter()) {
            *a = a.saturating_add(*b);
        }
        self.count += other.count;
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    /// How many recorded latencies fall in bins at or above the one `ms` falls in.
    pub fn count_at_least(&self, ms: f64) -> u64 {
        self.bins[Self::bin(ms)..].iter().map(|n| *n as u64).sum()
    }

    /// The `q`-quantile (0–1) in ms, or `None` when empty.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        if self.count == 0 {
            return None;
        }
        let rank = ((q.clamp(0.0, 1.0) * self.count as f64).ceil() as u64).max(1);
        let mut seen = 0u64;
        for (i, n) in self.bins.iter().enumerate() {
            seen += *n as u64;
            if seen >= rank {
                return Some(Self::value(i));
            }
        }
        Some(Self::value(BINS - 1))
    }
}

/// HyperLogLog precision: 2^10 registers, a standard error of about 3.3%.
const HLL_BITS: u32 = 10;
const HLL_REGISTERS: usize = 1 << HLL_BITS;
/// Distinct values kept exactly before switching to HyperLogLog.
const EXACT_LIMIT: usize = 256;
/// The first table of an [`ExactSet`]: room for 16 values.
const SMALL_TABLE: usize = 32;

/// The number of distinct values seen (clients), exact up to [`EXACT_LIMIT`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DistinctCount {
    Exact(ExactSet),
    Sketch(Box<[u8; HLL_REGISTERS]>),
}

impl Default for DistinctCount {
    fn default() -> Self {
        DistinctCount::Exact(ExactSet::default())
    }
}

/// Distinct hashes in an open-addressed table, at most half full: 32 slots, then at once the
/// 512 that hold [`EXACT_LIMIT`].
///
/// A busy load balancer's ten-second bucket sees a new client on nearly every request until
/// the first 256, and a sorted vector's binary search and shifting insert cost ~34 ns each
/// there; here an insert is one or two probes. A slot of 0 is empty, so a hash of 0 is kept
/// as 1 (two values in 2^64 counted as one).
#[derive(Clone, Debug, Default)]
pub struct ExactSet {
    slots: Vec<u64>,
    len: usize,
}

impl ExactSet {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Adds `hash`; whether it was new.
    #[inline]
    fn insert(&mut self, hash: u64) -> bool {
        if 2 * (self.len + 1) > self.slots.len() {
            self.grow();
        }
        let h = hash.max(1);
        let i = self.slot_of(h);
        if self.slots[i] == h {
            return false;
        }
        self.slots[i] = h;
        self.len += 1;
        true
    }

    fn contains(&self, hash: u64) -> bool {
        let h = hash.max(1);
        !self.slots.is_empty() && self.slots[self.slot_of(h)] == h
    }

    /// The slot that holds `h` (not 0), or the empty one where it would go; the table has
    /// slots, and room.
    #[inline]
    fn slot_of(&self, h: u64) -> usize {
        let mask = self.slots.len() - 1;
        let mut i = h as usize & mask;
        while self.slots[i] != 0 && self.slots[i] != h {
            i = (i + 1) & mask;
        }
        i
    }

    fn grow(&mut self) {
        // Small first (most buckets of most sources see a few clients), then at once the
        // size that holds [`EXACT_LIMIT`] half full: one rehash of a few entries, not five.
        let size = if self.slots.is_empty() {
            SMALL_TABLE
        } else {
            (2 * self.slots.len())
                .max(2 * EXACT_LIMIT)
                .next_power_of_two()
        };
        let old = std::mem::replace(&mut self.slots, vec![0; size]);
        self.len = 0;
        for h in old.into_iter().filter(|h| *h != 0) {
            self.insert(h);
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = u64> + '_ {
        self.slots.iter().copied().filter(|h| *h != 0)
    }
}

/// The same values, wherever the table put them.
impl PartialEq for ExactSet {
    fn eq(&self, other: &ExactSet) -> bool {
        self.len == other.len && self.iter().all(|h| other.contains(h))
    }
}

impl Eq for ExactSet {}

/// A fast, well-mixed 64-bit hash of a byte string: eight bytes at a time (a client address
/// is two words, where a byte-at-a-time hash is a chain of fourteen multiplies), then a
/// murmur3 finaliser so the high bits HyperLogLog uses are as good as the low ones.
pub fn hash64(bytes: &[u8]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    #[inline]
    fn mix(h: u64, word: u64) -> u64 {
        (h ^ word).wrapping_mul(K).rotate_left(31)
    }
    let n = bytes.len();
    let mut h = (n as u64).wrapping_mul(K);
    if n >= 8 {
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            h = mix(h, u64::from_le_bytes(w.try_into().expect("eight bytes")));
        }
        if !words.remainder().is_empty() {
            // The last eight bytes, overlapping the word before: the length is mixed in
            // already, so this tells apart every input of the same length.
            let last = &bytes[n - 8..];
            h = mix(h, u64::from_le_bytes(last.try_into().expect("eight bytes")));
        }
    } else if n >= 4 {
        let first = u32::from_le_bytes(bytes[..4].try_into().expect("four bytes"));
        let last = u32::from_le_bytes(bytes[n - 4..].try_into().expect("four bytes"));
        h = mix(h, u64::from(first) | u64::from(last) << 32);
    } else {
        let word = bytes.iter().fold(0u64, |w, &b| w << 8 | u64::from(b));
        h = mix(h, word);
    }
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// The register a hash updates: its top bits.
#[inline]
fn sketch_index(hash: u64) -> usize {
    (hash >> (64 - HLL_BITS)) as usize
}

/// The rank a hash offers its register: one more than the zeros leading the rest of it.
#[inline]
fn sketch_rank(hash: u64) -> u8 {
    let rest = hash << HLL_BITS | (1 << (HLL_BITS - 1));
    rest.leading_zeros() as u8 + 1
}

/// Every value of an exact set into a sketch. Every slot is visited, empty ones included (a
/// zero ranks 0, which changes nothing): a branch on each slot's emptiness would be
/// mispredicted half the time.
fn sketch_insert_slots(registers: &mut [u8; HLL_REGISTERS], set: &ExactSet) {
    for &h in &set.slots {
        let rank = sketch_rank(h) & 0u8.wrapping_sub(u8::from(h != 0));
        let r = &mut registers[sketch_index(h)];
        *r = (*r).max(rank);
    }
}

fn sketch_insert(registers: &mut [u8; HLL_REGISTERS], hash: u64) {
    let (index, rank) = (sketch_index(hash), sketch_rank(hash));
    if rank > registers[index] {
        registers[index] = rank;
    }
}

impl DistinctCount {
    pub fn insert_hash(&mut self, hash: u64) {
        match self {
            DistinctCount::Exact(values) => {
                if values.insert(hash) && values.len() > EXACT_LIMIT {
                    self.switch_to_sketch();
                }
            }
            DistinctCount::Sketch(registers) => sketch_insert(registers, hash),
        }
    }

    pub fn insert(&mut self, value: &[u8]) {
        self.insert_hash(hash64(value));
    }

    fn switch_to_sketch(&mut self) {
        if let DistinctCount::Exact(values) = self {
            let mut registers = Box::new([0u8; HLL_REGISTERS]);
            sketch_insert_slots(&mut registers, values);
            *self = DistinctCount::Sketch(registers);
        }
    }

    pub fn merge(&mut self, other: &DistinctCount) {
        match other {
            DistinctCount::Exact(values) => match self {
                // How a run's buckets add up to its totals, once past the exact limit.
                DistinctCount::Sketch(mine) => sketch_insert_slots(mine, values),
                DistinctCount::Exact(_) => values.iter().for_each(|h| self.insert_hash(h)),
            },
            DistinctCount::Sketch(theirs) => {
                self.switch_to_sketch();
                if let DistinctCount::Sketch(mine) = self {
                    for (a, b) in mine.iter_mut().zip(theirs.iter()) {
                        *a = (*a).max(*b);
                    }
                }
            }
        }
    }

    /// The number of distinct values: exact when small, else the HyperLogLog estimate (with the
    /// usual small-range correction).
    pub fn estimate(&self) -> u64 {
        match self {
            DistinctCount::Exact(values) => values.len() as u64,
            DistinctCount::Sketch(registers) => {
                let m = HLL_REGISTERS as f64;
                let alpha = 0.7213 / (1.0 + 1.079 / m);
                let sum: f64 = registers.iter().map(|r| 2f64.powi(-(*r as i32))).sum();
                let raw = alpha * m * m / sum;
                let zeros = registers.iter().filter(|r| **r == 0).count();
                let estimate = if raw <= 2.5 * m && zeros > 0 {
                    m * (m / zeros as f64).ln()
                } else {
                    raw
                };
                estimate.round() as u64
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn looked_up_bins_are_the_logarithms_bins() {
        const { assert!(BINS <= u8::MAX as usize) };
        for ms in (0..WHOLE_MS + 10)
            .map(|m| m as f64)
            .chain([0.5, 1.05, 22.999, -1.0, f64::NAN])
        {
            assert_eq!(
                LatencyHistogram::bin(ms),
                LatencyHistogram::bin_by_log(ms),
                "{ms}"
            );
        }
    }

    #[test]
    fn hashes_tell_apart_lengths_and_every_byte() {
        let mut seen = std::collections::HashSet::new();
        let base = b"203.0.113.255:65535/x";
        for len in 0..=base.len() {
            assert!(seen.insert(hash64(&base[..len])), "len {len}");
            for at in 0..len {
                let mut b = base[..len].to_vec();
                b[at] ^= 1;
                assert!(seen.insert(hash64(&b)), "len {len} at {at}");
            }
        }
        // The high bits HyperLogLog indexes by spread over every register.
        let mut used = vec![false; HLL_REGISTERS];
        for i in 0..20_000u32 {
            let ip = format!("10.{}.{}.{}", i >> 16, (i >> 8) & 255, i & 255);
            used[(hash64(ip.as_bytes()) >> (64 - HLL_BITS)) as usize] = true;
        }
        assert!(used.iter().all(|u| *u));
    }

    #[test]
    fn histogram_quantiles_are_within_five_percent() {
        let mut h = LatencyHistogram::default();
        for ms in 1..=1000 {
            h.record(ms as f64);
        }
        for (q, want) in [(0.5, 500.0), (0.95, 950.0), (0.99, 990.0)] {
            let got = h.quantile(q).unwrap();
            assert!((got - want).abs() / want < 0.05, "q{q}: {got} vs {want}");
        }
        assert_eq!(LatencyHistogram::default().quantile(0.5), None);
        let at_least = h.count_at_least(900.0);
        // 100 values are at or above 900 ms; the bin holding 900 (10% wide) adds its lower part.
        assert!((100..=150).contains(&at_least), "{at_least}");
        let mut a = LatencyHistogram::default();
        a.record(0.2);
        a.record(f64::NAN);
        a.record(1e12);
        assert_eq!(a.count(), 3);
        a.merge(&h);
        assert_eq!(a.count(), 1003);
    }

    #[test]
    fn distinct_counts_are_exact_when_small_and_close_when_large() {
        let mut small = DistinctCount::default();
        for i in 0..200u32 {
            small.insert(format!("10.0.0.{}", i % 150).as_bytes());
        }
        assert_eq!(small.estimate(), 150);
        let mut big = DistinctCount::default();
        for i in 0..50_000u32 {
            big.insert(format!("client-{i}").as_bytes());
        }
        let e = big.estimate() as f64;
        assert!((e - 50_000.0).abs() / 50_000.0 < 0.08, "{e}");
    }

    #[test]
    fn exact_sets_are_sets_whatever_the_order() {
        let values: Vec<u64> = (0..300u64).map(|i| hash64(&i.to_le_bytes())).collect();
        let (mut forward, mut backward) = (ExactSet::default(), ExactSet::default());
        for (i, v) in values.iter().take(200).enumerate() {
            assert!(forward.insert(*v));
            assert!(!forward.insert(*v), "a value already there is not new");
            backward.insert(values[199 - i]);
        }
        assert_eq!(forward, backward);
        assert_eq!(forward.len(), 200);
        assert!(values[..200].iter().all(|v| forward.contains(*v)));
        assert!(!values[200..].iter().any(|v| forward.contains(*v)));
        backward.insert(values[250]);
        assert_ne!(forward, backward);
        // A hash of zero is kept (as one).
        let mut zero = ExactSet::default();
        assert!(zero.insert(0) && zero.contains(0) && !zero.insert(1));
    }

    #[test]
    fn switching_to_the_sketch_keeps_every_value() {
        let values: Vec<u64> = (0..(EXACT_LIMIT as u64 + 1))
            .map(|i| hash64(&i.to_le_bytes()))
            .collect();
        let mut switched = DistinctCount::default();
        let mut registers = Box::new([0u8; HLL_REGISTERS]);
        for v in &values {
            switched.insert_hash(*v);
            sketch_insert(&mut registers, *v);
        }
        assert_eq!(switched, DistinctCount::Sketch(registers));
    }

    #[test]
    fn merging_is_the_union() {
        let (mut a, mut b, mut both) = (
            DistinctCount::default(),
            DistinctCount::default(),
            DistinctCount::default(),
        );
        for i in 0..3000u32 {
            let v = format!("c{i}");
            if i % 2 == 0 {
                a.insert(v.as_bytes())
            } else {
                b.insert(v.as_bytes())
            }
            if i < 10 {
                a.insert(v.as_bytes());
            }
            both.insert(v.as_bytes());
        }
        a.merge(&b);
        assert_eq!(a, both);
        let mut x = DistinctCount::default();
        x.insert(b"one");
        let mut y = DistinctCount::default();
        y.insert(b"one");
        y.insert(b"two");
        x.merge(&y);
        assert_eq!(x.estimate(), 2);
    }
}
