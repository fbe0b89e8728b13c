"""A real remote MCP server for the tests of an agent's MCP servers: the
official Python SDK's MCPServer over streamable HTTP on 127.0.0.1.

    python remote_server.py [stateless]

Tools: `add` (two integers), `whoami` (echoes the Authorization and
X-Team headers it received: the host must inject the first and redact it
from the result) and `fail` (a tool error). It binds 127.0.0.1 port 0,
prints `listening on HOST:PORT` once it accepts connections, and serves
/mcp until killed.
"""
import asyncio
import os
import socket
import sys

import uvicorn

from mcp.server.mcpserver import Context, MCPServer

server = MCPServer("remote-tools")


@server.tool()
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@server.tool()
def whoami(ctx: Context) -> str:
    """Echo the credential and team headers this server received."""
    request = ctx.request_context.request
    headers = request.headers if request is not None else {}
    return f"authorization={headers.get('authorization', '')} team={headers.get('x-team', '')}"


@server.tool()
def fail(reason: str) -> str:
    """Always fails, with the reason given."""
    raise ValueError(f"failed on purpose: {reason}")


if __name__ == "__main__":
    stateless = len(sys.argv) > 1 and sys.argv[1] == "stateless"
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    host, port = sock.getsockname()
    app = server.streamable_http_app(stateless_http=stateless, host="127.0.0.1")
    config = uvicorn.Config(app, log_level="warning", access_log=False)
    # Connections queue on the listening socket from here on.
    print(f"listening on {host}:{port}", flush=True)
    # The test reads only that line.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    asyncio.run(uvicorn.Server(config).serve(sockets=[sock]))
