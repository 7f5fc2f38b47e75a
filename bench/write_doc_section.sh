#!/usr/bin/env bash
# Puts a benchmark's results into docs/benchmarks.md: replaces the section
# whose heading is "## HEADING" with the contents of SECTION_FILE (which
# starts with that heading), or appends it; creates the file with its
# preamble if it does not exist. Other sections are left as they are.
# Usage: write_doc_section.sh DOC "HEADING" SECTION_FILE
set -euo pipefail
doc=$1 heading=$2 section=$3
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
mkdir -p "$(dirname "$doc")"
if [[ ! -f $doc ]]; then
  cat >"$doc" <<'PREAMBLE'
# Benchmarks

Numbers from the development machine: 2 cores, shared with other work and
therefore noisy. Every timing is a median over several runs after a warm-up,
and each claim is measured side by side with a peer in the same run, so
compare ratios rather than absolute milliseconds. Each section names the
script that produced it; re-run the script to refresh it.

PREAMBLE
fi
awk -v section="$section" -v heading="## $heading" '
  function emit(   line) { while ((getline line < section) > 0) print line; close(section); done = 1 }
  { trimmed = $0; sub(/[[:space:]]+$/, "", trimmed) }
  trimmed == heading { emit(); skip = 1; next }
  skip && /^## / { skip = 0 }
  !skip { print; last = $0 }
  END { if (!done) { if (last != "") print ""; emit() } }
' "$doc" >"$tmp"
# Drop blank lines left at the end by the replacement.
sed -e ':a' -e '/^\n*$/{$d;N;ba' -e '}' "$tmp" >"$doc"
