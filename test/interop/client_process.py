"""One client process of an app, for the test where two processes share that app.

    python3 client_process.py churn N   signs a new token for each of N requests, as a client that
                                        signs per utterance does; prints {"statuses": [...]}
    python3 client_process.py hold      signs once and prints {"ready": true}; after a line on
                                        stdin, uses that same token for an HTTP call and a socket
                                        handshake; prints {"http": <status>, "socket": <answer>}

Settings come from the same environment variables as the tests (see anima_client.py).
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from anima_client import AnimaClient, bearer, Settings, starter_answer

PROBE = "/api/2dvh/v1/material/video/list?page=1&size=1"
STARTER = {"type": "TTS3", "tts": {"format": "pcm", "language": "en-US"}}


def report(value: dict[str, Any]) -> None:
    print(json.dumps(value), flush=True)


def churn(client: AnimaClient, times: int) -> None:
    statuses = []
    for _ in range(times):
        token = client.sign_in().access_token
        statuses.append(client.http.get(PROBE, headers=bearer(token)).status_code)
    report({"statuses": statuses})


def hold(client: AnimaClient) -> None:
    token = client.sign_in().access_token
    report({"ready": True})
    sys.stdin.readline()
    http_status = client.http.get(PROBE, headers=bearer(token)).status_code
    answer = starter_answer(client.settings.base_url, STARTER, header=f"Bearer {token}")
    report({"http": http_status, "socket": asyncio.run(answer)})


def main(argv: list[str]) -> None:
    client = AnimaClient(Settings.from_env())
    try:
        if argv[:1] == ["churn"] and len(argv) == 2:
            churn(client, int(argv[1]))
        elif argv == ["hold"]:
            hold(client)
        else:
            sys.exit(__doc__)
    finally:
        client.close()


if __name__ == "__main__":
    main(sys.argv[1:])
