"""The latency floor: FastAPI under uvicorn returning a pre-built JSON page from memory.

FLOOR_PAGE=page.json python bench/floor_app.py PORT WORKERS
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI

page: dict[str, Any] = json.loads(Path(os.environ["FLOOR_PAGE"]).read_text(encoding="utf-8"))
app = FastAPI()


@app.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/api/enterprises")
def enterprises(limit: int = 50, sort: str = "name_en") -> dict[str, Any]:
    return page


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    uvicorn.run(
        "floor_app:app",
        host="127.0.0.1",
        port=int(sys.argv[1]),
        workers=int(sys.argv[2]),
        log_level="warning",
        access_log=False,
    )
