//! `fidoctl entra keys`: a user's FIDO2 methods, and what the policy says of each.

use anyhow::Result;

use super::{connect, read_policy};
use crate::cli::EntraArgs;
use crate::commands::Context;
use crate::ui::{entra_view, output};

/// `fidoctl entra keys --user UPN`.
pub(super) fn run(ctx: &Context, args: &EntraArgs, user: &str) -> Result<()> {
    let graph = connect(args)?;
    let methods = graph
        .fido2_methods(user)
        .map_err(entra_view::graph_refused)?;
    let (_, model) = read_policy(&graph)?;
    let groups = match &model.profiles {
        Some(_) => graph.group_ids(user).map_err(entra_view::graph_refused)?,
        None => Vec::new(),
    };
    let rows = entra_view::method_rows(&methods, &model, &groups);
    if ctx.json {
        return output::print_json(&rows);
    }
    print!("{}", entra_view::methods_text(user, &rows));
    Ok(())
}
