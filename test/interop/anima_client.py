"""A small client for Anima, written from the public API contract as an integrator would.

It knows only what a client of the hosted service knows: the base URL, an appId and its appKey.
HTTP goes through httpx, the streaming voice socket through websockets (asyncio). The tests in
this folder use it; it is also meant to be read as an example of how to talk to the API.

Environment (set by the Node test that starts the server):
    ANIMA_INTEROP_URL      base URL, e.g. http://127.0.0.1:8080
    ANIMA_INTEROP_APP_ID   the appId an operator created (anima app create)
    ANIMA_INTEROP_APP_KEY  its appKey
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Optional
from urllib.parse import quote

import httpx
import websockets.client
import websockets.exceptions

SUCCESS = 0
BAD_PARAMS = 3333
BAD_PARAMS_MESSAGE = "请求参数为空或格式错误,请检查"
SIGN_INVALID = 1001

TOKEN_PATH = "/api/uc/v1/access/api/token"
REFRESH_PATH = "/api/uc/v1/access/api/token/refresh"
VOICE_SOCKET_PATH = "/api/voice/stream/v1"
TASK_END_STATES = ("succeeded", "failed", "cancelled")


# ---------------------------------------------------------------------------------------------
# Settings and signing


@dataclass(frozen=True)
class Settings:
    base_url: str
    app_id: str
    app_key: str

    @staticmethod
    def from_env() -> "Settings":
        return Settings(
            base_url=os.environ["ANIMA_INTEROP_URL"].rstrip("/"),
            app_id=os.environ["ANIMA_INTEROP_APP_ID"],
            app_key=os.environ["ANIMA_INTEROP_APP_KEY"],
        )


def compute_sign(app_id: str, timestamp: str, app_key: str) -> str:
    """Lowercase hex MD5 of appId + timestamp + appKey, the timestamp exactly as it is sent."""
    return hashlib.md5(f"{app_id}{timestamp}{app_key}".encode("utf-8")).hexdigest()


def now_ms() -> str:
    """Milliseconds since 1970 as a string: what most public clients send."""
    return str(int(time.time() * 1000))


def now_s() -> str:
    """Seconds since 1970 as a string: what the FAQ's example sends."""
    return str(int(time.time()))


# ---------------------------------------------------------------------------------------------
# The HTTP envelope


@dataclass(frozen=True)
class Tokens:
    access_token: str
    expires_in: int
    refresh_token: str
    refresh_token_expires_in: int

    @staticmethod
    def from_data(data: dict[str, Any]) -> "Tokens":
        return Tokens(
            access_token=data["accessToken"],
            expires_in=data["expiresIn"],
            refresh_token=data["refreshToken"],
            refresh_token_expires_in=data["refreshTokenExpiresIn"],
        )


class ApiError(Exception):
    """An answer whose envelope carries a code other than 0."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(f"HTTP {status}: code {body.get('code')} {body.get('message')!r}")
        self.status = status
        self.code: int = body["code"]
        self.message: str = body["message"]
        self.detail: Any = body.get("detail")
        self.body = body


def json_object(value: Any, what: str) -> dict[str, Any]:
    """`value` if it is a JSON object; fails clearly otherwise."""
    if not isinstance(value, dict):
        raise AssertionError(f"{what} is not a JSON object: {value!r:.200}")
    return value


def read_envelope(response: httpx.Response) -> dict[str, Any]:
    """The `{code, message, data}` envelope of an answer; raises ApiError when code is not 0."""
    body = response.json()
    if not isinstance(body, dict) or not {"code", "message", "data"} <= body.keys():
        raise AssertionError(f"not an envelope: HTTP {response.status_code} {response.text[:200]}")
    if body["code"] != SUCCESS:
        raise ApiError(response.status_code, body)
    return body


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# ---------------------------------------------------------------------------------------------
# The HTTP client


class AnimaClient:
    """Token exchange, JSON calls, uploads and task polling over one httpx.Client."""

    def __init__(self, settings: Settings, timeout_s: float = 60.0) -> None:
        self.settings = settings
        self.http = httpx.Client(base_url=settings.base_url, timeout=timeout_s)

    def close(self) -> None:
        self.http.close()

    def post_token_request(self, timestamp: Any, sign: Optional[str] = None) -> httpx.Response:
        """POST the sign request as it is, for tests that look at the raw answer."""
        app_id, app_key = self.settings.app_id, self.settings.app_key
        body = {
            "appId": app_id,
            "timestamp": timestamp,
            "sign": sign if sign is not None else compute_sign(app_id, str(timestamp), app_key),
            "grantType": "sign",
        }
        return self.http.post(TOKEN_PATH, json=body)

    def sign_in(self, timestamp: Any = None) -> Tokens:
        """A fresh access token; the timestamp defaults to now in milliseconds, as a string."""
        response = self.post_token_request(timestamp if timestamp is not None else now_ms())
        return Tokens.from_data(read_envelope(response)["data"])

    def refresh(self, refresh_token: str) -> Tokens:
        response = self.http.post(
            REFRESH_PATH,
            headers=bearer(refresh_token),
            json={"appId": self.settings.app_id, "grantType": "refreshToken"},
        )
        return Tokens.from_data(read_envelope(response)["data"])

    def call(self, method: str, path: str, token: str, body: Any = None) -> Any:
        """A JSON call with the token in the header; returns the envelope's `data`."""
        response = self.http.request(method, path, headers=bearer(token), json=body)
        return read_envelope(response)["data"]

    def upload(self, file_path: str, token: str) -> dict[str, Any]:
        """Uploads one file as the multipart part `file`; returns {fileId, url, size, mimeType}."""
        with open(file_path, "rb") as handle:
            files = {"file": (os.path.basename(file_path), handle)}
            response = self.http.post(
                "/api/2dvh/v1/material/file/upload", headers=bearer(token), files=files
            )
        return json_object(read_envelope(response)["data"], "upload answer")

    def wait_for_task(
        self, area: str, task_id: str, token: str, timeout_s: float = 300.0
    ) -> dict[str, Any]:
        """Polls `GET {area}/{taskId}` until the task ends; returns the task answer."""
        deadline = time.monotonic() + timeout_s
        while True:
            task = json_object(self.call("GET", f"{area}/{task_id}", token), "task answer")
            if task["status"] in TASK_END_STATES:
                return task
            if time.monotonic() > deadline:
                raise AssertionError(f"task {task_id} still {task['status']} after {timeout_s} s")
            time.sleep(0.5)

    def download(self, url: str) -> bytes:
        """Result URLs are signed: they are fetched without a token, as a browser would."""
        response = httpx.get(url, timeout=60.0)
        response.raise_for_status()
        return response.content


