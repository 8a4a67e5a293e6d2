"""Injects text messages into a tgcluster sim and waits until an echo bot answered each one.

Usage: check_echo.py <base-url> <messages> <chats> [timeout-seconds] [--ordered]
Exits 0 when every message got exactly one reply with the same text in its own chat (and, with
--ordered, in order per chat); prints what is wrong otherwise and exits 1. Without --ordered it
reports how many chats saw their replies out of order: python-telegram-bot with
concurrent_updates does not keep a chat's order, which is one of the things tgcluster fixes.
"""
import json
import sys
import time
import urllib.request


def call(url, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def main():
    base, count, chats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    ordered = "--ordered" in sys.argv
    timeout = float(args[3]) if len(args) > 3 else 60
    call(f"{base}/sim/updates", {"generate": {"messages": count, "chats": chats, "first_chat_id": 500000}})
    expected = {}
    for i in range(count):
        chat = 500000 + i % chats
        n = i // chats + 1
        expected.setdefault(chat, []).append(f"message {n} to chat {chat}")
    deadline = time.time() + timeout
    replies = {}
    while time.time() < deadline:
        calls = call(f"{base}/sim/transcript")["calls"]
        replies = {}
        for c in calls:
            if c["method"] == "sendMessage" and c["ok"]:
                chat = int(c["params"]["chat_id"])
                replies.setdefault(chat, []).append(c["params"]["text"])
        if sum(len(v) for v in replies.values()) >= count:
            break
        time.sleep(0.2)
    same = lambda a, b: a == b if ordered else sorted(a or []) == sorted(b or [])
    wrong = {k: v for k, v in expected.items() if not same(replies.get(k), v)}
    if wrong or set(replies) - set(expected):
        first = next(iter(wrong), None)
        print(f"check: replies differ from the messages in {len(wrong)} chats; first: chat {first} "
              f"expected {expected.get(first)} got {replies.get(first)}")
        sys.exit(1)
    disordered = sum(1 for k, v in expected.items() if replies.get(k) != v)
    print(f"check: {count} messages in {chats} chats, each answered once with its own text; "
          f"{disordered} chats saw their replies out of order")


if __name__ == "__main__":
    main()
