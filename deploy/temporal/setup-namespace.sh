#!/bin/sh
# Creates the namespace (unless it exists) and registers charterflow's custom search attributes
# through the operator API. SEARCH_ATTRIBUTES lists `Name=Type` pairs: workflows/contract.ts
# (SEARCH_ATTRIBUTE_FLAGS) is their source; docker-compose.yml repeats them (test/compose checks the
# two agree) and `npm run cluster` passes them from the contract. Safe to re-run.
# Used by docker-compose.yml (service temporal-admin-tools) and by `npm run cluster` / test/cluster
# (workers/cluster/temporal-server.ts, with the Temporal CLI of .tools/).
set -eu
: "${TEMPORAL_ADDRESS:?set TEMPORAL_ADDRESS (host:port of the frontend)}"
: "${TEMPORAL_NAMESPACE:=default}"
: "${TEMPORAL_NAMESPACE_RETENTION:=72h}"
: "${SEARCH_ATTRIBUTES:?set SEARCH_ATTRIBUTES, e.g. TripPhase=Keyword QuoteCount=Int}"
: "${TEMPORAL_CLI:=temporal}"
export TEMPORAL_ADDRESS

# The frontend answers before its namespace registry has loaded: retry for up to a minute.
attempt=0
output=""
until "$TEMPORAL_CLI" operator namespace describe --namespace "$TEMPORAL_NAMESPACE" >/dev/null 2>&1; do
  attempt=$((attempt + 1))
  if [ "$attempt" -gt 60 ]; then
    echo "namespace $TEMPORAL_NAMESPACE unavailable after 60 attempts: $output" >&2
    exit 1
  fi
  if output=$("$TEMPORAL_CLI" operator namespace create --namespace "$TEMPORAL_NAMESPACE" --retention "$TEMPORAL_NAMESPACE_RETENTION" 2>&1); then
    echo "created namespace $TEMPORAL_NAMESPACE"
  fi
  sleep 1
done

for attribute in $SEARCH_ATTRIBUTES; do
  name="${attribute%%=*}"
  type="${attribute#*=}"
  attempt=0
  until output=$("$TEMPORAL_CLI" operator search-attribute create --namespace "$TEMPORAL_NAMESPACE" --name "$name" --type "$type" 2>&1); do
    if echo "$output" | grep -qi "already"; then
      output="already registered"
      break
    fi
    attempt=$((attempt + 1))
    if [ "$attempt" -ge 30 ]; then
      echo "$output" >&2
      exit 1
    fi
    sleep 1
  done
  echo "search attribute $name ($type): $(echo "$output" | head -1)"
done
