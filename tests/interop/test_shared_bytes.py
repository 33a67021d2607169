"""Bytes that fidoctl's client and its simulator share (src/device/ctaphid.rs,
src/device/ctap2/...), checked against a source that is not ours: python-fido2
sends and reads every one of them with its own constants (fido2.hid.CTAPHID,
fido2.ctap.STATUS, fido2.ctap.CtapError.ERR, fido2.ctap2.Ctap2.CMD,
fido2.ctap2.pin.ClientPin.CMD, fido2.ctap2.config.Config.CMD). A byte wrong
on both sides fails here; changed on both sides on 2026-12-02, all but two of
them (KEEPALIVE_CANCEL, enableLongTouchForReset) still passed the Rust suite.

Where a situation also reaches the fidoctl client (a full fingerprint store,
blocked fingerprint matching), the client's bracket `[CTAP2_ERR_X (0xNN)]` is
checked against python-fido2's name for the byte the simulator sent."""
import struct
import threading
import time

import pytest
from fido2 import cbor
from fido2.ctap import STATUS, CtapError
from fido2.ctap2 import Ctap2
from fido2.ctap2.bio import FPBioEnrollment
from fido2.ctap2.blob import LargeBlobs
from fido2.ctap2.pin import ClientPin
from fido2.hid import CTAPHID, TYPE_INIT
from fido2.utils import sha256

from spec import ENABLE_LONG_TOUCH_FOR_RESET

ERR = CtapError.ERR
PIN = "1234"


def spec_label(code):
    """The bracket fidoctl puts after a status message, with python-fido2's name
    for the code and the spec's prefix (CTAP 2.1 §8.2: CTAP1_ERR_ below 0x10
    and for OTHER, CTAP2_ERR_ for the rest)."""
    prefix = "CTAP1_ERR_" if code < 0x10 or code == ERR.OTHER else "CTAP2_ERR_"
    return f"[{prefix}{code.name} (0x{int(code):02X})]"


def waiting(sim_factory, profile, touches="pause:30000"):
    """A key whose next touch comes in 30 s: long enough that a test ending in
    less proves the wait was cut short."""
    return sim_factory(profile, FIDOCTL_SIM_TOUCHES=touches)


# --- CTAPHID CANCEL (0x11), KEEPALIVE (0x3B) and KEEPALIVE_CANCEL (0x2D) ---

def start_selection(sim):
    c = Ctap2(sim.device())
    return c, lambda event, on_keepalive: c.selection(event=event, on_keepalive=on_keepalive)


def start_make_credential(sim):
    c = Ctap2(sim.device())

    def call(event, on_keepalive):
        c.make_credential(sha256(b"cancelled"), {"id": "example.com", "name": "example"},
                          {"id": b"u", "name": "u"}, [{"type": "public-key", "alg": -7}],
                          event=event, on_keepalive=on_keepalive)
    return c, call


def start_enrollment(sim):
    c = Ctap2(sim.device())
    pin = ClientPin(c)
    pin.set_pin(PIN)
    bio = FPBioEnrollment(c, pin.protocol, pin.get_pin_token(PIN))

    def call(event, on_keepalive):
        bio.enroll_begin(timeout=60000, event=event, on_keepalive=on_keepalive)
    return c, call


@pytest.mark.parametrize("profile,request_kind,start", [
    ("ctap21", "selection", start_selection),
    ("ctap21", "makeCredential", start_make_credential),
    ("biopass", "enrollBegin", start_enrollment),
], ids=["ctap21-selection", "ctap21-makeCredential", "biopass-enrollBegin-prototype-0x40"])
def test_a_request_cancelled_while_the_key_waits_for_a_touch_ends_with_keepalive_cancel(
        sim_factory, profile, request_kind, start):
    sim = waiting(sim_factory, profile)
    c, call = start(sim)
    seen = []
    event = threading.Event()

    def on_keepalive(status):
        seen.append(status)
        event.set()  # python-fido2 sends CTAPHID.CANCEL on its next read

    began = time.monotonic()
    with pytest.raises(CtapError) as e:
        call(event, on_keepalive)
    took = time.monotonic() - began
    assert seen and seen[0] == STATUS.UPNEEDED, f"the key asked for a touch first: {seen}"
    assert e.value.code == ERR.KEEPALIVE_CANCEL, f"{request_kind}: {e.value.code}"
    assert took < 5, f"the cancel ended the 30 s wait ({took:.1f} s)"
    # The channel is usable at once, and the key kept nothing of the request.
    assert c.device.ping(b"after") == b"after"
    assert Ctap2(c.device).get_info().versions
    c.device.close()


