#!/usr/bin/env bash
# Seeds fuzz/corpus/<target>/ from the repository's fixtures: skill.toml
# and SKILL.md files, the OpenAPI documents and instruction templates the
# unit tests use, archives and packages built from them, and a few
# hand-written tokens, cursors, grants and upstream answers. Idempotent:
# files are named by content, and what the fuzzer added stays.
# Usage: tests/fuzz/seed.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
exec python3 - "$root" <<'PY'
import hashlib, hmac, base64, io, json, os, re, sys, tarfile, zipfile, gzip, glob

root = sys.argv[1]
corpus = os.path.join(root, "fuzz", "corpus")

def put(target, data):
    if isinstance(data, str):
        data = data.encode()
    d = os.path.join(corpus, target)
    os.makedirs(d, exist_ok=True)
    name = "seed-" + hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)

def read(path):
    with open(os.path.join(root, path), "rb") as f:
        return f.read()

def rust_strings(path, must_start=None, must_contain=None):
    """String literals of a Rust source file (plain and raw), unescaped."""
    text = read(path).decode()
    out = []
    for m in re.finditer(r'r(#+)"(.*?)"\1|"((?:[^"\\]|\\.)*)"', text, re.S):
        if m.group(2) is not None:
            s = m.group(2)
        else:
            s = m.group(3)
            s = re.sub(r'\\\n\s*', '', s)
            s = re.sub(r'\\u\{([0-9a-fA-F]+)\}', lambda x: chr(int(x.group(1), 16)), s)
            s = (s.replace('\\\\', '\0').replace('\\n', '\n').replace('\\r', '\r')
                  .replace('\\t', '\t').replace('\\"', '"').replace("\\'", "'").replace('\0', '\\'))
        if must_start and not s.lstrip().startswith(must_start):
            continue
        if must_contain and must_contain not in s:
            continue
        out.append(s)
    return out

# manifest: every skill.toml in the repository.
tomls = sorted(p for p in glob.glob(os.path.join(root, "**", "skill.toml"), recursive=True)
               if "/target/" not in p and "/fuzz/" not in p and "node_modules" not in p)
for p in tomls:
    put("manifest", open(p, "rb").read())

# package: mode 1 (sections appended to an empty component) with a valid
# manifest section, with and without documents; mode 0 with the empty component.
manifest = {"name": "calc", "version": "1.0.0", "description": "adds",
            "capabilities": {"network": ["https://api.example.com"], "fs_read": ["/data"],
                             "fs_write": [], "env": ["MODE"], "secrets": ["API_KEY"]},
            "limits": {}, "abilities": [{"name": "add", "description": "adds two numbers",
                                          "input_schema": {"type": "object"}}]}
section = json.dumps({"format": 1, "kind": "sdk", "manifest": manifest}).encode()
docs = json.dumps({"format": 1, "docs": {"skill_md": "---\nname: calc\ndescription: adds\n---\nbody\n",
                                         "references": {"references/a.md": "a"},
                                         "scripts": ["scripts/run.sh"]}}).encode()
put("package", b"\x01" + section)
put("package", b"\x01" + section + b"\0" + docs)
put("package", b"\x00\0asm\x0d\0\x01\0")
guests = sorted(glob.glob(os.path.join(root, "tests", "guests", "**", "*.wasm"), recursive=True))
for p in guests[:1]:
    data = open(p, "rb").read()
    if len(data) < 64 << 10:
        put("package", b"\x00" + data)

# skill_md and archive: every SKILL.md, and the frontmatter tests' texts.
skill_mds = sorted(p for p in glob.glob(os.path.join(root, "**", "SKILL.md"), recursive=True)
                   if "/target/" not in p and "/fuzz/" not in p and "node_modules" not in p)
texts = [open(p, "rb").read() for p in skill_mds]
texts += [s.encode() for s in rust_strings("host/src/sources/skill_md/tests.rs", must_start="---")][:20]
for t in texts:
    put("skill_md", t)
if not texts:
    texts = [b"---\nname: pdf\ndescription: reads PDFs\n---\n# PDF\n"]

def tar_of(files, top="skill-main"):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, data in files:
            info = tarfile.TarInfo(f"{top}/{name}" if top else name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo(f"{top}/skill/link" if top else "skill/link")
        link.type = tarfile.SYMTYPE
        link.linkname = "../README.md"
        t.addfile(link)
    return buf.getvalue()

def zip_of(files):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files:
            z.writestr(name, data)
    return buf.getvalue()

skill = texts[0].replace(b"name: text-tools", b"name: skill")
files = [("skill/SKILL.md", skill), ("skill/references/guide.md", b"# guide\n"),
         ("skill/scripts/run.sh", b"#!/bin/sh\n"), ("skill/FORMS.md", b"forms\n"),
         ("other/SKILL.md", texts[0]), ("README.md", b"readme\n")]
plain = tar_of(files)
put("archive", b"\x00" + gzip.compress(plain, 1))
put("archive", b"\x01" + plain)
put("archive", b"\x05" + plain)
put("archive", b"\x03" + plain)
put("archive", b"\x02" + zip_of(files))
put("archive", b"\x06" + zip_of(files))

# openapi: the documents the unit tests read.
for s in rust_strings("host/src/sources/openapi/tests.rs", must_contain="openapi")[:12]:
    if "paths" in s:
        put("openapi", s)
put("openapi", json.dumps({"openapi": "3.1.0", "info": {"title": "t", "version": "1"},
    "servers": [{"url": "/v1"}],
    "paths": {"/items/{id}": {"get": {"operationId": "getItem", "parameters": [
        {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}},
        {"name": "q", "in": "query", "schema": {"type": "array", "items": {"type": "string"}}}],
        "security": [{"key": []}], "responses": {"200": {"description": "ok"}}}}},
    "components": {"securitySchemes": {"key": {"type": "apiKey", "in": "header", "name": "X-Key"}}}}))

