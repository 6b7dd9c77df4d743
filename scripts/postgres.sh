#!/usr/bin/env bash
# Starts Debian's PostgreSQL server on 127.0.0.1:5432 with the access the tests expect: user
# postgres, no password over loopback TCP (trust). Installs the server if it is missing.
# Idempotent: a second run on the same machine changes nothing and leaves it running.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  apt-get update -qq
  apt-get install -y -qq postgresql >/dev/null
fi

# The cluster on port 5432 (Debian creates "main" at install; a machine may lack it).
cluster=$(pg_lsclusters --no-header | awk '$3 == 5432 { print $1, $2; exit }')
if [ -z "$cluster" ]; then
  version=$(ls /usr/lib/postgresql | sort -V | tail -1)
  pg_createcluster --port 5432 "$version" main >/dev/null
  cluster="$version main"
fi
read -r version name <<<"$cluster"

hba=/etc/postgresql/$version/$name/pg_hba.conf
marker="# samsa: trust loopback TCP (tests)"
if ! grep -qF "$marker" "$hba"; then
  # pg_hba.conf is read top down and the first matching line wins: put ours first.
  { printf '%s\n' "$marker" "host all all 127.0.0.1/32 trust" "host all all ::1/128 trust"; cat "$hba"; } >"$hba.new"
  chown --reference="$hba" "$hba.new"
  chmod --reference="$hba" "$hba.new"
  mv "$hba.new" "$hba"
  changed=1
fi

if pg_lsclusters --no-header | awk -v v="$version" -v n="$name" '$1 == v && $2 == n && $4 ~ /^online/ { found = 1 } END { exit !found }'; then
  [ -z "${changed:-}" ] || pg_ctlcluster "$version" "$name" reload
else
  pg_ctlcluster "$version" "$name" start
fi

for _ in $(seq 1 60); do
  pg_isready -q -h 127.0.0.1 -p 5432 && exit 0
  sleep 0.5
done
echo "PostgreSQL did not accept connections on 127.0.0.1:5432" >&2
exit 1
