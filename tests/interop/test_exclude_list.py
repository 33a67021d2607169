"""makeCredential's excludeList (CTAP 2.1 §6.1.2 step 11), driven by python-fido2:
a discoverable credential already on the key for the RP ends a new request with
CTAP2_ERR_CREDENTIAL_EXCLUDED (python-fido2's own name for 0x19), and the key
keeps one credential; an unknown id in the list changes nothing."""
import hashlib

import pytest
from fido2.ctap import CtapError
from fido2.ctap2 import Ctap2

RP = {"id": "exclude.invalid", "name": "exclude"}
USER = {"id": b"user-1", "name": "user"}
ES256 = [{"type": "public-key", "alg": -7}]
CDH = hashlib.sha256(b"excludeList").digest()


def test_a_credential_in_the_exclude_list_is_refused(sim_factory):
    sim = sim_factory("yubikey5")
    ctap = Ctap2(sim.device())
    first = ctap.make_credential(CDH, RP, USER, ES256, options={"rk": True})
    cred_id = first.auth_data.credential_data.credential_id
    with pytest.raises(CtapError) as refused:
        ctap.make_credential(CDH, RP, USER, ES256, options={"rk": True},
                             exclude_list=[{"type": "public-key", "id": cred_id}])
    assert refused.value.code == CtapError.ERR.CREDENTIAL_EXCLUDED
    # Another RP's request with the same list is not this RP's credential.
    other = {"id": "other.invalid", "name": "other"}
    ctap.make_credential(CDH, other, USER, ES256, options={"rk": True},
                         exclude_list=[{"type": "public-key", "id": cred_id}])
    # An id the key never made excludes nothing.
    ctap.make_credential(CDH, RP, {"id": b"user-2", "name": "u2"}, ES256, options={"rk": True},
                         exclude_list=[{"type": "public-key", "id": b"\x00" * 16}])
