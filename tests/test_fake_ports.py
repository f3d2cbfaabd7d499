"""The ports the fakes and the live app are given: free, and out of reach of the machine's outgoing
connections until their server binds them."""

from __future__ import annotations

import socket

import pytest

from tests.fakes.ports import _ephemeral_start, free_port
from tests.fakes.serve import serving


@pytest.mark.any_database
def test_ports_come_from_below_the_ephemeral_range_and_are_not_handed_out_twice():
    ports = [free_port() for _ in range(50)]
    assert len(set(ports)) == 50
    assert all(port < _ephemeral_start() for port in ports)


@pytest.mark.any_database
def test_a_port_taken_meanwhile_fails_one_test_with_a_clear_error_instead_of_exiting():
    port = free_port()
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", port))
        squatter.listen()
        with pytest.raises(OSError, match=f"port {port} is in use"), serving(lambda env, start: [], port):
            pass
