#!/usr/bin/env python3
"""Known-answer vectors for PIN/UV auth protocols 1 and 2, computed by
python-fido2's own PinProtocolV1/V2 (fido2.ctap2.pin) with its randomness
pinned. Run inside the repo's venv:

    .venv/bin/python scripts/pin-vectors.py > src/device/pin_protocol/vectors.json
"""
import json
import sys
from importlib.metadata import version
from unittest import mock

from cryptography.hazmat.primitives.asymmetric import ec
from fido2.ctap2 import pin

PLATFORM_SCALAR = int("1f" * 32, 16) % (2**256 - 2**224)
AUTHENTICATOR_SCALAR = int("2a" * 32, 16) % (2**256 - 2**224)
IV = bytes(range(0x10, 0x20))
TOKEN = bytes(range(0x40, 0x60))


def cose(key):
    n = key.public_key().public_numbers()
    return {1: 2, 3: -25, -1: 1, -2: n.x.to_bytes(32, "big"), -3: n.y.to_bytes(32, "big")}


def vectors(protocol):
    platform = ec.derive_private_key(PLATFORM_SCALAR, ec.SECP256R1())
    authenticator = ec.derive_private_key(AUTHENTICATOR_SCALAR, ec.SECP256R1())
    with mock.patch.object(pin.ec, "generate_private_key", return_value=platform):
        platform_cose, shared = protocol.encapsulate(cose(authenticator))
    padded_pin = "1234€".encode().ljust(64, b"\0")
    with mock.patch.object(pin.os, "urandom", return_value=IV):
        new_pin_enc = protocol.encrypt(shared, padded_pin)
    assert protocol.decrypt(shared, new_pin_enc) == padded_pin
    message = b"fidoctl test message"
    return {
        "version": protocol.VERSION,
        "platform_scalar": f"{PLATFORM_SCALAR:064x}",
        "authenticator_scalar": f"{AUTHENTICATOR_SCALAR:064x}",
        "platform_x": platform_cose[-2].hex(),
        "platform_y": platform_cose[-3].hex(),
        "shared_secret": shared.hex(),
        "iv": IV.hex(),
        "plaintext": padded_pin.hex(),
        "ciphertext": new_pin_enc.hex(),
        "message": message.hex(),
        "shared_secret_auth": protocol.authenticate(shared, message).hex(),
        "token": TOKEN.hex(),
        "token_auth": protocol.authenticate(TOKEN, message).hex(),
    }


json.dump(
    {
        "generator": f"scripts/pin-vectors.py with fido2 {version('fido2')}",
        "vectors": [vectors(pin.PinProtocolV1()), vectors(pin.PinProtocolV2())],
    },
    sys.stdout,
    indent=2,
)
print()
