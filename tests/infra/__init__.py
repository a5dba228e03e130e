"""Real loopback infrastructure for tests: proxies (tinyproxy, squid), DNS (dnsmasq, a silent server),
TLS and HTTP servers with trustme certificates, black holes and refusing ports. Everything binds to
127.0.0.1 or ::1 on free ports and stops when its context manager exits.

Use the context managers directly, or the fixtures in `tests/network/conftest.py`.
"""
