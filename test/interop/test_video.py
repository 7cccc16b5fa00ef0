"""An avatar built from a filmed clip, a video rendered with it from text, polled and downloaded."""

from __future__ import annotations

import unittest
from typing import Any

from anima_client import ApiError
from support import FIXTURES, ClientCase

AVATARS = "/api/2dvh/v1/material/avatar"
VIDEOS = "/api/2dvh/v1/material/video"
# GRID corpus, a woman saying "lay red with p nine again": a face in every frame, and sound.
CLIP = FIXTURES / "video" / "grid_lrwp9a.mpg"


def speech_param(face_feature_id: str, text: str, **tts_config: Any) -> dict[str, Any]:
    return {
        "digital_role": {"face_feature_id": face_feature_id},
        "tts_config": {"id": "", "language": "en-US", **tts_config},
        "tts_query": {"content": text},
    }


class VideoTest(ClientCase):
    face_feature_id: str = ""

    def avatar(self, token: str) -> str:
        """Builds the avatar once for the class: it is the slow step."""
        if not VideoTest.face_feature_id:
            upload = self.client.upload(str(CLIP), token)
            created = self.client.call(
                "POST", f"{AVATARS}/create", token, {"name": "interop", "fileId": upload["fileId"]}
            )
            task = self.client.wait_for_task(AVATARS, created["taskId"], token)
            self.assertEqual(task["status"], "succeeded", task)
            VideoTest.face_feature_id = task["result"]["face_feature_id"]
        return VideoTest.face_feature_id

    def test_text_becomes_a_downloadable_mp4(self) -> None:
        token = self.fresh_token()
        param = speech_param(self.avatar(token), "Hello, and welcome.")
        created = self.client.call(
            "POST", f"{VIDEOS}/create", token, {"videoName": "interop", "param": param}
        )
        task = self.client.wait_for_task(VIDEOS, created["taskId"], token)
        self.assertEqual(task["status"], "succeeded", task)
        self.assertEqual(task["progress"], 100)
        result = task["result"]
        self.assertGreater(result["duration"], 0.5)

        video = self.client.download(result["videoUrl"])
        self.assertEqual(video[4:8], b"ftyp", "an MP4 starts with its ftyp box")
        self.assertEqual(len(video), result["size"])
        self.assertGreater(len(video), 10_000)
        self.assertLess(len(video), 20_000_000)

    def test_volume_100_and_400_are_accepted_and_render(self) -> None:
        # The values public clients send in tts_config.volume.
        token = self.fresh_token()
        face = self.avatar(token)
        for volume in (100, 400):
            with self.subTest(volume=volume):
                body = {
                    "videoName": f"volume {volume}",
                    "param": speech_param(face, "Hi.", volume=volume),
                }
                try:
                    created = self.client.call("POST", f"{VIDEOS}/create", token, body)
                except ApiError as refused:
                    self.fail(f"volume {volume} refused: {refused} {refused.detail}")
                task = self.client.wait_for_task(VIDEOS, created["taskId"], token)
                self.assertEqual(task["status"], "succeeded", task)


if __name__ == "__main__":
    unittest.main()
