"""The floor of this stack for bench/sla.py's HTTP part: FastAPI + Pydantic + SQLAlchemy Core
with one INSERT per write and nothing else (no events, clocks, ownership, outbox, checks).

It accepts the same requests as the complaint API the benchmark drives, so the same clients on
the same cores measure what the framework, the driver and PostgreSQL alone allow; TrustPulse's
figure is read against it. Served by `uvicorn sla_floor_app:app --app-dir bench`, database in
SLA_FLOOR_DATABASE_URL (bench/sla.py creates its two tables, FLOOR_TABLES).
"""

from __future__ import annotations

import os

from fastapi import FastAPI
from pydantic import BaseModel
from sqlalchemy import create_engine, text

engine = create_engine(os.environ["SLA_FLOOR_DATABASE_URL"], pool_size=8)
app = FastAPI()


class CaseIn(BaseModel):
    title: str


class ReplyIn(BaseModel):
    author: str
    actor_id: int
    message: str
    version: int


@app.get("/api/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/api/complaints", status_code=201)
def open_case(body: CaseIn) -> dict[str, int]:
    with engine.begin() as conn:
        new_id = conn.execute(
            text("INSERT INTO floor_cases (title) VALUES (:title) RETURNING id"),
            {"title": body.title},
        ).scalar_one()
    return {"id": new_id, "version": 1}


@app.post("/api/complaints/{case_id}/replies")
def reply(case_id: int, body: ReplyIn) -> dict[str, int]:
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO floor_replies (case_id, message) VALUES (:case_id, :message)"),
            {"case_id": case_id, "message": body.message},
        )
    return {"id": case_id, "version": body.version + 1}
