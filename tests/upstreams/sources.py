#!/usr/bin/env python3
"""Seed 004's sources as real servers, for skillhost's source tests.

Built on Python's standard http.server (nobody here wrote it), one process
on 127.0.0.1 serving every upstream a source install talks to:

  GitHub, shaped like its REST API and archive host:
    /api/v3/repos/{owner}/{repo}/tarball[/{ref}]  302 to /codeload/{owner}/{repo}/tar.gz/{ref}
    /codeload/{owner}/{repo}/tar.gz/{ref}          the repository as GitHub's .tar.gz
                                                   (one top folder owner-repo-<sha>, a pax global header)
  Direct sources:
    /raw/SKILL.md                a lone SKILL.md
    /archives/folder.zip         a .zip of one skill folder
    /archives/evil.tar.gz        an archive with a `../` entry
  An OpenAPI document with a real API behind it:
    /specs/pets.yaml             OpenAPI 3.0 (YAML); servers: this origin + /api; apiKey X-API-Key
    /specs/empty.json            OpenAPI 3.1 with no operations
    /api/...                     the pets API; /api/_recorded lists every request it received
  An MCP registry (/v0.1 of the official registry API):
    /registry/v0.1/servers?search=&cursor=&limit=
    /registry/v0.1/servers/{name}/versions/latest
  Switches for syncs:
    POST /admin/skill?v=N        the repository's pdf-tools SKILL.md body becomes version N
    POST /admin/spec?v=N         2 adds an operation; 3 moves the API to http://localhost:PORT
    POST /admin/fail?on=1        /specs/* answer 500 (a source that fails a sync)
    POST /admin/remote?url=U     the registry moves remote-tools' streamable HTTP remote to U

    python3 sources.py MCP_URL

prints `listening on 127.0.0.1:PORT` and serves until its stdin closes.
MCP_URL is the streamable HTTP endpoint the registry's remote-tools entry
points at (a real MCP server the test started).
"""
import io
import json
import sys
import tarfile
import threading
import urllib.parse
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MCP_URL = sys.argv[1]
STATE = {"skill": 1, "spec": 1, "fail": 0}
RECORDED = []
PETS = [{"id": 1, "name": "Rex", "tag": "dog"}, {"id": 2, "name": "Tom", "tag": "cat"}]
LOCK = threading.Lock()

PDF_SKILL = """---
name: pdf-tools
description: Fill and read PDF forms. Use when the user mentions a PDF form.
license: Apache-2.0
metadata:
  version: "1.{v}"
  author: acme
  tags: pdf,forms
---
# PDF tools (v{v})

Read references/forms.md before filling a form.
"""

GIT_SKILL = """---
name: git-helper
description: Write good commit messages and untangle rebases.
---
# Git helper

Keep commits small.
"""

BAD_SKILL = """---
name: Bad_Name
description: Breaks the name rule.
---
Body.
"""


def repo_files():
    return {
        "README.md": b"# acme skills\n",
        "skills/pdf-tools/SKILL.md": PDF_SKILL.format(v=STATE["skill"]).encode(),
        "skills/pdf-tools/references/forms.md": b"# Forms\n\nField names are case-sensitive.\n",
        "skills/pdf-tools/scripts/fill.py": b"print('never run by skillhost')\n",
        "skills/pdf-tools/assets/logo.png": bytes(range(256)),
        "skills/pdf-tools/LICENSE.txt": b"Apache License 2.0\n",
        "skills/pdf-tools/.editorconfig": b"root = true\n",
        "skills/git-helper/SKILL.md": GIT_SKILL.encode(),
        "skills/Bad_Name/SKILL.md": BAD_SKILL.encode(),
    }


def tar_gz(top, files, extra=()):
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz", format=tarfile.PAX_FORMAT) as tar:
        tar.pax_headers = {"comment": "0123456789abcdef0123456789abcdef01234567"}
        for name, data in files.items():
            info = tarfile.TarInfo(f"{top}/{name}" if top else name)
            info.size = len(data)
            info.mtime = 1700000000
            tar.addfile(info, io.BytesIO(data))
        for info, data in extra:
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def zip_of(files):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(name, data)
    return out.getvalue()


