#!/bin/sh
# Creates Temporal's two PostgreSQL databases and brings their schemas to the server's version with
# the server's own SQL tool (temporal-sql-tool, schemas embedded in it). Safe to re-run: existing
# databases are kept and only missing schema versions are applied.
# Used by docker-compose.yml (service temporal-schema, in temporalio/admin-tools) and by
# `npm run cluster` / test/cluster (workers/cluster/temporal-server.ts, with the tool built from the
# Go module). The password travels in SQL_PASSWORD only, never on a command line.
set -eu
: "${SQL_HOST:?set SQL_HOST (PostgreSQL host)}"
: "${SQL_PORT:=5432}"
: "${SQL_USER:?set SQL_USER}"
: "${SQL_PASSWORD:?set SQL_PASSWORD}"
: "${TEMPORAL_DB:=temporal}"
: "${TEMPORAL_VISIBILITY_DB:=temporal_visibility}"
: "${TEMPORAL_SQL_TOOL:=temporal-sql-tool}"
export SQL_HOST SQL_PORT SQL_USER SQL_PASSWORD
export SQL_PLUGIN=postgres12

for pair in "$TEMPORAL_DB:postgresql/v12/temporal" "$TEMPORAL_VISIBILITY_DB:postgresql/v12/visibility"; do
  database="${pair%%:*}"
  schema="${pair#*:}"
  "$TEMPORAL_SQL_TOOL" --db "$database" create-database --defaultdb postgres
  "$TEMPORAL_SQL_TOOL" --db "$database" setup-schema -v 0.0
  "$TEMPORAL_SQL_TOOL" --db "$database" update-schema --schema-name "$schema"
  echo "schema ready: $database ($schema)"
done
