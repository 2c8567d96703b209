"""scheduled reports: subscriptions and generated reports, one per (subscription, month)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 09:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('report_subscription',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('pages', sa.JSON(), nullable=True),
    sa.Column('frequency', sa.String(length=10), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_report_subscription_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_subscription'))
    )
    with op.batch_alter_table('report_subscription', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_subscription_user_id'), ['user_id'], unique=False)
    op.create_table('generated_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subscription_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('claimed_at', sa.DateTime(), nullable=True),
    sa.Column('rendered_at', sa.DateTime(), nullable=True),
    sa.Column('data_until', sa.Date(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('pdf', sa.LargeBinary(), nullable=True),
    sa.Column('xlsx', sa.LargeBinary(), nullable=True),
    sa.ForeignKeyConstraint(['subscription_id'], ['report_subscription.id'],
                            name=op.f('fk_generated_report_subscription_id_report_subscription')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_generated_report')),
    sa.UniqueConstraint('subscription_id', 'month', name=op.f('uq_generated_report_subscription_id'))
    )


def downgrade() -> None:
    op.drop_table('generated_report')
    with op.batch_alter_table('report_subscription', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_subscription_user_id'))
    op.drop_table('report_subscription')
