"""partitioned raw event tables on PostgreSQL (by month of `day`), idempotency keys in event_key

On PostgreSQL, each of the four append-only event tables is rebuilt as a table partitioned by range of
`day`: a partition per month from its oldest event to PREMAKE months ahead, and a default partition.
The rows are copied in the migration's transaction (counted before the old table is dropped), then the
primary key becomes (id, day), the source's unique key (source_id, source_event_id, day), foreign keys
and indexes are recreated with their names, and the id sequence keeps its value and now belongs to the
new table. The identity of an event, which a partitioned table can no longer keep unique across months,
is claimed in `event_key` by a trigger (data/partitions.py explains the design). SQLite: nothing to do.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 17:00:00
"""
from datetime import UTC, date, datetime

from alembic import op
from sqlalchemy import text

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

TABLES = ("teleconsultation_session", "biology_result", "device_status", "vehicle_position")
PREMAKE = 6  # months of partitions made ahead (the worker keeps it so: data/partitions.py)

FUNCTIONS = """
CREATE FUNCTION event_key_claim() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO event_key (event_table, source_id, source_event_id, day)
    VALUES (TG_ARGV[0], NEW.source_id, NEW.source_event_id, NEW.day)
    ON CONFLICT DO NOTHING;
    IF FOUND THEN
        RETURN NEW;
    END IF;
    RETURN NULL;  -- this source sent this event before (whatever its month): a re-delivery, no new row
END $$;

CREATE FUNCTION event_key_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.source_id IS DISTINCT FROM OLD.source_id OR NEW.source_event_id IS DISTINCT FROM OLD.source_event_id
       OR NEW.day IS DISTINCT FROM OLD.day THEN
        RAISE EXCEPTION '%: the source, event id and day of an event are immutable (see event_key)', TG_ARGV[0];
    END IF;
    RETURN NEW;
END $$;

CREATE FUNCTION event_key_release() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM event_key k USING gone g
    WHERE k.event_table = TG_ARGV[0] AND k.source_id = g.source_id AND k.source_event_id = g.source_event_id;
    RETURN NULL;
END $$;

CREATE FUNCTION event_key_forget() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM event_key WHERE event_table = TG_ARGV[0];
    RETURN NULL;
END $$;
"""


def _add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def _rows(sql: str, **params):
    return op.get_bind().execute(text(sql), params).all()


def _definition(table: str):
    """What to recreate on the new table: foreign keys, plain indexes (by definition), the id sequence."""
    foreign = _rows("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE conrelid = to_regclass(:t) AND contype = 'f' ORDER BY conname", t=table)
    indexes = _rows("SELECT i.indexname, i.indexdef, c.conname IS NOT NULL FROM pg_indexes i "
                    "LEFT JOIN pg_constraint c ON c.conindid = to_regclass(quote_ident(i.indexname)) "
                    "WHERE i.schemaname = current_schema() AND i.tablename = :t ORDER BY i.indexname", t=table)
    sequence = _rows("SELECT pg_get_serial_sequence(:t, 'id')", t=table)[0][0]
    return foreign, indexes, sequence


def _set_aside(table: str, suffix: str, indexes) -> str:
    """Rename the table and its indexes out of the way; returns the table's new name."""
    aside = f"{table}_{suffix}"
    op.execute(f'ALTER TABLE "{table}" RENAME TO "{aside}"')
    for name, _, _ in indexes:
        op.execute(f'ALTER INDEX "{name}" RENAME TO "{(name + "_" + suffix)[:63]}"')
    return aside


