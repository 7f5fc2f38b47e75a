#!/usr/bin/env bash
# ingest_bench.sh: how fast does process type 4 (ingest) load a CSV file, next
# to the sqlite3 shell's `.import` of the same file into the same kind of
# table? Both write a SQLite database file on the same disk.
#
#   ctlflow  `ctlflow --home H apply` of one ingest process (not timed), then
#            timed: `ctlflow --home H run B --date 2024-01-01`, a foreground
#            run: the schema is read, every field is parsed and typed
#            (bigint, string, decimal(8,2), boolean, date, timestamp), audit
#            columns are added, one transaction, a log row written.
#   sqlite3  `CREATE TABLE` with the same typed columns (not timed), then
#            timed: `sqlite3 DB ".import --csv --skip 1 FILE t"`: no
#            validation, only SQLite's type affinity.
#   ctlflow → PostgreSQL  the same ingest with conn_nm pointing at a postgres
#            connection (COPY FROM STDIN), into a table dropped before each run.
#   psql     `CREATE TABLE` with the same PostgreSQL types (not timed), then
#            timed: `psql -c "\copy t FROM FILE CSV HEADER"`: the server
#            parses the types, no reject handling.
# The PostgreSQL server is started by this script (initdb + pg_ctl in a
# temporary folder, loopback only, a free port; as root it runs as the
# postgres user) and stopped at the end.
# Each tool gets $reps timed runs, taking turns, each in a fresh folder; the
# median wall time gives rows/s; peak RSS is /usr/bin/time's %M (max over
# the runs).
#
# Uses the binary of build/ (RelWithDebInfo, -O2; BUILD_DIR to change); prints a markdown
# section and writes it into docs/benchmarks.md under "## Ingest throughput"
# (only that section is replaced).
#
# Usage: bench/ingest_bench.sh [--rows N] [--reps N]
set -euo pipefail

rows=1000000
reps=3
while [ $# -gt 0 ]; do
  case "$1" in
    --rows) rows="$2"; shift 2 ;;
    --reps) reps="$2"; shift 2 ;;
    *) echo "usage: $0 [--rows N] [--reps N]" >&2; exit 2 ;;
  esac
done

root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
ninja -C "$build" -j2 ctlflow >/dev/null
ctlflow="$build/ctlflow"
work="$(mktemp -d /tmp/ingest-bench.XXXXXX)"
chmod 755 "$work"

# A private PostgreSQL for the side-by-side COPY comparison.
. "$root/bench/postgres.sh"
start_pg "$work"
trap 'stop_pg; rm -rf "$work"' EXIT

awk -v n="$rows" 'BEGIN {
  print "id,vendor,fare,paid,day,pickup";
  for (i = 1; i <= n; i++) {
    printf "%d,vendor %d,%d.%02d,%s,2024-01-%02d,2024-01-%02d %02d:%02d:%02d\n",
      i, i % 97, i % 500, i % 100, (i % 2 ? "true" : "false"), i % 28 + 1, i % 28 + 1, i % 24, i % 60, i % 60;
  }
}' > "$work/trips.csv"
bytes=$(stat -c %s "$work/trips.csv")

schema='{"columns": [
  {"name": "id", "type": "bigint", "nullable": false},
  {"name": "vendor", "type": "string"},
  {"name": "fare", "type": "decimal(8,2)"},
  {"name": "paid", "type": "boolean"},
  {"name": "day", "type": "date"},
  {"name": "pickup", "type": "timestamp"}]}'

run_ctlflow() {  # $1 run, $2 connection (warehouse or pg); prints "seconds kilobytes"
  local home="$work/home.$1" conn="${2:-warehouse}"
  rm -rf "$home"; mkdir -p "$home/lakehouse"
  ln -s "$work/trips.csv" "$home/lakehouse/trips.csv"
  printf '%s\n' "$schema" > "$home/lakehouse/trips.json"
  cat > "$work/b.yaml" <<YAML
cntl_cfg_strem:
  - {strem_nm: B}
cntl_cfg_prcs_grp:
  - {prcs_grp: G, strem_nm: B, prir: 1}
cntl_cfg_prcs:
  - {prcs_nm: ING, prcs_grp: G, prcs_typ: 4, conn_nm: $conn, tgt_schm_nm: STG, tgt_tbl: trips, af_parm: "schema=trips.json source=trips.csv"}
YAML
  if [ "$conn" = pg ]; then
    "$ctlflow" --home "$home" connection add pg --type postgres --url "$pgurl" >/dev/null
    "$ctlflow" --home "$home" sql --conn pg "DROP TABLE IF EXISTS STG.trips" >/dev/null
  fi
  "$ctlflow" --home "$home" apply "$work/b.yaml" >/dev/null
  /usr/bin/time -f "%e %M" -o "$work/time" "$ctlflow" --home "$home" run B --date 2024-01-01 >/dev/null
  local n
  n=$("$ctlflow" --home "$home" sql --conn "$conn" --json "SELECT count(*) AS n FROM STG.trips" | grep -o "[0-9]\+" | head -1)
  [ "$n" = "$rows" ] || { echo "ctlflow ($conn) loaded $n rows, expected $rows" >&2; exit 1; }
  rm -rf "$home"
  cat "$work/time"
}

