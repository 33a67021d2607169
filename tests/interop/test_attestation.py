"""python-fido2 verifies the simulator's attestation on its own (fido2.attestation):
the packed statement and its certificate requirements, then the trust path to
the TEST attestation root of scripts/gen-test-pki; and it refuses the forgeries
fidoctl refuses. `fidoctl attest` over the same UDP key agrees."""
import hashlib
import json
import pathlib

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from fido2.attestation import AttestationVerifier, UntrustedAttestation
from fido2.attestation.base import InvalidData, InvalidSignature
from fido2.ctap2 import Ctap2
from fido2.webauthn import AttestationObject

DATA = pathlib.Path(__file__).resolve().parents[1] / "data" / "mds"
ROOT = x509.load_pem_x509_certificate((DATA / "test-attestation-root.pem").read_bytes())
ROOT_DER = ROOT.public_bytes(Encoding.DER)

PROFILES = ["biopass", "k33", "yubikey5", "nitrokey3", "ctap21", "ctap20", "epass"]


class SimulatorRootVerifier(AttestationVerifier):
    def ca_lookup(self, result, auth_data):
        return ROOT_DER


def make_credential(sim):
    ctap = Ctap2(sim.device())
    cdh = hashlib.sha256(b"python-fido2 interop").digest()
    resp = ctap.make_credential(
        cdh,
        {"id": "interop.invalid", "name": "interop"},
        {"id": b"user", "name": "user"},
        [{"type": "public-key", "alg": -7}],
        options={"rk": False},
    )
    obj = AttestationObject.create(resp.fmt, resp.auth_data, resp.att_stmt)
    return obj, cdh, ctap.info.aaguid


@pytest.mark.parametrize("profile", PROFILES)
def test_python_fido2_verifies_the_packed_attestation(sim_factory, profile):
    sim = sim_factory(profile)
    obj, cdh, aaguid = make_credential(sim)
    assert obj.fmt == "packed"
    assert obj.auth_data.credential_data.aaguid == aaguid
    SimulatorRootVerifier().verify_attestation(obj, cdh)
    # And fidoctl, over the same UDP key, says genuine. The test metadata's CRLs
    # are no part of this check (tests/cli_attest.rs has them), so revocation is
    # waived, by name.
    out = sim.fidoctl("--json", "--no-revocation-check", "--mds", str(DATA / "blob.jwt"),
                      "--mds-root", str(DATA / "test-mds-root.pem"), "attest")
    verdict = json.loads(out.stdout)
    assert verdict["outcome"] == "genuine"
    assert verdict["metadata_revocation_checked"] is False


@pytest.mark.parametrize("mode,error", [
    ("wrong-aaguid", InvalidData),
    ("bad-signature", InvalidSignature),
    ("rogue-ca", UntrustedAttestation),
])
def test_python_fido2_refuses_the_forgeries(sim_factory, monkeypatch, mode, error):
    monkeypatch.setenv("FIDOCTL_SIM_ATTESTATION", mode)
    sim = sim_factory("biopass")
    obj, cdh, _ = make_credential(sim)
    with pytest.raises(error):
        SimulatorRootVerifier().verify_attestation(obj, cdh)


def test_python_fido2_verifies_the_fido_u2f_and_self_signatures(sim_factory, monkeypatch):
    from fido2.attestation import FidoU2FAttestation, PackedAttestation
    monkeypatch.setenv("FIDOCTL_SIM_ATTESTATION", "fido-u2f")
    obj, cdh, _ = make_credential(sim_factory("epass"))
    assert obj.fmt == "fido-u2f"
    FidoU2FAttestation().verify(obj.att_stmt, obj.auth_data, cdh)
    monkeypatch.setenv("FIDOCTL_SIM_ATTESTATION", "self")
    obj, cdh, _ = make_credential(sim_factory("ctap20"))
    result = PackedAttestation().verify(obj.att_stmt, obj.auth_data, cdh)
    assert result.attestation_type.name == "SELF"