def spec_yaml(port):
    host = "localhost" if STATE["spec"] >= 3 else "127.0.0.1"
    extra = ""
    if STATE["spec"] >= 2:
        extra = """
  /pets/{petId}/vaccinations:
    get:
      operationId: listVaccinations
      summary: A pet's vaccinations
      parameters:
        - $ref: '#/components/parameters/PetId'
      responses:
        '200': {description: ok}
"""
    return f"""openapi: 3.0.3
info:
  title: Pet Store
  version: "2.1"
  description: A small pet store.
servers:
  - url: http://{host}:{port}/api
security:
  - ApiKey: []
paths:
  /pets:
    get:
      operationId: listPets
      summary: List pets
      parameters:
        - name: limit
          in: query
          schema: {{type: integer, minimum: 1}}
      responses:
        '200': {{description: ok}}
    post:
      operationId: createPet
      description: Add a pet to the store.
      requestBody:
        required: true
        content:
          application/json:
            schema:
              $ref: '#/components/schemas/NewPet'
      responses:
        '201': {{description: created}}
  /pets/{{petId}}:
    get:
      operationId: getPet
      summary: One pet
      parameters:
        - $ref: '#/components/parameters/PetId'
      responses:
        '200': {{description: ok}}
  /whoami:
    get:
      operationId: whoAmI
      summary: Echo the credential the API received
      responses:
        '200': {{description: ok}}
  /health:
    get:
      operationId: health
      security: []
      responses:
        '200': {{description: ok}}
{extra}
components:
  parameters:
    PetId:
      name: petId
      in: path
      required: true
      schema: {{type: string}}
  schemas:
    NewPet:
      type: object
      required: [name]
      properties:
        name: {{type: string}}
        tag: {{type: string, nullable: true}}
  securitySchemes:
    ApiKey:
      type: apiKey
      in: header
      name: X-API-Key
"""


EMPTY_SPEC = {"openapi": "3.1.0", "info": {"title": "Nothing", "version": "1"}, "paths": {}}


def registry_servers():
    return [
        {
            "name": "io.test/remote-tools",
            "title": "Remote tools",
            "description": "Adds numbers and says who called.",
            "version": "1.2.0",
            "remotes": [
                {"type": "sse", "url": MCP_URL.replace("/mcp", "/sse")},
                {
                    "type": "streamable-http",
                    "url": STATE.get("remote") or MCP_URL,
                    "headers": [{"name": "Authorization", "isSecret": True, "isRequired": False}],
                },
            ],
        },
        {
            "name": "io.test/stdio-only",
            "description": "Runs only as a local process.",
            "version": "0.3.0",
            "packages": [{"registryType": "npm", "identifier": "stdio-only", "transport": {"type": "stdio"}}],
        },
        {"name": "io.test/weather", "description": "Weather forecasts.", "version": "2.0.0",
         "remotes": [{"type": "streamable-http", "url": "https://weather.example/mcp"}]},
    ]


def meta():
    return {"io.modelcontextprotocol.registry/official": {"status": "active", "isLatest": True}}