# ---------------------------------------------------------------------------------------------
# The streaming voice socket


def socket_url(
    base_url: str, path: str = VOICE_SOCKET_PATH, query_token: Optional[str] = None
) -> str:
    """ws:// URL of the socket; with `query_token`, the token goes in the URL as the FAQ shows."""
    url = base_url.replace("http://", "ws://", 1).replace("https://", "wss://", 1) + path
    if query_token is not None:
        url += "?Authorization=" + quote(f"Bearer {query_token}", safe="&")
    return url


def handshake_status(error: Exception) -> Optional[int]:
    """The HTTP status of a refused handshake, or None if the error is something else."""
    if isinstance(error, websockets.exceptions.InvalidStatusCode):
        return error.status_code
    return None


@dataclass
class Utterance:
    """Everything the server answered to one TTS request, up to and including its eof."""

    messages: list[dict[str, Any]] = field(default_factory=list)

    @property
    def audio(self) -> bytes:
        chunks = [m["tts"]["audio_data"] for m in self.messages if m["tts"]["type"] == "audio"]
        return b"".join(base64.b64decode(chunk) for chunk in chunks)

    @property
    def audio_messages(self) -> int:
        return sum(1 for m in self.messages if m["tts"]["type"] == "audio")

    @property
    def timestamps(self) -> list[dict[str, Any]]:
        return [m["tts"] for m in self.messages if m["tts"]["type"] == "timestamp"]


class VoiceSocket:
    """One open voice socket: a Starter, then TTS requests or ASR audio."""

    def __init__(self, connection: websockets.client.WebSocketClientProtocol) -> None:
        self.connection = connection

    @staticmethod
    async def open(
        base_url: str,
        *,
        header: Optional[str] = None,
        url_token: Optional[str] = None,
        path: str = VOICE_SOCKET_PATH,
    ) -> "VoiceSocket":
        """`header` is the whole Authorization header value; `url_token` goes in the URL."""
        connection = await websockets.client.connect(
            socket_url(base_url, path, url_token),
            extra_headers={"Authorization": header} if header is not None else None,
            max_size=32 * 1024 * 1024,
            open_timeout=30,
        )
        return VoiceSocket(connection)

    async def close(self) -> None:
        await self.connection.close()

    async def send_json(self, message: dict[str, Any]) -> None:
        await self.connection.send(json.dumps(message, ensure_ascii=False))

    async def receive(self, timeout_s: float = 60.0) -> dict[str, Any]:
        raw = await asyncio.wait_for(self.connection.recv(), timeout_s)
        return json_object(json.loads(raw), "socket message")

    async def start(self, starter: dict[str, Any]) -> dict[str, Any]:
        """Sends the Starter (a session id is added when missing) and returns its answer."""
        await self.send_json({"device": "interop-python", "session": str(uuid.uuid4()), **starter})
        return await self.receive()

    async def speak(self, utterance_id: str, text: str) -> Utterance:
        """One TTS request; collects answers until its eof (raises on a refusal)."""
        await self.send_json({"id": utterance_id, "query": text, "ssml": False})
        utterance = Utterance()
        while True:
            message = await self.receive()
            if message.get("status") != "ok":
                raise AssertionError(f"TTS refused: {message}")
            utterance.messages.append(message)
            if message["tts"]["type"] == "eof":
                return utterance

    async def recognise(self, pcm: bytes, chunk_bytes: int = 1280) -> list[dict[str, Any]]:
        """Streams PCM in chunks, then the eof signal; returns every answer up to the asr eof.

        Like public clients, nothing is read until all the audio and the eof are sent.
        """
        for offset in range(0, len(pcm), chunk_bytes):
            await self.connection.send(pcm[offset : offset + chunk_bytes])
        await self.send_json({"signal": "eof", "trace": str(uuid.uuid4())})
        answers: list[dict[str, Any]] = []
        while True:
            message = await self.receive()
            answers.append(message)
            if message.get("status") != "ok" or message.get("asr", {}).get("type") == "eof":
                return answers


async def starter_answer(
    base_url: str,
    starter: dict[str, Any],
    *,
    header: Optional[str] = None,
    url_token: Optional[str] = None,
) -> dict[str, Any]:
    """Opens a socket, sends one Starter and closes: the answer, or {"handshake": <HTTP status>}
    when the handshake itself is refused (a bad token is refused there, before any Starter)."""
    try:
        socket = await VoiceSocket.open(base_url, header=header, url_token=url_token)
    except websockets.exceptions.InvalidStatusCode as error:
        return {"handshake": error.status_code}
    try:
        return await socket.start(starter)
    finally:
        await socket.close()
