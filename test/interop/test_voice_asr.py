"""Speech recognition on the streaming voice socket, streamed the way public clients stream it."""

from __future__ import annotations

import re
import unittest

from anima_client import VoiceSocket
from support import AsyncClientCase, fixture_pcm

# LibriVox, Sense and Sensibility (fixtures/ATTRIBUTION.md): "had he married a more a amiable
# woman he might have been made still more respectable than he was".
RECORDING = "librivox_en_sense_and_sensibility_0920.wav"
SOME_WORDS = {"married", "woman", "might", "made", "still", "more", "respectable", "than", "was"}
CHUNK_BYTES = 1280  # 40 ms of 16 kHz 16-bit mono


class AsrTest(AsyncClientCase):
    async def test_40ms_chunks_then_eof_give_one_final_then_eof(self) -> None:
        socket = await VoiceSocket.open(
            self.settings.base_url, header=f"Bearer {self.fresh_token()}"
        )
        self.addAsyncCleanup(socket.close)
        answer = await socket.start({"type": "ASR5", "asr": {"language": "en-US"}})
        self.assertEqual(answer, {"status": "ok"})

        answers = await socket.recognise(fixture_pcm(RECORDING), CHUNK_BYTES)

        kinds = [(message.get("status"), message.get("asr", {}).get("type")) for message in answers]
        self.assertEqual(kinds, [("ok", "final"), ("ok", "eof")], answers)
        words = set(re.findall(r"[a-z']+", answers[0]["asr"]["text"].lower()))
        heard = words & SOME_WORDS
        self.assertGreaterEqual(len(heard), 3, f"heard {answers[0]['asr']['text']!r}")


if __name__ == "__main__":
    unittest.main()
