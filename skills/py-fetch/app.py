"""py-fetch: calls an HTTP API on 127.0.0.1 through the host's outgoing-HTTP policy."""
import asyncio
from dataclasses import dataclass
from typing import Annotated, Any, Optional

from skillhost import Failed, InvalidInput, ability, http, log, secret


@dataclass
class Reply:
    status: int
    content_type: Optional[str]
    body: Any  # JSON when the body parses as JSON, otherwise text


@ability
def request(
    url: Annotated[str, "Absolute URL, e.g. `http://127.0.0.1:8000/v1/status`."],
    method: Annotated[str, "HTTP method."] = "GET",
    headers: Annotated[dict[str, str], "Request headers."] = {},
    body: Annotated[Any, "Request body: a string is sent as it is, anything else as JSON."] = None,
    bearer: Annotated[bool, "Send the API_TOKEN secret as `Authorization: Bearer`."] = False,
) -> Reply:
    """Sends an HTTP request to an API on 127.0.0.1 and returns the status and the body (parsed when it is JSON)."""
    headers = dict(headers)
    if bearer:
        headers["authorization"] = f"Bearer {secret('API_TOKEN')}"
    if body is None or isinstance(body, str):
        response = http.request(method, url, body, headers)
    else:
        response = http.request(method, url, headers=headers, json=body)
    log.debug("fetched", url=url, status=response.status)
    try:
        parsed = response.json()
    except Failed:
        parsed = response.text
    return Reply(response.status, response.header("content-type"), parsed)


@ability
def status(url: Annotated[str, "Absolute URL to GET."]) -> str:
    """Returns only the HTTP status line of a GET, e.g. `200`."""
    return str(http.get(url).status)


@ability
async def statuses(urls: Annotated[list[str], "Absolute URLs to GET, at most 16."]) -> dict[str, int]:
    """GETs several URLs at once and returns each one's HTTP status."""
    if len(urls) > 16:
        raise InvalidInput("at most 16 URLs per call")
    responses = await asyncio.gather(*(http.request_async("GET", u) for u in urls))
    return {u: r.status for u, r in zip(urls, responses)}
