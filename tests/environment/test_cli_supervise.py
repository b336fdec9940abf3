"""`nevport env evaluate` and `nevport env send-hj212` on a stored plant."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select
from typer.testing import CliRunner

from nevport.auth import service as auth_service
from nevport.auth.roles import Role
from nevport.cli import app
from nevport.cli_common import open_database, settings_for
from nevport.environment.hj212 import decode_packet
from nevport.environment.models import EnvEvent
from nevport.park.models import Enterprise, Sector

from . import plant
from .test_hj212_sender import Platform


def _stored_plant(data_dir: Path) -> int:
    database = open_database(settings_for(data_dir))
    with database.session() as session:
        firm = Enterprise(
            name_zh="喷涂厂",
            name_en="Paint shop",
            credit_code="91120222MA05K0TQ1B",
            sector=Sector.electronics,
            key_power_user=True,
        )
        session.add(firm)
        session.flush()
        user = auth_service.create_user(session, "admin", "correct-horse-battery", Role.park_admin)
        plant.build(session, firm.id, plant.admin(user.id))
        plant.store_day(session, firm.id)
        eid = firm.id
    database.dispose()
    return eid


def _count(data_dir: Path) -> int:
    database = open_database(settings_for(data_dir))
    with database.session() as session:
        n = session.scalar(select(func.count()).select_from(EnvEvent)) or 0
    database.dispose()
    return n


def test_evaluate_stores_events_and_a_second_run_changes_nothing(tmp_path: Path) -> None:
    eid = _stored_plant(tmp_path)
    args = ["env", "evaluate", "--enterprise", str(eid), "--data-dir", str(tmp_path)]
    args += ["--from", plant.BASE.isoformat(), "--to", plant.DAY_END.isoformat()]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    stored = _count(tmp_path)
    assert stored >= 2
    assert f"{stored} new event(s) for enterprise {eid}" in first.output
    again = CliRunner().invoke(app, args)
    assert "0 new event(s)" in again.output
    assert _count(tmp_path) == stored


def test_send_hj212_delivers_every_sample_and_keeps_what_failed(tmp_path: Path) -> None:
    eid = _stored_plant(tmp_path)
    platform = Platform()
    span = ["--from", plant.DAY_START.isoformat(), "--to", plant.DAY_END.isoformat()]
    args = ["env", "send-hj212", "--enterprise", str(eid), "--host", "127.0.0.1"]
    args += ["--mn", "NVP0001", "--data-dir", str(tmp_path), *span]
    sent = CliRunner().invoke(app, [*args, "--port", str(platform.port)])
    assert sent.exit_code == 0, sent.output
    samples = 8 * 4  # eight hours of quarter-hour samples, two packets each
    assert f"{2 * samples} packet(s) queued, {2 * samples} sent, 0 left" in sent.output
    assert len(platform.received) == 2 * samples
    assert len(set(platform.received)) == 2 * samples  # every packet its own QN
    platform.stop()

    down = CliRunner().invoke(app, [*args, "--port", str(platform.port), "--deadline", "0.3"])
    assert down.exit_code == 1
    assert "0 sent" in down.output
    assert "left in the outbox" in down.output


def test_a_packet_carries_state_and_power_of_each_facility(tmp_path: Path) -> None:
    from nevport.environment.hj212.outbox import Outbox
    from nevport.environment.hj212.upload import queue_packets

    eid = _stored_plant(tmp_path)
    outbox = Outbox(tmp_path / "out.db")
    database = open_database(settings_for(tmp_path))
    ten = plant.DAY_START + (plant.DAY_END - plant.DAY_START) / 2  # 10:00, booth alone
    with database.session() as session:
        assert (
            queue_packets(
                session,
                eid,
                ten,
                ten + timedelta(minutes=15),
                outbox,
                mn="NVP0001",
                pw="123456",
            )
            == 2
        )
    status, electrical = (decode_packet(raw) for _, raw in outbox.peek())
    assert (status.cn, electrical.cn) == ("2021", "2011")
    assert electrical.cp_dict()["SC1-Pt-Rtd"] == "20.000"  # kW
    assert electrical.cp_dict()["SB1-Pt-Rtd"] == "0.100"
    database.dispose()
