//! Microsoft Entra ID through Microsoft Graph: the tenant's FIDO2 (passkey)
//! method policy with its passkey profiles, and keys provisioned for users
//! by an admin ("on behalf of"). A library: it never prints or prompts; the
//! flows are `commands::entra`, the sentences `ui::entra_view`.
//!
//! - [`graph`]: the Graph client (ureq) and its typed refusals.
//! - [`signin`]: where the bearer token comes from: FIDOCTL_GRAPH_TOKEN, or an
//!   OAuth 2.0 device-code (an admin, delegated) or client-credentials
//!   (an application) sign-in with the `oauth2` crate.
//! - [`policy`]: the policy as a model, and what it says of a model for a user.
//! - [`provision`]: Graph's creation options read into a makeCredential
//!   request, and the credential made into Graph's POST body.
//! - [`random_pin`]: a PIN fidoctl chooses for a new key.
//! - [`results`]: the results file (created 0600: it holds PINs) and the users file.

pub(crate) mod graph;
pub(crate) mod policy;
pub(crate) mod provision;
pub(crate) mod random_pin;
pub(crate) mod results;
pub(crate) mod signin;

pub use graph::{Call, Graph, GraphError};
pub use policy::{Decision, Fido2Policy, ListVerdict, Refusal};
