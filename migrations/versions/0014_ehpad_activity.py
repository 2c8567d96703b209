"""EHPAD monthly activity records (residents, emergency transfers, referrals): the before/after of /evaluation

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 17:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'ehpad_activity',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('source_id', sa.Integer(), nullable=False),
        sa.Column('source_event_id', sa.String(length=80), nullable=False),
        sa.Column('received_at', sa.DateTime(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('residents', sa.Integer(), nullable=False),
        sa.Column('emergency_transfers', sa.Integer(), nullable=False),
        sa.Column('hospital_referrals', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_ehpad_activity_site_id_site')),
        sa.ForeignKeyConstraint(['source_id'], ['feed_source.id'], name=op.f('fk_ehpad_activity_source_id_feed_source')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_ehpad_activity')),
        sa.UniqueConstraint('source_id', 'source_event_id', name=op.f('uq_ehpad_activity_source_id')),
    )
    with op.batch_alter_table('ehpad_activity', schema=None) as batch_op:
        batch_op.create_index('ix_ehpad_activity_site_month', ['site_id', 'month'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('ehpad_activity', schema=None) as batch_op:
        batch_op.drop_index('ix_ehpad_activity_site_month')
    op.drop_table('ehpad_activity')
