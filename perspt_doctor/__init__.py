"""perspt: a terminal chat client for many LLM providers, and `perspt doctor`.

Importing this package is cheap on purpose: heavy modules (httpx, rich, dnspython, keyring)
are imported only by the code paths that need them.
"""

from perspt_doctor._version import __version__ as __version__
