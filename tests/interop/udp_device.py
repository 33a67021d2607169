"""python-fido2 talking CTAPHID over UDP to `fidoctl sim serve`:
one 64-byte report per datagram, the convention of key simulators."""
import socket

from fido2.hid import CtapHidDevice
from fido2.hid.base import CtapHidConnection, HidDescriptor


class UdpConnection(CtapHidConnection):
    def __init__(self, host, port, timeout=10.0):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.settimeout(timeout)
        self.sock.connect((host, port))

    def read_packet(self) -> bytes:
        return self.sock.recv(64)

    def write_packet(self, data: bytes) -> None:
        # python-fido2 writes the report without the report-id byte.
        self.sock.send(bytes(data).ljust(64, b"\0")[:64])

    def close(self) -> None:
        self.sock.close()


def open_device(addr):
    host, port = addr.rsplit(":", 1)
    descriptor = HidDescriptor(f"udp:{addr}", 0, 0, 64, 64, "fidoctl sim", None)
    return CtapHidDevice(descriptor, UdpConnection(host, int(port)))
