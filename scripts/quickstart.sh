#!/usr/bin/env bash
# The quick start: install, build, load the seed's example stream AF_TEST1
# into ./ctlflow_home, run it for one data date, print its log rows and the
# tier-3 result EDP.AGG_RIDE.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh ctlflow
export CTLFLOW_HOME=${CTLFLOW_HOME:-$PWD/ctlflow_home}
ctl=build/ctlflow
$ctl example load --rows "${ROWS:-1000}"
echo
$ctl dag AF_TEST1
echo
$ctl run AF_TEST1 --date 2024-11-16
echo
echo "cntl_cfg_log for AF_TEST1:"
$ctl log --stream AF_TEST1
echo
echo "Iceberg tables of the lakehouse (tier 1 staging):"
$ctl lakehouse tables
echo
echo "EDP.AGG_RIDE:"
$ctl sql --conn warehouse "SELECT * FROM EDP.AGG_RIDE WHERE data_dt = '2024-11-16' ORDER BY passenger_count"
