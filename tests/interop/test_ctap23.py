"""python-fido2 2.2's CTAP 2.2 / 2.3 support against our simulator: the
persistent token (pcmr), Info.get_identifier / get_cred_store_state, read-only
credential management, the config subcommands getInfo lists, PIN rules of
the key, and enrollment with a finger (uvBioEnroll)."""
import subprocess

import pytest
from fido2.ctap import CtapError
from fido2.ctap2 import Ctap2
from fido2.ctap2.bio import FPBioEnrollment
from fido2.ctap2.config import Config
from fido2.ctap2.credman import CredentialManagement
from fido2.ctap2.pin import ClientPin

from conftest import BIN
from spec import ENABLE_LONG_TOUCH_FOR_RESET

ERR = CtapError.ERR
P = ClientPin.PERMISSION
PCMR = P.PERSISTENT_CREDENTIAL_MGMT

# python-fido2 Info attribute -> our JSON name, for the CTAP 2.2/2.3 members.
FIELDS = {
    "attestation_formats": "attestation_formats",
    "long_touch_for_reset": "long_touch_for_reset",
    "transports_for_reset": "transports_for_reset",
    "pin_complexity_policy": "pin_complexity_policy",
    "max_pin_length": "max_pin_length",
    "authenticator_config_commands": "authenticator_config_commands",
}


def add_credential(sim, rp, user):
    subprocess.run([BIN, "sim", "add-credential", "--profile", sim.profile, "--rp", rp, "--user", user],
                   env=sim.env, check=True, capture_output=True)


# The ctap23 key enforces its complexity policy from the factory (TR 0x1B):
# PIN is a run, so the tests use another PIN.
PIN = "8351"


def with_pin(sim, pin=PIN):
    c = Ctap2(sim.device())
    ClientPin(c).set_pin(pin)
    return c


@pytest.mark.parametrize("profile", ["ctap23", "ctap23-bio"])
def test_info_members_agree(sim_factory, profile):
    sim = sim_factory(profile)
    c = Ctap2(sim.device())
    info = c.info
    c.device.close()
    ours = sim.info_json()
    assert "FIDO_2_3" in info.versions
    for attr, name in FIELDS.items():
        assert ours[name] == getattr(info, attr), name
    assert ours["pin_complexity_policy_url"] == info.pin_complexity_policy_url.decode()
    for member in ("enc_identifier", "enc_cred_store_state"):
        assert len(getattr(info, member)) == 32, "IV and one AES block"
        assert len(bytes.fromhex(ours[member])) == 32
    assert info.enc_identifier != bytes.fromhex(ours["enc_identifier"]), "a fresh IV every time"


def test_persistent_token_identifies_the_key_across_power_cycles(sim_factory):
    sim = sim_factory("ctap23")
    c = with_pin(sim)
    pin = ClientPin(c)
    with pytest.raises(CtapError) as e:
        pin.get_pin_token(PIN, PCMR | P.CREDENTIAL_MGMT)
    assert e.value.code == ERR.UNAUTHORIZED_PERMISSION, "pcmr comes only on its own"
    ppuat = pin.get_pin_token(PIN, PCMR)
    first = c.get_info().get_identifier(ppuat)
    again = c.get_info().get_identifier(ppuat)
    assert len(first) == 16 and first == again
    # The per-power-up token is untouched by a pcmr request, and other
    # commands do not end the persistent one.
    token = pin.get_pin_token(PIN, P.CREDENTIAL_MGMT)
    assert pin.get_pin_token(PIN, PCMR) == ppuat, "the same persistent token"
    CredentialManagement(c, pin.protocol, token).get_metadata()
    c.device.close()

    sim.replug()
    c = Ctap2(sim.device())
    assert c.info.get_identifier(ppuat) == first, "persistent across a power cycle"
    c.device.close()

    other = sim_factory("ctap23")
    c2 = with_pin(other)
    ppuat2 = ClientPin(c2).get_pin_token(PIN, PCMR)
    assert c2.get_info().get_identifier(ppuat2) != first, "each key its own identifier"
    assert c2.get_info().get_identifier(ppuat) != first
    c2.device.close()


