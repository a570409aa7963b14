"""outbox per notice: state, retry schedule, last error, case

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outboxmessage', schema=None) as batch_op:
        batch_op.add_column(sa.Column('state', sa.String(), nullable=False, server_default='pending'))
        batch_op.add_column(sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('last_error', sa.String(), nullable=True))
        batch_op.add_column(sa.Column('case_id', sa.String(), nullable=True))
        batch_op.create_index('ix_outboxmessage_due', ['platform', 'state', 'next_attempt_at'], unique=False)
    # rows from before: delivered ones stay delivered; ones retried 5 times were given up
    op.execute("UPDATE outboxmessage SET state = 'delivered' WHERE delivered_at IS NOT NULL")
    op.execute("UPDATE outboxmessage SET state = 'failed' WHERE delivered_at IS NULL AND attempts >= 5")
    with op.batch_alter_table('timer', schema=None) as batch_op:
        batch_op.create_index('ix_timer_state_due', ['state', 'due_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('timer', schema=None) as batch_op:
        batch_op.drop_index('ix_timer_state_due')
    with op.batch_alter_table('outboxmessage', schema=None) as batch_op:
        batch_op.drop_index('ix_outboxmessage_due')
        batch_op.drop_column('case_id')
        batch_op.drop_column('last_error')
        batch_op.drop_column('next_attempt_at')
        batch_op.drop_column('state')
