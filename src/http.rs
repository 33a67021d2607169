//! HTTP for the commands that go online (`mds update`, `entra`): one rule
//! for which addresses may be used and one way to build the `ureq` agent.

use std::time::Duration;

/// Why an address is refused before anything is sent to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlRefusal {
    /// Not an http(s) URL at all.
    Malformed,
    /// user:password@ in the address (also how `http://localhost:@evil/` hides its host).
    Credentials,
    /// Plain http to another machine.
    NotHttps,
}

/// HTTPS anywhere, or plain HTTP to this machine (a local mirror, a proxy,
/// the tests). The host is compared after parsing, never by prefix:
/// `http://localhost:@attacker.example/` names attacker.example.
pub(crate) fn check_url(url: &str) -> Result<(), UrlRefusal> {
    let uri: ureq::http::Uri = url.parse().map_err(|_| UrlRefusal::Malformed)?;
    let authority = uri.authority().ok_or(UrlRefusal::Malformed)?;
    if authority.as_str().contains('@') {
        return Err(UrlRefusal::Credentials);
    }
    let host = authority.host();
    match uri.scheme_str() {
        Some("https") => Ok(()),
        Some("http") if ["localhost", "127.0.0.1", "[::1]"].contains(&host) => Ok(()),
        Some("http") => Err(UrlRefusal::NotHttps),
        _ => Err(UrlRefusal::Malformed),
    }
}

/// A blocking agent with an overall time limit and fidoctl's User-Agent.
/// `statuses_are_errors: false` hands 4xx/5xx answers back to be read (Graph's
/// error bodies); `true` turns them into errors (a download).
pub(crate) fn agent(timeout: Duration, statuses_are_errors: bool) -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(statuses_are_errors)
        .user_agent(concat!("fidoctl/", env!("CARGO_PKG_VERSION")))
        .build()
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_or_this_machine_by_its_parsed_host() {
        for ok in [
            "https://mds3.fidoalliance.org/",
            "https://graph.microsoft.com",
            "http://127.0.0.1:8080/blob",
            "http://127.0.0.1:8080",
            "http://localhost/blob",
            "http://[::1]:99/x",
        ] {
            assert_eq!(check_url(ok), Ok(()), "{ok}");
        }
        for (bad, why) in [
            (
                "http://localhost:@attacker.example/blob",
                UrlRefusal::Credentials,
            ),
            (
                "http://127.0.0.1:x@attacker.example/",
                UrlRefusal::Credentials,
            ),
            (
                "https://user:pw@mds3.fidoalliance.org/",
                UrlRefusal::Credentials,
            ),
            (
                "http://localhost.attacker.example/blob",
                UrlRefusal::NotHttps,
            ),
            ("http://127.0.0.1.nip.io/blob", UrlRefusal::NotHttps),
            ("http://graph.example", UrlRefusal::NotHttps),
            ("ftp://localhost/blob", UrlRefusal::Malformed),
            ("localhost/blob", UrlRefusal::Malformed),
        ] {
            assert_eq!(check_url(bad), Err(why), "{bad}");
        }
    }
}
