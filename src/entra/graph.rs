//! A Microsoft Graph client for the calls fidoctl makes, over `ureq`
//! (blocking, rustls). The token is held in a `Zeroizing` string and only
//! ever leaves in the Authorization header; it is never printed, logged or
//! written. Refusals come back as a typed [`GraphError`] with the call, the
//! HTTP status, Graph's own error code and message, and Retry-After; the
//! sentences for people are in `ui::entra_view`.
//!
//! Calls (Graph v1.0, shared/entra/README.md):
//! - GET | PATCH /policies/authenticationMethodsPolicy/authenticationMethodConfigurations/fido2
//! - GET /users/{id}/authentication/fido2Methods/creationOptions
//! - POST | GET /users/{id}/authentication/fido2Methods
//! - GET /users/{id}/transitiveMemberOf (the groups that pick a passkey profile)

use std::time::Duration;

use serde_json::Value;
use zeroize::Zeroizing;

use super::signin::CertificateError;
use crate::http::{self, UrlRefusal};

/// Graph's public endpoint; `--graph-url` / FIDOCTL_GRAPH_URL replace it.
pub(crate) const DEFAULT_GRAPH_URL: &str = "https://graph.microsoft.com";
/// The API version in every path.
pub(crate) const API_VERSION: &str = "v1.0";
const POLICY: &str =
    "/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/fido2";
const TIMEOUT: Duration = Duration::from_secs(60);
/// The largest answer read (a policy, a user's methods, creation options).
const ANSWER_LIMIT: u64 = 4 * 1024 * 1024;

/// Which call failed: the sentences (and the permission a 403 lacks) depend on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Call {
    ReadPolicy,
    WritePolicy,
    CreationOptions,
    Register,
    ListMethods,
    UserGroups,
    /// The token endpoint of a sign-in.
    SignIn,
}

/// A refused or failed call, as data: `ui::entra_view` words it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GraphError {
    /// Graph answered with an error status.
    Status {
        call: Call,
        status: u16,
        /// Graph's `error.code` (or OAuth's `error`).
        code: Option<String>,
        /// Graph's `error.message` (or OAuth's `error_description`).
        message: Option<String>,
        /// Retry-After, in seconds, on 429 and 503.
        retry_after: Option<u64>,
        /// Who the call was about (a user's UPN), when anyone.
        user: Option<String>,
    },
    /// No answer: DNS, TCP, TLS, a time-out.
    Network { call: Call, detail: String },
    /// An answer fidoctl cannot read.
    Malformed { call: Call, detail: String },
    /// `--graph-url` / FIDOCTL_GRAPH_URL or FIDOCTL_LOGIN_URL refused before any
    /// token is sent: see [`crate::http::check_url`].
    Url { url: String, why: UrlRefusal },
    /// `--certificate FILE` cannot sign a client assertion.
    Certificate(CertificateError),
}

