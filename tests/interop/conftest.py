"""Starts `fidoctl sim serve` for a profile; the binary is $FIDOCTL_BIN."""
import json
import os
import pathlib
import subprocess

import pytest

from udp_device import open_device

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = os.environ.get("FIDOCTL_BIN", str(ROOT / "target" / "debug" / "fidoctl"))


class Sim:
    def __init__(self, profile, state, env=None):
        self.profile = profile
        # The fidoctl client keeps its key names next to the simulator's state, not in ~.
        self.env = dict(os.environ, FIDOCTL_SIM_STATE=str(state), NO_COLOR="1",
                        FIDOCTL_STATE_DIR=str(state) + ".fidoctl")
        for var in ("FIDOCTL_PIN", "FIDOCTL_NEW_PIN", "FIDOCTL_SIM_TOUCHES", "FIDOCTL_SIM_FAULTS",
                    "FIDOCTL_SIM_CLOCK"):
            self.env.pop(var, None)
        self.env.update(env or {})
        self.proc = subprocess.Popen(
            [BIN, "sim", "serve", "--profile", profile, "--listen", "127.0.0.1:0"],
            stdout=subprocess.PIPE, env=self.env, text=True,
        )
        line = self.proc.stdout.readline().strip()
        assert line.startswith("listening on "), line
        self.addr = line.removeprefix("listening on ")

    def device(self):
        return open_device(self.addr)

    def fidoctl(self, *args, check=True):
        """Runs the fidoctl client against this simulator (same state file)."""
        out = subprocess.run([BIN, "--device", f"udp:{self.addr}", *args], env=self.env,
                             capture_output=True, text=True, timeout=60)
        if check:
            assert out.returncode == 0, out.stderr
        return out

    def info_json(self):
        return json.loads(self.fidoctl("--json", "info").stdout)

    def replug(self):
        subprocess.run([BIN, "sim", "replug", "--profile", self.profile], env=self.env, check=True,
                       capture_output=True)

    def stop(self):
        self.proc.kill()
        self.proc.wait()


@pytest.fixture
def sim_factory(tmp_path):
    sims = []

    def start(profile, **env):
        sim = Sim(profile, tmp_path / f"{profile}-{len(sims)}.json", env)
        sims.append(sim)
        return sim

    yield start
    for s in sims:
        s.stop()
