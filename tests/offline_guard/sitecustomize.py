"""Loaded by every Python subprocess the tests start (via PYTHONPATH): any attempt to open a
network connection prints a marker line and exits with status 99, so the test sees it."""

import os
import socket
import sys

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _check(sock, address):
    if sock.family in (socket.AF_INET, socket.AF_INET6):
        sys.stderr.write(f"NETWORK-BLOCKED: connection attempt to {address!r}\n")
        sys.stderr.flush()
        os._exit(99)


def _connect(self, address):
    _check(self, address)
    return _real_connect(self, address)


def _connect_ex(self, address):
    _check(self, address)
    return _real_connect_ex(self, address)


socket.socket.connect = _connect
socket.socket.connect_ex = _connect_ex
