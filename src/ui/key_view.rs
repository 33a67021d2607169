//! `fidoctl key`: what is said about key names and the tokens kept for them.

use std::path::Path;

/// A keystore path others could read, now the user's alone.
pub fn tightened_warning(path: &Path) -> String {
    format!(
        "fidoctl: {} could be read by other users; it is now yours alone. Its tokens may have been copied: to be sure, change the PIN of each named key (fidoctl pin change), which ends their tokens, and name the keys again.",
        path.display()
    )
}
