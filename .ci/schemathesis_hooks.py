"""Schemathesis hooks for the UPC API (loaded by .ci/run through SCHEMATHESIS_HOOKS).

The API answers refusals the policy requires (FORBIDDEN, NOT_FOUND, CONFLICT, INVALID_TRANSITION,
...) as GraphQL errors with a stable `extensions.code`; those are the client's outcome, not
server failures. `upc_no_server_error` fails on what the API promises never to send: an HTTP 5xx,
an `INTERNAL_SERVER_ERROR`, or an error without a code (a message nobody wrote for a client).
"""

import schemathesis
from hypothesis import strategies as st
from schemathesis.graphql import nodes

# The schema's custom scalars, so generated documents use plausible values (and some that are
# not, through the same strings' edges).
schemathesis.graphql.scalar(
    "NaiveDate",
    st.dates().map(lambda d: nodes.String(d.isoformat())),
)
schemathesis.graphql.scalar(
    "DateTime",
    st.datetimes().map(lambda d: nodes.String(d.isoformat() + "Z")),
)
schemathesis.graphql.scalar(
    "JSON",
    st.one_of(
        st.text(max_size=20).map(nodes.String),
        st.integers(min_value=-1000, max_value=1000).map(nodes.Int),
        st.booleans().map(nodes.Boolean),
    ),
)

SERVER_FAULT = "INTERNAL_SERVER_ERROR"
RESULTS = {"responses": 0, "errors_by_code": {}}


@schemathesis.check
def upc_no_server_error(ctx, response, case):
    """No 5xx, no INTERNAL_SERVER_ERROR, no error without a stable code."""
    RESULTS["responses"] += 1
    if response.status_code >= 500:
        raise AssertionError(f"HTTP {response.status_code}: {response.text[:500]}")
    if response.status_code == 429:
        return None
    try:
        payload = response.json()
    except ValueError as exc:
        raise AssertionError(f"not JSON ({exc}): {response.text[:300]}") from exc
    errors = payload.get("errors") if isinstance(payload, dict) else None
    for error in errors or []:
        extensions = error.get("extensions") or {}
        code = extensions.get("code")
        RESULTS["errors_by_code"][code] = RESULTS["errors_by_code"].get(code, 0) + 1
        if code is None:
            raise AssertionError(f"an error without a code: {error}")
        if code == SERVER_FAULT:
            raise AssertionError(f"a server fault: {error}")
    return None


def _report():
    codes = ", ".join(
        f"{code or 'none'}={count}"
        for code, count in sorted(RESULTS["errors_by_code"].items(), key=lambda kv: str(kv[0]))
    )
    print(f"upc: {RESULTS['responses']} responses checked; GraphQL error codes seen: {codes or 'none'}")


import atexit  # noqa: E402

atexit.register(_report)
