"""Drives a skillhost MCP endpoint with the official Python SDK.

    python client.py URL TOKEN MODE PLAN_JSON

MODE is the SDK's `mode` ("auto" negotiates 2026-07-28, "legacy" uses
initialize and 2025-11-25). PLAN_JSON is a list of {"name", "arguments"}
tool calls. Prints one JSON object: the negotiated protocol version, the
tools listed, and each call's result. Exits 2 with the errors on stderr, one
a line, when the SDK raises (for the refusal tests).
"""
import asyncio
import json
import sys

import httpx2  # mcp 2.x's HTTP client
from mcp import Client
from mcp.client.streamable_http import streamable_http_client


def block_text(block):
    return getattr(block, "text", None)


async def main(url, token, mode, plan):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(30.0)) as http:
        async with Client(streamable_http_client(url, http_client=http), mode=mode) as client:
            listed = await client.list_tools()
            out = {
                "protocolVersion": str(client.protocol_version),
                "tools": [
                    {
                        "name": t.name,
                        "title": t.title,
                        "inputSchema": t.input_schema,
                        "annotations": t.annotations.model_dump(by_alias=True, exclude_none=True) if t.annotations else None,
                    }
                    for t in listed.tools
                ],
                "calls": [],
            }
            for call in plan:
                try:
                    r = await client.call_tool(call["name"], call.get("arguments", {}))
                    out["calls"].append({
                        "isError": bool(r.is_error),
                        "text": [block_text(c) for c in r.content],
                        "structured": r.structured_content,
                    })
                except Exception as e:  # a protocol error, reported as such
                    out["calls"].append({"protocolError": str(e)})
            print(json.dumps(out))


if __name__ == "__main__":
    url, token, mode, plan = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
    try:
        asyncio.run(main(url, token, mode, plan))
    except Exception as e:
        # anyio wraps what the SDK raised in exception groups: print the
        # errors themselves, one a line.
        def leaves(e):
            if isinstance(e, BaseExceptionGroup):
                for inner in e.exceptions:
                    yield from leaves(inner)
            else:
                yield e

        for leaf in leaves(e):
            print(f"{type(leaf).__name__}: {leaf}", file=sys.stderr)
        sys.exit(2)
