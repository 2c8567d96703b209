"""report completeness: when a mobile stop was first confirmed; device status reports indexed by day

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 09:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('mobile_stop', schema=None) as batch_op:
        batch_op.add_column(sa.Column('confirmed_at', sa.DateTime(), nullable=True))
    # stops already confirmed: their last receipt is the best known moment of confirmation
    op.execute("UPDATE mobile_stop SET confirmed_at = received_at WHERE status <> 'planned'")
    with op.batch_alter_table('device_status', schema=None) as batch_op:
        batch_op.create_index('ix_device_status_day_device', ['day', 'device_id', 'received_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('device_status', schema=None) as batch_op:
        batch_op.drop_index('ix_device_status_day_device')
    with op.batch_alter_table('mobile_stop', schema=None) as batch_op:
        batch_op.drop_column('confirmed_at')
