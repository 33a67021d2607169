//! `fidoctl entra allow`: the connected key's model added to (or models
//! removed from) the tenant's AAGUID list, with `aaguid --merge`'s merge.

use anyhow::Result;
use uuid::Uuid;

use super::{connect, read_policy};
use crate::aaguid::allow_list::{self, Target};
use crate::cli::EntraArgs;
use crate::commands::Context;
use crate::ui::{entra_view, output, prompt};

/// `fidoctl entra allow`: part 1's merge, live, checked after.
pub(super) fn run(
    ctx: &Context,
    args: &EntraArgs,
    profile: Option<&str>,
    remove: &[String],
    yes: bool,
) -> Result<()> {
    let remove = remove
        .iter()
        .map(|s| Uuid::parse_str(s.trim()).map_err(|_| entra_view::not_an_aaguid(s)))
        .collect::<Result<Vec<_>, _>>()?;
    let graph = connect(args)?;
    let (raw, _) = read_policy(&graph)?;
    let add = if remove.is_empty() {
        let device = ctx.open_selected()?;
        let aaguid = device.info()?.aaguid;
        vec![aaguid]
    } else {
        Vec::new()
    };
    let body = allow_list::entra_merge(&raw.to_string(), &add, &remove, profile)
        .map_err(|e| entra_view::merge_file_refused(None, &e))?;
    for line in entra_view::merge_target(&body.target) {
        eprintln!("{}", output::warning(line));
    }
    for line in entra_view::merge_warnings(&body) {
        eprintln!("{}", output::warning(line));
    }
    eprint!("{}", entra_view::before_after(&body));
    if body.changes.added.is_empty() && body.changes.removed.is_empty() {
        eprintln!("{}", entra_view::nothing_to_change());
        return Ok(());
    }
    if !prompt::confirm(&entra_view::allow_question(&body.target), false, yes)? {
        return Err(entra_view::not_changed());
    }
    graph
        .patch_fido2_policy(&body.body)
        .map_err(entra_view::graph_refused)?;
    // Read it back: the list must now be what was sent.
    let (_, after) = read_policy(&graph)?;
    let now = match &body.target {
        Target::Legacy => Some(after.legacy.aaguids.clone()),
        Target::Profile(p) => after
            .profiles
            .as_ref()
            .and_then(|ps| ps.iter().find(|q| q.id == p.id))
            .map(|q| q.aaguids.clone()),
    };
    if now.as_ref() != Some(&body.list_after) {
        return Err(entra_view::not_as_sent(&body.target, now.as_deref()));
    }
    println!("{}", entra_view::allow_done(&body));
    Ok(())
}
