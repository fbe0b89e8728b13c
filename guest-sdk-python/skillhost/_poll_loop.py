"""An `asyncio` event loop backed by `wasi:io/poll`, and body helpers.

Adapted from the `poll_loop.py` that componentize-py 0.25.1 writes with its
bindings (its `examples/http`), importing the interfaces under the names our
build gives them (`http_types`) and without the methods asyncio's base class
already leaves unimplemented. Only for `wasi:http@0.2.x`.
"""
import asyncio

from componentize_py_types import Err
from wit_world.imports import poll
from wit_world.imports.http_types import IncomingBody, OutgoingBody
from wit_world.imports.streams import StreamError_Closed

# Bytes read per call; `wasi:io` streams hand out at most what is ready.
READ_SIZE = 64 * 1024


async def register(pollable) -> None:
    """Waits until `pollable` is ready."""
    loop = asyncio.get_event_loop()
    waker = loop.create_future()
    loop.wakers.append((pollable, waker))
    await waker


async def response(future):
    """Waits for the response of `outgoing_handler.handle`; returns it or
    raises `Err(ErrorCode)`."""
    while True:
        result = future.get()
        if result is None:
            await register(future.subscribe())
            continue
        future.__exit__(None, None, None)
        if isinstance(result, Err):
            raise result  # the response was already taken
        if isinstance(result.value, Err):
            raise result.value
        return result.value.value


async def write_body(body: OutgoingBody, data: bytes) -> None:
    """Writes `data` into `body`, waiting on back-pressure, and finishes it."""
    stream = body.write()
    offset = 0
    while offset < len(data):
        count = stream.check_write()
        if count == 0:
            await register(stream.subscribe())
            continue
        count = min(count, len(data) - offset)
        stream.write(data[offset : offset + count])
        offset += count
    stream.flush()
    while stream.check_write() == 0:
        await register(stream.subscribe())
    stream.__exit__(None, None, None)
    OutgoingBody.finish(body, None)


async def read_body(body: IncomingBody, limit: int) -> bytes:
    """Reads `body` to its end; raises `OverflowError` past `limit` bytes."""
    stream = body.stream()
    chunks, size = [], 0
    while True:
        try:
            chunk = stream.read(READ_SIZE)
        except Err as e:
            if isinstance(e.value, StreamError_Closed):
                break
            raise
        if not chunk:
            await register(stream.subscribe())
            continue
        size += len(chunk)
        if size > limit:
            raise OverflowError(f"response body exceeds {limit} bytes")
        chunks.append(chunk)
    stream.__exit__(None, None, None)
    IncomingBody.finish(body)
    return b"".join(chunks)


class PollLoop(asyncio.AbstractEventLoop):
    """Runs ready callbacks, then blocks in `wasi:io/poll.poll` on every
    pollable a task waits for."""

    def __init__(self):
        self.wakers = []
        self.running = False
        self.handles = []
        self.exception = None

    def get_debug(self):
        return False

    def run_until_complete(self, future):
        future = asyncio.ensure_future(future, loop=self)
        self.running = True
        asyncio.events._set_running_loop(self)
        try:
            while self.running and not future.done():
                handles, self.handles = self.handles, []
                for handle in handles:
                    if not handle._cancelled:
                        handle._run()
                if self.wakers:
                    pollables = [p for p, _ in self.wakers]
                    ready = set(poll.poll(pollables))
                    waiting = []
                    for index, (pollable, waker) in enumerate(self.wakers):
                        if index in ready:
                            pollable.__exit__(None, None, None)
                            waker.set_result(None)
                        else:
                            waiting.append((pollable, waker))
                    self.wakers = waiting
                if self.exception is not None:
                    raise self.exception
            return future.result()
        finally:
            self.running = False
            asyncio.events._set_running_loop(None)

    def is_running(self):
        return self.running

    def is_closed(self):
        return not self.running

    def stop(self):
        self.running = False

    def close(self):
        self.running = False

    def shutdown_asyncgens(self):
        pass

    def call_exception_handler(self, context):
        self.exception = context.get("exception", None)

    def call_soon(self, callback, *args, context=None):
        handle = asyncio.Handle(callback, args, self, context)
        self.handles.append(handle)
        return handle

    def create_task(self, coroutine, **kwargs):
        return asyncio.Task(coroutine, loop=self, **kwargs)

    def create_future(self):
        return asyncio.Future(loop=self)
