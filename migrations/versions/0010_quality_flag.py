"""data-quality flags: doubts about accepted events (implausible values, one practitioner at two communes)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 09:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('quality_flag',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.Column('feed_kind', sa.String(length=30), nullable=False),
    sa.Column('event_table', sa.String(length=40), nullable=False),
    sa.Column('source_event_id', sa.String(length=80), nullable=False),
    sa.Column('check_code', sa.String(length=40), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('value', sa.String(length=200), nullable=True),
    sa.Column('flagged_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['source_id'], ['feed_source.id'], name=op.f('fk_quality_flag_source_id_feed_source')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quality_flag')),
    sa.UniqueConstraint('source_id', 'event_table', 'source_event_id', 'check_code',
                        name=op.f('uq_quality_flag_source_id'))
    )
    with op.batch_alter_table('quality_flag', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quality_flag_check_code'), ['check_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_quality_flag_flagged_at'), ['flagged_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('quality_flag', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quality_flag_flagged_at'))
        batch_op.drop_index(batch_op.f('ix_quality_flag_check_code'))
    op.drop_table('quality_flag')
