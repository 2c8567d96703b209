"""teleconsultation duration rollup (median length without reading raw sessions); covering indexes on rollups

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 20:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('rollup_teleconsultation_duration',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('duration_min', sa.Integer(), nullable=False),
    sa.Column('sessions', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_rollup_teleconsultation_duration_site_id_site')),
    sa.PrimaryKeyConstraint('day', 'site_id', 'duration_min', name=op.f('pk_rollup_teleconsultation_duration'))
    )
    # existing databases: the distribution of the sessions already stored
    op.execute("INSERT INTO rollup_teleconsultation_duration (day, site_id, duration_min, sessions) "
               "SELECT day, site_id, duration_min, count(*) FROM teleconsultation_session "
               "WHERE status = 'completed' AND duration_min IS NOT NULL GROUP BY day, site_id, duration_min")
    with op.batch_alter_table('rollup_teleconsultation_duration', schema=None) as batch_op:
        batch_op.create_index('ix_rollup_tc_duration_site_day_cover', ['site_id', 'day', 'duration_min', 'sessions'],
                              unique=False)
    with op.batch_alter_table('rollup_teleconsultation_daily', schema=None) as batch_op:
        batch_op.drop_index('ix_rollup_tc_site_day')
        batch_op.create_index('ix_rollup_tc_site_day_cover', ['site_id', 'day', 'status', 'specialty', 'sessions',
                                                              'minutes', 'patients_75_plus'], unique=False)
    with op.batch_alter_table('rollup_biology_daily', schema=None) as batch_op:
        batch_op.drop_index('ix_rollup_bio_site_day')
        batch_op.create_index('ix_rollup_bio_site_day_cover', ['site_id', 'day', 'loinc', 'tests', 'abnormal',
                                                               'sample_to_result_min', 'result_to_lab_min',
                                                               'transmitted'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('rollup_biology_daily', schema=None) as batch_op:
        batch_op.drop_index('ix_rollup_bio_site_day_cover')
        batch_op.create_index('ix_rollup_bio_site_day', ['site_id', 'day'], unique=False)
    with op.batch_alter_table('rollup_teleconsultation_daily', schema=None) as batch_op:
        batch_op.drop_index('ix_rollup_tc_site_day_cover')
        batch_op.create_index('ix_rollup_tc_site_day', ['site_id', 'day'], unique=False)
    op.drop_table('rollup_teleconsultation_duration')
