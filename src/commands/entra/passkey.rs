//! The passkey itself: made on the key (unless the key already holds one for
//! the user, or was used before in this run), checked, POSTed to Graph, and
//! deleted from the key again when it is not to be kept.

use anyhow::Result;
use uuid::Uuid;

use super::assess;
use super::register::Run;
use crate::device::authenticated::Authorization;
use crate::device::ctap2::client_pin::UV_WAIT;
use crate::device::ctap2::credential_management::{self as cm, RelyingParty};
use crate::device::ctap2::make_credential::{self, Extensions};
use crate::device::session::Session;
use crate::device::{Device, Feature};
use crate::entra::Graph;
use crate::entra::provision::{self, CreationOptions, MadeCredential};
use crate::ui::entra_view::{self, Cleanup};
use crate::ui::{errors, progress};

/// Finds the key's credentials for the RP, makes the new one, checks it,
/// POSTs it; deletes it from the key again if it is not to be kept.
#[allow(clippy::too_many_arguments)]
pub(super) fn make_and_post(
    graph: &Graph,
    upn: &str,
    display_name: Option<&str>,
    options: &CreationOptions,
    extensions: Extensions,
    device: &mut Device,
    session: &mut Session,
    model: Option<&str>,
    aaguid: Uuid,
    attestation_required: bool,
    metadata: Option<&crate::mds::Blob>,
    run: &Run,
) -> Result<(MadeCredential, serde_json::Value)> {
    let manages = device.caps().has(&Feature::CredentialManagement);
    if manages {
        let rp = RelyingParty {
            id: options.rp_id.clone(),
            name: None,
            id_hash: provision::rp_id_hash(&options.rp_id),
        };
        // A key that cannot list them now still enforces the exclude list itself.
        if let Ok(held) = cm::credentials(device, session, &rp) {
            if held.iter().any(|c| options.exclude.contains(&c.id)) {
                return Err(entra_view::already_registered(upn));
            }
            if let Some(used) = run
                .used
                .iter()
                .find(|u| held.iter().any(|c| c.id == u.credential_id))
            {
                return Err(entra_view::SameKey(used.upn.clone()).into());
            }
        }
    }
    let request = options.request(extensions);
    let touch_message = entra_view::touch_to_register(upn);
    let object = {
        let mut touch = progress::touch_prompt(&touch_message);
        make_credential::make_credential(
            device,
            &request,
            Authorization::Session(session),
            UV_WAIT,
            &mut touch,
        )
    };
    let object = match object {
        Ok(o) => o,
        Err(e) if e.credential_excluded() => {
            return Err(entra_view::already_registered(upn));
        }
        Err(e) => return Err(e.into()),
    };
    let made = provision::made(&object).map_err(|e| entra_view::bad_credential(&e))?;
    let refusal = if !made.user_verified {
        Some(entra_view::not_verified())
    } else if attestation_required {
        let verdict = assess(&object, &options.rp_id, aaguid, metadata);
        (!verdict.genuine).then(|| entra_view::not_genuine(upn, &verdict))
    } else {
        None
    };
    if let Some(refusal) = refusal {
        let cleanup = delete_made(device, session, manages, &made.id);
        return Err(entra_view::with_cleanup(refusal, &cleanup));
    }
    let name = display_name
        .map(str::to_string)
        .or_else(|| model.map(str::to_string))
        .unwrap_or_else(|| entra_view::DEFAULT_KEY_NAME.to_string());
    let body = provision::post_body(&name, options, &object, &made);
    match graph.register(upn, &body) {
        Ok(method) => Ok((made, method)),
        Err(e) => {
            let cleanup = delete_made(device, session, manages, &made.id);
            Err(entra_view::with_cleanup(
                entra_view::graph_refused(e),
                &cleanup,
            ))
        }
    }
}

/// Deletes a credential just made, so no orphan passkey stays on the key.
fn delete_made(device: &mut Device, session: &mut Session, manages: bool, id: &[u8]) -> Cleanup {
    if !manages {
        return Cleanup::CannotDelete;
    }
    match cm::delete_by_id(device, session, id) {
        Ok(()) => Cleanup::Deleted,
        Err(e) => Cleanup::Failed(errors::report(&e.into()).message),
    }
}
