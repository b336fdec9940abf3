"""`nevport energy simulate-equipment` serves devices the control service can switch."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

from nevport.energy.control import device
from nevport.energy.control.models import RegisterKind

from ...notify.conftest import free_port


def test_the_simulator_process_takes_a_coil_write_and_reads_it_back() -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "nevport.cli", "energy", "simulate-equipment", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        target = device.Target("127.0.0.1", port, 1, RegisterKind.coil, 7)
        assert device.write(target, 1) == (0, 1)
        assert device.read(target) == 1
    finally:
        process.terminate()
        process.wait(timeout=10)
