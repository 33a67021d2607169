//! `fidoctl entra register --users FILE`: one key per user, resuming after
//! those already in `--out`.

use std::path::Path;

use anyhow::Result;

use super::connect;
use super::register::{Run, open_results, register_one, report};
use crate::cli::{EntraArgs, RegisterArgs};
use crate::commands::Context;
use crate::entra::results::{self, User};
use crate::ui::{entra_view, prompt};

/// `--users FILE`: one key per user, resuming after those already in `--out`.
pub(super) fn run(ctx: &Context, args: &EntraArgs, r: &RegisterArgs, file: &Path) -> Result<()> {
    let out = r.out.as_deref().expect("clap requires --out with --users");
    let text =
        std::fs::read_to_string(file).map_err(|e| entra_view::users_refused(file, &e.into()))?;
    let users = results::users(&text).map_err(|e| entra_view::users_refused(file, &e))?;
    let done = results::done(out).map_err(|e| entra_view::results_refused(out, &e))?;
    let mut results = open_results(out)?;
    let graph = connect(args)?;
    let todo: Vec<&User> = users
        .iter()
        .filter(|u| !done.contains(&u.upn.to_lowercase()))
        .collect();
    eprintln!(
        "{}",
        entra_view::batch_start(users.len(), users.len() - todo.len(), out)
    );
    let mut run = Run::default();
    for (i, user) in todo.iter().enumerate() {
        // Between keys, a person swaps them; a script offers whatever key is there.
        if i > 0
            && prompt::interactive()
            && !prompt::confirm(&entra_view::next_key(&user.upn), true, false)?
        {
            return Err(entra_view::batch_stopped(out));
        }
        let display = r.display_name.as_deref().or(user.display_name.as_deref());
        let registered = loop {
            match register_one(
                ctx,
                &graph,
                r,
                &user.upn,
                display,
                Some(&mut results),
                &mut run,
            ) {
                Err(e)
                    if prompt::interactive()
                        && e.downcast_ref::<entra_view::SameKey>().is_some() =>
                {
                    eprintln!("{e}");
                    if !prompt::confirm(&entra_view::next_key(&user.upn), true, false)? {
                        return Err(entra_view::batch_stopped(out));
                    }
                }
                Err(e) => return Err(entra_view::batch_failed(&user.upn, out, e)),
                Ok(done) => break done,
            }
        };
        report(ctx, &user.upn, &registered, Some(out))?;
    }
    eprintln!("{}", entra_view::batch_done(todo.len(), out));
    Ok(())
}
