#!/bin/sh
# pyenv.sh BUILD — the Python the PyTorch tests need (tests/pytorch_cli.py):
# Debian's python3-torch (installed if missing, as scripts/deps.sh installs
# packages) and safetensors from PyPI (Debian has no package of it), in a
# virtual environment BUILD/pyenv that sees the system's packages.  Prints
# the environment's python on success; on any failure (no root, no network)
# one line saying why on stderr and nothing on stdout, so the tests that
# need it skip with that reason.  `make test` runs it.
set -u
build=${1:-build}
env="$build/pyenv"
if [ -x "$env/bin/python" ] && "$env/bin/python" -c 'import torch, safetensors' 2>/dev/null; then
    echo "$env/bin/python"
    exit 0
fi
why() { echo "pyenv.sh: $*" >&2; exit 0; }
command -v dpkg-query >/dev/null 2>&1 || why "not a Debian system: install torch and safetensors for python3 yourself"
missing=
for p in python3-torch python3-venv; do
    case "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" in
        *" installed") ;;
        *) missing="$missing $p" ;;
    esac
done
if [ -n "$missing" ]; then
    if [ "$(id -u)" = 0 ]; then
        sudo=
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        sudo="sudo -n"
    else
        why "cannot install$missing as $(id -un) (sudo apt-get install -y$missing)"
    fi
    echo "pyenv.sh: installing$missing for the PyTorch tests" >&2
    export DEBIAN_FRONTEND=noninteractive
    # shellcheck disable=SC2086
    { $sudo apt-get install -y -q $missing >/dev/null 2>&1 ||
        { $sudo apt-get update -q >/dev/null 2>&1 && $sudo apt-get install -y -q $missing >/dev/null 2>&1; }; } ||
        why "apt-get could not install$missing"
fi
rm -rf "$env"
sys_py=/usr/bin/python3 # Debian's packages belong to the system's python, whatever else PATH finds first
[ -x "$sys_py" ] || sys_py=python3
"$sys_py" -m venv --system-site-packages "$env" >/dev/null 2>&1 || why "$sys_py -m venv failed"
"$env/bin/pip" install -q safetensors >/dev/null 2>&1 || why "pip could not install safetensors (no network?)"
"$env/bin/python" -c 'import torch, safetensors' 2>/dev/null || why "torch or safetensors does not import in $env"
echo "$env/bin/python"