def test_read_only_credential_management_with_the_persistent_token(sim_factory):
    sim = sim_factory("ctap23")
    c = with_pin(sim)
    pin = ClientPin(c)
    ppuat = pin.get_pin_token(PIN, PCMR)
    state = c.get_info().get_cred_store_state(ppuat)
    c.device.close()
    add_credential(sim, "example.com", "alice")
    add_credential(sim, "github.com", "bob")

    sim.replug()
    c = Ctap2(sim.device())
    assert CredentialManagement.is_readonly_supported(c.info)
    after = c.info.get_cred_store_state(ppuat)
    assert after != state, "the state changes with the credentials"
    assert c.get_info().get_cred_store_state(ppuat) == after, "and only then"
    cm = CredentialManagement(c, pin.protocol, ppuat)
    assert cm.get_metadata()[CredentialManagement.RESULT.EXISTING_CRED_COUNT] == 2
    rps = cm.enumerate_rps()
    assert [rp[CredentialManagement.RESULT.RP]["id"] for rp in rps] == ["example.com", "github.com"]
    creds = cm.enumerate_creds(rps[0][CredentialManagement.RESULT.RP_ID_HASH])
    assert creds[0][CredentialManagement.RESULT.USER]["name"] == "alice"
    with pytest.raises(CtapError) as e:
        cm.delete_cred(creds[0][CredentialManagement.RESULT.CREDENTIAL_ID])
    assert e.value.code == ERR.PIN_AUTH_INVALID, "read-only"
    c.device.close()


def test_a_pin_change_or_a_reset_ends_the_persistent_token(sim_factory):
    # The ctap23 key wants a 5-second touch for reset: a 10 times faster clock.
    sim = sim_factory("ctap23", FIDOCTL_SIM_CLOCK="10")
    c = with_pin(sim)
    pin = ClientPin(c)
    ppuat = pin.get_pin_token(PIN, PCMR)
    identifier = c.get_info().get_identifier(ppuat)
    pin.change_pin(PIN, "9462")
    assert c.get_info().get_identifier(ppuat) != identifier
    with pytest.raises(CtapError) as e:
        CredentialManagement(c, pin.protocol, ppuat).get_metadata()
    assert e.value.code == ERR.PIN_AUTH_INVALID
    fresh = pin.get_pin_token("9462", PCMR)
    assert fresh != ppuat
    assert c.get_info().get_identifier(fresh) == identifier, "same key, same identifier"
    c.device.close()

    sim.replug()
    c = Ctap2(sim.device())
    c.reset()
    assert c.get_info().get_identifier(fresh) != identifier
    c = Ctap2(c.device)
    ClientPin(c).set_pin(PIN)
    after_reset = ClientPin(c).get_pin_token(PIN, PCMR)
    assert c.get_info().get_identifier(after_reset) != identifier, "a reset key is a new key"
    c.device.close()


def test_config_follows_authenticator_config_commands(sim_factory):
    sim = sim_factory("ctap23")
    c = with_pin(sim)
    pin = ClientPin(c)
    cfg = Config(c, pin.protocol, pin.get_pin_token(PIN, P.AUTHENTICATOR_CFG))
    assert c.info.authenticator_config_commands == [
        Config.CMD.ENABLE_ENTERPRISE_ATT, Config.CMD.TOGGLE_ALWAYS_UV, Config.CMD.SET_MIN_PIN_LENGTH]
    with pytest.raises(ValueError):
        cfg._call(ENABLE_LONG_TOUCH_FOR_RESET)  # python-fido2 refuses what getInfo does not list
    with pytest.raises(CtapError) as e:
        c.config(ENABLE_LONG_TOUCH_FOR_RESET, pin_uv_protocol=pin.protocol.VERSION, pin_uv_param=b"\0" * 32)
    assert e.value.code == ERR.INVALID_SUBCOMMAND, "and so does the key"
    assert c.info.options["ep"] is False
    cfg.enable_enterprise_attestation()
    assert c.get_info().options["ep"] is True
    c.device.close()


