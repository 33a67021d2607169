//! A PIN fidoctl chooses for a key it provisions (`entra register
//! --random-pin`): digits from the OS's randomness, as long as the key's
//! minimum, the minimum asked for and six (what Yubico's provisioning script
//! uses), whichever is most, and never trivial: not one digit repeated, not
//! a run up or down, not a commonly used PIN. It lives in a `Zeroizing`
//! string and goes only to the key and the 0600 results file.

use zeroize::Zeroizing;

/// The shortest PIN chosen, whatever the key allows.
pub(crate) const MIN_DIGITS: usize = 6;

/// PINs too common to choose (the YubicoLabs provisioning script's list).
const COMMON: &[&str] = &[
    "123456", "123123", "654321", "123321", "112233", "121212", "520520", "123654", "159753",
];

/// Whether a PIN of digits is one a person (or a policy) would call trivial.
pub(crate) fn trivial(pin: &str) -> bool {
    let d: Vec<i32> = pin
        .bytes()
        .map(|b| i32::from(b) - i32::from(b'0'))
        .collect();
    let steps: Vec<i32> = d.windows(2).map(|w| (w[1] - w[0]).rem_euclid(10)).collect();
    let same_step = steps.windows(2).all(|w| w[0] == w[1]);
    let repeats_a_pair = d.len() >= 4 && d.chunks(2).all(|c| c == &d[..2]);
    let halves = d.len().is_multiple_of(2) && d[..d.len() / 2] == d[d.len() / 2..];
    // One digit repeated, or a run (…1234, 9876…, counted round the dial).
    (same_step && matches!(steps.first(), None | Some(0 | 1 | 9)))
        || repeats_a_pair
        || halves
        || COMMON.contains(&pin)
}

/// A random non-trivial PIN of `max(min_len, MIN_DIGITS)` digits, at most
/// `max_len` (a key's maxPINLength) when that is shorter... never below the minimum.
pub(crate) fn choose(
    min_len: usize,
    max_len: Option<usize>,
) -> Result<Zeroizing<String>, getrandom::Error> {
    let mut len = min_len.max(MIN_DIGITS);
    if let Some(max) = max_len {
        len = len.min(max).max(min_len);
    }
    loop {
        let mut pin = Zeroizing::new(String::with_capacity(len));
        while pin.len() < len {
            let mut byte = [0u8; 1];
            getrandom::fill(&mut byte)?;
            // 250 = 25 × 10: below it every digit is equally likely.
            if byte[0] < 250 {
                pin.push(char::from(b'0' + byte[0] % 10));
            }
        }
        if !trivial(&pin) {
            return Ok(pin);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trivial_pins_are_recognised() {
        for pin in [
            "111111", "123456", "345678", "987654", "890123", "121212", "123123", "159753", "4444",
        ] {
            assert!(trivial(pin), "{pin}");
        }
        for pin in ["385912", "204871", "7391", "11223344"] {
            assert!(!trivial(pin), "{pin}");
        }
    }

    #[test]
    fn chosen_pins_are_long_enough_digits_and_differ() {
        let a = choose(4, None).unwrap();
        assert_eq!(a.len(), MIN_DIGITS);
        assert!(a.bytes().all(|b| b.is_ascii_digit()));
        assert!(!trivial(&a));
        assert_eq!(choose(8, Some(63)).unwrap().len(), 8);
        let many: std::collections::HashSet<String> = (0..20)
            .map(|_| choose(6, None).unwrap().to_string())
            .collect();
        assert!(many.len() > 15, "OS randomness gives different PINs");
    }
}
