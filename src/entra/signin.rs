//! Where Graph's bearer token comes from: FIDOCTL_GRAPH_TOKEN (for example
//! `az account get-access-token --resource-type ms-graph`), or a sign-in at
//! the Microsoft identity platform with the `oauth2` crate over ureq:
//!
//! - the OAuth 2.0 device authorization grant (RFC 8628) for an admin,
//!   delegated: fidoctl shows a code, the admin enters it in a browser;
//! - the client-credentials grant for an application, with a client secret
//!   read from an environment variable (never an argument), or with a
//!   certificate: a client assertion (RFC 7523), a JWT signed RS256 with the
//!   certificate's private key and naming it by its SHA-256 thumbprint
//!   (`x5t#S256`), as the Microsoft identity platform takes it.
//!
//! Endpoints: LOGIN/{tenant}/oauth2/v2.0/devicecode and .../token, LOGIN
//! being https://login.microsoftonline.com or FIDOCTL_LOGIN_URL. The scope is
//! Graph's `.default`: the permissions consented for the app. Tokens live in
//! `Zeroizing` strings and are never printed or written.

use std::time::Duration;

use base64::Engine;
use oauth2::basic::BasicClient;
use oauth2::{
    AuthType, ClientId, ClientSecret, DeviceAuthorizationUrl, HttpRequest, HttpResponse,
    RequestTokenError, Scope, StandardDeviceAuthorizationResponse, TokenResponse, TokenUrl,
};
use zeroize::Zeroizing;

use super::graph::{self, Call, GraphError};
use crate::http::UrlRefusal;

pub(crate) const DEFAULT_LOGIN_URL: &str = "https://login.microsoftonline.com";
/// Graph with the permissions consented for the app.
pub(crate) const GRAPH_SCOPE: &str = "https://graph.microsoft.com/.default";
/// How long fidoctl waits for the admin to finish a device-code sign-in.
const DEVICE_CODE_WAIT: Duration = Duration::from_secs(15 * 60);

/// How to get a token.
#[derive(Debug)]
pub(crate) enum SignIn {
    /// A token in hand (FIDOCTL_GRAPH_TOKEN).
    Token(Zeroizing<String>),
    /// Device code: an admin signs in in a browser (delegated permissions).
    DeviceCode { tenant: String, client_id: String },
    /// Client credentials with a secret (application permissions).
    ClientSecret {
        tenant: String,
        client_id: String,
        secret: Zeroizing<String>,
    },
    /// Client credentials with a certificate: the PEM file holds the
    /// certificate and its PKCS#8 private key.
    Certificate {
        tenant: String,
        client_id: String,
        pem: Zeroizing<String>,
    },
}

/// A certificate file that cannot sign a client assertion, as data
/// (`ui::entra_view` words it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertificateError {
    /// No PEM block with this label.
    Missing(&'static str),
    /// The private key cannot be read: the parser's reason.
    Key(String),
    /// The assertion could not be signed: the signer's reason.
    Sign(String),
}

/// The DER of the first PEM block labelled `label`.
fn pem_block(pem: &str, label: &'static str) -> Result<Zeroizing<Vec<u8>>, CertificateError> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = pem.find(&begin).ok_or(CertificateError::Missing(label))? + begin.len();
    let stop = pem[start..]
        .find(&end)
        .ok_or(CertificateError::Missing(label))?
        + start;
    let b64: Zeroizing<String> = Zeroizing::new(
        pem[start..stop]
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect(),
    );
    base64::engine::general_purpose::STANDARD
        .decode(b64.as_bytes())
        .map(Zeroizing::new)
        .map_err(|_| CertificateError::Missing(label))
}

/// The OS's randomness for RSA blinding.
struct OsRandom;

impl rsa::rand_core::TryRng for OsRandom {
    type Error = std::io::Error;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        let mut b = [0u8; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        let mut b = [0u8; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        getrandom::fill(dst).map_err(|e| std::io::Error::other(e.to_string()))
    }
}

impl rsa::rand_core::TryCryptoRng for OsRandom {}

/// A client assertion (RFC 7523 §2.2) for `client_id` at `token_url`,
/// valid five minutes, signed with the certificate's key.
pub(crate) fn client_assertion(
    pem: &str,
    client_id: &str,
    token_url: &str,
    now: u64,
) -> Result<Zeroizing<String>, CertificateError> {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
    use rsa::pkcs8::DecodePrivateKey;
    use rsa::signature::{RandomizedSigner, SignatureEncoding};
    use sha2::{Digest, Sha256};

    let cert = pem_block(pem, "CERTIFICATE")?;
    let key_der = pem_block(pem, "PRIVATE KEY")?;
    let key = rsa::PrivateKey::from_pkcs8_der(&key_der)
        .map_err(|e| CertificateError::Key(e.to_string()))?;
    let mut jti = [0u8; 16];
    getrandom::fill(&mut jti).map_err(|e| CertificateError::Sign(e.to_string()))?;
    let header = serde_json::json!({
        "alg": "RS256",
        "typ": "JWT",
        "x5t#S256": B64.encode(Sha256::digest(&cert[..])),
    });
    let claims = serde_json::json!({
        "aud": token_url,
        "iss": client_id,
        "sub": client_id,
        "jti": crate::cbor::hex(&jti),
        "iat": now,
        "nbf": now,
        "exp": now + 300,
    });
    let signed = format!(
        "{}.{}",
        B64.encode(header.to_string()),
        B64.encode(claims.to_string())
    );
    let signature = rsa::pkcs1v15::SigningKey::<Sha256>::new(key)
        .try_sign_with_rng(&mut OsRandom, signed.as_bytes())
        .map_err(|e| CertificateError::Sign(e.to_string()))?;
    Ok(Zeroizing::new(format!(
        "{signed}.{}",
        B64.encode(signature.to_bytes())
    )))
}

/// What the admin is asked to do in a device-code sign-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DeviceCodePrompt {
    pub verification_uri: String,
    pub user_code: String,
}

