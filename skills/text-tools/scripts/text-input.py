#!/usr/bin/env python3
"""Prints {"text": <contents>} for a file (or stdin with "-"), the input of
text-tools' word_count and slugify, for trying them locally:

    skillhost run text-tools.wasm word_count --input "$(python3 scripts/text-input.py notes.md)"
"""
import json
import sys

if len(sys.argv) != 2:
    sys.exit("usage: text-input.py FILE|-")
source = sys.stdin if sys.argv[1] == "-" else open(sys.argv[1], encoding="utf-8")
with source:
    print(json.dumps({"text": source.read()}, ensure_ascii=False))
