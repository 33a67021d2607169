//! The one place a pinUvAuthParam is made for a command. Every command that
//! needs a pinUvAuthToken — bio enrollment, credential management, config,
//! large-blob writes, makeCredential — describes its request as an
//! [`Authenticated`] (what the param is computed over, and where the param
//! and the protocol go in its map), and [`Device::authenticated`] signs it
//! with the session's token and sends it, taking a fresh token once if the
//! key refuses the old one. The way python-fido2's `_call` works.

use std::time::Duration;

use super::session::Session;
use super::{Device, Error, Event};
use crate::cbor::{self, Value};
use crate::ctap::command;
use crate::ctap::config::AUTH_PREFIX;
use crate::ctap::pin_protocol::PinUvAuthToken;

/// pinUvAuthProtocol and pinUvAuthParam, for a request's map.
pub struct AuthParam {
    pub protocol: u64,
    pub param: Vec<u8>,
}

/// A request that may carry a pinUvAuthParam.
pub trait Authenticated {
    /// The CTAP2 command byte.
    fn command(&self) -> u8;
    /// What the pinUvAuthParam is computed over.
    fn auth_message(&self) -> Vec<u8>;
    /// The request's CBOR map, with `auth` in its place when given.
    fn request(&self, auth: Option<&AuthParam>) -> Value;
}

/// How a request is authorised.
pub enum Authorization<'a> {
    /// No pinUvAuthParam (keys without a PIN take some writes that way).
    Unauthenticated,
    /// The session's token, renewed once if the key refuses it.
    Session(&'a mut Session),
    /// This token as it is (the captures of one enrollment).
    Token(&'a PinUvAuthToken),
}

impl Device {
    /// Sends `request`, authorised as `authorization` says.
    pub(crate) fn authenticated(
        &mut self,
        request: &dyn Authenticated,
        authorization: Authorization<'_>,
        timeout: Duration,
        on_event: &mut dyn FnMut(Event),
    ) -> Result<Option<Value>, Error> {
        let cmd = request.command();
        let mut send = |device: &mut Device, token: Option<&PinUvAuthToken>| {
            let auth = token.map(|t| AuthParam {
                protocol: t.protocol().version(),
                param: t.authenticate(&request.auth_message()),
            });
            device.cbor(
                cmd,
                Some(&request.request(auth.as_ref())),
                timeout,
                on_event,
            )
        };
        match authorization {
            Authorization::Unauthenticated => send(self, None),
            Authorization::Token(token) => send(self, Some(token)),
            Authorization::Session(session) => session.run(self, |d, t| send(d, Some(t))),
        }
    }
}

/// Where a sub-command request keeps its members (CTAP 2.1 §6.7.1, §6.8, §6.11).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Layout {
    /// {1: modality, 2: subCommand, 3: params, 4: protocol, 5: param};
    /// the param is over modality ‖ subCommand ‖ params (§6.7.2).
    Bio,
    /// {1: subCommand, 2: params, 3: protocol, 4: param}; over subCommand ‖ params (§6.8).
    Credentials,
    /// As credentials, over 32×0xff ‖ 0x0d ‖ subCommand ‖ params (§6.11.1).
    Config,
}

/// A bio enrollment, credential management or config sub-command.
pub(crate) struct SubCommand {
    pub command: u8,
    pub layout: Layout,
    pub sub: u8,
    pub params: Option<Value>,
}

impl SubCommand {
    /// The modality byte and the key of subCommand in the map.
    fn first_key(&self) -> i64 {
        match self.layout {
            Layout::Bio => 2,
            Layout::Credentials | Layout::Config => 1,
        }
    }
}

impl Authenticated for SubCommand {
    fn command(&self) -> u8 {
        self.command
    }

    fn auth_message(&self) -> Vec<u8> {
        let mut message = match self.layout {
            Layout::Bio => vec![crate::ctap::bio::FINGERPRINT],
            Layout::Credentials => vec![],
            Layout::Config => {
                let mut m = AUTH_PREFIX.to_vec();
                m.push(command::CONFIG);
                m
            }
        };
        message.push(self.sub);
        if let Some(p) = &self.params {
            message.extend(cbor::encode(p));
        }
        message
    }

