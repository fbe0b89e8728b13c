"""py-hostile: each ability attacks one wall of the sandbox (tests only)."""
# socket.create_connection and getaddrinfo encode host names with the idna
# codec; imported here so it is in the component (modules are snapshotted at
# build time) and the calls reach the sandbox's sockets.
import encodings.idna  # noqa: F401
import os
import socket
from typing import Annotated

from skillhost import ability, secret as host_secret


@ability
def ok() -> str:
    """Returns immediately; the baseline after each attack."""
    return "ok"


@ability
def read_file(target: Annotated[str, "Path to read."]) -> str:
    """Reads a file as text."""
    with open(target) as f:
        return f.read()


@ability
def list_dir(target: Annotated[str, "Directory to list."]) -> list[str]:
    """Lists a directory, sorted."""
    return sorted(os.listdir(target))


@ability
def env_all() -> dict[str, str]:
    """Returns every environment variable the guest can see."""
    return dict(os.environ)


@ability
def connect(host: Annotated[str, "Address."], port: Annotated[int, "Port."]) -> str:
    """Opens a TCP connection and exchanges a line."""
    s = socket.create_connection((host, port), timeout=2)
    s.sendall(b"GET / HTTP/1.0\r\n\r\n")
    return s.recv(100).decode()


@ability
def tcp(host: Annotated[str, "IP address."], port: Annotated[int, "Port."]) -> str:
    """Opens a TCP socket and connects it, without a name lookup."""
    try:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    except OSError as e:
        raise OSError(e.errno, f"socket(): {e.strerror}")
    s.settimeout(2)
    s.connect((host, port))
    return "connected"


@ability
def resolve(name: Annotated[str, "Host name."]) -> list[str]:
    """Looks a name up."""
    return sorted({info[4][0] for info in socket.getaddrinfo(name, 80)})


@ability
def udp(host: Annotated[str, "Address."], port: Annotated[int, "Port."]) -> str:
    """Sends a UDP datagram."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.sendto(b"hello", (host, port))
    return "sent"


@ability
def spin() -> str:
    """Spins forever."""
    i = 0
    while True:
        i += 1


@ability
def allocate(n: Annotated[int, "Bytes."]) -> str:
    """Allocates n bytes in 1 MiB chunks, touching every page."""
    chunks = []
    total = 0
    while total < n:
        chunk = bytearray(b"\x01" * (1 << 20))
        chunks.append(chunk)
        total += len(chunk)
    return f"allocated {total}"


@ability
def flood(n: Annotated[int, "Bytes."]) -> str:
    """Returns n bytes of output."""
    return "x" * n


@ability
def flood_stdout(n: Annotated[int, "Bytes."]) -> str:
    """Prints n bytes to stdout, then returns."""
    line = "y" * 1023
    for _ in range(n // 1024):
        print(line)
    return "printed"


@ability
def secret(target: Annotated[str, "Secret name."]) -> str:
    """Reads a secret by name."""
    return host_secret(target)


@ability
def secret_reversed(target: Annotated[str, "Secret name."]) -> str:
    """Reads a secret and returns it reversed."""
    return host_secret(target)[::-1]


@ability
def crash() -> str:
    """Raises an uncaught exception."""
    raise RuntimeError("hostile guest raised on purpose")
