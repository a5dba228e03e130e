"""The doctor on a broken Python. When Python cannot load its TLS library (`import ssl` fails, e.g.
`libssl.so.3` is missing), the built-in checks cannot load either: they send requests through httpx,
which needs `ssl`. The doctor still runs and says why: one `runtime.python` row (the check the client's
message names) fails with the cause and the fix, instead of one load error per check module."""

from __future__ import annotations

import sys

from perspt_doctor.engine.check_model import Check, CheckContext, Result
from perspt_doctor.transport.classify import TLS_LIBRARY_HINT, tls_library_fault

__all__ = ["stand_in", "tls_library_fault", "tls_library_result"]

HINT = TLS_LIBRARY_HINT


def tls_library_result(reason: str) -> Result:
    """The `runtime.python` verdict when `import ssl` fails: shared by the check and the stand-in below."""
    return Result.fail(f"Python cannot load its TLS library: {reason}", facts={"python": sys.version.split()[0]},
                       hint=HINT, docs="docs/troubleshooting.md#installation")


def stand_in(reason: str, unloaded: list[str]) -> Check:
    """`runtime.python` when its module could not load because Python itself is broken."""

    def report(_ctx: CheckContext) -> Result:
        result = tls_library_result(reason)
        if unloaded:
            result.details.append(f"{len(unloaded)} built-in check modules could not load for the same reason: "
                                  + ", ".join(name.rsplit(".", 1)[-1] for name in unloaded))
        return result

    return Check(id="runtime.python", title="Python and platform", category="runtime", func=report, timeout=2)
