"""Outgoing HTTP over `wasi:http`, for skills that declare `network`.

The host sends a request only when the URL's scheme, host and port match a
`network` pattern of the skill's manifest and the operator's grant, and only
to public addresses unless private networks were allowed. A refusal raises
`Denied`; any other failure `Failed`; a malformed request `InvalidInput`.

    from skillhost import http
    response = http.get("https://api.example.com/v1/status")
    data = response.json()

Importing this module needs the `skill-http` world, which the build uses
when `skill.toml` declares `network`; import it at the top of `app.py` (a
module first imported at run time is missing from the component).

Requests run on a `wasi:io/poll` event loop; `request_async` and `run` let
one ability send several requests at once:

    a, b = http.run(asyncio.gather(http.request_async("GET", u1),
                                   http.request_async("GET", u2)))
"""
import dataclasses
import json as _json

from .errors import Denied, Failed, InvalidInput

try:
    from componentize_py_types import Err

    from . import _poll_loop
    from wit_world.imports import http_types as _t, outgoing_handler
except ImportError as e:  # built against the `skill` world, without wasi:http
    raise ImportError(
        "skillhost.http needs wasi:http: declare `network` in skill.toml so the "
        "skill is built against the skill-http world"
    ) from e

# The largest response body read into memory; a skill's memory limit is the
# real bound, this only turns a runaway body into a clear error.
MAX_BODY = 16 * 1024 * 1024


@dataclasses.dataclass
class Response:
    """An HTTP response with its body read."""

    status: int
    headers: "list[tuple[str, bytes]]"
    body: bytes

    @property
    def text(self) -> str:
        """The body as UTF-8 text (invalid sequences replaced)."""
        return self.body.decode("utf-8", errors="replace")

    def json(self):
        """The body decoded as JSON; raises `Failed` when it is not JSON."""
        try:
            return _json.loads(self.body)
        except ValueError as e:
            raise Failed(f"response is not JSON: {e}") from None

    def header(self, name: str) -> "str | None":
        """The first value of header `name` (case-insensitive), as text."""
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value.decode("latin-1")
        return None


def get(url: str, headers: "dict[str, str] | None" = None) -> Response:
    """Sends a GET request to `url` and reads the whole response."""
    return request("GET", url, headers=headers)


def request(method: str, url: str, body=None, headers=None, *, json=None) -> Response:
    """Sends a request and reads the whole response.

    `body` is bytes or str (sent as UTF-8); `json=` sends a value as JSON with
    `content-type: application/json`. `headers` is a dict of str to str.
    """
    return run(request_async(method, url, body, headers, json=json))


def run(awaitable):
    """Runs a coroutine (e.g. `asyncio.gather` of `request_async` calls) to
    completion on a `wasi:io/poll` event loop."""
    return _poll_loop.PollLoop().run_until_complete(awaitable)


async def request_async(method: str, url: str, body=None, headers=None, *, json=None) -> Response:
    """`request` as a coroutine, for `run`."""
    headers = dict(headers or {})
    if json is not None:
        body = _json.dumps(json).encode()
        if not any(k.lower() == "content-type" for k in headers):
            headers["content-type"] = "application/json"
    if isinstance(body, str):
        body = body.encode()
    scheme, authority, path = _split_url(url)
    try:
        fields = _t.Fields.from_list([(k, v.encode()) for k, v in headers.items()])
    except Err as e:
        raise InvalidInput(f"bad request header: {type(e.value).__name__}") from None
    outgoing = _t.OutgoingRequest(fields)
    try:
        outgoing.set_method(_method(method))
    except Err:
        raise InvalidInput(f"bad HTTP method `{method}`") from None
    try:
        outgoing.set_scheme(scheme)
        outgoing.set_authority(authority)
        outgoing.set_path_with_query(path)
    except Err:
        raise InvalidInput(f"bad URL `{url}`") from None
    outgoing_body = outgoing.body()
    try:
        # The body is written after `handle`, while the request is in flight.
        future = outgoing_handler.handle(outgoing, None)
        await _poll_loop.write_body(outgoing_body, body or b"")
        response = await _poll_loop.response(future)
        status = response.status()
        with response.headers() as fields:
            entries = fields.entries()
        data = await _poll_loop.read_body(response.consume(), MAX_BODY)
        response.__exit__(None, None, None)
    except Err as e:
        raise _code_error(url, e.value) from None
    except OverflowError as e:
        raise Failed(str(e)) from None
    return Response(status, entries, data)


def _code_error(url: str, code) -> Exception:
    """The host refuses undeclared destinations with `HTTP-request-denied`;
    that, and a prohibited destination address, are the sandbox saying no."""
    if isinstance(code, (_t.ErrorCode_HttpRequestDenied, _t.ErrorCode_DestinationIpProhibited)):
        return Denied(f"the sandbox refused a request to {url}")
    return Failed(f"request to {url} failed: {code!r}")


def _method(name: str):
    simple = {
        "GET": _t.Method_Get, "HEAD": _t.Method_Head, "POST": _t.Method_Post,
        "PUT": _t.Method_Put, "DELETE": _t.Method_Delete, "CONNECT": _t.Method_Connect,
        "OPTIONS": _t.Method_Options, "TRACE": _t.Method_Trace, "PATCH": _t.Method_Patch,
    }
    upper = name.upper()
    return simple[upper]() if upper in simple else _t.Method_Other(upper)


def _split_url(url: str):
    bad = InvalidInput(f"`{url}` is not an absolute http(s) URL")
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise bad
    schemes = {"http": _t.Scheme_Http, "https": _t.Scheme_Https}
    if scheme.lower() not in schemes:
        raise bad
    cut = min((i for i in (rest.find("/"), rest.find("?")) if i >= 0), default=len(rest))
    authority, path = rest[:cut], rest[cut:]
    if not authority:
        raise bad
    if not path.startswith("/"):
        path = "/" + path
    return schemes[scheme.lower()](), authority, path