    fn request(&self, auth: Option<&AuthParam>) -> Value {
        let k = self.first_key();
        let modality = (self.layout == Layout::Bio)
            .then(|| cbor::int(i64::from(crate::ctap::bio::FINGERPRINT)));
        cbor::int_map([
            (1, modality),
            (k, Some(cbor::int(i64::from(self.sub)))),
            (k + 1, self.params.clone()),
            (k + 2, auth.map(|a| cbor::int(a.protocol as i64))),
            (k + 3, auth.map(|a| cbor::bytes(&a.param))),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cbor::MapView;
    use crate::ctap::pin_protocol::PinProtocol;

    fn token(protocol: PinProtocol) -> PinUvAuthToken {
        PinUvAuthToken::new(protocol, zeroize::Zeroizing::new(vec![7u8; 32]))
    }

    fn auth_of(request: &dyn Authenticated, t: &PinUvAuthToken) -> AuthParam {
        AuthParam {
            protocol: t.protocol().version(),
            param: t.authenticate(&request.auth_message()),
        }
    }

    #[test]
    fn a_bio_request_is_laid_out_as_the_spec_says() {
        // CTAP 2.1 §6.7.2: removeEnrollment over 0x01 ‖ 0x06 ‖ CBOR(params).
        let params = cbor::int_map([(1, Some(cbor::bytes(&[0xAB])))]);
        let sub = SubCommand {
            command: 0x40,
            layout: Layout::Bio,
            sub: 0x06,
            params: Some(params.clone()),
        };
        let mut expected = vec![0x01, 0x06];
        expected.extend(cbor::encode(&params));
        assert_eq!(sub.auth_message(), expected);
        let t = token(PinProtocol::V1);
        let req = sub.request(Some(&auth_of(&sub, &t)));
        let map = MapView::new(&req).unwrap();
        assert_eq!(map.int(1).and_then(cbor::as_i64), Some(1));
        assert_eq!(map.int(2).and_then(cbor::as_i64), Some(6));
        assert_eq!(map.int(3), Some(&params));
        assert_eq!(map.int(4).and_then(cbor::as_i64), Some(1));
        assert_eq!(map.int(5).unwrap().as_bytes().unwrap().len(), 16);
    }

    #[test]
    fn config_signs_over_the_ff_prefix_and_the_command_byte() {
        // CTAP 2.1 §6.11.1: 32×0xff ‖ 0x0d ‖ subCommand ‖ subCommandParams.
        let sub = SubCommand {
            command: 0x0D,
            layout: Layout::Config,
            sub: 0x02,
            params: None,
        };
        let mut expected = vec![0xff; 32];
        expected.extend([0x0d, 0x02]);
        assert_eq!(sub.auth_message(), expected);
        let t = token(PinProtocol::V2);
        let req = sub.request(Some(&auth_of(&sub, &t)));
        let map = MapView::new(&req).unwrap();
        assert_eq!(map.int(1).and_then(cbor::as_i64), Some(2));
        assert_eq!(map.int(2), None);
        assert_eq!(map.int(3).and_then(cbor::as_i64), Some(2));
        assert_eq!(map.int(4).unwrap().as_bytes().unwrap().len(), 32);
    }

    #[test]
    fn credential_management_signs_over_the_subcommand_alone() {
        // CTAP 2.1 §6.8.2: getCredsMetadata's param is over 0x01 only.
        let sub = SubCommand {
            command: 0x0A,
            layout: Layout::Credentials,
            sub: 0x01,
            params: None,
        };
        assert_eq!(sub.auth_message(), vec![0x01]);
        let unauthenticated = sub.request(None);
        assert_eq!(cbor::hex(&cbor::encode(&unauthenticated)), "a10101");
    }
}