# --- CTAPHID ERROR (0x3F) ---

def test_an_unknown_ctaphid_command_is_answered_with_an_error_frame(sim_factory):
    dev = sim_factory("ctap21").device()
    conn, cid = dev._connection, dev._channel_id
    # A vendor command (CTAPHID.VENDOR_FIRST, 0x40) the simulator does not know.
    conn.write_packet(struct.pack(">IBH", cid, TYPE_INIT | CTAPHID.VENDOR_FIRST, 0))
    frame = conn.read_packet()
    got_cid, cmd, length = struct.unpack_from(">IBH", frame)
    assert got_cid == cid
    assert cmd == TYPE_INIT | CTAPHID.ERROR, f"frame command 0x{cmd:02X}"
    assert length == 1 and CtapError(frame[7]).code == ERR.INVALID_COMMAND
    dev.close()


def test_a_message_longer_than_the_key_takes_is_an_error_python_fido2_decodes(sim_factory):
    dev = sim_factory("ctap21").device()
    c = Ctap2(dev)
    too_long = bytes([Ctap2.CMD.GET_INFO]) + bytes(c.info.max_msg_size)
    with pytest.raises(CtapError) as e:
        dev.call(CTAPHID.CBOR, too_long)
    # Read from a CTAPHID_ERROR frame: any other frame would be INVALID_COMMAND
    # in python-fido2 (hid/__init__.py, _do_call).
    assert e.value.code == ERR.INVALID_LENGTH
    assert Ctap2(dev).get_info().versions, "the channel is usable afterwards"
    dev.close()


# --- authenticatorSelection (0x0B) ---

@pytest.mark.parametrize("profile", ["ctap21", "yubikey-bio", "ctap23"])
def test_selection_waits_for_a_touch(sim_factory, profile):
    sim = waiting(sim_factory, profile, touches="pause:300")
    c = Ctap2(sim.device())
    seen = []
    began = time.monotonic()
    c.selection(on_keepalive=seen.append)
    assert time.monotonic() - began >= 0.25, "answered only after the touch"
    assert seen == [STATUS.UPNEEDED]
    c.device.close()


@pytest.mark.parametrize("profile", ["biopass", "ctap20"], ids=["biopass-2.1-PRE", "ctap20"])
def test_keys_before_ctap_2_1_do_not_know_selection(sim_factory, profile):
    c = Ctap2(sim_factory(profile).device())
    assert "FIDO_2_1" not in c.info.versions
    with pytest.raises(CtapError) as e:
        c.selection()
    assert e.value.code == ERR.INVALID_COMMAND
    c.device.close()


# --- CTAP2_ERR_USER_ACTION_TIMEOUT (0x2F) ---

@pytest.mark.parametrize("request_kind", ["selection", "makeCredential"])
def test_no_touch_in_time_is_user_action_timeout(sim_factory, request_kind):
    sim = waiting(sim_factory, "ctap21", touches="timeout")
    c, call = {"selection": start_selection, "makeCredential": start_make_credential}[request_kind](sim)
    with pytest.raises(CtapError) as e:
        call(None, None)
    assert e.value.code == ERR.USER_ACTION_TIMEOUT
    c.device.close()


# --- malformed CBOR: CTAP2_ERR_INVALID_CBOR (0x12), and CTAP 2.0's 0x10 ---

def malformed_request(dev):
    """authenticatorClientPIN whose CBOR map stops after its first key."""
    reply = dev.call(CTAPHID.CBOR, bytes([Ctap2.CMD.CLIENT_PIN]) + b"\xa2\x01")
    return CtapError(reply[0]).code


def test_malformed_cbor_is_invalid_cbor(sim_factory):
    dev = sim_factory("ctap21").device()
    assert malformed_request(dev) == ERR.INVALID_CBOR
    dev.close()


