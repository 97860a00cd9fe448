"""address register: every door of the neighbourhood (the BAG export), sections; addresses re-keyed

The table ``addresses`` holds the register ``hub addresses import`` reads; ``sections`` the parts
of the neighbourhood with a contact volunteer; a volunteer may have an address. The address key now
writes a house letter or addition against the number ("kerkstraat 5 a", "kerkstraat 5-a" →
"kerkstraat 5a") and leaves out a postcode and place after it; the stored keys of households,
check-ins and needs are computed again with ``hub.domain.addresses`` so that old and new records
meet. A downgrade drops the register and keeps the new keys (they only join more spellings).

Revision ID: 0009_address_register
Revises: 0008_mesh_reactions
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

from hub.domain.addresses import address_key, street_of

revision = "0009_address_register"
down_revision = "0008_mesh_reactions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "addresses",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=26), nullable=False),
        sa.Column("street", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("letter", sqlmodel.sql.sqltypes.AutoString(length=1), nullable=False),
        sa.Column("addition", sqlmodel.sql.sqltypes.AutoString(length=4), nullable=False),
        sa.Column("postcode", sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
        sa.Column("place", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("address_key", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("street_key", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("imported_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("pk"),
        sa.UniqueConstraint("postcode", "number", "letter", "addition", name="uq_addresses_door"),
    )
    op.create_index("ix_addresses_address_key", "addresses", ["address_key"])
    op.create_index("ix_addresses_id", "addresses", ["id"], unique=True)
    op.create_index("ix_addresses_street_key", "addresses", ["street_key"])
    op.create_table(
        "sections",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=26), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("street", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("street_key", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("number_from", sa.Integer(), nullable=True),
        sa.Column("number_to", sa.Integer(), nullable=True),
        sa.Column("contact_volunteer_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["contact_volunteer_id"], ["volunteers.id"]),
        sa.PrimaryKeyConstraint("pk"),
        sa.UniqueConstraint("name"),
    )
    op.create_index("ix_sections_contact_volunteer_id", "sections", ["contact_volunteer_id"])
    op.create_index("ix_sections_id", "sections", ["id"], unique=True)
    op.create_index("ix_sections_street_key", "sections", ["street_key"])
    with op.batch_alter_table("volunteers") as batch:
        batch.add_column(sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True))
        batch.add_column(sa.Column("address_key", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True))
        batch.create_index("ix_volunteers_address_key", ["address_key"])
    _rekey()


def _rekey() -> None:
    connection = op.get_bind()
    for table in ("checkins", "needs"):
        rows = connection.execute(sa.text(f"SELECT pk, address, address_key FROM {table}")).all()  # noqa: S608
        changed = [{"pk": pk, "key": address_key(a)} for pk, a, key in rows if address_key(a) != key]
        if changed:
            connection.execute(sa.text(f"UPDATE {table} SET address_key = :key WHERE pk = :pk"), changed)  # noqa: S608
    rows = connection.execute(sa.text("SELECT pk, address, address_key, street_key FROM households")).all()
    changed = [
        {"pk": pk, "key": address_key(a), "street": street_of(a)}
        for pk, a, key, street in rows
        if (address_key(a), street_of(a)) != (key, street)
    ]
    if changed:
        connection.execute(
            sa.text("UPDATE households SET address_key = :key, street_key = :street WHERE pk = :pk"), changed
        )


def downgrade() -> None:
    with op.batch_alter_table("volunteers") as batch:
        batch.drop_index("ix_volunteers_address_key")
        batch.drop_column("address_key")
        batch.drop_column("address")
    op.drop_index("ix_sections_street_key", table_name="sections")
    op.drop_index("ix_sections_id", table_name="sections")
    op.drop_index("ix_sections_contact_volunteer_id", table_name="sections")
    op.drop_table("sections")
    op.drop_index("ix_addresses_street_key", table_name="addresses")
    op.drop_index("ix_addresses_id", table_name="addresses")
    op.drop_index("ix_addresses_address_key", table_name="addresses")
    op.drop_table("addresses")
