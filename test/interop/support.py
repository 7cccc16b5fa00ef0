"""What the interop test cases share: settings, a client per test, fixtures, WAV and PCM reading."""

from __future__ import annotations

import io
import unittest
import wave
from dataclasses import dataclass
from pathlib import Path

from anima_client import AnimaClient, Settings

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


class _WithClient:
    """Each test has its own HTTP client and signs its own tokens, as separate integrations do."""

    settings: Settings
    client: AnimaClient

    def setUp(self) -> None:
        self.settings = Settings.from_env()
        self.client = AnimaClient(self.settings)
        self.addCleanup(self.client.close)  # type: ignore[attr-defined]

    def fresh_token(self) -> str:
        return self.client.sign_in().access_token


class ClientCase(_WithClient, unittest.TestCase):
    """A test of the HTTP API."""


class AsyncClientCase(_WithClient, unittest.IsolatedAsyncioTestCase):
    """The same for tests that use the voice socket (asyncio)."""


@dataclass(frozen=True)
class Wav:
    sample_rate: int
    channels: int
    sample_width: int
    frames: int
    pcm: bytes

    @property
    def duration_ms(self) -> float:
        return self.frames * 1000 / self.sample_rate


def parse_wav(data: bytes) -> Wav:
    """Reads a RIFF WAV with the standard library, as a client that saves the audio would."""
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise AssertionError(f"not a RIFF WAV: {data[:12]!r}")
    with wave.open(io.BytesIO(data), "rb") as reader:
        return Wav(
            sample_rate=reader.getframerate(),
            channels=reader.getnchannels(),
            sample_width=reader.getsampwidth(),
            frames=reader.getnframes(),
            pcm=reader.readframes(reader.getnframes()),
        )


def fixture_pcm(name: str) -> bytes:
    """A bundled 16 kHz mono speech recording as raw 16-bit PCM, the socket's input format."""
    wav = parse_wav((FIXTURES / "audio" / name).read_bytes())
    if (wav.sample_rate, wav.channels, wav.sample_width) != (16000, 1, 2):
        raise AssertionError(f"{name} is not 16 kHz 16-bit mono")
    return wav.pcm


def pcm_duration_ms(pcm: bytes, sample_rate: int = 16000) -> float:
    """Length of 16-bit mono PCM in milliseconds."""
    return len(pcm) / 2 * 1000 / sample_rate
