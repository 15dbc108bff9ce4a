"""A TCP proxy whose backend can be switched, as a load balancer that sends a
reconnecting client to another server (or, with no backend, a network that
drops every connection).

>>> with Proxy(port_a) as proxy:  # doctest: +SKIP
...     proxy.route(port_b)       # new connections go to port_b
"""

from __future__ import annotations

from tests.tcprelay import TCPRelay as Proxy

__all__ = ["Proxy"]
