//! PLACEHOLDER until the registry branch merges: same API, no data.
use std::path::Path;
use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct MdsError(String);

pub struct Registry;
impl Registry {
    pub fn builtin() -> Self {
        Registry
    }
    pub fn with_mds_file(_path: &Path) -> Result<Self, MdsError> {
        Err(MdsError("not yet".into()))
    }
    pub fn name(&self, _aaguid: &Uuid) -> Option<String> {
        None
    }
}

#[derive(Debug, Clone, Copy)]
pub enum Format {
    Text,
    Json,
    Csv,
    Entra,
}

pub struct KeyEntry {
    pub aaguid: Uuid,
    pub name: Option<String>,
    pub device: Option<String>,
}

pub fn render(_format: Format, entries: &[KeyEntry]) -> String {
    entries.iter().map(|e| format!("{}\n", e.aaguid)).collect()
}