def _finish(table: str, aside: str, *, primary: str, unique: str, foreign, indexes, sequence) -> None:
    """Copy the rows, check none was lost, recreate keys, foreign keys and indexes, hand over the sequence."""
    op.execute(f'INSERT INTO "{table}" SELECT * FROM "{aside}"')
    (before,), (after,) = _rows(f'SELECT count(*) FROM "{aside}"'), _rows(f'SELECT count(*) FROM "{table}"')
    if before != after:
        raise RuntimeError(f"{table}: {before} rows before, {after} after: migration stopped, nothing changed")
    op.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "pk_{table}" PRIMARY KEY ({primary})')
    op.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "uq_{table}_source_id" UNIQUE ({unique})')
    for name, definition in foreign:
        op.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
    for _, definition, backs_constraint in indexes:
        if not backs_constraint:
            op.execute(definition)  # CREATE INDEX <its name> ON <table> …: both names are free again
    if sequence:
        op.execute(f'ALTER SEQUENCE {sequence} OWNED BY "{table}".id')
    op.execute(f'DROP TABLE "{aside}"')


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite keeps plain tables and its unique (source_id, source_event_id)
    op.execute("CREATE TABLE event_key (event_table VARCHAR(40) NOT NULL, source_id INTEGER NOT NULL, "
               "source_event_id VARCHAR(80) NOT NULL, day DATE NOT NULL, "
               "CONSTRAINT pk_event_key PRIMARY KEY (event_table, source_id, source_event_id))")
    op.execute(FUNCTIONS)
    this_month = datetime.now(UTC).date().replace(day=1)
    for table in TABLES:
        foreign, indexes, sequence = _definition(table)
        (first,) = _rows(f'SELECT min(day) FROM "{table}"')[0]
        aside = _set_aside(table, "unpartitioned", indexes)
        op.execute(f'CREATE TABLE "{table}" (LIKE "{aside}" INCLUDING DEFAULTS INCLUDING CONSTRAINTS) '
                   "PARTITION BY RANGE (day)")
        month = min(first.replace(day=1), this_month) if first else this_month
        while month <= _add_months(this_month, PREMAKE):
            op.execute(f'CREATE TABLE "{table}_p{month:%Y%m}" PARTITION OF "{table}" '
                       f"FOR VALUES FROM ('{month}') TO ('{_add_months(month, 1)}')")
            month = _add_months(month, 1)
        op.execute(f'CREATE TABLE "{table}_default" PARTITION OF "{table}" DEFAULT')  # any later or odd day
        _finish(table, aside, primary="id, day", unique="source_id, source_event_id, day", foreign=foreign,
                indexes=indexes, sequence=sequence)
        op.execute(f"INSERT INTO event_key SELECT '{table}', source_id, source_event_id, day FROM \"{table}\"")
        op.execute(f'CREATE TRIGGER event_key_claim BEFORE INSERT ON "{table}" '
                   f"FOR EACH ROW EXECUTE FUNCTION event_key_claim('{table}')")
        op.execute(f'CREATE TRIGGER event_key_frozen BEFORE UPDATE OF source_id, source_event_id, day ON "{table}" '
                   f"FOR EACH ROW EXECUTE FUNCTION event_key_frozen('{table}')")
        op.execute(f'CREATE TRIGGER event_key_release AFTER DELETE ON "{table}" REFERENCING OLD TABLE AS gone '
                   f"FOR EACH STATEMENT EXECUTE FUNCTION event_key_release('{table}')")
        op.execute(f'CREATE TRIGGER event_key_forget AFTER TRUNCATE ON "{table}" '
                   f"FOR EACH STATEMENT EXECUTE FUNCTION event_key_forget('{table}')")
    op.execute("ANALYZE event_key")
    for table in TABLES:
        op.execute(f'ANALYZE "{table}"')


def downgrade() -> None:
    """Back to plain tables (rows of the attached partitions; detached, archived ones are left as they are)."""
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        foreign, indexes, sequence = _definition(table)
        aside = _set_aside(table, "partitioned", indexes)
        op.execute(f'CREATE TABLE "{table}" (LIKE "{aside}" INCLUDING DEFAULTS INCLUDING CONSTRAINTS)')
        _finish(table, aside, primary="id", unique="source_id, source_event_id", foreign=foreign,
                indexes=indexes, sequence=sequence)
    op.execute("DROP TABLE event_key")
    op.execute("DROP FUNCTION event_key_claim(), event_key_frozen(), event_key_release(), event_key_forget()")
