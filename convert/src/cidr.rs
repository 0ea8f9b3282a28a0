//! `|cidr` as a regular expression: the exact set of IPv4 address texts inside a network.
//!
//! Sigil's `|cidr` holds for a string that reads as an IP address (Rust's parser: four decimal
//! octets of at most 255, without leading zeros) inside the network. The texts of the addresses
//! of an IPv4 network form a regular language: each octet is a range of numbers, written as
//! alternatives of digit classes. So `10.0.0.0/8` becomes
//!
//! ```text
//! \A10\.(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])\.(…)\.(…)\z
//! ```
//!
//! and `172.16.0.0/12` has `(?:1[6-9]|2[0-9]|3[0-1])` as its second octet. IPv6 networks are
//! refused: an address has many texts (`::`, leading zeros, embedded IPv4) and no engine here
//! offers the same parser.

use ipnet::IpNet;

/// The regex (Java and RE2 read it alike) of the IPv4 address texts in `net`.
pub(crate) fn ipv4_regex(net: &IpNet) -> Result<String, String> {
    let IpNet::V4(net) = net else {
        return Err(format!(
            "`|cidr {net}`: IPv6 addresses have many spellings, which no engine here reads as Sigil does"
        ));
    };
    let (low, high) = (net.network().octets(), net.broadcast().octets());
    let octets: Vec<String> = low
        .iter()
        .zip(high)
        .map(|(&lo, hi)| number_range(lo, hi))
        .collect();
    Ok(format!(r"\A{}\z", octets.join(r"\.")))
}

/// A regex for the decimal texts (no leading zeros) of the numbers `lo..=hi`.
fn number_range(lo: u8, hi: u8) -> String {
    let mut branches = Vec::new();
    // Numbers of 1, 2 and 3 digits, each width on its own.
    for (first, last) in [(0, 9), (10, 99), (100, 255)] {
        let (a, b) = (u32::from(lo).max(first), u32::from(hi).min(last));
        if a <= b {
            digits_range(&a.to_string(), &b.to_string(), &mut branches);
        }
    }
    format!("(?:{})", branches.join("|"))
}

/// Pushes the alternatives matching the digit strings from `a` to `b` (same length).
fn digits_range(a: &str, b: &str, out: &mut Vec<String>) {
    if a == b {
        out.push(a.to_string());
        return;
    }
    let (fa, fb) = (a.as_bytes()[0] - b'0', b.as_bytes()[0] - b'0');
    let (ra, rb) = (&a[1..], &b[1..]);
    let free = |n: usize| "[0-9]".repeat(n);
    let class = |x: u8, y: u8| if x == y { x.to_string() } else { format!("[{x}-{y}]") };
    if ra.is_empty() {
        out.push(class(fa, fb));
        return;
    }
    let (zeros, nines) = ("0".repeat(ra.len()), "9".repeat(ra.len()));
    if fa == fb {
        let mut rest = Vec::new();
        digits_range(ra, rb, &mut rest);
        out.extend(rest.into_iter().map(|r| format!("{fa}{r}")));
        return;
    }
    // The first digit's own tail, the full middle digits, the last digit's own tail.
    let (mut low, mut high) = (fa, fb);
    if ra != zeros {
        let mut rest = Vec::new();
        digits_range(ra, &nines, &mut rest);
        out.extend(rest.into_iter().map(|r| format!("{fa}{r}")));
        low += 1;
    }
    if rb != nines {
        high -= 1;
    }
    if low <= high {
        out.push(format!("{}{}", class(low, high), free(ra.len())));
    }
    if rb != nines {
        let mut rest = Vec::new();
        digits_range(&zeros, rb, &mut rest);
        out.extend(rest.into_iter().map(|r| format!("{fb}{r}")));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every number 0..=255 matches the range's regex exactly when it is inside.
    #[test]
    fn ranges_are_exact() {
        let pairs = (0..=255u8).step_by(7).flat_map(|lo| (lo..=255).step_by(5).map(move |hi| (lo, hi)));
        for (lo, hi) in pairs.chain([(0, 255), (16, 31), (0, 9), (7, 7), (100, 199), (250, 255)]) {
            let text = number_range(lo, hi);
            let re = regex_automata::meta::Regex::new(&format!(r"\A{text}\z")).unwrap();
            for n in 0..=255u32 {
                let inside = (u32::from(lo)..=u32::from(hi)).contains(&n);
                assert_eq!(re.is_match(&n.to_string()), inside, "{lo}..{hi}: {n} ({text})");
                assert!(!re.is_match(&format!("0{n}")), "leading zero {n} ({text})");
            }
        }
    }

    #[test]
    fn networks() {
        let re = ipv4_regex(&"172.16.0.0/12".parse().unwrap()).unwrap();
        let re = regex_automata::meta::Regex::new(&re).unwrap();
        assert!(re.is_match("172.31.255.1"));
        assert!(!re.is_match("172.32.0.1"));
        assert!(!re.is_match("172.16.0.01"));
        assert!(ipv4_regex(&"2001:db8::/32".parse().unwrap()).is_err());
    }
}
