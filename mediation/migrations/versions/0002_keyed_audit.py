"""keyed audit chain covering the case's state

Revision ID: 0002
Revises: 0001
Create Date: 2027-01-20

Entries get the digest of their case's state; heads get that digest, the end of the entries
written before audit keys (legacy_until), and their own HMAC. Existing heads are marked legacy up
to their current end; `Store.from_url` seals them under the key right after this upgrade.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("auditentry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("state", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
    with op.batch_alter_table("audithead", schema=None) as batch_op:
        batch_op.add_column(sa.Column("state", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.add_column(sa.Column("legacy_until", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("mac", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
    op.execute("UPDATE audithead SET legacy_until = seq")


def downgrade() -> None:
    with op.batch_alter_table("audithead", schema=None) as batch_op:
        batch_op.drop_column("mac")
        batch_op.drop_column("legacy_until")
        batch_op.drop_column("state")
    with op.batch_alter_table("auditentry", schema=None) as batch_op:
        batch_op.drop_column("state")
