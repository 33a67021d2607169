//! The device layer: transports, CTAPHID framing, CTAP2 commands. Never prints or prompts.
pub mod transport;
