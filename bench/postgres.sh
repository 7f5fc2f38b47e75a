# Sourced by bench scripts that need a private PostgreSQL: initdb + pg_ctl
# in $1/pg (trust auth, user `bench`, loopback only, a free port), as the
# postgres user when run as root. Sets pgbin, pgport, pgdir, pgurl and
# defines stop_pg; the caller stops it (usually in its EXIT trap).
# Usage: . bench/postgres.sh; start_pg WORKDIR
start_pg() {
  local work=$1
  pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  pgport=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  pgdir="$work/pg"
  as_pg=()
  mkdir -p "$pgdir"
  if [ "$(id -u)" = 0 ]; then chown postgres "$pgdir"; as_pg=(runuser -u postgres --); fi
  "${as_pg[@]}" "$pgbin/initdb" -D "$pgdir/data" -U bench -A trust >"$work/initdb.log" 2>&1
  "${as_pg[@]}" "$pgbin/pg_ctl" -D "$pgdir/data" -l "$pgdir/server.log" -w -t 60 \
    -o "-p $pgport -c listen_addresses=127.0.0.1 -k $pgdir" start >/dev/null
  pgurl="postgresql://bench@127.0.0.1:$pgport/postgres"
}

stop_pg() { "${as_pg[@]}" "$pgbin/pg_ctl" -D "$pgdir/data" -m fast -w stop >/dev/null 2>&1 || true; }
