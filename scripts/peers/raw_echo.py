"""A minimal echo loop with no framework: aiohttp, one keep-alive session, one long poll at a
time, each update's reply in its own task (at most <concurrency> at once).

Usage: raw_echo.py <base-url> <token> [concurrency]. The cluster benchmark's peer for the cost
of the work itself: what any bot must spend to poll and answer, without routing, journaling or
processes (issue 13 measures the cluster's CPU per update against it).
"""
import asyncio
import sys

import aiohttp


async def main() -> None:
    base, token = sys.argv[1], sys.argv[2]
    concurrency = int(sys.argv[3]) if len(sys.argv) > 3 else 256
    api = f"{base}/bot{token}"
    slots = asyncio.Semaphore(concurrency)
    connector = aiohttp.TCPConnector(limit=64)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def echo(chat_id: int, text: str) -> None:
            try:
                async with session.post(f"{api}/sendMessage", json={"chat_id": chat_id, "text": text}) as r:
                    await r.read()
            finally:
                slots.release()

        offset = 0
        while True:
            async with session.post(f"{api}/getUpdates", json={"offset": offset, "timeout": 10, "limit": 100}) as r:
                body = await r.json()
            for update in body.get("result", []):
                offset = update["update_id"] + 1
                message = update.get("message")
                if message and "text" in message:
                    await slots.acquire()
                    asyncio.create_task(echo(message["chat"]["id"], message["text"]))


if __name__ == "__main__":
    asyncio.run(main())
