"""Text to speech on the streaming voice socket: WAV and PCM, timestamps, English and Mandarin."""

from __future__ import annotations

import unittest
from typing import Any

from anima_client import Utterance, VoiceSocket
from support import AsyncClientCase, parse_wav, pcm_duration_ms

ENGLISH = "Hello there, my friend. How are you today?"
MANDARIN = "你好，欢迎来到我们的平台。今天天气很好。"
HOSTED_VOICE_ID = "8wfZav:AEA_Z10MExampleHostedId"


def tts_starter(**tts: Any) -> dict[str, Any]:
    return {"type": "TTS3", "tts": {"qid": "", "language": "en-US", **tts}}


class TtsCase(AsyncClientCase):
    async def open_started(self, starter: dict[str, Any]) -> tuple[VoiceSocket, dict[str, Any]]:
        socket = await VoiceSocket.open(
            self.settings.base_url, header=f"Bearer {self.fresh_token()}"
        )
        self.addAsyncCleanup(socket.close)
        answer = await socket.start(starter)
        self.assertEqual(answer.get("status"), "ok", answer)
        return socket, answer

    def assert_timestamps_fit(self, utterance: Utterance, audio_ms: float, sentences: int) -> None:
        """Sentence and word times run forward and end within the audio (1 ms for rounding)."""
        stamps = utterance.timestamps
        self.assertEqual(len(stamps), sentences, stamps)
        previous_end = 0.0
        for stamp in stamps:
            sentence = stamp["sentence_time"]
            self.assertLessEqual(previous_end, sentence["begin_ms"], stamps)
            self.assertLess(sentence["begin_ms"], sentence["end_ms"])
            self.assertLessEqual(sentence["end_ms"], audio_ms + 1)
            words = stamp["word_times"]
            self.assertTrue(words, "word times were asked for")
            word_begin = sentence["begin_ms"]
            for word in words:
                self.assertTrue(word["text"].strip())
                self.assertLessEqual(word_begin, word["begin_ms"], words)
                self.assertLessEqual(word["begin_ms"], word["end_ms"], words)
                self.assertLessEqual(word["end_ms"], sentence["end_ms"] + 1, words)
                word_begin = word["begin_ms"]
            previous_end = sentence["end_ms"]


class WavTest(TtsCase):
    async def test_wav_is_one_audio_message_holding_a_whole_wav(self) -> None:
        socket, _ = await self.open_started(
            tts_starter(format="wav", sentence_time=True, word_time=True)
        )
        utterance = await socket.speak("w1", ENGLISH)
        self.assertEqual(utterance.audio_messages, 1)
        self.assertEqual(utterance.messages[-1]["tts"]["type"], "eof")
        wav = parse_wav(utterance.audio)
        self.assertEqual((wav.channels, wav.sample_width), (1, 2))
        self.assertGreater(wav.duration_ms, 1000, "a sentence of real speech")
        self.assertTrue(any(wav.pcm), "not silence")
        self.assert_timestamps_fit(utterance, wav.duration_ms, sentences=2)


class PcmTest(TtsCase):
    async def test_english_pcm_in_chunks_then_eof_with_timestamps(self) -> None:
        socket, _ = await self.open_started(
            tts_starter(format="pcm", sentence_time=True, word_time=True)
        )
        utterance = await socket.speak("p1", ENGLISH)
        types = [message["tts"]["type"] for message in utterance.messages]
        self.assertEqual(types[-1], "eof")
        self.assertEqual(types.count("eof"), 1)
        self.assertGreaterEqual(utterance.audio_messages, 2, "pcm streams sentence by sentence")
        audio = utterance.audio
        self.assertNotEqual(audio[:4], b"RIFF", "pcm is raw samples, no header")
        self.assertEqual(len(audio) % 2, 0)
        self.assert_timestamps_fit(utterance, pcm_duration_ms(audio), sentences=2)

    async def test_mandarin_pcm_with_timestamps(self) -> None:
        starter = tts_starter(format="pcm", language="zh-CN", sentence_time=True, word_time=True)
        socket, _ = await self.open_started(starter)
        utterance = await socket.speak("m1", MANDARIN)
        audio = utterance.audio
        self.assertGreater(pcm_duration_ms(audio), 1000)
        self.assert_timestamps_fit(utterance, pcm_duration_ms(audio), sentences=2)

    async def test_several_requests_on_one_socket(self) -> None:
        socket, _ = await self.open_started(tts_starter(format="pcm"))
        first = await socket.speak("r1", "One.")
        second = await socket.speak("r2", "Two, and three.")
        self.assertGreater(len(first.audio), 0)
        self.assertGreater(len(second.audio), len(first.audio))


class VoiceChoiceTest(TtsCase):
    async def test_an_unknown_hosted_voice_id_falls_back_with_a_warning(self) -> None:
        socket, answer = await self.open_started(tts_starter(format="wav", qid=HOSTED_VOICE_ID))
        self.assertIsInstance(answer.get("voice"), str, answer)
        self.assertTrue(answer["voice"], answer)
        self.assertNotEqual(answer["voice"], HOSTED_VOICE_ID)
        self.assertIsInstance(answer.get("warning"), str, answer)
        self.assertTrue(answer["warning"], answer)
        wav = parse_wav((await socket.speak("h1", ENGLISH)).audio)
        self.assertGreater(wav.frames, 0, "real audio, not an empty WAV")
        self.assertTrue(any(wav.pcm), "not silence")

    async def test_volume_100_and_400_are_accepted(self) -> None:
        for volume in (100, 400):
            with self.subTest(volume=volume):
                socket, _ = await self.open_started(tts_starter(format="wav", volume=volume))
                wav = parse_wav((await socket.speak(f"v{volume}", "Loud and clear.")).audio)
                self.assertGreater(wav.frames, 0)


if __name__ == "__main__":
    unittest.main()
