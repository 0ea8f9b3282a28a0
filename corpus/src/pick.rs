//! The seeded RNG type and weighted choices, including Zipf-like popularity ranks.
//!
//! Real AWS accounts are heavy-tailed: a few API calls (`AssumeRole`, `Decrypt`, `Describe*`)
//! make up most records while hundreds of others appear rarely. [`Weighted::zipf`] gives rank
//! `r` (0-based) the weight `1 / (r + 1)^s`; a draw is one uniform number and a binary search over
//! the cumulative weights.

use rand::Rng as _;
use rand::SeedableRng as _;

/// The RNG behind every generator: ChaCha8, seeded from the corpus seed, one stream per purpose.
pub(crate) type Rng = rand_chacha::ChaCha8Rng;

/// A fresh RNG for `seed` and the independent `stream`, so that, for example, the CloudTrail
/// records do not change when the WAF generator draws more or fewer numbers.
pub(crate) fn rng_for(seed: u64, stream: u64) -> Rng {
    let mut rng = Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}

/// A discrete distribution over `0..len` given by non-negative weights.
#[derive(Clone, Debug)]
pub(crate) struct Weighted {
    cumulative: Vec<f64>,
}

impl Weighted {
    /// A distribution proportional to `weights` (which must not all be zero).
    pub(crate) fn new(weights: impl IntoIterator<Item = f64>) -> Self {
        let mut total = 0.0;
        let cumulative = weights
            .into_iter()
            .map(|weight| {
                total += weight;
                total
            })
            .collect();
        Weighted { cumulative }
    }

    /// Zipf-like ranks: index `r` has weight `1 / (r + 1)^exponent`.
    pub(crate) fn zipf(len: usize, exponent: f64) -> Self {
        Self::new((0..len).map(|rank| 1.0 / ((rank + 1) as f64).powf(exponent)))
    }

    /// Draws an index.
    pub(crate) fn sample(&self, rng: &mut Rng) -> usize {
        let total = *self.cumulative.last().expect("a non-empty distribution");
        let point = rng.random::<f64>() * total;
        self.cumulative
            .partition_point(|&edge| edge <= point)
            .min(self.cumulative.len() - 1)
    }
}

/// Draws one element of a non-empty slice by its weight, the second tuple member.
pub(crate) fn weighted<'a, T>(rng: &mut Rng, items: &'a [(T, u32)]) -> &'a T {
    let total: u32 = items.iter().map(|(_, weight)| weight).sum();
    let mut point = rng.random_range(0..total);
    for (item, weight) in items {
        if point < *weight {
            return item;
        }
        point -= weight;
    }
    unreachable!("point < total")
}

/// Draws a uniform element of a non-empty slice.
pub(crate) fn one<'a, T>(rng: &mut Rng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

/// True with probability `p`.
pub(crate) fn chance(rng: &mut Rng, p: f64) -> bool {
    rng.random_bool(p)
}

/// A log-normally distributed positive integer with the given median, capped at `max`.
pub(crate) fn log_normal(rng: &mut Rng, median: f64, sigma: f64, max: u64) -> u64 {
    // Box-Muller: one standard normal draw from two uniforms.
    let u1: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
    let u2: f64 = rng.random();
    let normal = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
    let value = median * (sigma * normal).exp();
    (value.round() as u64).clamp(1, max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zipf_prefers_low_ranks() {
        let mut rng = rng_for(3, 0);
        let dist = Weighted::zipf(100, 1.1);
        let mut counts = [0u32; 100];
        for _ in 0..20_000 {
            counts[dist.sample(&mut rng)] += 1;
        }
        assert!(counts[0] > counts[1] && counts[1] > counts[10] && counts[10] > counts[90]);
        assert!(counts[99] > 0 || counts[98] > 0 || counts[97] > 0);
    }
}