impl GraphError {
    pub(crate) fn status(&self) -> Option<u16> {
        match self {
            GraphError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// Whether `url` may carry a token: https://, or plain http to this machine (tests, proxies).
pub(crate) fn check_url(url: &str) -> Result<(), GraphError> {
    http::check_url(url).map_err(|why| GraphError::Url {
        url: url.to_string(),
        why,
    })
}

/// One path segment, percent-encoded (a UPN keeps its @, loses nothing else).
pub(crate) fn segment(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'@' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Graph's error bodies are read, so 4xx/5xx answers are not agent errors.
pub(super) fn agent() -> ureq::Agent {
    http::agent(TIMEOUT, false)
}

/// A connection to Graph with a bearer token.
pub struct Graph {
    base: String,
    token: Zeroizing<String>,
    agent: ureq::Agent,
}

impl std::fmt::Debug for Graph {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Graph")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

/// What Graph said, read.
struct Answer {
    status: u16,
    retry_after: Option<u64>,
    body: Vec<u8>,
}

impl Graph {
    /// Graph at `url` (without the version: it is added), with `token`.
    pub(crate) fn new(url: &str, token: Zeroizing<String>) -> Result<Self, GraphError> {
        check_url(url)?;
        Ok(Self {
            base: format!("{}/{API_VERSION}", url.trim_end_matches('/')),
            token,
            agent: agent(),
        })
    }

    fn send(
        &self,
        call: Call,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Answer, GraphError> {
        let url = format!("{}{path}", self.base);
        let bearer = Zeroizing::new(format!("Bearer {}", self.token.as_str()));
        let network = |e: ureq::Error| GraphError::Network {
            call,
            detail: e.to_string(),
        };
        let mut response = match (method, body) {
            ("GET", _) => self
                .agent
                .get(&url)
                .header("Authorization", bearer.as_str())
                .header("Accept", "application/json")
                .call(),
            (m, Some(b)) => {
                let request = match m {
                    "PATCH" => self.agent.patch(&url),
                    _ => self.agent.post(&url),
                };
                request
                    .header("Authorization", bearer.as_str())
                    .header("Accept", "application/json")
                    .header("Content-Type", "application/json")
                    .send(serde_json::to_vec(b).expect("a JSON value serializes"))
            }
            (m, None) => unreachable!("{m} without a body"),
        }
        .map_err(network)?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("Retry-After")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse().ok());
        let body = response
            .body_mut()
            .with_config()
            .limit(ANSWER_LIMIT)
            .read_to_vec()
            .map_err(network)?;
        Ok(Answer {
            status,
            retry_after,
            body,
        })
    }

    /// A call whose success is 2xx with (or without) a JSON body.
    fn json(
        &self,
        call: Call,
        method: &str,
        path: &str,
        body: Option<&Value>,
        user: Option<&str>,
    ) -> Result<Value, GraphError> {
        let answer = self.send(call, method, path, body)?;
        if !(200..300).contains(&answer.status) {
            return Err(refusal(call, &answer, user));
        }
        if answer.body.is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_slice(&answer.body).map_err(|e| GraphError::Malformed {
            call,
            detail: e.to_string(),
        })
    }

    /// The FIDO2 method policy, as Graph gives it.
    pub(crate) fn fido2_policy(&self) -> Result<Value, GraphError> {
        self.json(Call::ReadPolicy, "GET", POLICY, None, None)
    }

    /// PATCHes the FIDO2 method policy (204 No Content).
    pub(crate) fn patch_fido2_policy(&self, body: &Value) -> Result<(), GraphError> {
        self.json(Call::WritePolicy, "PATCH", POLICY, Some(body), None)
            .map(|_| ())
    }

    /// webauthnCredentialCreationOptions for registering a key for `user`.
    pub(crate) fn creation_options(&self, user: &str) -> Result<Value, GraphError> {
        let path = format!(
            "/users/{}/authentication/fido2Methods/creationOptions",
            segment(user)
        );
        self.json(Call::CreationOptions, "GET", &path, None, Some(user))
    }

    /// POSTs a new credential for `user`: the fido2AuthenticationMethod made.
    pub(crate) fn register(&self, user: &str, body: &Value) -> Result<Value, GraphError> {
        let path = format!("/users/{}/authentication/fido2Methods", segment(user));
        self.json(Call::Register, "POST", &path, Some(body), Some(user))
    }

    /// The user's registered FIDO2 methods.
    pub(crate) fn fido2_methods(&self, user: &str) -> Result<Vec<Value>, GraphError> {
        let path = format!("/users/{}/authentication/fido2Methods", segment(user));
        let answer = self.json(Call::ListMethods, "GET", &path, None, Some(user))?;
        values(Call::ListMethods, answer)
    }

    /// The ids of the groups `user` is in, directly or not.
    pub(crate) fn group_ids(&self, user: &str) -> Result<Vec<String>, GraphError> {
        let path = format!("/users/{}/transitiveMemberOf?$select=id", segment(user));
        let answer = self.json(Call::UserGroups, "GET", &path, None, Some(user))?;
        Ok(values(Call::UserGroups, answer)?
            .iter()
            .filter_map(|g| g.get("id").and_then(Value::as_str).map(str::to_string))
            .collect())
    }
}

/// The `value` collection of a list answer.
fn values(call: Call, answer: Value) -> Result<Vec<Value>, GraphError> {
    match answer {
        Value::Object(mut m) => match m.remove("value") {
            Some(Value::Array(items)) => Ok(items),
            _ => Err(GraphError::Malformed {
                call,
                detail: "no value list".into(),
            }),
        },
        _ => Err(GraphError::Malformed {
            call,
            detail: "not an object".into(),
        }),
    }
}

/// A non-2xx answer as a typed error, with Graph's code and message if it sent them.
fn refusal(call: Call, answer: &Answer, user: Option<&str>) -> GraphError {
    let parsed: Option<Value> = serde_json::from_slice(&answer.body).ok();
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
    let (code, message) = match &parsed {
        // Graph: {"error": {"code", "message"}}; OAuth: {"error", "error_description"}.
        Some(v) if v.get("error").is_some_and(Value::is_object) => (
            text(v.pointer("/error/code")),
            text(v.pointer("/error/message")),
        ),
        Some(v) => (text(v.get("error")), text(v.get("error_description"))),
        None => (None, None),
    };
    GraphError::Status {
        call,
        status: answer.status,
        code,
        message,
        retry_after: answer.retry_after,
        user: user.map(str::to_string),
    }
}

/// An error answer from the token endpoint (OAuth's `error`, `error_description`).
pub(super) fn oauth_refusal(status: u16, body: &[u8]) -> GraphError {
    refusal(
        Call::SignIn,
        &Answer {
            status,
            retry_after: None,
            body: body.to_vec(),
        },
        None,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upns_keep_their_at_and_lose_path_characters() {
        assert_eq!(segment("adele@contoso.com"), "adele@contoso.com");
        assert_eq!(segment("a/b?c#d e"), "a%2Fb%3Fc%23d%20e");
        assert_eq!(segment("o'neil@x"), "o%27neil@x");
    }

    #[test]
    fn tokens_go_only_over_https_or_to_this_machine() {
        assert!(check_url("https://graph.microsoft.com").is_ok());
        assert!(check_url("http://127.0.0.1:8080").is_ok());
        assert!(check_url("http://graph.example").is_err());
        // A token must not reach another host hidden behind a local-looking start.
        assert_eq!(
            check_url("http://localhost:@attacker.example/"),
            Err(GraphError::Url {
                url: "http://localhost:@attacker.example/".into(),
                why: UrlRefusal::Credentials
            })
        );
    }

    #[test]
    fn graph_and_oauth_errors_are_read() {
        let graph = br#"{"error": {"code": "Authorization_RequestDenied", "message": "Insufficient privileges"}}"#;
        let e = refusal(
            Call::Register,
            &Answer {
                status: 403,
                retry_after: None,
                body: graph.to_vec(),
            },
            Some("a@b"),
        );
        let GraphError::Status { code, message, .. } = &e else {
            panic!()
        };
        assert_eq!(code.as_deref(), Some("Authorization_RequestDenied"));
        assert_eq!(message.as_deref(), Some("Insufficient privileges"));
        let oauth = oauth_refusal(
            401,
            br#"{"error": "invalid_client", "error_description": "bad"}"#,
        );
        let GraphError::Status { code, call, .. } = &oauth else {
            panic!()
        };
        assert_eq!(
            (code.as_deref(), *call),
            (Some("invalid_client"), Call::SignIn)
        );
    }

    #[test]
    fn the_token_never_shows_in_debug() {
        let g = Graph::new(
            "https://graph.microsoft.com",
            Zeroizing::new("secret".into()),
        )
        .unwrap();
        assert!(!format!("{g:?}").contains("secret"));
    }
}