def test_biopass_answers_malformed_cbor_with_a_code_python_fido2_does_not_name(sim_factory):
    # The BioPass sends CTAP 2.0's CTAP2_ERR_CBOR_PARSING (quirk deprecated-cbor-codes),
    # which CTAP 2.1 retired and python-fido2 has no name for: the name of this byte
    # cannot be checked here (tests/fixtures/ctap-status-codes.tsv has no row for it).
    dev = sim_factory("biopass").device()
    code = malformed_request(dev)
    assert isinstance(code, CtapError.UNKNOWN_ERR), code
    assert code not in set(ERR), "not a CTAP 2.1 code"
    dev.close()
    quirkless = sim_factory("biopass", FIDOCTL_SIM_QUIRKS="-deprecated-cbor-codes").device()
    assert malformed_request(quirkless) == ERR.INVALID_CBOR, "without the quirk: 2.1's code"
    quirkless.close()


# --- getUVRetries (0x07) and CTAP2_ERR_UV_BLOCKED (0x3C) ---

def enroll(bio, name):
    enroller = bio.enroll(timeout=2000)
    template = None
    while template is None:
        template = enroller.capture()
    bio.set_name(template, name)
    return template


def test_uv_retries_count_down_to_uv_blocked_and_the_pin_restores_them(sim_factory):
    # yubikey-bio takes 16 samples to enroll; then three fingers it does not know.
    sim = sim_factory("yubikey-bio", FIDOCTL_SIM_TOUCHES=",".join(["good"] * 16 + ["nomatch"] * 3))
    c = Ctap2(sim.device())
    pin = ClientPin(c)
    pin.set_pin(PIN)
    enroll(FPBioEnrollment(c, pin.protocol, pin.get_pin_token(PIN, ClientPin.PERMISSION.BIO_ENROLL)), "one")
    full = pin.get_uv_retries()
    assert full > 0
    assert sim.info_json()["uv_retries"] == full, "fidoctl reads the same getUVRetries"
    codes = []
    for _ in range(full):
        with pytest.raises(CtapError) as e:
            pin.get_uv_token(ClientPin.PERMISSION.GET_ASSERTION)
        codes.append(e.value.code)
    assert codes == [ERR.UV_INVALID] * (full - 1) + [ERR.UV_BLOCKED]
    assert pin.get_uv_retries() == 0
    c.device.close()

    # fidoctl's words for the byte the key sent, named as python-fido2 names it.
    out = sim.fidoctl("fingerprint", "test", check=False)
    assert out.returncode == 5, out.stderr
    assert "fingerprint matching is blocked" in out.stderr, out.stderr
    assert spec_label(ERR.UV_BLOCKED) in out.stderr, out.stderr

    c = Ctap2(sim.device())
    pin = ClientPin(c)
    pin.get_pin_token(PIN, ClientPin.PERMISSION.GET_ASSERTION)
    assert pin.get_uv_retries() == full, "a correct PIN gives the fingerprint its tries back"
    c.device.close()


def test_a_key_without_a_sensor_does_not_know_get_uv_retries(sim_factory):
    c = Ctap2(sim_factory("ctap21").device())
    with pytest.raises(CtapError) as e:
        ClientPin(c).get_uv_retries()
    assert e.value.code == ERR.INVALID_SUBCOMMAND
    c.device.close()


# --- CTAP2_ERR_FP_DATABASE_FULL (0x17) ---

def test_a_full_fingerprint_store_is_fp_database_full(sim_factory):
    sim = sim_factory("biopass")
    c = Ctap2(sim.device())
    pin = ClientPin(c)
    pin.set_pin(PIN)
    bio = FPBioEnrollment(c, pin.protocol, pin.get_pin_token(PIN))
    enrolled = []
    with pytest.raises(CtapError) as e:
        for n in range(50):  # a bound: no key keeps 50 fingers
            enrolled.append(enroll(bio, f"finger {n}"))
    assert e.value.code == ERR.FP_DATABASE_FULL
    assert 1 <= len(enrolled) < 50
    assert len(bio.enumerate_enrollments()) == len(enrolled), "the refused one left nothing"
    c.device.close()

    env = dict(sim.env, FIDOCTL_PIN=PIN)
    sim.env = env
    out = sim.fidoctl("fingerprint", "enroll", "--name", "one too many", check=False)
    assert out.returncode == 5, out.stderr
    assert "no room for another fingerprint" in out.stderr, out.stderr

    c = Ctap2(sim.device())
    pin = ClientPin(c)
    bio = FPBioEnrollment(c, pin.protocol, pin.get_pin_token(PIN))
    bio.remove_enrollment(enrolled[0])
    enroll(bio, "room again")
    assert len(bio.enumerate_enrollments()) == len(enrolled), "one out, one in"
    c.device.close()


