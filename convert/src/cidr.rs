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
//! and `172.16.0.0/12` has `(?:1[6-9]|2[0-9]|3[0-1])` as its second octet.
//!
//! An IPv6 address has many texts (groups of one to four hex digits in either case, one `::`
//! for a run of zero groups, an IPv4 address for the last two groups), all of which Rust's
//! parser reads; a network whose prefix fits in the first group (`fc00::/7`) is the set of
//! those texts whose first group is in a range, or that start with `::` when the range holds
//! zero. Longer IPv6 prefixes are refused: the written groups may then be compressed away.

use ipnet::IpNet;

/// One IPv6 group.
const GROUP: &str = "[0-9A-Fa-f]{1,4}";

/// The regex (Java and RE2 read it alike) of the address texts in `net`.
pub(crate) fn regex(net: &IpNet) -> Result<String, String> {
    match net {
        IpNet::V4(net) => {
            let (low, high) = (net.network().octets(), net.broadcast().octets());
            Ok(format!(r"\A{}\z", ipv4(low, high)))
        }
        IpNet::V6(v6) if v6.prefix_len() <= 16 => {
            let (first, last) = (v6.network().segments()[0], v6.broadcast().segments()[0]);
            Ok(format!(r"\A(?:{})\z", ipv6(first, last)))
        }
        IpNet::V6(_) => Err(format!(
            "`|cidr {net}`: an IPv6 prefix longer than 16 bits is spelled in too many ways to match as text"
        )),
    }
}

/// IPv4 addresses with each octet between the octets of `low` and `high`.
fn ipv4(low: [u8; 4], high: [u8; 4]) -> String {
    let octets: Vec<String> = low
        .iter()
        .zip(high)
        .map(|(&lo, hi)| number_range(lo, hi))
        .collect();
    octets.join(r"\.")
}

/// IPv6 addresses whose first group is in `first..=last`, every spelling Rust reads.
fn ipv6(first: u16, last: u16) -> String {
    let head = hex_range(first, last);
    let v4 = ipv4([0; 4], [255; 4]);
    let mut forms = vec![
        format!("{head}(?::{GROUP}){{7}}"),
        format!("{head}(?::{GROUP}){{5}}:{v4}"),
    ];
    // `a` groups written before `::` (the first among them), up to 7 - a after it.
    for before in 1..=7 {
        let after = match 7 - before {
            0 => String::new(),
            n => format!("(?:{GROUP}(?::{GROUP}){{0,{}}})?", n - 1),
        };
        forms.push(format!("{head}(?::{GROUP}){{{}}}::{after}", before - 1));
        if before <= 5 {
            forms.push(format!(
                "{head}(?::{GROUP}){{{}}}::(?:{GROUP}:){{0,{}}}{v4}",
                before - 1,
                5 - before
            ));
        }
    }
    if first == 0 {
        forms.push(format!("::(?:{GROUP}(?::{GROUP}){{0,6}})?"));
        forms.push(format!("::(?:{GROUP}:){{0,5}}{v4}"));
    }
    forms.join("|")
}

/// One to four hex digits (either case, leading zeros allowed) of a value in `lo..=hi`.
fn hex_range(lo: u16, hi: u16) -> String {
    let mut branches = Vec::new();
    for width in 1..=4u32 {
        let top = (1u32 << (4 * width)) - 1;
        let (a, b) = (u32::from(lo), u32::from(hi).min(top));
        if a <= b {
            let digits = |n: u32| format!("{n:0width$x}", width = width as usize);
            digits_range(&digits(a), &digits(b), 16, &mut branches);
        }
    }
    format!("(?:{})", branches.join("|"))
}

/// A regex for the decimal texts (no leading zeros) of the numbers `lo..=hi`.
fn number_range(lo: u8, hi: u8) -> String {
    let mut branches = Vec::new();
    // Numbers of 1, 2 and 3 digits, each width on its own.
    for (first, last) in [(0, 9), (10, 99), (100, 255)] {
        let (a, b) = (u32::from(lo).max(first), u32::from(hi).min(last));
        if a <= b {
            digits_range(&a.to_string(), &b.to_string(), 10, &mut branches);
        }
    }
    format!("(?:{})", branches.join("|"))
}

