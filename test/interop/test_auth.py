"""Token exchange, refresh and the HTTP envelope, as the FAQ and public clients use them."""

from __future__ import annotations

import time
import unittest

from anima_client import (
    BAD_PARAMS,
    BAD_PARAMS_MESSAGE,
    SIGN_INVALID,
    ApiError,
    Tokens,
    bearer,
    compute_sign,
    now_ms,
    now_s,
    read_envelope,
)
from support import ClientCase

VIDEO_LIST = "/api/2dvh/v1/material/video/list?page=1&size=5"


class SignTest(ClientCase):
    def assert_token_works(self, tokens: Tokens) -> None:
        self.assertGreater(tokens.expires_in, 0)
        self.assertGreater(tokens.refresh_token_expires_in, 0)
        self.assertNotEqual(tokens.access_token, tokens.refresh_token)
        data = self.client.call("GET", VIDEO_LIST, tokens.access_token)
        self.assertIsNotNone(data)

    def test_the_faq_worked_example(self) -> None:
        sign = compute_sign(
            "c103af9ac77646ca9fb0122e75f30811", "1686730537", "89f81a207e5e4a1297ed1255879191ee"
        )
        self.assertEqual(sign, "f6ffecf33d2073d9b3b93ba157665cfc")

    def test_timestamp_in_milliseconds_as_a_string(self) -> None:
        self.assert_token_works(self.client.sign_in(now_ms()))

    def test_timestamp_in_seconds_as_a_string(self) -> None:
        self.assert_token_works(self.client.sign_in(now_s()))

    def test_timestamp_as_a_json_number(self) -> None:
        # The sign is computed over the number's decimal digits, exactly as they are sent.
        self.assert_token_works(self.client.sign_in(int(time.time() * 1000)))

    def test_a_wrong_sign_is_refused_with_1001(self) -> None:
        response = self.client.post_token_request(now_ms(), sign="0" * 32)
        with self.assertRaises(ApiError) as refused:
            read_envelope(response)
        self.assertEqual(refused.exception.code, SIGN_INVALID)
        self.assertIsNone(refused.exception.body["data"])
        self.assertGreaterEqual(response.status_code, 400)

    def test_a_token_request_without_appId_is_3333_with_detail(self) -> None:
        response = self.client.http.post(
            "/api/uc/v1/access/api/token", json={"timestamp": now_ms(), "grantType": "sign"}
        )
        with self.assertRaises(ApiError) as refused:
            read_envelope(response)
        self.assertEqual(refused.exception.code, BAD_PARAMS)
        self.assertEqual(refused.exception.message, BAD_PARAMS_MESSAGE)
        self.assertIn("appId", str(refused.exception.detail))


class RefreshTest(ClientCase):
    def test_refresh_gives_tokens_that_work(self) -> None:
        first = self.client.sign_in()
        renewed = self.client.refresh(first.refresh_token)
        # Not necessarily a new access token: at the app's token cap the server may hand back one
        # still valid. What a client relies on is that the answer works, and refreshes again.
        self.assertGreater(renewed.expires_in, 0)
        self.client.call("GET", VIDEO_LIST, renewed.access_token)
        again = self.client.refresh(renewed.refresh_token)
        self.client.call("GET", VIDEO_LIST, again.access_token)

    def test_an_access_token_is_not_a_refresh_token(self) -> None:
        tokens = self.client.sign_in()
        response = self.client.http.post(
            "/api/uc/v1/access/api/token/refresh",
            headers=bearer(tokens.access_token),
            json={"appId": self.settings.app_id, "grantType": "refreshToken"},
        )
        self.assertGreaterEqual(response.status_code, 400)


class EnvelopeTest(ClientCase):
    def test_success_is_code_0_with_data(self) -> None:
        token = self.fresh_token()
        response = self.client.http.get(VIDEO_LIST, headers=bearer(token))
        self.assertEqual(response.status_code, 200)
        body = read_envelope(response)
        self.assertEqual(body["code"], 0)
        self.assertEqual(body["message"], "success")
        self.assertIsNotNone(body["data"])

    def test_a_bad_parameter_is_3333_with_detail_and_no_data(self) -> None:
        token = self.fresh_token()
        response = self.client.http.post(
            "/api/2dvh/v1/material/video/create", headers=bearer(token), json={"videoName": 7}
        )
        self.assertEqual(response.status_code, 400)
        with self.assertRaises(ApiError) as refused:
            read_envelope(response)
        error = refused.exception
        self.assertEqual(error.code, BAD_PARAMS)
        self.assertEqual(error.message, BAD_PARAMS_MESSAGE)
        self.assertIsNone(error.body["data"])
        self.assertTrue(error.detail, "detail names the bad fields")

    def test_no_token_is_401_with_an_empty_body(self) -> None:
        response = self.client.http.get(VIDEO_LIST)
        self.assertEqual(response.status_code, 401)
        self.assertEqual(response.content, b"")


if __name__ == "__main__":
    unittest.main()
