//! Where Graph's bearer token comes from: FIDOCTL_GRAPH_TOKEN (for example
//! `az account get-access-token --resource-type ms-graph`), or a sign-in at
//! the Microsoft identity platform with the `oauth2` crate over ureq:
//!
//! - the OAuth 2.0 device authorization grant (RFC 8628) for an admin,
//!   delegated: fidoctl shows a code, the admin enters it in a browser;
//! - the client-credentials grant for an application, with a client secret
//!   read from an environment variable (never an argument).
//!
//! Endpoints: LOGIN/{tenant}/oauth2/v2.0/devicecode and .../token, LOGIN
//! being https://login.microsoftonline.com or FIDOCTL_LOGIN_URL. The scope is
//! Graph's `.default`: the permissions consented for the app. Tokens live in
//! `Zeroizing` strings and are never printed or written.

use std::time::Duration;

use oauth2::basic::BasicClient;
use oauth2::{
    AuthType, ClientId, ClientSecret, DeviceAuthorizationUrl, HttpRequest, HttpResponse,
    RequestTokenError, Scope, StandardDeviceAuthorizationResponse, TokenResponse, TokenUrl,
};
use zeroize::Zeroizing;

use super::graph::{self, Call, GraphError};

pub const DEFAULT_LOGIN_URL: &str = "https://login.microsoftonline.com";
/// Graph with the permissions consented for the app.
pub const GRAPH_SCOPE: &str = "https://graph.microsoft.com/.default";
/// How long fidoctl waits for the admin to finish a device-code sign-in.
const DEVICE_CODE_WAIT: Duration = Duration::from_secs(15 * 60);

/// How to get a token.
#[derive(Debug)]
pub enum SignIn {
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
}

/// What the admin is asked to do in a device-code sign-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceCodePrompt {
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

fn bad_url(e: oauth2::url::ParseError) -> GraphError {
    GraphError::InsecureUrl(e.to_string())
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
    pub fn token(
        self,
        login: &str,
        on_prompt: &mut dyn FnMut(&DeviceCodePrompt),
    ) -> Result<Zeroizing<String>, GraphError> {
        let agent = graph::agent();
        let client = |tenant: &str, client_id: &str| -> Result<_, GraphError> {
            Ok(BasicClient::new(ClientId::new(client_id.to_string()))
                .set_auth_type(AuthType::RequestBody)
                .set_token_uri(TokenUrl::new(endpoint(login, tenant, "token")?).map_err(bad_url)?))
        };
        match self {
            SignIn::Token(t) => Ok(t),
            SignIn::DeviceCode { tenant, client_id } => {
                let client = client(&tenant, &client_id)?.set_device_authorization_url(
                    DeviceAuthorizationUrl::new(endpoint(login, &tenant, "devicecode")?)
                        .map_err(bad_url)?,
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
        }
    }
}
