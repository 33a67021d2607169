//! `--device` strings, parsed once by clap into a [`DeviceSpec`].

use crate::device::DeviceSpec;
use crate::sim::Profile;

/// A path from `list`, `sim:PROFILE`, `udp:HOST:PORT`, `replay:FILE` or
/// `pcsc:READER` (a unique prefix of a reader's name); the
/// error says what is expected (clap shows it and exits with status 2).
pub fn parse(s: &str) -> Result<DeviceSpec, String> {
    if let Some(name) = s.strip_prefix("sim:") {
        return Profile::from_name(name)
            .map(|p| DeviceSpec::Sim(p.name().to_string()))
            .ok_or_else(|| {
                format!(
                    "unknown simulator profile '{name}' (profiles: {})",
                    Profile::names()
                )
            });
    }
    if let Some(file) = s.strip_prefix("replay:") {
        if file.is_empty() {
            return Err(
                "'replay:' needs a transcript file, e.g. replay:biopass.txt (fidoctl capture writes them)".into(),
            );
        }
        return Ok(DeviceSpec::Replay(file.into()));
    }
    if let Some(reader) = s.strip_prefix("pcsc:") {
        if reader.is_empty() {
            return Err(
                "'pcsc:' needs a reader's name (or its start), e.g. pcsc:ACS; fidoctl list shows the readers with a key".into(),
            );
        }
        return Ok(DeviceSpec::Pcsc(reader.to_string()));
    }
    if let Some(target) = s.strip_prefix("udp:") {
        let port_ok = target
            .rsplit_once(':')
            .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
        if !port_ok {
            return Err(format!(
                "'{s}' should be udp:HOST:PORT, e.g. udp:127.0.0.1:8111"
            ));
        }
        return Ok(DeviceSpec::Udp(target.to_string()));
    }
    if s.is_empty() {
        return Err("empty device name".into());
    }
    Ok(DeviceSpec::Hid(s.to_string()))
}

/// The simulator profile a `sim:` spec names (checked when it was parsed).
pub(crate) fn profile_of(spec: &DeviceSpec) -> Option<Profile> {
    match spec {
        DeviceSpec::Sim(name) => Profile::from_name(name),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_kind_of_device_name() {
        assert_eq!(
            parse("sim:biopass").unwrap(),
            DeviceSpec::Sim("biopass".into())
        );
        assert_eq!(
            parse("udp:127.0.0.1:8111").unwrap(),
            DeviceSpec::Udp("127.0.0.1:8111".into())
        );
        assert_eq!(
            parse("udp:[::1]:8111").unwrap(),
            DeviceSpec::Udp("[::1]:8111".into())
        );
        assert_eq!(
            parse("replay:k26.txt").unwrap(),
            DeviceSpec::Replay("k26.txt".into())
        );
        assert_eq!(
            parse("/dev/hidraw3").unwrap(),
            DeviceSpec::Hid("/dev/hidraw3".into())
        );
        assert_eq!(parse("sim:biopass").unwrap().label(), "sim:biopass");
        assert_eq!(
            parse("pcsc:ACS ACR122U").unwrap(),
            DeviceSpec::Pcsc("ACS ACR122U".into())
        );
        assert_eq!(parse("pcsc:Virtual").unwrap().label(), "pcsc:Virtual");
    }

    #[test]
    fn bad_names_say_what_is_expected() {
        let e = parse("sim:nokey").unwrap_err();
        assert!(e.contains("biopass") && e.contains("yubikey-bio"), "{e}");
        let e = parse("udp:localhost").unwrap_err();
        assert!(e.contains("udp:HOST:PORT"), "{e}");
        assert!(parse("udp::99").is_err());
        assert!(parse("").is_err());
        let e = parse("replay:").unwrap_err();
        assert!(e.contains("fidoctl capture"), "{e}");
        let e = parse("pcsc:").unwrap_err();
        assert!(e.contains("fidoctl list"), "{e}");
    }
}
