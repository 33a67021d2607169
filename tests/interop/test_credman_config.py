"""python-fido2's CredentialManagement and Config against our simulator."""
import subprocess

import pytest
from fido2.ctap import CtapError
from fido2.ctap2 import Ctap2
from fido2.ctap2.config import Config
from fido2.ctap2.credman import CredentialManagement
from fido2.ctap2.pin import ClientPin

from conftest import BIN

ERR = CtapError.ERR


def add_credential(sim, rp, user):
    subprocess.run([BIN, "sim", "add-credential", "--profile", sim.profile, "--rp", rp, "--user", user],
                   env=sim.env, check=True, capture_output=True)


def session(sim, permission):
    c = Ctap2(sim.device())
    pin = ClientPin(c)
    perms = permission if c.info.options.get("pinUvAuthToken") else None
    return c, pin.protocol, pin.get_pin_token("1234", perms)


# The BioPass speaks the 2.1-PRE prototype (0x41), which has no
# updateUserInformation: its run renames nothing, and says so in its id.
@pytest.mark.parametrize("profile,renames", [("biopass", False), ("yubikey-bio", True), ("ctap21", True)],
                         ids=["biopass-prototype-no-rename", "yubikey-bio", "ctap21"])
def test_credential_management(sim_factory, profile, renames):
    sim = sim_factory(profile)
    c = Ctap2(sim.device())
    ClientPin(c).set_pin("1234")
    c.device.close()
    for rp, user in [("example.com", "alice"), ("example.com", "bob"), ("github.com", "carol")]:
        add_credential(sim, rp, user)

    c, protocol, token = session(sim, ClientPin.PERMISSION.CREDENTIAL_MGMT)
    cm = CredentialManagement(c, protocol, token)
    assert cm.get_metadata()[CredentialManagement.RESULT.EXISTING_CRED_COUNT] == 3
    rps = cm.enumerate_rps()
    assert [rp[CredentialManagement.RESULT.RP]["id"] for rp in rps] == ["example.com", "github.com"]
    creds = cm.enumerate_creds(rps[0][CredentialManagement.RESULT.RP_ID_HASH])
    assert sorted(cr[CredentialManagement.RESULT.USER]["name"] for cr in creds) == ["alice", "bob"]

    alice = creds[0][CredentialManagement.RESULT.CREDENTIAL_ID]
    assert cm.is_update_supported(c.info) == renames
    user = dict(creds[0][CredentialManagement.RESULT.USER], name="alice2")
    if renames:
        cm.update_user_info(alice, user)
    else:
        with pytest.raises(ValueError):
            cm.update_user_info(alice, user)  # python-fido2 does not send it
        with pytest.raises(CtapError) as e:  # and the key refuses it when sent
            cm._call(CredentialManagement.CMD.UPDATE_USER_INFO,
                     {CredentialManagement.PARAM.CREDENTIAL_ID: dict(alice),
                      CredentialManagement.PARAM.USER: user})
        assert e.value.code == ERR.INVALID_SUBCOMMAND, "the prototype has no updateUserInformation"
    names = [cr[CredentialManagement.RESULT.USER]["name"] for cr in cm.enumerate_creds(rps[0][CredentialManagement.RESULT.RP_ID_HASH])]
    assert ("alice2" in names) == renames
    cm.delete_cred(alice)
    assert cm.get_metadata()[CredentialManagement.RESULT.EXISTING_CRED_COUNT] == 2
    c.device.close()


def test_enumeration_is_stateful(sim_factory):
    sim = sim_factory("ctap21")
    c = Ctap2(sim.device())
    ClientPin(c).set_pin("1234")
    c.device.close()
    for rp in ["a.com", "b.com", "c.com"]:
        add_credential(sim, rp, "u")
    c, protocol, token = session(sim, ClientPin.PERMISSION.CREDENTIAL_MGMT)
    cm = CredentialManagement(c, protocol, token)
    cm.enumerate_rps_begin()
    c.get_info()  # any other command ends the enumeration
    with pytest.raises(CtapError) as e:
        cm.enumerate_rps_next()
    assert e.value.code == ERR.NOT_ALLOWED
    c.device.close()


def test_empty_key_has_no_credentials(sim_factory):
    sim = sim_factory("yubikey-bio")
    c = Ctap2(sim.device())
    ClientPin(c).set_pin("1234")
    c.device.close()
    c, protocol, token = session(sim, ClientPin.PERMISSION.CREDENTIAL_MGMT)
    assert CredentialManagement(c, protocol, token).enumerate_rps() == []  # NO_CREDENTIALS
    c.device.close()


def test_config(sim_factory):
    sim = sim_factory("yubikey-bio")
    c = Ctap2(sim.device())
    ClientPin(c).set_pin("1234")
    c.device.close()
    c, protocol, token = session(sim, ClientPin.PERMISSION.AUTHENTICATOR_CFG)
    cfg = Config(c, protocol, token)
    cfg.toggle_always_uv()
    assert c.get_info().options["alwaysUv"] is False
    with pytest.raises(CtapError) as e:
        cfg.set_min_pin_length(min_pin_length=3)
    assert e.value.code == ERR.PIN_POLICY_VIOLATION, "the minimum only goes up"
    with pytest.raises(CtapError) as e:
        cfg.enable_enterprise_attestation()
    assert e.value.code in (ERR.INVALID_SUBCOMMAND, ERR.INVALID_PARAMETER)
    cfg.set_min_pin_length(min_pin_length=6, rp_ids=["example.com"])
    info = c.get_info()
    assert info.min_pin_length == 6
    assert info.force_pin_change is True, "the 4-character PIN is now too short"
    with pytest.raises(CtapError) as e:
        cfg.toggle_always_uv()
    assert e.value.code == ERR.PIN_AUTH_INVALID, "a forced PIN change ends the token"
    c.device.close()
