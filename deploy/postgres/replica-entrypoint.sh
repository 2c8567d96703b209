#!/bin/bash
# db-replica (docker-compose.yml, profile `replica`): on an empty volume, copy the primary with
# pg_basebackup (-R writes standby.signal and primary_conninfo, -C -S a replication slot so the primary keeps
# the WAL the replica has not replayed yet), then run the image's entrypoint: a read-only hot standby.
set -euo pipefail
if [ -z "${REPLICATION_PASSWORD:-}" ]; then
  echo "db-replica: set REPLICATION_PASSWORD (and on the primary's first start, see deploy/postgres/primary-init.sh)" >&2
  exit 1
fi
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  mkdir -p "$PGDATA" && chown postgres:postgres "$PGDATA" && chmod 700 "$PGDATA"
  until pg_isready -h "$PRIMARY_HOST" -q; do sleep 1; done
  export PGPASSWORD="$REPLICATION_PASSWORD"
  gosu postgres pg_basebackup -h "$PRIMARY_HOST" -U replicator -D "$PGDATA" -R -X stream -C -S replica1 \
    || gosu postgres pg_basebackup -h "$PRIMARY_HOST" -U replicator -D "$PGDATA" -R -X stream -S replica1
fi
exec docker-entrypoint.sh postgres -c hot_standby=on
