#!/bin/sh
# deps.sh — checks that the Debian packages recur needs are installed and, with
# --install (or when something is missing), installs them.
#   sh scripts/deps.sh [--blas openblas|none] [--install]
# As root it runs apt-get; otherwise sudo when it needs no password; otherwise
# it prints the exact command to run and fails.
set -eu

blas=openblas
for arg in "$@"; do
    case "$arg" in
        --blas) next=blas ;;
        --install) ;;
        *) if [ "${next:-}" = blas ]; then blas=$arg; next=; else
               echo "deps.sh: unknown argument '$arg'" >&2; exit 2; fi ;;
    esac
done

# Build and test needs (KissFFT: the unitary RNN's transforms); the demo's data set is a package too.  python3 (its
# standard library only) writes and checks the experiments' results.json
# (experiments/lib/results_json.py), which `make test` tests.
packages="gcc make libc6-dev zlib1g-dev libcjson-dev libarchive-dev libkissfft-dev python3 dataset-fashion-mnist"
# OpenBLAS's OpenMP build beside the default one: the Makefile links it when
# OpenMP is on, so its threads and recur's are one pool.
[ "$blas" = openblas ] && packages="$packages libopenblas-dev libopenblas-openmp-dev"

if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "deps.sh: not a Debian system; make sure the equivalents of these are installed: $packages" >&2
    exit 0
fi

missing=
for p in $packages; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$status" in
        *" installed") ;;
        *) missing="$missing $p" ;;
    esac
done
[ -z "$missing" ] && exit 0

echo "deps.sh: installing missing Debian packages:$missing"
if [ "$(id -u)" = 0 ]; then
    sudo=
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo="sudo -n"
else
    echo "deps.sh: cannot install as $(id -un). Run this, then make again:" >&2
    echo "    sudo apt-get update && sudo apt-get install -y$missing" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086
$sudo apt-get install -y -q $missing >/dev/null 2>&1 ||
    { $sudo apt-get update -q >/dev/null && $sudo apt-get install -y -q $missing >/dev/null; }
echo "deps.sh: done"