/// ureq as oauth2's HTTP client.
fn http(agent: &ureq::Agent) -> impl Fn(HttpRequest) -> Result<HttpResponse, ureq::Error> + '_ {
    move |request: HttpRequest| {
        let response = agent.run(request)?;
        let (parts, mut body) = response.into_parts();
        let bytes = body.with_config().limit(1024 * 1024).read_to_vec()?;
        Ok(HttpResponse::from_parts(parts, bytes))
    }
}

fn endpoint(login: &str, tenant: &str, what: &str) -> Result<String, GraphError> {
    graph::check_url(login)?;
    Ok(format!(
        "{}/{}/oauth2/v2.0/{what}",
        login.trim_end_matches('/'),
        graph::segment(tenant)
    ))
}

/// An endpoint oauth2 cannot parse, said of the login URL it was built on (which
/// passed [`graph::check_url`]: the tenant makes it no URL).
fn bad_url(url: &str) -> impl Fn(oauth2::url::ParseError) -> GraphError + '_ {
    move |_| GraphError::Url {
        url: url.to_string(),
        why: UrlRefusal::Malformed,
    }
}

/// An oauth2 failure as a typed refusal of the sign-in.
fn refused<E: std::error::Error + 'static, T: oauth2::ErrorResponseType + std::fmt::Display>(
    e: RequestTokenError<E, oauth2::StandardErrorResponse<T>>,
) -> GraphError {
    match e {
        RequestTokenError::ServerResponse(r) => GraphError::Status {
            call: Call::SignIn,
            status: 400,
            code: Some(r.error().to_string()),
            message: r.error_description().cloned(),
            retry_after: None,
            user: None,
        },
        RequestTokenError::Request(e) => GraphError::Network {
            call: Call::SignIn,
            detail: e.to_string(),
        },
        RequestTokenError::Parse(e, body) => {
            match serde_json::from_slice::<serde_json::Value>(&body) {
                Ok(_) => graph::oauth_refusal(400, &body),
                Err(_) => GraphError::Malformed {
                    call: Call::SignIn,
                    detail: e.to_string(),
                },
            }
        }
        RequestTokenError::Other(detail) => GraphError::Malformed {
            call: Call::SignIn,
            detail,
        },
    }
}

impl SignIn {
    /// The bearer token: as given, or from a sign-in at `login`.
    /// `on_prompt` shows the device code to the admin.
    pub(crate) fn token(
        self,
        login: &str,
        on_prompt: &mut dyn FnMut(&DeviceCodePrompt),
    ) -> Result<Zeroizing<String>, GraphError> {
        let agent = graph::agent();
        let client = |tenant: &str, client_id: &str| -> Result<_, GraphError> {
            Ok(BasicClient::new(ClientId::new(client_id.to_string()))
                .set_auth_type(AuthType::RequestBody)
                .set_token_uri(
                    TokenUrl::new(endpoint(login, tenant, "token")?).map_err(bad_url(login))?,
                ))
        };
        match self {
            SignIn::Token(t) => Ok(t),
            SignIn::DeviceCode { tenant, client_id } => {
                let client = client(&tenant, &client_id)?.set_device_authorization_url(
                    DeviceAuthorizationUrl::new(endpoint(login, &tenant, "devicecode")?)
                        .map_err(bad_url(login))?,
                );
                let details: StandardDeviceAuthorizationResponse = client
                    .exchange_device_code()
                    .add_scope(Scope::new(GRAPH_SCOPE.into()))
                    .request(&http(&agent))
                    .map_err(refused)?;
                on_prompt(&DeviceCodePrompt {
                    verification_uri: details.verification_uri().to_string(),
                    user_code: details.user_code().secret().to_string(),
                });
                let token = client
                    .exchange_device_access_token(&details)
                    .request(&http(&agent), std::thread::sleep, Some(DEVICE_CODE_WAIT))
                    .map_err(refused)?;
                Ok(Zeroizing::new(token.access_token().secret().to_string()))
            }
            SignIn::ClientSecret {
                tenant,
                client_id,
                secret,
            } => {
                let client = client(&tenant, &client_id)?
                    .set_client_secret(ClientSecret::new(secret.to_string()));
                let token = client
                    .exchange_client_credentials()
                    .add_scope(Scope::new(GRAPH_SCOPE.into()))
                    .request(&http(&agent))
                    .map_err(refused)?;
                Ok(Zeroizing::new(token.access_token().secret().to_string()))
            }
            SignIn::Certificate {
                tenant,
                client_id,
                pem,
            } => {
                let token_url = endpoint(login, &tenant, "token")?;
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs());
                let assertion = client_assertion(&pem, &client_id, &token_url, now)
                    .map_err(GraphError::Certificate)?;
                let token = client(&tenant, &client_id)?
                    .exchange_client_credentials()
                    .add_scope(Scope::new(GRAPH_SCOPE.into()))
                    .add_extra_param(
                        "client_assertion_type",
                        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                    )
                    .add_extra_param("client_assertion", assertion.to_string())
                    .request(&http(&agent))
                    .map_err(refused)?;
                Ok(Zeroizing::new(token.access_token().secret().to_string()))
            }
        }
    }
}
