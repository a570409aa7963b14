"""reason wording: how to word a system-written escalation or vote reason again for each reader

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-14
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("escalation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reason_text", sa.JSON(), nullable=True))
    with op.batch_alter_table("proposalvote", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reason_text", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("proposalvote", schema=None) as batch_op:
        batch_op.drop_column("reason_text")
    with op.batch_alter_table("escalation", schema=None) as batch_op:
        batch_op.drop_column("reason_text")