/// Pushes the alternatives matching the digit strings (in `radix`, same length) from `a` to
/// `b`; hex letters match in either case.
fn digits_range(a: &str, b: &str, radix: u32, out: &mut Vec<String>) {
    let digit = |c: char| c.to_digit(radix).expect("a digit of the radix");
    let class = |x: u32, y: u32| -> String {
        let mut class = String::new();
        for d in x..=y {
            let c = char::from_digit(d, radix).expect("a digit of the radix");
            class.push(c);
            if c.is_ascii_alphabetic() {
                class.push(c.to_ascii_uppercase());
            }
        }
        if class.len() == 1 {
            class
        } else {
            format!("[{class}]")
        }
    };
    let (fa, fb) = (
        digit(a.chars().next().expect("a digit")),
        digit(b.chars().next().expect("a digit")),
    );
    let (ra, rb) = (&a[1..], &b[1..]);
    if ra.is_empty() {
        out.push(class(fa, fb));
        return;
    }
    let top = char::from_digit(radix - 1, radix).expect("a digit of the radix");
    let free = |n: usize| format!("{}{{{n}}}", class(0, radix - 1));
    let (zeros, nines) = ("0".repeat(ra.len()), top.to_string().repeat(ra.len()));
    if fa == fb {
        let mut rest = Vec::new();
        digits_range(ra, rb, radix, &mut rest);
        out.extend(rest.into_iter().map(|r| format!("{}{r}", class(fa, fa))));
        return;
    }
    // The first digit's own tail, the full middle digits, the last digit's own tail.
    let (mut low, mut high) = (fa, fb);
    if ra != zeros {
        let mut rest = Vec::new();
        digits_range(ra, &nines, radix, &mut rest);
        out.extend(rest.into_iter().map(|r| format!("{}{r}", class(fa, fa))));
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
        digits_range(&zeros, rb, radix, &mut rest);
        out.extend(rest.into_iter().map(|r| format!("{}{r}", class(fb, fb))));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every number 0..=255 matches the range's regex exactly when it is inside.
    #[test]
    fn ranges_are_exact() {
        let pairs = (0..=255u8)
            .step_by(7)
            .flat_map(|lo| (lo..=255).step_by(5).map(move |hi| (lo, hi)));
        for (lo, hi) in pairs.chain([(0, 255), (16, 31), (0, 9), (7, 7), (100, 199), (250, 255)]) {
            let text = number_range(lo, hi);
            let re = regex_automata::meta::Regex::new(&format!(r"\A{text}\z")).unwrap();
            for n in 0..=255u32 {
                let inside = (u32::from(lo)..=u32::from(hi)).contains(&n);
                assert_eq!(
                    re.is_match(&n.to_string()),
                    inside,
                    "{lo}..{hi}: {n} ({text})"
                );
                assert!(!re.is_match(&format!("0{n}")), "leading zero {n} ({text})");
            }
        }
    }

    /// Sigil's test: the text parses as an address inside the network.
    fn sigil(net: &IpNet, text: &str) -> bool {
        text.parse::<std::net::IpAddr>()
            .is_ok_and(|ip| net.contains(&ip))
    }

    #[test]
    fn networks() {
        let net = "172.16.0.0/12".parse().unwrap();
        let re = regex_automata::meta::Regex::new(&regex(&net).unwrap()).unwrap();
        assert!(re.is_match("172.31.255.1"));
        assert!(!re.is_match("172.32.0.1"));
        assert!(!re.is_match("172.16.0.01"));
        assert!(regex(&"2001:db8::/32".parse().unwrap()).is_err());
    }

    proptest::proptest! {
        /// Every spelling of random addresses, and random near-addresses, are in the network
        /// for the regex exactly when they are for Sigil.
        #[test]
        fn ipv6_spellings_agree_with_rusts_parser(
            groups in proptest::array::uniform8(proptest::prop_oneof![0..=0u16, 0xfc00..=0xfdffu16, proptest::num::u16::ANY]),
            prefix in proptest::prop_oneof![0..=16u8, 7..=7u8],
            noise in "[0-9a-fA-F:.]{0,12}",
        ) {
            let addr = std::net::Ipv6Addr::from(groups);
            let net: IpNet = format!("{}/{prefix}", std::net::Ipv6Addr::from([groups[0], 0, 0, 0, 0, 0, 0, 0])).parse().unwrap();
            let net = net.trunc();
            let re = regex_automata::meta::Regex::new(&regex(&net).unwrap()).unwrap();
            let [a, b, c, d] = addr.octets()[12..] else { unreachable!() };
            let spellings = [
                addr.to_string(),
                addr.to_string().to_uppercase(),
                groups.iter().map(|g| format!("{g:04x}")).collect::<Vec<_>>().join(":"),
                format!("{}:{a}.{b}.{c}.{d}", groups[..6].iter().map(|g| format!("{g:x}")).collect::<Vec<_>>().join(":")),
                format!("::{}", groups[1..].iter().map(|g| format!("{g:x}")).collect::<Vec<_>>().join(":")),
                format!("{}::", groups[..7].iter().map(|g| format!("{g:x}")).collect::<Vec<_>>().join(":")),
                noise.clone(),
                format!("{:x}:{noise}", groups[0]),
                format!("{:x}::{noise}", groups[0]),
            ];
            for text in spellings {
                proptest::prop_assert_eq!(re.is_match(&text), sigil(&net, &text), "{} in {}", text, net);
            }
        }
    }
}
