"""coverage planner: saved scenarios and the border ring of the accessibility method

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 01:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ring_commune',
    sa.Column('insee', sa.String(length=5), nullable=False),
    sa.Column('departement_code', sa.String(length=3), nullable=False),
    sa.Column('population', sa.Integer(), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('insee', name=op.f('pk_ring_commune'))
    )
    op.create_table('coverage_scenario',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('query', sa.Text(), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['app_user.id'], name=op.f('fk_coverage_scenario_author_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coverage_scenario'))
    )
    with op.batch_alter_table('coverage_scenario', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_coverage_scenario_author_id'), ['author_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('coverage_scenario', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_coverage_scenario_author_id'))
    op.drop_table('coverage_scenario')
    op.drop_table('ring_commune')
