"""Subscribes to tools/list_changed on a skillhost MCP endpoint (2026-07-28)
with the official Python SDK.

    python listen.py URL TOKEN

Prints `listening` once the subscription is acknowledged, then, after the
first notification, the tool names it re-lists, as JSON. Exits 3 when no
notification comes within 20 seconds.
"""
import asyncio
import json
import sys

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client


async def main(url, token):
    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=httpx2.Timeout(60.0)) as http:
        async with Client(streamable_http_client(url, http_client=http)) as client:
            async with client.listen(tools_list_changed=True) as subscription:
                print("listening", flush=True)
                async for _event in subscription:
                    tools = await client.list_tools()
                    print(json.dumps([t.name for t in tools.tools]), flush=True)
                    return


if __name__ == "__main__":
    try:
        asyncio.run(asyncio.wait_for(main(sys.argv[1], sys.argv[2]), 20))
    except asyncio.TimeoutError:
        print("no notification within 20 s", file=sys.stderr)
        sys.exit(3)
