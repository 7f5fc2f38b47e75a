#!/usr/bin/env bash
# Installs the Debian 12 packages ctlflow needs to build, run and test.
# Idempotent: when everything is installed already, it changes nothing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config   # toolchain
  libsqlite3-dev sqlite3                          # embedded metadata store and warehouse
  libpq-dev postgresql                            # PostgreSQL client; a server for the tests
  libyaml-cpp-dev nlohmann-json3-dev libcli11-dev # apply/export, JSON, command line
  libgtest-dev libgmock-dev                       # tests
  libcurl4-openssl-dev libssl-dev                 # S3 object storage (SigV4 over libcurl)
  libthrift-dev libboost-dev                      # Parquet footer (Thrift compact; its headers need Boost's)
  libsnappy-dev libzstd-dev                       # Parquet page codecs
  libavro-dev                                     # Iceberg manifests (Avro)
  libcpp-httplib-dev                              # ctlflow server (REST API, web UI)
  tzdata ca-certificates
  jupyter-nbconvert python3-nbclient python3-ipykernel python3-pandas  # prcs_typ 1 notebook
)

# `setup.sh --tests` adds what only the tests use: Debian's Chromium for the
# browser test of the web UI (driven by playwright-core from npm).
if [ "${1:-}" = "--tests" ]; then
  packages+=(chromium fonts-dejavu-core)
fi

# Node.js runs the independent readers the tests check our files with
# (DuckDB, icebird) and the S3 server (s3rver); a machine that already has
# a Node.js with npm (e.g. from NodeSource) keeps it.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages are installed"
  exit 0
fi

as_root=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup: run as root or install sudo" >&2; exit 1; }
  as_root=(sudo)
fi
echo "setup: installing ${missing[*]}"
"${as_root[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
