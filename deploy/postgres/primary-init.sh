#!/bin/bash
# docker-entrypoint-initdb.d (first start of the primary): the role the replica streams with, and the
# pg_hba line allowing it (the image's own lines do not cover replication connections). Nothing without
# REPLICATION_PASSWORD.
set -euo pipefail
if [ -n "${REPLICATION_PASSWORD:-}" ]; then
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v pw="$REPLICATION_PASSWORD" <<'SQL'
CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD :'pw';
SQL
  echo "host replication replicator all scram-sha-256" >> "$PGDATA/pg_hba.conf"
fi