class Handler(BaseHTTPRequestHandler):
    server_version = "sources-test/1"
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # noqa: A002 - http.server's name
        pass

    def _send(self, status, body, content_type="application/json", headers=()):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        elif isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        # Head and body in separate writes, as real servers do.
        self.wfile.flush()
        self.wfile.write(body)

    def _body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def do_GET(self):
        self._route("GET", b"")

    def do_POST(self):
        self._route("POST", self._body())

    def _route(self, method, body):
        url = urllib.parse.urlsplit(self.path)
        path, query = url.path, dict(urllib.parse.parse_qsl(url.query))
        parts = [urllib.parse.unquote(p) for p in path.strip("/").split("/")]
        port = self.server.server_address[1]
        if parts[:2] == ["api", "v3"] and len(parts) >= 6 and parts[2] == "repos" and parts[5] == "tarball":
            ref = parts[6] if len(parts) > 6 else "main"
            self._send(302, b"", "text/plain", [("Location", f"/codeload/{parts[3]}/{parts[4]}/tar.gz/{ref}")])
        elif parts[0] == "codeload" and len(parts) >= 5:
            owner, repo = parts[1], parts[2]
            if (owner, repo) != ("acme", "skills"):
                self._send(404, {"message": "Not Found"})
                return
            self._send(200, tar_gz(f"{owner}-{repo}-1a2b3c4", repo_files()), "application/x-gzip")
        elif path == "/raw/SKILL.md":
            self._send(200, GIT_SKILL, "text/markdown")
        elif path == "/archives/folder.zip":
            files = {k.removeprefix("skills/pdf-tools/"): v for k, v in repo_files().items() if k.startswith("skills/pdf-tools/")}
            self._send(200, zip_of({f"pdf-tools/{k}": v for k, v in files.items()}), "application/zip")
        elif path == "/archives/evil.tar.gz":
            info = tarfile.TarInfo("../escape.md")
            info.size = 4
            data = tar_gz("", {"SKILL.md": GIT_SKILL.encode()}, [(info, b"evil")])
            self._send(200, data, "application/gzip")
        elif path.startswith("/specs/") and STATE["fail"]:
            self._send(500, {"error": "down for maintenance"})
        elif path == "/specs/pets.yaml":
            self._send(200, spec_yaml(port), "application/yaml")
        elif path == "/specs/empty.json":
            self._send(200, EMPTY_SPEC)
        elif parts[0] == "api":
            self._api(method, parts[1:], query, body)
        elif parts[:3] == ["registry", "v0.1", "servers"]:
            self._registry(parts[3:], query)
        elif path == "/admin/skill":
            STATE["skill"] = int(query.get("v", "1"))
            self._send(200, {"ok": True})
        elif path == "/admin/fail":
            STATE["fail"] = int(query.get("on", "0"))
            self._send(200, {"ok": True})
        elif path == "/admin/spec":
            STATE["spec"] = int(query.get("v", "1"))
            self._send(200, {"ok": True})
        elif path == "/admin/remote":
            STATE["remote"] = query.get("url")
            self._send(200, {"ok": True})
        else:
            self._send(404, {"error": "no such route"})

    def _api(self, method, parts, query, body):
        if parts == ["_recorded"]:
            with LOCK:
                self._send(200, list(RECORDED))
            return
        with LOCK:
            RECORDED.append({
                "method": method, "path": "/" + "/".join(parts), "query": query,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": body.decode("utf-8", "replace"),
            })
        key = self.headers.get("X-API-Key")
        if parts == ["health"]:
            self._send(200, {"ok": True})
            return
        if not key:
            self._send(401, {"error": "missing X-API-Key"})
            return
        if parts == ["whoami"]:
            self._send(200, {"key": key})
        elif parts == ["pets"] and method == "GET":
            limit = int(query.get("limit", "100"))
            self._send(200, PETS[:limit])
        elif parts == ["pets"] and method == "POST":
            pet = json.loads(body)
            with LOCK:
                pet = {"id": len(PETS) + 1, **pet}
                PETS.append(pet)
            self._send(201, pet)
        elif len(parts) == 2 and parts[0] == "pets":
            found = [p for p in PETS if str(p["id"]) == parts[1]]
            if found:
                self._send(200, found[0])
            else:
                self._send(404, {"error": f"no pet {parts[1]}"})
        else:
            self._send(404, {"error": "no such operation"})

    def _registry(self, rest, query):
        servers = registry_servers()
        if len(rest) == 3 and rest[1] == "versions":
            found = [s for s in servers if s["name"] == rest[0]]
            if not found:
                self._send(404, {"error": "Server not found"})
            else:
                self._send(200, {"server": found[0], "_meta": meta()})
            return
        search = query.get("search", "").lower()
        matched = [s for s in servers if search in s["name"].lower() or search in s.get("description", "").lower()]
        start = int(query.get("cursor") or 0)
        limit = int(query.get("limit", "30"))
        page = matched[start:start + limit]
        nxt = str(start + limit) if start + limit < len(matched) else None
        self._send(200, {
            "servers": [{"server": s, "_meta": meta()} for s in page],
            "metadata": {"count": len(page), **({"nextCursor": nxt} if nxt else {})},
        })


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"listening on 127.0.0.1:{server.server_address[1]}", flush=True)
    sys.stdin.read()
    server.shutdown()


if __name__ == "__main__":
    main()
