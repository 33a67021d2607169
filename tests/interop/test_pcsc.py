"""python-fido2's CtapPcscDevice (pyscard, libpcsclite) against `fidoctl sim
vpcd`, the simulator as the card in vsmartcard's virtual reader of a real
pcscd this test starts: getInfo, ClientPin, makeCredential and
CredentialManagement through python-fido2's own NFC framing, and fidoctl over
the same reader agreeing about the card.

Needs pcscd, vsmartcard-vpcd and pyscard (scripts/pcsc-env --test, then
scripts/python-env). Without them, or with a pcscd of the system already
running, the test is skipped with the reason; FIDOCTL_REQUIRE_PCSC=1 (CI)
makes that a failure."""
import hashlib
import json
import os
import shutil
import subprocess
import threading
import time

import pytest

from conftest import BIN

SOCKET = "/run/pcscd/pcscd.comm"
READER = "Virtual PCD 00 00"
VPCD = "/usr/lib/pcsc/drivers/serial/libifdvpcd.so"
YUBIKEY5_AAGUID = "a25342c0-3cdc-4414-8e46-f4807fca511c"


def unavailable():
    try:
        import smartcard  # noqa: F401
    except ImportError as e:
        return f"pyscard is not installed ({e}): run scripts/pcsc-env --test, then scripts/python-env"
    if not shutil.which("pcscd") or not os.path.exists(VPCD):
        return "pcscd and vsmartcard-vpcd are not installed: run scripts/pcsc-env --test"
    running = subprocess.run(["pgrep", "-x", "pcscd"], capture_output=True).returncode == 0
    if os.path.exists(SOCKET) and running:
        return "a pcscd of this system already runs (the test starts its own)"
    return None


@pytest.fixture(scope="module")
def card(tmp_path_factory):
    why = unavailable()
    if why:
        if os.environ.get("FIDOCTL_REQUIRE_PCSC") == "1":
            pytest.fail(f"FIDOCTL_REQUIRE_PCSC=1 but the PC/SC interop test cannot run: {why}")
        pytest.skip(f"SKIPPED: {why}")
    work = tmp_path_factory.mktemp("pcsc")
    conf = work / "conf"
    conf.mkdir()
    (conf / "vpcd").write_text(
        'FRIENDLYNAME "Virtual PCD"\nDEVICENAME /dev/null:0x8C7B\n'
        f"LIBPATH {VPCD}\nCHANNELID 0x8C7B\n")
    pcscd = subprocess.Popen(["pcscd", "--foreground", "--info", "--config", str(conf)],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    for line in pcscd.stdout:
        if "daemon ready" in line:
            break
    threading.Thread(target=lambda: [None for _ in pcscd.stdout], daemon=True).start()
    env = dict(os.environ, FIDOCTL_SIM_STATE=str(work / "state.json"), NO_COLOR="1",
               FIDOCTL_STATE_DIR=str(work / "fidoctl"))
    for var in ("FIDOCTL_PIN", "FIDOCTL_NEW_PIN", "FIDOCTL_SIM_TOUCHES", "FIDOCTL_SIM_FAULTS",
                "FIDOCTL_SIM_QUIRKS", "FIDOCTL_SIM_CARD_FAULTS"):
        env.pop(var, None)
    sim = subprocess.Popen([BIN, "sim", "vpcd", "--profile", "yubikey5"], stdout=subprocess.PIPE,
                           env=env, text=True)
    assert sim.stdout.readline().startswith("serving "), "fidoctl sim vpcd did not start"
    try:
        yield env
    finally:
        sim.kill()
        sim.wait()
        pcscd.terminate()
        pcscd.wait(timeout=10)


def device():
    """python-fido2's device for the card on the virtual reader."""
    from fido2.pcsc import CtapPcscDevice
    deadline = time.time() + 15
    while time.time() < deadline:
        devices = list(CtapPcscDevice.list_devices(READER))
        if devices:
            return devices[0]
        time.sleep(0.2)
    raise AssertionError(f"no FIDO key on {READER}")


def fidoctl(env, *args):
    out = subprocess.run([BIN, "--device", f"pcsc:{READER}", *args], env=env, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_python_fido2_drives_the_simulated_card(card):
    from fido2.ctap2 import Ctap2
    from fido2.ctap2.credman import CredentialManagement
    from fido2.ctap2.pin import ClientPin

    # getInfo through python-fido2's NFC framing, and fidoctl's view of the same card.
    ctap = Ctap2(device())
    assert str(ctap.info.aaguid) == YUBIKEY5_AAGUID
    assert "nfc" in ctap.info.transports
    ours = json.loads(fidoctl(card, "--json", "info"))
    assert ours["aaguid"] == str(ctap.info.aaguid)
    assert ours["versions"] == list(ctap.info.versions)

    # ClientPin: a PIN set by python-fido2 is one fidoctl sees.
    ClientPin(ctap).set_pin("1234")
    # pyscard resets the card when it lets it go; close before the next
    # connection, so that one does not find its card reset under it.
    ctap.device.close()
    assert json.loads(fidoctl(card, "--json", "pin", "status"))["pin_set"] is True

    # makeCredential (a discoverable one), authenticated with a PIN token.
    ctap = Ctap2(device())
    pin = ClientPin(ctap)
    token = pin.get_pin_token("1234", ClientPin.PERMISSION.MAKE_CREDENTIAL, "example.com")
    cdh = hashlib.sha256(b"python-fido2 over pcsc").digest()
    ctap.make_credential(
        cdh, {"id": "example.com", "name": "Example"}, {"id": b"alice-id", "name": "alice"},
        [{"type": "public-key", "alg": -7}], options={"rk": True},
        pin_uv_param=pin.protocol.authenticate(token, cdh), pin_uv_protocol=pin.protocol.VERSION)
    ctap.device.close()

    # CredentialManagement finds it, and so does fidoctl.
    ctap = Ctap2(device())
    pin = ClientPin(ctap)
    token = pin.get_pin_token("1234", ClientPin.PERMISSION.CREDENTIAL_MGMT)
    cm = CredentialManagement(ctap, pin.protocol, token)
    assert cm.get_metadata()[CredentialManagement.RESULT.EXISTING_CRED_COUNT] == 1
    rps = cm.enumerate_rps()
    assert [rp[CredentialManagement.RESULT.RP]["id"] for rp in rps] == ["example.com"]
    ctap.device.close()
    listed = json.loads(fidoctl(dict(card, FIDOCTL_PIN="1234"), "--json", "credentials", "list"))
    assert listed["existing"] == 1
    assert [rp["id"] for rp in listed["relying_parties"]] == ["example.com"]
