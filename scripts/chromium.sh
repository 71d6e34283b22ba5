#!/bin/sh
# chromium.sh — the headless browser the report's test needs (tests/experiments.sh):
# Debian's chromium, installed if missing (as scripts/pyenv.sh installs its
# packages).  Prints the browser's path on success; on any failure (no root,
# no network, not Debian) one line saying why on stderr and nothing on
# stdout, so the test skips with that reason.
set -u
for b in chromium chromium-browser; do
    if command -v "$b" >/dev/null 2>&1; then
        command -v "$b"
        exit 0
    fi
done
why() { echo "chromium.sh: $*" >&2; exit 0; }
command -v apt-get >/dev/null 2>&1 || why "not a Debian system: install chromium yourself"
if [ "$(id -u)" = 0 ]; then
    sudo=
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo="sudo -n"
else
    why "cannot install chromium as $(id -un) (sudo apt-get install -y chromium)"
fi
echo "chromium.sh: installing chromium for the report's test" >&2
export DEBIAN_FRONTEND=noninteractive
{ $sudo apt-get install -y -q chromium >/dev/null 2>&1 ||
    { $sudo apt-get update -q >/dev/null 2>&1 && $sudo apt-get install -y -q chromium >/dev/null 2>&1; }; } ||
    why "apt-get could not install chromium"
command -v chromium || why "chromium installed but not on PATH"
