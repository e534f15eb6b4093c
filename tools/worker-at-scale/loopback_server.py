#!/usr/bin/env python3
"""A feed and a Telegram Bot API stand-in on 127.0.0.1, to run the real worker (`newsbot run`) against.

Why a script and not a test fixture: the worker at scale is measured as a separate process on a large store
(BENCHMARKS.md, "The worker at 1M"), with nothing outside the machine to reach. Standard library only.

- GET /feed.xml: an RSS 2.0 feed of articles taken from a folder of text files (first line the title, then
  paragraphs: the layout of ../shared/eval/bbc). It starts with --initial items and gains --batch more every
  --every seconds (each new item dated when it appears), newest first, at most --window items listed. ETag and
  If-None-Match are honoured (304 when nothing new), as a real feed server does.
- GET /a/<key>: an article as an HTML page (a feed item whose own text is short has its link read); the key is
  its folder and file name, so an article keeps its link and guid whatever the order of the folders.
- /bot<token>/<method>: the Bot API calls the worker makes (getMe, getUpdates with long polling, sendMessage,
  editMessageText, getChatMember, and the start-up calls answered `true`). Every --ask-every seconds one private
  chat asks a question made from the title of an item already in the feed; each question and each reply is
  written, with its time, to --log (one JSON object a line), so the answer latency is the gap between them.

    python3 loopback_server.py --articles ../shared/eval/bbc/sport --port 8765 --log /tmp/x-server.jsonl
    newsbot feeds add http://127.0.0.1:8765/feed.xml
    Telegram__BotToken=7000001:local Telegram__BaseUrl=http://127.0.0.1:8765 newsbot run
"""
import argparse
import html
import json
import os
import threading
import time
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
p.add_argument("--articles", nargs="+", required=True, help="folders of .txt articles (title line, then paragraphs)")
p.add_argument("--port", type=int, default=8765)
p.add_argument("--initial", type=int, default=20, help="items in the feed at start")
p.add_argument("--batch", type=int, default=10, help="items added each --every seconds")
p.add_argument("--every", type=float, default=60.0)
p.add_argument("--window", type=int, default=100, help="items the feed lists (the newest)")
p.add_argument("--ask-every", type=float, default=20.0, help="seconds between questions; 0 = none")
p.add_argument("--log", default=None, help="file for questions and replies (JSON lines)")
args = p.parse_args()

articles = []
for folder in args.articles:
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".txt"):
            continue
        with open(os.path.join(folder, name), encoding="utf-8", errors="replace") as f:
            lines = [l.strip() for l in f.read().splitlines()]
        lines = [l for l in lines if l]
        if len(lines) >= 2:
            articles.append((os.path.basename(folder.rstrip("/")) + "-" + name[:-4], lines[0], lines[1:]))

by_key = {key: i for i, (key, _, _) in enumerate(articles)}
start = time.time()
lock = threading.Lock()
appeared = {}  # article number -> the time it entered the feed (its pubDate)
log_file = open(args.log, "a", encoding="utf-8") if args.log else None


def log(event):
    if log_file:
        with lock:
            log_file.write(json.dumps(dict(event, t=round(time.time(), 3))) + "\n")
            log_file.flush()