# --- CTAP2_ERR_LARGE_BLOB_STORAGE_FULL (0x18) ---

@pytest.mark.parametrize("profile", ["yubikey5", "ctap21"])
def test_a_large_blob_array_longer_than_the_key_keeps_is_storage_full(sim_factory, profile):
    c = Ctap2(sim_factory(profile).device())
    limit = c.info.max_large_blob  # getInfo 0x0B as python-fido2 reads it
    assert limit >= 1024
    fragment = bytes(64)
    with pytest.raises(CtapError) as e:
        c.large_blobs(0, set=fragment, length=limit + 1)
    assert e.value.code == ERR.LARGE_BLOB_STORAGE_FULL
    c.large_blobs(0, set=fragment, length=limit)  # exactly the limit is taken
    # And python-fido2's own writer starts again at offset 0 and is taken whole.
    LargeBlobs(c).write_blob_array([])
    assert LargeBlobs(c).read_blob_array() == []
    c.device.close()


# --- CTAP2_ERR_PIN_BLOCKED (0x32) ---

def test_no_pin_tries_left_is_pin_blocked_even_for_the_right_pin(sim_factory):
    sim = sim_factory("ctap21")
    c = Ctap2(sim.device())
    ClientPin(c).set_pin(PIN)
    retries = ClientPin(c).get_pin_retries()[0]
    c.device.close()
    codes = []
    while len(codes) < retries:
        # Three wrong PINs in a row need a power cycle (PIN_AUTH_BLOCKED): re-plug.
        sim.replug()
        c = Ctap2(sim.device())
        pin = ClientPin(c)
        for _ in range(3):
            if len(codes) == retries:
                break
            with pytest.raises(CtapError) as e:
                pin.get_pin_token("0000", ClientPin.PERMISSION.GET_ASSERTION)
            codes.append(e.value.code)
            if e.value.code != ERR.PIN_INVALID:
                break
        c.device.close()
    assert codes[-1] == ERR.PIN_BLOCKED, codes
    assert ERR.PIN_BLOCKED not in codes[:-1]
    sim.replug()
    c = Ctap2(sim.device())
    pin = ClientPin(c)
    assert pin.get_pin_retries()[0] == 0
    with pytest.raises(CtapError) as e:
        pin.get_pin_token(PIN, ClientPin.PERMISSION.GET_ASSERTION)
    assert e.value.code == ERR.PIN_BLOCKED, "the right PIN does not help: only a reset does"
    c.device.close()
    sim.replug()
    c = Ctap2(sim.device())
    c.reset()  # the first command after a power-up
    assert ClientPin(Ctap2(c.device)).get_pin_retries()[0] == retries
    c.device.close()


# --- authenticatorConfig subcommands: enableLongTouchForReset (0x04), vendorPrototype (0xFF) ---


def message_frames(cid, cmd, payload):
    """One CTAPHID message as 64-byte reports (CTAP 2.1 §11.2.4), python-fido2's framing."""
    frames = [struct.pack(">IBH", cid, TYPE_INIT | cmd, len(payload)) + payload[:57]]
    rest, seq = payload[57:], 0
    while rest:
        frames.append(struct.pack(">IB", cid, seq) + rest[:59])
        rest, seq = rest[59:], seq + 1
    return [f.ljust(64, b"\0") for f in frames]


