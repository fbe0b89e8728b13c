"""A real remote MCP server for the tests of an agent's MCP servers: the
official Python SDK's MCPServer over streamable HTTP on 127.0.0.1.

    python remote_server.py PORT [stateless]

Tools: `add` (two integers), `whoami` (echoes the Authorization and
X-Team headers it received: the host must inject the first and redact it
from the result) and `fail` (a tool error). It serves /mcp until killed.
"""
import sys

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
    port = int(sys.argv[1])
    stateless = len(sys.argv) > 2 and sys.argv[2] == "stateless"
    server.run("streamable-http", host="127.0.0.1", port=port, stateless_http=stateless)
