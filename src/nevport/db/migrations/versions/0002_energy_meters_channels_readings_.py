"""energy meters channels readings intervals

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 01:21:35.703676
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import nevport.db.base
import nevport.energy.models

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # users exists since 0001, so the audit foreign keys can be written inline here.
    op.create_table(
        "energy_meters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "level",
            sa.Enum(
                "incomer",
                "workshop",
                "line",
                "equipment",
                "virtual",
                name="meterlevel",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("protocol", sa.String(length=16), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("register_map", sa.String(length=64), nullable=True),
        sa.Column("formula", sa.Text(), nullable=True),
        sa.Column("created_at", nevport.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", nevport.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_energy_meters_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_energy_meters_enterprise_id_enterprises"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["energy_meters.id"],
            name=op.f("fk_energy_meters_parent_id_energy_meters"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["sites.id"],
            name=op.f("fk_energy_meters_site_id_sites"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["users.id"],
            name=op.f("fk_energy_meters_updated_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_energy_meters")),
        sa.UniqueConstraint("enterprise_id", "code", name=op.f("uq_energy_meters_enterprise_id")),
    )
    with op.batch_alter_table("energy_meters", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_energy_meters_enterprise_id"), ["enterprise_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_energy_meters_parent_id"), ["parent_id"], unique=False)

    op.create_table(
        "energy_channels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meter_id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column(
            "quantity",
            sa.Enum(
                "active_energy_import",
                "active_energy_export",
                "reactive_energy_import",
                "reactive_energy_export",
                "pv_energy",
                "water_volume",
                "gas_volume",
                "active_power",
                "reactive_power",
                "voltage",
                "current",
                "power_factor",
                "frequency",
                name="quantity",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("modulus", nevport.energy.models.Micro(), nullable=True),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_energy_channels_enterprise_id_enterprises"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["meter_id"],
            ["energy_meters.id"],
            name=op.f("fk_energy_channels_meter_id_energy_meters"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_energy_channels")),
        sa.UniqueConstraint("meter_id", "quantity", name=op.f("uq_energy_channels_meter_id")),
    )
    with op.batch_alter_table("energy_channels", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_energy_channels_enterprise_id"), ["enterprise_id"], unique=False
        )

    op.create_table(
        "energy_channel_configs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("effective_from", nevport.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "installed",
                "ratio_change",
                "replacement",
                "reset",
                name="configkind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("ct_ratio", nevport.energy.models.Micro(), nullable=False),
        sa.Column("pt_ratio", nevport.energy.models.Micro(), nullable=False),
        sa.Column("old_final", nevport.energy.models.Micro(), nullable=True),
        sa.Column("new_initial", nevport.energy.models.Micro(), nullable=True),
        sa.Column("note", sa.String(length=300), nullable=False),
        sa.Column("created_at", nevport.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["energy_channels.id"],
            name=op.f("fk_energy_channel_configs_channel_id_energy_channels"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_energy_channel_configs")),
        sa.UniqueConstraint(
            "channel_id", "effective_from", name=op.f("uq_energy_channel_configs_channel_id")
        ),
    )
    op.create_table(
        "energy_intervals",
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("resolution", sa.String(length=3), nullable=False),
        sa.Column("start", nevport.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("value", nevport.energy.models.Micro(), nullable=True),
        sa.Column("flags", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["energy_channels.id"],
            name=op.f("fk_energy_intervals_channel_id_energy_channels"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "channel_id", "resolution", "start", name=op.f("pk_energy_intervals")
        ),
    )
    with op.batch_alter_table("energy_intervals", schema=None) as batch_op:
        batch_op.create_index(
            "ix_energy_intervals_resolution_start", ["resolution", "start"], unique=False
        )

    op.create_table(
        "energy_readings",
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("ts", nevport.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("value", nevport.energy.models.Micro(), nullable=True),
        sa.Column("flags", sa.SmallInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["energy_channels.id"],
            name=op.f("fk_energy_readings_channel_id_energy_channels"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("channel_id", "ts", name=op.f("pk_energy_readings")),
    )
    # ### end Alembic commands ###


def downgrade() -> None:
    # ### commands auto generated by Alembic - please adjust! ###
    op.drop_table("energy_readings")
    with op.batch_alter_table("energy_intervals", schema=None) as batch_op:
        batch_op.drop_index("ix_energy_intervals_resolution_start")

    op.drop_table("energy_intervals")
    op.drop_table("energy_channel_configs")
    with op.batch_alter_table("energy_channels", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_energy_channels_enterprise_id"))

    op.drop_table("energy_channels")
    with op.batch_alter_table("energy_meters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_energy_meters_parent_id"))
        batch_op.drop_index(batch_op.f("ix_energy_meters_enterprise_id"))

    op.drop_table("energy_meters")
    # ### end Alembic commands ###
