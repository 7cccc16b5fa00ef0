"""Where the token goes (header, URL, with the FAQ's trailing "&"), and two processes of one app."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import unittest
from pathlib import Path
from typing import Any, Optional

from anima_client import VoiceSocket, handshake_status, json_object, read_envelope, starter_answer
from support import AsyncClientCase, ClientCase

HERE = Path(__file__).resolve().parent
PROBE = "/api/2dvh/v1/material/video/list?page=1&size=1"
TTS_STARTER = {"type": "TTS3", "tts": {"format": "pcm", "language": "en-US"}}


class SocketTokenTest(AsyncClientCase):
    async def handshake_and_start(
        self, header: Optional[str] = None, url_token: Optional[str] = None
    ) -> Any:
        return await starter_answer(
            self.settings.base_url, TTS_STARTER, header=header, url_token=url_token
        )

    async def test_token_in_the_header(self) -> None:
        answer = await self.handshake_and_start(header=f"Bearer {self.fresh_token()}")
        self.assertEqual(answer.get("status"), "ok", answer)

    async def test_token_in_the_url(self) -> None:
        answer = await self.handshake_and_start(url_token=self.fresh_token())
        self.assertEqual(answer.get("status"), "ok", answer)

    async def test_token_in_the_header_with_a_trailing_ampersand(self) -> None:
        # Word for word the FAQ's handshake example: "Authorization: Bearer M2U...&".
        answer = await self.handshake_and_start(header=f"Bearer {self.fresh_token()}&")
        self.assertEqual(answer.get("status"), "ok", answer)

    async def test_token_in_the_url_with_a_trailing_ampersand(self) -> None:
        answer = await self.handshake_and_start(url_token=f"{self.fresh_token()}&")
        self.assertEqual(answer.get("status"), "ok", answer)

    async def test_no_token_is_refused_at_the_handshake(self) -> None:
        with self.assertRaises(Exception) as refused:
            await VoiceSocket.open(self.settings.base_url)
        self.assertEqual(handshake_status(refused.exception), 401)


class HttpTokenTest(ClientCase):
    def test_token_in_the_header_with_a_trailing_ampersand(self) -> None:
        response = self.client.http.get(
            PROBE, headers={"Authorization": f"Bearer {self.fresh_token()}&"}
        )
        self.assertEqual(response.status_code, 200, response.text)
        read_envelope(response)


def client_process(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(HERE / "client_process.py"), *args],
        cwd=HERE,
        env=os.environ.copy(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def last_report(process: subprocess.Popen[str], stdin: str = "") -> dict[str, Any]:
    out, _ = process.communicate(stdin, timeout=120)
    if process.returncode != 0:
        raise AssertionError(f"client process exited with {process.returncode}: {out}")
    return json_object(json.loads(out.strip().splitlines()[-1]), "client report")


class SharedAppTest(ClientCase):
    def test_a_client_that_signs_often_does_not_log_out_one_that_keeps_its_token(self) -> None:
        holder = client_process("hold")
        self.addCleanup(holder.kill)
        assert holder.stdout is not None
        self.assertEqual(json.loads(holder.stdout.readline()), {"ready": True})

        churner = last_report(client_process("churn", "6"))
        self.assertEqual(churner["statuses"], [200] * 6, "every fresh token works")

        held = last_report(holder, stdin="go\n")
        self.assertEqual(held["http"], 200, "the kept token still works on HTTP")
        self.assertEqual(held["socket"].get("status"), "ok", "and on a socket handshake")


if __name__ == "__main__":
    unittest.main()