def replay_key(path, **info_fields):
    """A `--device replay:` transcript of a key that answers INIT and getInfo,
    with the getInfo members given, under python-fido2's member keys (Info)."""
    from fido2.ctap2 import Info
    from fido2.hid import CAPABILITY
    from fido2.webauthn import Aaguid
    info = Info(aaguid=Aaguid(bytes(range(16))), **info_fields)
    key_of = {f.name: k for k, f in info._field_keys.items()}
    answer = {key_of[name]: info[key_of[name]] for name in ["aaguid", *info_fields]}
    cid = 0x00220002
    init_reply = bytes(8) + struct.pack(">IBBBBB", cid, 2, 5, 0, 5, CAPABILITY.CBOR | CAPABILITY.WINK)
    lines = ["# built by tests/interop/test_shared_bytes.py from python-fido2's constants"]
    lines += ["> " + struct.pack(">IBH", 0xFFFFFFFF, TYPE_INIT | CTAPHID.INIT, 8).hex()]
    lines += ["< " + f.hex() for f in message_frames(0xFFFFFFFF, CTAPHID.INIT, init_reply)]
    lines += ["> " + f.hex() for f in message_frames(cid, CTAPHID.CBOR, bytes([Ctap2.CMD.GET_INFO]))]
    lines += ["< " + f.hex() for f in message_frames(cid, CTAPHID.CBOR, b"\0" + cbor.encode(answer))]
    path.write_text("\n".join(lines) + "\n")
    return f"replay:{path}"


def test_fidoctl_names_the_config_subcommands_as_python_fido2_and_the_spec_number_them(tmp_path):
    import subprocess
    from fido2.ctap2.config import Config
    from conftest import BIN
    key = replay_key(tmp_path / "key.txt", versions=["FIDO_2_0", "FIDO_2_1", "FIDO_2_3"],
                     options={"authnrCfg": True, "clientPin": False},
                     authenticator_config_commands=[Config.CMD.ENABLE_ENTERPRISE_ATT,
                                                    Config.CMD.VENDOR_PROTOTYPE])
    out = subprocess.run([BIN, "--device", key, "config", "long-touch-reset"], capture_output=True,
                         text=True, timeout=30, env={"NO_COLOR": "1", "PATH": "/usr/bin:/bin",
                                                     "FIDOCTL_STATE_DIR": str(tmp_path / "state")})
    assert out.returncode == 5, out.stderr
    assert (f"does not offer enableLongTouchForReset (authenticatorConfig {ENABLE_LONG_TOUCH_FOR_RESET:#04x}): "
            "its getInfo lists only enableEnterpriseAttestation, vendorPrototype") in out.stderr, out.stderr


def test_the_simulator_refuses_vendor_prototype_it_does_not_list(sim_factory):
    # enableLongTouchForReset by its spec number: test_ctap23.py.
    from fido2.ctap2.config import Config
    sim = sim_factory("ctap23")
    c = Ctap2(sim.device())
    pin = ClientPin(c)
    pin.set_pin("8351")  # the ctap23 profiles refuse runs like 1234
    assert Config.CMD.VENDOR_PROTOTYPE not in c.info.authenticator_config_commands
    with pytest.raises(CtapError) as e:
        c.config(Config.CMD.VENDOR_PROTOTYPE, {1: 1}, pin.protocol.VERSION, b"\0" * 32)
    assert e.value.code == ERR.INVALID_SUBCOMMAND
    c.device.close()


# --- the longest PIN, in the simulator's setMinPINLength ---

def test_the_minimum_pin_length_stops_at_the_longest_pin_python_fido2_assumes(sim_factory):
    from fido2.ctap2.config import Config
    sim = sim_factory("ctap21")
    c = Ctap2(sim.device())
    assert 0x1D not in c.send_cbor(Ctap2.CMD.GET_INFO), "no maxPINLength: the default applies"
    # Without getInfo's maxPINLength (0x1D), python-fido2 takes the spec's
    # default: 63 bytes (CTAP 2.2 §6.4; the 64-byte padded block needs a zero).
    longest = c.info.max_pin_length
    pin = ClientPin(c)
    pin.set_pin(PIN)
    cfg = Config(c, pin.protocol, pin.get_pin_token(PIN, ClientPin.PERMISSION.AUTHENTICATOR_CFG))
    with pytest.raises(CtapError) as e:
        cfg.set_min_pin_length(min_pin_length=longest + 1)
    assert e.value.code == ERR.PIN_POLICY_VIOLATION
    cfg.set_min_pin_length(min_pin_length=longest)
    assert c.get_info().min_pin_length == longest
    c.device.close()
