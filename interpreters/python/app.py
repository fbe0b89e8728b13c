"""skillhost's Python interpreter for seed 003's code skills.

The host calls `run` with a code skill's source, its arguments and its
standard input; the source runs as `__main__` in this (fresh, per call)
instance with `sys.argv`, `sys.stdin`, `sys.stdout` and `sys.stderr` bound
to them, and `sys.exit(n)` ends it with status `n`. `check` compiles a
source without running it, so a syntax error is refused when the skill is
created.
"""
import io
import linecache
import sys
import traceback

# Code can import only what the interpreter imported when it was built: the
# component has no files to load other modules from. The README lists these.
import base64  # noqa: F401
import binascii  # noqa: F401
import bisect  # noqa: F401
import calendar  # noqa: F401
import collections  # noqa: F401
import copy  # noqa: F401
import csv  # noqa: F401
import dataclasses  # noqa: F401
import datetime  # noqa: F401
import decimal  # noqa: F401
import difflib  # noqa: F401
import enum  # noqa: F401
import fractions  # noqa: F401
import functools  # noqa: F401
import hashlib  # noqa: F401
import heapq  # noqa: F401
import hmac  # noqa: F401
import html  # noqa: F401
import itertools  # noqa: F401
import json
import math  # noqa: F401
import operator  # noqa: F401
import os  # noqa: F401
import pprint  # noqa: F401
import random  # noqa: F401
import re  # noqa: F401
import secrets  # noqa: F401
import shlex  # noqa: F401
import statistics  # noqa: F401
import string  # noqa: F401
import struct  # noqa: F401
import textwrap  # noqa: F401
import time  # noqa: F401
import typing  # noqa: F401
import unicodedata  # noqa: F401
import urllib.parse  # noqa: F401
import uuid  # noqa: F401
import zlib  # noqa: F401

import skillhost  # noqa: F401  (secret, config, session, log)
import skillhost.http  # noqa: F401  (requests through the host's guard)
from skillhost import InvalidInput, Json, ability

FILENAME = "main.py"


def _syntax_error(error: SyntaxError) -> str:
    return "".join(traceback.format_exception_only(error)).rstrip()


@ability
def check(code: str) -> str:
    """Compiles a code skill's source without running it."""
    try:
        compile(code, FILENAME, "exec")
    except SyntaxError as e:
        raise InvalidInput(_syntax_error(e)) from None
    except ValueError as e:  # a NUL byte in the source
        raise InvalidInput(str(e)) from None
    return "ok"


def _status(code, stderr) -> int:
    # As CPython's own exit: None is success, an integer is the status (the
    # low byte, as a shell sees it), anything else is printed and fails.
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=stderr)
    return 1


@ability
def run(code: str, argv: list[str], stdin: str) -> Json:
    """Runs a code skill's source with its arguments and standard input."""
    out, err = io.StringIO(), io.StringIO()
    sys.stdout, sys.stderr, sys.stdin = out, err, io.StringIO(stdin)
    sys.argv = [FILENAME, *argv]
    # Tracebacks quote the skill's lines.
    linecache.cache[FILENAME] = (len(code), None, code.splitlines(True), FILENAME)
    status = 0
    try:
        compiled = compile(code, FILENAME, "exec")
        exec(compiled, {"__name__": "__main__", "__builtins__": __builtins__})
    except SystemExit as e:
        status = _status(e.code, err)
    except MemoryError:
        # Re-raised: the host reports it as the memory limit.
        raise
    except BaseException as e:
        # The traceback starts at the skill's code, not at this runner.
        tb = e.__traceback__.tb_next if e.__traceback__ else None
        traceback.print_exception(type(e), e, tb, file=err)
        status = 1
    finally:
        sys.stdout, sys.stderr, sys.stdin = sys.__stdout__, sys.__stderr__, sys.__stdin__
    return Json({"stdout": out.getvalue(), "stderr": err.getvalue(), "exit_code": status})
