//! Faults for reliability tests, from `FIDOCTL_SIM_FAULTS` (a comma list):
//! - `busy-once`: the first CBOR request is answered CTAPHID_ERROR CHANNEL_BUSY;
//! - `foreign-channel`: before each CBOR reply, a packet for another channel;
//! - `keepalive-storm`: 30 KEEPALIVE packets before each CBOR reply;
//! - `drop-reply`: CBOR requests are never answered;
//! - `garbled-info`: getInfo answers truncated CBOR.

#[derive(Debug, Default, Clone)]
pub struct Faults {
    busy_once: bool,
    pub foreign_channel: bool,
    pub keepalive_storm: bool,
    pub drop_reply: bool,
    pub garbled_info: bool,
}

impl Faults {
    pub fn from_env() -> Result<Self, String> {
        Self::parse(&std::env::var("FIDOCTL_SIM_FAULTS").unwrap_or_default())
    }

    pub fn parse(list: &str) -> Result<Self, String> {
        let mut f = Faults::default();
        for name in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            match name {
                "busy-once" => f.busy_once = true,
                "foreign-channel" => f.foreign_channel = true,
                "keepalive-storm" => f.keepalive_storm = true,
                "drop-reply" => f.drop_reply = true,
                "garbled-info" => f.garbled_info = true,
                other => return Err(format!("unknown fault '{other}' in FIDOCTL_SIM_FAULTS")),
            }
        }
        Ok(f)
    }

    /// True once, then never again.
    pub fn take_busy_once(&mut self) -> bool {
        std::mem::take(&mut self.busy_once)
    }
}