run_sqlite() {
  local db="$work/import.$1.db"
  rm -f "$db"
  sqlite3 "$db" "CREATE TABLE t (id INTEGER NOT NULL, vendor TEXT, fare REAL, paid TEXT, day TEXT, pickup TEXT)"
  /usr/bin/time -f "%e %M" -o "$work/time" sqlite3 "$db" ".import --csv --skip 1 $work/trips.csv t"
  local n
  n=$(sqlite3 "$db" "SELECT count(*) FROM t")
  [ "$n" = "$rows" ] || { echo "sqlite3 loaded $n rows, expected $rows" >&2; exit 1; }
  rm -f "$db"
  cat "$work/time"
}

run_psql() {
  PGOPTIONS='-c client_min_messages=warning' psql -q -v ON_ERROR_STOP=1 "$pgurl" -c "DROP TABLE IF EXISTS copy_t" -c "CREATE TABLE copy_t (id bigint NOT NULL,
    vendor text, fare numeric(8,2), paid boolean, day date, pickup timestamp)"
  /usr/bin/time -f "%e %M" -o "$work/time" psql -q -v ON_ERROR_STOP=1 "$pgurl" \
    -c "\\copy copy_t FROM '$work/trips.csv' CSV HEADER"
  local n
  n=$(psql -qtA "$pgurl" -c "SELECT count(*) FROM copy_t")
  [ "$n" = "$rows" ] || { echo "psql loaded $n rows, expected $rows" >&2; exit 1; }
  psql -q "$pgurl" -c "DROP TABLE copy_t"
  cat "$work/time"
}

declare -a ct cm st sm pt pm qt qm
for i in $(seq 1 "$reps"); do
  read -r t m < <(run_ctlflow "$i"); ct+=("$t"); cm+=("$m")
  read -r t m < <(run_sqlite "$i"); st+=("$t"); sm+=("$m")
  read -r t m < <(run_ctlflow "$i" pg); pt+=("$t"); pm+=("$m")
  read -r t m < <(run_psql "$i"); qt+=("$t"); qm+=("$m")
done

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
maxof() { printf '%s\n' "$@" | sort -g | tail -1; }
ctm=$(median "${ct[@]}"); stm=$(median "${st[@]}")
ptm=$(median "${pt[@]}"); qtm=$(median "${qt[@]}")
rate() { awk -v r="$rows" -v t="$1" 'BEGIN { printf "%.0f", (t > 0 ? r / t : 0) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
pgversion=$("$pgbin/postgres" --version | awk '{print $3}')

section="$work/section.md"
{
  echo "## Ingest throughput"
  echo
  echo "\`bench/ingest_bench.sh\`, $(date -u +%Y-%m-%d), $(nproc) cores shared, $(uname -m)."
  echo "One CSV file of $rows rows ($((bytes / 1048576)) MiB, 6 columns: bigint, string,"
  echo "decimal(8,2), boolean, date, timestamp), loaded $reps times by each tool, taking turns,"
  echo "each time into a fresh SQLite file. ctlflow: a whole \`ctlflow run\` of one"
  echo "ingest process (typed parsing and validation of every field, audit columns,"
  echo "one transaction, the log row). sqlite3 $(sqlite3 --version | cut -d' ' -f1): \`.import --csv --skip 1\` into a"
  echo "table with the same column types (no validation, only type affinity)."
  echo
  echo "| tool | median wall s | rows/s | peak RSS MiB | runs (s) |"
  echo "|---|---:|---:|---:|---|"
  echo "| ctlflow ingest | $ctm | $(rate "$ctm") | $(( $(maxof "${cm[@]}") / 1024 )) | ${ct[*]} |"
  echo "| sqlite3 .import | $stm | $(rate "$stm") | $(( $(maxof "${sm[@]}") / 1024 )) | ${st[*]} |"
  echo
  echo "ctlflow / sqlite3: $(ratio "$ctm" "$stm")x the wall time (the aim: at most 1.5x)."
  echo
  echo "The same file into PostgreSQL $pgversion, started by the script on loopback. ctlflow:"
  echo "the same ingest process with \`conn_nm\` a postgres connection, which streams"
  echo "COPY FROM STDIN (text format) after its own parsing and validation; the table is"
  echo "dropped before each run. psql: \`\\copy t FROM FILE CSV HEADER\` into a table with"
  echo "the same PostgreSQL types (numeric(8,2), boolean, date, timestamp), parsed by the server."
  echo "Peak RSS is the client's only (ctlflow or psql), not the server's."
  echo
  echo "| tool | median wall s | rows/s | peak RSS MiB | runs (s) |"
  echo "|---|---:|---:|---:|---|"
  echo "| ctlflow ingest → PostgreSQL | $ptm | $(rate "$ptm") | $(( $(maxof "${pm[@]}") / 1024 )) | ${pt[*]} |"
  echo "| psql \\copy | $qtm | $(rate "$qtm") | $(( $(maxof "${qm[@]}") / 1024 )) | ${qt[*]} |"
  echo
  echo "ctlflow / psql: $(ratio "$ptm" "$qtm")x the wall time (the aim: at most 1.5x)."
  echo
  echo "ctlflow streams the file one record at a time (SQLite: one prepared INSERT;"
  echo "PostgreSQL: COPY data sent in 1 MiB pieces), so its peak RSS does not grow with"
  echo "the file: \`--rows 20000\` gives about the same figure."
  echo
} > "$section"
cat "$section"

bash "$(dirname "${BASH_SOURCE[0]}")/write_doc_section.sh" "$root/docs/benchmarks.md" "Ingest throughput" "$section"
