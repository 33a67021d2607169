"""python-fido2's reading of our simulator agrees with `fidoctl info --json`."""
import pytest
from fido2.ctap1 import Ctap1
from fido2.ctap2 import Ctap2
from fido2.hid import CAPABILITY, CTAPHID

CBOR_PROFILES = ["biopass", "yubikey-bio", "ctap21", "ctap20", "ctap23", "ctap23-bio"]

# python-fido2 Info attribute -> (getInfo key, our JSON name)
FIELDS = {
    "versions": (0x01, "versions"),
    "extensions": (0x02, "extensions"),
    "options": (0x04, "options"),
    "max_msg_size": (0x05, "max_msg_size"),
    "pin_uv_protocols": (0x06, "pin_uv_auth_protocols"),
    "max_creds_in_list": (0x07, "max_credential_count_in_list"),
    "max_cred_id_length": (0x08, "max_credential_id_length"),
    "transports": (0x09, "transports"),
    "algorithms": (0x0A, "algorithms"),
    "max_large_blob": (0x0B, "max_serialized_large_blob_array"),
    "force_pin_change": (0x0C, "force_pin_change"),
    "min_pin_length": (0x0D, "min_pin_length"),
    "firmware_version": (0x0E, "firmware_version"),
    "max_cred_blob_length": (0x0F, "max_cred_blob_length"),
    "max_rpids_for_min_pin": (0x10, "max_rpids_for_set_min_pin_length"),
    "preferred_platform_uv_attempts": (0x11, "preferred_platform_uv_attempts"),
    "uv_modality": (0x12, "uv_modality"),
    "remaining_disc_creds": (0x14, "remaining_discoverable_credentials"),
    "vendor_prototype_config_commands": (0x15, "vendor_prototype_config_commands"),
    "attestation_formats": (0x16, "attestation_formats"),
    "uv_count_since_pin": (0x17, "uv_count_since_last_pin_entry"),
    "long_touch_for_reset": (0x18, "long_touch_for_reset"),
}


@pytest.mark.parametrize("profile", CBOR_PROFILES)
def test_info_agrees_field_by_field(sim_factory, profile):
    sim = sim_factory(profile)
    dev = sim.device()
    ctap = Ctap2(dev)  # strict_cbor: every answer must be canonical CBOR
    info = ctap.info
    raw = ctap.send_cbor(Ctap2.CMD.GET_INFO)
    dev.close()
    ours = sim.info_json()

    assert ours["aaguid"] == str(info.aaguid)
    for attr, (key, name) in FIELDS.items():
        if key in raw:
            theirs = getattr(info, attr)
            if attr == "algorithms":
                theirs = [dict(a) for a in theirs]
            assert ours[name] == theirs, f"{profile}: {name}"
        else:
            # python-fido2 fills in defaults for absent members; we say null.
            assert ours[name] is None, f"{profile}: {name} is absent from the key's answer"


@pytest.mark.parametrize("profile", CBOR_PROFILES)
def test_ping_and_wink(sim_factory, profile):
    dev = sim_factory(profile).device()
    assert dev.ping(b"fidoctl") == b"fidoctl"
    assert dev.call(CTAPHID.PING, b"x" * 1000) == b"x" * 1000, "fragmented both ways"
    # Every CBOR profile says it can wink (INIT capabilities); one that stops must
    # change this test, not skip the wink.
    assert dev.capabilities & CAPABILITY.WINK
    assert dev.call(CTAPHID.WINK) == b""
    dev.close()


def test_u2f_only_key(sim_factory):
    dev = sim_factory("u2f").device()
    assert not dev.capabilities & CAPABILITY.CBOR
    with pytest.raises(ValueError):
        Ctap2(dev)
    assert Ctap1(dev).get_version() == "U2F_V2"
    dev.close()