# instruction: the templates the unit tests parse, with an input.
for s in rust_strings("host/src/ability/instruction/tests.rs", must_contain="```")[:60]:
    put("instruction", s)
put("instruction", "```fetch\nPOST https://api.example.com/x\n\n{\"a\": $[a js]}\n```\0{\"a\": \"x\\ny\"}")

# network patterns.
for p in ["https://api.example.com", "http://*.example.com:8080", "https://example.com:*",
          "https://10.0.0.1", "https://[::1]:8443", "https://*.co.uk\nhttps://a.b.co.uk",
          "https://xn--bcher-kva.example\nhttps://*.example"]:
    put("network_pattern", p)

# grants, as an admin sends them.
for g in [{},
          {"network": ["https://api.example.com"], "allowPrivateNetwork": False,
           "env": {"MODE": "fast"}, "secrets": {"API_KEY": {"secretId": "sec_1"}},
           "inject": [{"origin": "https://api.example.com", "header": "Authorization", "secretId": "sec_2"}],
           "config": {"k": "v"}, "limits": {"timeoutMs": 1000}},
          {"mounts": {"/data": {"volume": "shared", "path": "sub"}}, "allow_private_network": True},
          {"network": [], "mounts": ["/data"]},
          {"secrets": {"TOKEN": "a value"}}]:
    put("grant", json.dumps(g))

# JWTs signed with the target's secret, and broken ones.
secret = b"fuzzing-secret-at-least-32-bytes-long!"
def b64(d):
    return base64.urlsafe_b64encode(d).rstrip(b"=")
def jwt(claims, alg="HS256", key=secret):
    head = b64(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    body = b64(json.dumps(claims).encode())
    sig = b64(hmac.new(key, head + b"." + body, hashlib.sha256).digest())
    return head + b"." + body + b"." + sig
put("jwt", jwt({"sub": "admin", "exp": 4102444800, "scopes": ["skills:read"], "tenant": "t1"}))
put("jwt", jwt({"sub": "admin", "exp": 1}))
put("jwt", jwt({"sub": "x", "exp": 4102444800}, alg="none"))
put("jwt", jwt({"exp": 4102444800}, key=b"other"))

# cursors: hex of newline-joined sort keys.
for parts in [["2026-01-01T00:00:00Z", "skill_1", "x"], ["1700000000", "42"], ["a"]]:
    put("cursor", "\n".join(parts).encode().hex())
put("cursor", "zz")

# MCP: requests a client sends, replies a remote server sends.
for m in [{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-06-18",
           "capabilities": {}, "clientInfo": {"name": "c", "version": "1"}}},
          {"jsonrpc": "2.0", "method": "notifications/initialized"},
          {"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {"cursor": "abc"}},
          {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "calc__add",
           "arguments": {"a": 1, "b": 2}, "_meta": {"progressToken": 7}}}]:
    put("mcp_request", json.dumps(m))
call = {"content": [{"type": "text", "text": "sk-live-0123456789abcdef is 3"},
                    {"type": "image", "data": "aGk=", "mimeType": "image/png"}],
        "structuredContent": {"sum": 3}, "isError": False}
tools = {"tools": [{"name": "add", "description": "adds", "inputSchema": {"type": "object",
          "properties": {"a": {"type": "number"}}}, "annotations": {"readOnlyHint": True}}],
         "nextCursor": "n1"}
put("mcp_reply", json.dumps(call))
put("mcp_reply", json.dumps(tools))
put("mcp_reply", json.dumps({"jsonrpc": "2.0", "id": 1, "result": call}))
put("mcp_reply", json.dumps({"jsonrpc": "2.0", "id": 1, "error": {"code": -32601, "message": "no"}}))
put("mcp_reply", json.dumps({"content": [{"type": "text", "text": "failed"}], "isError": True}))

# registry answers: one server, a page.
server = {"name": "io.test/weather", "description": "Weather", "version": "2.0.0",
          "remotes": [{"type": "sse", "url": "https://weather.example/sse"},
                      {"type": "streamable-http", "url": "https://{region}.weather.example/mcp",
                       "variables": {"region": {"default": "us", "choices": ["us", "eu"]}},
                       "headers": [{"name": "Authorization", "isSecret": True, "isRequired": True},
                                   {"name": "X-Plan", "value": "free"}]}]}
put("registry", json.dumps({"server": server, "_meta": {}}))
put("registry", json.dumps({"servers": [{"server": server}, {"server": {"name": "io.test/stdio",
    "description": "d", "version": "1", "packages": []}}], "metadata": {"nextCursor": "c2"}}))

# GitHub sources.
for u in ["https://github.com/anthropics/skills\nanthropics/skills/document-skills/pdf",
          "https://github.com/o/r/tree/v1.2/a/b", "https://example.com/x/SKILL.md",
          "https://example.com/skill.tar.gz", "https://ghe.example.com/git/o/r.git",
          "https://github.com/o/r\n/o/r/../x"]:
    put("github", u)

for t in sorted(os.listdir(corpus)):
    print(f"{t}: {len(os.listdir(os.path.join(corpus, t)))} files")
PY