def published_count(now):
    n = args.initial + int((now - start) // args.every) * args.batch if args.every > 0 else args.initial
    n = min(n, len(articles))
    with lock:
        for i in range(n):
            appeared.setdefault(i, now)
    return n


def feed_xml(n, port):
    items = []
    for i in range(n - 1, max(-1, n - 1 - args.window), -1):
        key, title, paras = articles[i]
        body = "".join(f"<p>{html.escape(x)}</p>" for x in paras)
        items.append(
            f"<item><title>{html.escape(title)}</title><link>http://127.0.0.1:{port}/a/{key}</link>"
            f"<guid isPermaLink=\"false\">loopback-{key}</guid><pubDate>{formatdate(appeared[i], usegmt=True)}</pubDate>"
            f"<description>{html.escape(paras[0])}</description>"
            f"<content:encoded><![CDATA[{body}]]></content:encoded></item>")
    return ("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rss version=\"2.0\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\">"
            f"<channel><title>Loopback News</title><link>http://127.0.0.1:{port}/</link><description>test feed</description>"
            + "".join(items) + "</channel></rss>")


# --- Bot API ---------------------------------------------------------------------------------------------------
updates = []
updates_cv = threading.Condition(lock)
# the worker keeps the last update id it confirmed in its store and asks for the ones after it: ids start from the clock
# (seconds), so a restarted server's questions (one every --ask-every >= 1 s) still come after a previous run's
next_update = [int(time.time())]
next_message = [1000]


def queue_question(text, chat_id):
    with lock:
        next_update[0] += 1
        next_message[0] += 1
        updates.append({"update_id": next_update[0], "message": {
            "message_id": next_message[0], "date": int(time.time()), "text": text,
            "chat": {"id": chat_id, "type": "private", "first_name": f"User{chat_id}"},
            "from": {"id": chat_id, "is_bot": False, "first_name": f"User{chat_id}"}}})
        updates_cv.notify_all()
        mid = next_message[0]
    log({"event": "question", "chat": chat_id, "message_id": mid, "text": text})


def asker():
    k = 0
    while True:
        time.sleep(args.ask_every)
        n = published_count(time.time())
        _, title, _ = articles[(k * 7) % n]
        queue_question(f"What is the latest on {title}?" if k % 2 == 0 else title, 100 + k % 5)
        k += 1


def bot_call(method, params):
    if method == "getUpdates":
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        deadline = time.time() + timeout
        with lock:
            while True:
                if offset > 0:
                    updates[:] = [u for u in updates if u["update_id"] >= offset]
                if updates:
                    return updates[: int(params.get("limit") or 100)]
                left = deadline - time.time()
                if left <= 0:
                    return []
                updates_cv.wait(left)
    if method in ("sendMessage", "editMessageText"):
        chat = int(params.get("chat_id") or 0)
        reply_to = (params.get("reply_parameters") or {}).get("message_id") if isinstance(params.get("reply_parameters"), dict) else None
        log({"event": method, "chat": chat, "reply_to": reply_to, "chars": len(str(params.get("text") or ""))})
        with lock:
            next_message[0] += 1
            mid = next_message[0] if method == "sendMessage" else int(params.get("message_id") or 0)
        return {"message_id": mid, "date": int(time.time()), "text": params.get("text") or "",
                "chat": {"id": chat, "type": "private", "first_name": "User"},
                "from": {"id": 7000001, "is_bot": True, "first_name": "Loopback Bot", "username": "LoopbackNewsBot"}}
    if method == "getMe":
        return {"id": 7000001, "is_bot": True, "first_name": "Loopback Bot", "username": "LoopbackNewsBot"}
    if method == "getChatMember":
        return {"status": "member", "user": {"id": int(params.get("user_id") or 0), "is_bot": False, "first_name": "User"}}
    return True  # sendChatAction, setMyCommands, deleteWebhook …


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):  # request paths hold the bot token: no access log
        pass

    def send(self, status, body, ctype, headers=()):
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def params(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        ctype = self.headers.get("Content-Type") or ""
        if "json" in ctype and raw:
            return json.loads(raw)
        q = parse_qs(raw.decode("utf-8") if raw else urlparse(self.path).query)
        return {k: v[0] for k, v in q.items()}

    def do_GET(self):
        self.route()

    def do_POST(self):
        self.route()

    def route(self):
        path = urlparse(self.path).path
        if path.startswith("/bot") and "/" in path[1:]:
            method = path[path.index("/", 1) + 1:]
            try:
                result = bot_call(method, self.params())
            except (BrokenPipeError, ConnectionResetError):
                return
            self.send(200, json.dumps({"ok": True, "result": result}), "application/json")
        elif path == "/feed.xml":
            n = published_count(time.time())
            etag = f"\"n{n}\""
            if self.headers.get("If-None-Match") == etag:
                self.send(304, b"", "application/rss+xml", [("ETag", etag)])
            else:
                log({"event": "feed", "items": n})
                self.send(200, feed_xml(n, args.port), "application/rss+xml; charset=utf-8", [("ETag", etag)])
        elif path.startswith("/a/") and path[3:] in by_key:
            _, title, paras = articles[by_key[path[3:]]]
            body = "".join(f"<p>{html.escape(x)}</p>" for x in paras)
            self.send(200, f"<!DOCTYPE html><html><head><title>{html.escape(title)}</title></head><body><article><h1>{html.escape(title)}</h1>{body}</article></body></html>", "text/html; charset=utf-8")
        else:
            self.send(404, "not found", "text/plain")


if args.ask_every > 0:
    threading.Thread(target=asker, daemon=True).start()
print(f"serving {len(articles)} articles on http://127.0.0.1:{args.port}/feed.xml", flush=True)
ThreadingHTTPServer(("127.0.0.1", args.port), Handler).serve_forever()
