//! IPv4 addresses for callers, clients and VPC hosts.
//!
//! Benign public addresses come from first octets that real traffic commonly shows; attacker
//! addresses come from [`ATTACKER_FIRST_OCTETS`], which benign traffic never uses, so a planted
//! address cannot appear by chance in benign records. The client country is a pure function of
//! the address, so the same client has the same country in WAF, CloudFront and GuardDuty records.

use std::fmt::Write as _;
use std::net::Ipv4Addr;

use rand::Rng as _;

use crate::pick::{Rng, one};

/// First octets of benign public client addresses.
const BENIGN_FIRST_OCTETS: &[u8] = &[
    3, 13, 18, 23, 24, 31, 34, 35, 37, 46, 52, 54, 62, 66, 67, 68, 71, 73, 76, 77, 78, 79, 80, 81,
    82, 84, 86, 88, 89, 90, 91, 92, 93, 94, 95, 98, 99, 104, 107, 108, 109, 136, 141, 142, 146,
    147, 151, 152, 154, 157, 158, 161, 162, 163, 164, 167, 173, 174, 176, 178, 180, 182, 183, 188,
    194, 195, 196, 197, 199, 200, 201, 202, 207, 208, 209, 212, 213, 216, 217,
];

/// First octets reserved for planted attacker addresses.
pub(crate) const ATTACKER_FIRST_OCTETS: &[u8] = &[45, 185, 193];

const COUNTRIES: &[&str] = &[
    "US", "US", "US", "US", "DE", "GB", "FR", "NL", "IE", "CA", "JP", "IN", "BR", "AU", "SG", "SE",
    "ES", "IT", "PL", "KR",
];

const ATTACKER_COUNTRIES: &[&str] = &["RU", "NL", "CN", "RO", "SC"];

/// A random benign public IPv4 address.
pub(crate) fn public_ipv4(rng: &mut Rng) -> Ipv4Addr {
    let first = *one(rng, BENIGN_FIRST_OCTETS);
    Ipv4Addr::new(first, rng.random(), rng.random(), rng.random_range(1..255))
}

/// A random attacker IPv4 address, from ranges benign traffic never uses.
pub(crate) fn attacker_ipv4(rng: &mut Rng) -> Ipv4Addr {
    let first = *one(rng, ATTACKER_FIRST_OCTETS);
    Ipv4Addr::new(first, rng.random(), rng.random(), rng.random_range(1..255))
}

/// A random address in `10.<second>.0.0/16`.
pub(crate) fn private_ipv4(rng: &mut Rng, second: u8) -> Ipv4Addr {
    Ipv4Addr::new(
        10,
        second,
        rng.random_range(0..16),
        rng.random_range(4..255),
    )
}

/// The two-letter country of a client address (stable for a given address).
pub(crate) fn country_of(ip: Ipv4Addr) -> &'static str {
    let [first, second, third, _] = ip.octets();
    let mix = usize::from(first) * 31 + usize::from(second) * 7 + usize::from(third);
    if ATTACKER_FIRST_OCTETS.contains(&first) {
        ATTACKER_COUNTRIES[mix % ATTACKER_COUNTRIES.len()]
    } else {
        COUNTRIES[mix % COUNTRIES.len()]
    }
}

/// An ephemeral client port.
pub(crate) fn ephemeral_port(rng: &mut Rng) -> u16 {
    rng.random_range(32768..61000)
}

/// Appends `ip` in dotted form.
pub(crate) fn write_ip(ip: Ipv4Addr, out: &mut String) {
    let _ = write!(out, "{ip}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pick::rng_for;

    #[test]
    fn benign_and_attacker_ranges_are_disjoint() {
        let mut rng = rng_for(1, 0);
        for _ in 0..1000 {
            let benign = public_ipv4(&mut rng).octets()[0];
            assert!(!ATTACKER_FIRST_OCTETS.contains(&benign));
            assert!(!matches!(
                benign,
                10 | 127 | 172 | 192 | 100 | 169 | 198 | 203
            ));
        }
    }
}