def test_long_touch_and_complexity_policy_are_switched_on(sim_factory):
    sim = sim_factory("ctap23-bio")
    c = with_pin(sim)
    pin = ClientPin(c)
    assert c.info.long_touch_for_reset is False and c.info.pin_complexity_policy is False
    cfg = Config(c, pin.protocol, pin.get_pin_token(PIN, P.AUTHENTICATOR_CFG))
    assert ENABLE_LONG_TOUCH_FOR_RESET in c.info.authenticator_config_commands
    cfg._call(ENABLE_LONG_TOUCH_FOR_RESET)
    assert c.get_info().long_touch_for_reset is True
    cfg.set_min_pin_length(min_pin_length=6, pin_complexity_policy=True)
    info = c.get_info()
    assert info.pin_complexity_policy is True and info.min_pin_length == 6
    assert info.force_pin_change is True, "the 4-character PIN is now too short"
    for weak in ("111111", "123456", "987654"):
        with pytest.raises(CtapError) as e:
            pin.change_pin(PIN, weak)
        assert e.value.code == ERR.PIN_POLICY_VIOLATION, weak
    pin.change_pin(PIN, "830517")
    c.device.close()


def test_max_pin_length_is_the_keys(sim_factory):
    sim = sim_factory("ctap23-bio")
    c = Ctap2(sim.device())
    assert c.info.max_pin_length == 32
    with pytest.raises(CtapError) as e:
        ClientPin(c).set_pin("9" + "2" * 32)
    assert e.value.code == ERR.PIN_POLICY_VIOLATION, "33 characters"
    ClientPin(c).set_pin("9" + "2" * 31)
    c.device.close()


def enroll(bio, name):
    enroller = bio.enroll(timeout=2000)
    template = None
    while template is None:
        template = enroller.capture()
    bio.set_name(template, name)
    return template


def test_fingerprints_after_the_first_by_finger(sim_factory):
    sim = sim_factory("ctap23-bio")
    c = with_pin(sim)
    pin = ClientPin(c)
    assert c.info.options["uvBioEnroll"] is True
    with pytest.raises(CtapError) as e:
        pin.get_uv_token(P.BIO_ENROLL)
    assert e.value.code == ERR.NOT_ALLOWED, "no finger to verify with yet"
    first = enroll(FPBioEnrollment(c, pin.protocol, pin.get_pin_token(PIN, P.BIO_ENROLL)), "one")

    c = Ctap2(c.device)
    uv = pin.get_uv_token(P.BIO_ENROLL)
    bio = FPBioEnrollment(c, pin.protocol, uv)
    second = enroll(bio, "two")
    assert set(bio.enumerate_enrollments()) == {first, second}
    with pytest.raises(CtapError) as e:
        pin.get_uv_token(P.AUTHENTICATOR_CFG)
    assert e.value.code == ERR.UNAUTHORIZED_PERMISSION, "config by finger needs uvAcfg"
    c.device.close()


def test_bio_enrollment_by_finger_needs_uv_bio_enroll(sim_factory):
    sim = sim_factory("yubikey-bio")
    c = with_pin(sim)
    pin = ClientPin(c)
    enroll(FPBioEnrollment(c, pin.protocol, pin.get_pin_token(PIN, P.BIO_ENROLL)), "one")
    assert "uvBioEnroll" not in Ctap2(c.device).info.options
    with pytest.raises(CtapError) as e:
        pin.get_uv_token(P.BIO_ENROLL)
    assert e.value.code == ERR.UNAUTHORIZED_PERMISSION
    c.device.close()
