"""address states: each address's latest check-in, kept by triggers, for the figures

The figures (portal home, ``/api/v1/status``, dashboard, handset ``STATUS``) counted households by
a ``GROUP BY`` over every check-in since the crisis began; with 100,000 check-ins that was half the
CPU of a home page. ``address_states`` holds one row per address and drill flag: the pk, status
and time of its latest check-in. Triggers on ``checkins`` keep it in the same transaction as
every insert, delete and change of a check-in, whoever writes it; the upgrade fills it from the
check-ins already stored. "The latest check-in since the mode began" is then the state row when its
time is after the start (check-ins are numbered in the order of their time).

Revision ID: 0010_address_states
Revises: 0009_address_register
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0010_address_states"
down_revision = "0009_address_register"
branch_labels = None
depends_on = None


def _recompute(key: str, drill: str) -> str:
    """Statements that set the state of one address (``key``, ``drill``) from its check-ins."""
    return f"""
    DELETE FROM address_states WHERE address_key = {key} AND drill = {drill};
    INSERT INTO address_states (address_key, drill, checkin_pk, status, created_at)
        SELECT address_key, drill, pk, status, created_at FROM checkins
        WHERE address_key = {key} AND drill = {drill} ORDER BY pk DESC LIMIT 1;"""


TRIGGERS = {
    "trg_checkins_state_insert": """
CREATE TRIGGER trg_checkins_state_insert AFTER INSERT ON checkins
BEGIN
    INSERT INTO address_states (address_key, drill, checkin_pk, status, created_at)
        VALUES (NEW.address_key, NEW.drill, NEW.pk, NEW.status, NEW.created_at)
        ON CONFLICT (address_key, drill) DO UPDATE SET
            checkin_pk = excluded.checkin_pk, status = excluded.status, created_at = excluded.created_at
        WHERE excluded.checkin_pk > address_states.checkin_pk;
END""",
    "trg_checkins_state_delete": f"""
CREATE TRIGGER trg_checkins_state_delete AFTER DELETE ON checkins
WHEN OLD.pk = (SELECT checkin_pk FROM address_states
               WHERE address_key = OLD.address_key AND drill = OLD.drill)
BEGIN{_recompute("OLD.address_key", "OLD.drill")}
END""",
    "trg_checkins_state_update": f"""
CREATE TRIGGER trg_checkins_state_update
AFTER UPDATE OF address_key, drill, status, created_at ON checkins
WHEN OLD.address_key IS NOT NEW.address_key OR OLD.drill IS NOT NEW.drill
    OR OLD.status IS NOT NEW.status OR OLD.created_at IS NOT NEW.created_at
BEGIN{_recompute("OLD.address_key", "OLD.drill")}{_recompute("NEW.address_key", "NEW.drill")}
END""",
}


def upgrade() -> None:
    op.create_table(
        "address_states",
        sa.Column("address_key", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("drill", sa.Boolean(), nullable=False),
        sa.Column("checkin_pk", sa.Integer(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("address_key", "drill"),
    )
    with op.batch_alter_table("address_states", schema=None) as batch_op:
        batch_op.create_index("ix_address_states_since", ["drill", "created_at", "status"], unique=False)
    op.execute(
        "INSERT INTO address_states (address_key, drill, checkin_pk, status, created_at)"
        " SELECT c.address_key, c.drill, c.pk, c.status, c.created_at FROM checkins AS c"
        " JOIN (SELECT MAX(pk) AS pk FROM checkins GROUP BY address_key, drill) AS last"
        " ON c.pk = last.pk"
    )
    for sql in TRIGGERS.values():
        op.execute(sql)


def downgrade() -> None:
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    with op.batch_alter_table("address_states", schema=None) as batch_op:
        batch_op.drop_index("ix_address_states_since")
    op.drop_table("address_states")
