"""python-fido2's LargeBlobs against our simulator, and fidoctl on what it wrote."""
import json

import pytest
from fido2.ctap import CtapError
from fido2.ctap2 import Ctap2
from fido2.ctap2.blob import LargeBlobs
from fido2.ctap2.pin import ClientPin
from fido2.utils import sha256


def passkey_with_large_blob_key(c, pin, rp, user):
    """makeCredential as a site asking for largeBlob support would send it."""
    token = pin.get_pin_token("1234", ClientPin.PERMISSION.MAKE_CREDENTIAL, rp)
    cdh = sha256(b"client data")
    resp = c.make_credential(
        cdh, {"id": rp, "name": rp}, {"id": user.encode(), "name": user},
        [{"type": "public-key", "alg": -7}],
        extensions={"largeBlobKey": True}, options={"rk": True},
        pin_uv_param=pin.protocol.authenticate(token, cdh), pin_uv_protocol=pin.protocol.VERSION,
    )
    assert resp.large_blob_key is not None and len(resp.large_blob_key) == 32
    return resp.large_blob_key


def test_python_writes_fidoctl_reads_cleans_and_python_reads_back(sim_factory):
    sim = sim_factory("yubikey5")
    c = Ctap2(sim.device())
    pin = ClientPin(c)
    pin.set_pin("1234")
    alice = passkey_with_large_blob_key(c, pin, "example.com", "alice")
    token = pin.get_pin_token("1234", ClientPin.PERMISSION.LARGE_BLOB_WRITE)
    blobs = LargeBlobs(c, pin.protocol, token)
    assert blobs.read_blob_array() == []
    blobs.put_blob(alice, b"A" * 3000)  # three fragments of 1216 bytes
    blobs.put_blob(bytes(32), b"nobody's")
    assert blobs.get_blob(alice) == b"A" * 3000
    c.device.close()

    env = dict(sim.env, FIDOCTL_PIN="1234")
    sim.env = env
    rows = json.loads(sim.fidoctl("--json", "large-blobs", "list").stdout)
    assert [r["owner"] for r in rows] == ["example.com/alice", None]
    assert rows[0]["original_bytes"] == 3000
    sim.fidoctl("large-blobs", "clean", "--yes")

    c = Ctap2(sim.device())
    blobs = LargeBlobs(c)
    assert len(blobs.read_blob_array()) == 1
    assert blobs.get_blob(alice) == b"A" * 3000, "fidoctl's write reads back in python-fido2"
    c.device.close()


def test_the_simulator_refuses_a_write_without_the_permission(sim_factory):
    sim = sim_factory("yubikey5")
    c = Ctap2(sim.device())
    pin = ClientPin(c)
    pin.set_pin("1234")
    token = pin.get_pin_token("1234", ClientPin.PERMISSION.CREDENTIAL_MGMT)
    with pytest.raises(CtapError) as e:
        LargeBlobs(c, pin.protocol, token).write_blob_array([])
    assert e.value.code == CtapError.ERR.UNAUTHORIZED_PERMISSION
    c.device.close()
