"""python-fido2's ClientPin, reset and FPBioEnrollment against our simulator:
an independent client checks that the simulator follows the spec."""
import pytest
from fido2.ctap import CtapError
from fido2.ctap2 import Ctap2
from fido2.ctap2.bio import FPBioEnrollment
from fido2.ctap2.pin import ClientPin, PinProtocolV1, PinProtocolV2

ERR = CtapError.ERR

# profile, PIN/UV protocol, whether getPINRetries carries powerCycleState (CTAP 2.1
# keys only: the 2.0 and 2.1-PRE ones check less, and their test ids say so).
PROTOCOLS = [("biopass", PinProtocolV1, False), ("ctap20", PinProtocolV1, False),
             ("yubikey-bio", PinProtocolV1, True), ("yubikey-bio", PinProtocolV2, True),
             ("ctap21", PinProtocolV2, True)]
PROTOCOL_IDS = [f"{profile}-v{protocol.VERSION}" + ("" if cycle else "-no-powerCycleState")
                for profile, protocol, cycle in PROTOCOLS]


def ctap(sim):
    return Ctap2(sim.device())


def permissions(info):
    # Keys without the pinUvAuthToken option only know getPinToken (0x05).
    if info.options.get("pinUvAuthToken"):
        return ClientPin.PERMISSION.GET_ASSERTION
    return None


@pytest.mark.parametrize("profile,protocol,power_cycle_state", PROTOCOLS, ids=PROTOCOL_IDS)
def test_set_change_token_and_wrong_pins(sim_factory, profile, protocol, power_cycle_state):
    sim = sim_factory(profile)
    c = ctap(sim)
    pin = ClientPin(c, protocol())
    assert pin.get_pin_retries()[0] == 8
    pin.set_pin("1234")
    assert Ctap2(c.device).get_info().options["clientPin"] is True
    with pytest.raises(CtapError) as e:
        pin.set_pin("5678")
    assert e.value.code == ERR.PIN_AUTH_INVALID  # CTAP 2.1 §6.5.5.5: a PIN is already set
    pin.change_pin("1234", "5678")
    assert len(pin.get_pin_token("5678", permissions(c.info))) in (16, 32)

    for left in (7, 6):
        with pytest.raises(CtapError) as e:
            pin.get_pin_token("0000", permissions(c.info))
        assert e.value.code == ERR.PIN_INVALID
        assert pin.get_pin_retries()[0] == left
    with pytest.raises(CtapError) as e:
        pin.get_pin_token("0000", permissions(c.info))
    assert e.value.code == ERR.PIN_AUTH_BLOCKED
    with pytest.raises(CtapError) as e:
        pin.get_pin_token("5678", permissions(c.info))
    assert e.value.code == ERR.PIN_AUTH_BLOCKED, "blocked until a power cycle, even with the right PIN"
    assert ("FIDO_2_1" in c.info.versions) == power_cycle_state
    # powerCycleState (CTAP 2.1 §6.5.5.7.1); python-fido2 says None where it is absent.
    assert pin.get_pin_retries()[1] is (True if power_cycle_state else None)
    c.device.close()

    sim.replug()
    c = ctap(sim)
    pin = ClientPin(c, protocol())
    pin.get_pin_token("5678", permissions(c.info))
    assert pin.get_pin_retries()[0] == 8
    c.device.close()


def test_protocol_two_is_refused_where_not_offered(sim_factory):
    c = ctap(sim_factory("biopass"))
    with pytest.raises(CtapError) as e:
        ClientPin(c, PinProtocolV2()).get_pin_retries()
    assert e.value.code == ERR.INVALID_PARAMETER


def test_reset_only_right_after_power_up(sim_factory):
    sim = sim_factory("yubikey-bio")
    c = ctap(sim)
    ClientPin(c).set_pin("1234")
    with pytest.raises(CtapError) as e:
        c.reset()
    assert e.value.code == ERR.NOT_ALLOWED
    c.device.close()
    sim.replug()
    c = ctap(sim)
    c.reset()
    assert c.get_info().options["clientPin"] is False
    c.device.close()


@pytest.mark.parametrize("profile", ["biopass", "yubikey-bio"])
def test_fingerprints(sim_factory, profile):
    sim = sim_factory(profile)
    c = ctap(sim)
    pin = ClientPin(c)
    pin.set_pin("1234")
    perms = ClientPin.PERMISSION.BIO_ENROLL if c.info.options.get("pinUvAuthToken") else None
    token = pin.get_pin_token("1234", perms)
    bio = FPBioEnrollment(c, pin.protocol, token)
    # shared/real-keys: 4 touches on the BioPass, 16 on the YubiKey Bio 5.6.
    samples = {"biopass": 4, "yubikey-bio": 16}[profile]
    info = bio.get_fingerprint_sensor_info()
    assert info[FPBioEnrollment.RESULT.MAX_SAMPLES_REQUIRED] == samples
    with pytest.raises(CtapError) as e:
        bio._call(FPBioEnrollment.CMD.ENUMERATE_ENROLLMENTS)
    assert e.value.code == ERR.INVALID_OPTION  # "no enrollments", as real keys answer
    assert bio.enumerate_enrollments() == {}  # python-fido2 reads it the same way

    enroller = bio.enroll(timeout=2000)
    template = None
    while template is None:
        template = enroller.capture()
    assert enroller.remaining == 0
    # templateFriendlyName is optional (§6.7.4): an unnamed template comes without it.
    infos = bio._call(FPBioEnrollment.CMD.ENUMERATE_ENROLLMENTS)[FPBioEnrollment.RESULT.TEMPLATE_INFOS]
    assert infos == [{FPBioEnrollment.TEMPLATE_INFO.ID: template}]
    bio.set_name(template, "Left thumb")
    assert bio.enumerate_enrollments() == {template: "Left thumb"}
    assert Ctap2(c.device).get_info().options["uv"] is True

    # An enrollment cancelled half-way leaves nothing behind.
    enroller = bio.enroll(timeout=2000)
    assert enroller.capture() is None
    enroller.cancel()
    assert list(bio.enumerate_enrollments()) == [template]

    bio.remove_enrollment(template)
    assert bio.enumerate_enrollments() == {}
    c.device.close()


def test_biopass_speaks_only_the_prototype_command(sim_factory):
    c = ctap(sim_factory("biopass"))
    assert "bioEnroll" not in c.info.options
    with pytest.raises(CtapError) as e:
        c.send_cbor(Ctap2.CMD.BIO_ENROLLMENT, {1: 1, 2: 7})
    assert e.value.code == ERR.INVALID_COMMAND
    assert c.send_cbor(Ctap2.CMD.BIO_ENROLLMENT_PRE, {1: 1, 2: 7})[2] == 1  # touch sensor
    c.device.close()
