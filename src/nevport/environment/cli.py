"""`nevport env`: environmental power supervision tools."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from nevport.cli_common import DataDirOption, console, err_console, open_database, settings_for
from nevport.environment.hj212 import Hj212Error, decode_packet
from nevport.environment.hj212.mapping import readings_from

USAGE_ERROR = 2

app = typer.Typer(help="Environmental power supervision.", no_args_is_help=True)
decode_app = typer.Typer(help="Decode field-device data for debugging.", no_args_is_help=True)
app.add_typer(decode_app, name="decode")


def _packet_bytes(text: str) -> bytes:
    """The packet as typed on a shell: ``\\r\\n`` escapes are read, a missing CRLF added."""
    raw = text.replace("\\r", "\r").replace("\\n", "\n").encode("latin-1", errors="replace")
    return raw if raw.endswith(b"\r\n") else raw.rstrip(b"\r\n") + b"\r\n"


@decode_app.command("hj212")
def decode_hj212(
    packet: Annotated[str, typer.Argument(help="The packet, from '##' to the CRC.")],
) -> None:
    """Print an HJ 212 packet as JSON; exit 2 with the reason if it is malformed."""
    try:
        decoded = decode_packet(_packet_bytes(packet))
    except Hj212Error as exc:
        err_console.print(
            f"error: {exc.reason}: {exc.message}", markup=False, highlight=False, soft_wrap=True
        )
        raise typer.Exit(USAGE_ERROR) from None
    body = {
        "qn": decoded.qn,
        "st": decoded.st,
        "cn": decoded.cn,
        "pw": decoded.pw,
        "mn": decoded.mn,
        "flag": decoded.flag,
        "answer_wanted": decoded.answer_wanted,
        "pnum": decoded.pnum,
        "pno": decoded.pno,
        "cp": [dict(item) for item in decoded.cp],
        "facilities": readings_from(decoded),
    }
    typer.echo(json.dumps(body, ensure_ascii=False, indent=2))


EnterpriseOption = Annotated[int, typer.Option("--enterprise", help="Enterprise id.", min=1)]


def _when(text: str, zone: ZoneInfo, option: str) -> datetime:
    """An ISO date or date-time; without an offset it is read in the park's time zone."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(
            f"{text!r} is not an ISO date or date-time", param_hint=option
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=zone)


@app.command("evaluate")
def evaluate(
    enterprise: EnterpriseOption,
    start: Annotated[str, typer.Option("--from", help="Start, ISO date or date-time.")],
    end: Annotated[str, typer.Option("--to", help="End (excluded), ISO date or date-time.")],
    data_dir: DataDirOption = None,
) -> None:
    """Replay the rules over stored power and store the events, as `nevport serve` would."""
    from rich.progress import Progress

    from nevport.environment.service import check_window
    from nevport.environment.supervise import evaluate as run

    settings = settings_for(data_dir)
    zone = ZoneInfo(settings.timezone)
    first, last = _when(start, zone, "--from"), _when(end, zone, "--to")
    check_window(first, last)
    database = open_database(settings)
    total = int((last - first).total_seconds())
    with Progress(console=err_console, transient=True) as progress, database.session() as session:
        task = progress.add_task(f"enterprise {enterprise}", total=total)
        created = run(
            session, enterprise, first, last, lambda done: progress.update(task, completed=done)
        )
    console.print(f"{created} new event(s) for enterprise {enterprise}")


@app.command("send-hj212")
def send_hj212(
    enterprise: EnterpriseOption,
    host: Annotated[str, typer.Option(help="Upstream platform address.")],
    port: Annotated[int, typer.Option(help="Upstream platform TCP port.", min=1, max=65535)],
    mn: Annotated[str, typer.Option(help="Device identifier (MN) the platform assigned.")],
    pw: Annotated[str, typer.Option(help="Access password (PW).")] = "123456",
    start: Annotated[
        str | None, typer.Option("--from", help="Start (default: an hour ago).")
    ] = None,
    end: Annotated[str | None, typer.Option("--to", help="End (default: now).")] = None,
    deadline: Annotated[float, typer.Option(help="Seconds to keep trying to send.")] = 30.0,
    outbox_path: Annotated[
        Path | None, typer.Option("--outbox", help="Disk buffer (default: DATA_DIR/env/).")
    ] = None,
    data_dir: DataDirOption = None,
) -> None:
    """Queue stored samples as HJ 212 packets on disk and send them; unsent ones stay queued."""
    from nevport.environment.hj212.outbox import Outbox
    from nevport.environment.hj212.sender import Hj212Sender, SenderConfig
    from nevport.environment.hj212.upload import queue_packets
    from nevport.environment.service import check_window

    settings = settings_for(data_dir)
    zone = ZoneInfo(settings.timezone)
    now = datetime.now(UTC)
    first = _when(start, zone, "--from") if start else now - timedelta(hours=1)
    last = _when(end, zone, "--to") if end else now
    check_window(first, last)
    outbox = Outbox(outbox_path or settings.data_dir / "env" / "hj212-outbox.db")
    database = open_database(settings)
    with database.session() as session:
        queued = queue_packets(session, enterprise, first, last, outbox, mn=mn, pw=pw)
    sender = Hj212Sender(outbox, SenderConfig(host, port))
    try:
        left = sender.drain(deadline)
    finally:
        sender.close()
        outbox.close()
    console.print(f"{queued} packet(s) queued, {sender.sent} sent, {left} left in the outbox")
    if left:
        raise typer.Exit(1)  # the next run sends them first
