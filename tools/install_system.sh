#!/usr/bin/env bash
# Installs the system packages a part of the project needs, when they are missing:
#
#   tools/install_system.sh blas      OpenBLAS, the fast CPU path's numerical library
#   tools/install_system.sh torch     PyTorch on the CPU, the reference of tools/bench/torch_vs_ours.ts
#   tools/install_system.sh jupyter   jupyter_client and nbconvert, which tools/notebooks.py executes and exports with
#   tools/install_system.sh chromium  headless Chromium, which tools/check_html.ts opens the pages in
#
# The tasks call it (`deno task ok`, `report`, `main`, `bench:torch`), so a fresh machine needs
# nothing by hand; it is the one place that installs system packages. It uses Debian's packages
# when it runs as root with apt-get (Jupyter falls back to `pip install --user`). Without them,
# a missing OpenBLAS is not fatal: it prints the command to run and exits 0, and the project runs
# on a slower rung of the backend ladder, which the backend report names. The other parts are
# needed by the command that asks for them, so it exits 1 when one cannot be installed. On macOS
# the BLAS is Accelerate, always present.
set -euo pipefail

have_blas() {
  [ "$(uname -s)" = Darwin ] && return 0
  ldconfig -p 2>/dev/null | grep -q 'libopenblas\.so\.0' && return 0
  for f in /usr/lib/x86_64-linux-gnu/libopenblas.so.0 /usr/lib/aarch64-linux-gnu/libopenblas.so.0 \
    /usr/lib64/libopenblas.so.0 /usr/lib/libopenblas.so.0; do
    [ -e "$f" ] && return 0
  done
  return 1
}
# python_has CODE: python3 on PATH, or Debian's, runs CODE (its imports) without an error.
python_has() {
  for py in python3 /usr/bin/python3; do
    command -v "$py" >/dev/null && "$py" -c "$1" 2>/dev/null && return 0
  done
  return 1
}
have_chromium() {
  for name in chromium chromium-browser google-chrome; do
    command -v "$name" >/dev/null && return 0
  done
  return 1
}

apt_updated=
# apt_install [--no-install-recommends] PACKAGE...: the option keeps the numerical libraries lean;
# Jupyter keeps its recommends (pandoc), as on the machines the report was checked on.
apt_install() {
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    if [ -z "$apt_updated" ]; then
      apt-get update -qq >/dev/null
      apt_updated=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  else
    local packages=("$@")
    [ "$1" = --no-install-recommends ] && packages=("${@:2}")
    echo "  to install it: sudo apt-get install ${packages[*]} (or your system's equivalent)" >&2
    return 1
  fi
}

for part in "$@"; do
  case "$part" in
    blas)
      have_blas && continue
      echo "OpenBLAS is missing; installing it for the fast CPU path..." >&2
      apt_install --no-install-recommends libopenblas0-pthread ||
        echo "  without it, training runs on the plain CPU backend (much slower)" >&2
      ;;
    torch)
      python_has 'import torch' && continue
      echo "PyTorch is missing; installing Debian's python3-torch for the reference benchmark..." >&2
      apt_install --no-install-recommends python3-torch || { echo "  the benchmark needs it" >&2; exit 1; }
      ;;
    jupyter)
      python_has 'import jupyter_client, nbconvert, nbformat, zmq' && continue
      echo "Jupyter's client and nbconvert are missing; installing them..." >&2
      apt_install jupyter-nbconvert jupyter-client python3-nbclient python3-notebook 2>/dev/null ||
        { command -v python3 >/dev/null && python3 -m pip --version >/dev/null 2>&1 &&
          python3 -m pip install --user -q nbconvert nbclient jupyter_client; } ||
        { echo "  could not install them: apt-get install jupyter-nbconvert python3-nbclient" \
          "python3-notebook, or pip install nbconvert nbclient" >&2; exit 1; }
      ;;
    chromium)
      have_chromium && continue
      echo "Chromium is missing; installing it to check the pages..." >&2
      apt_install chromium || { echo "  the page check needs it" >&2; exit 1; }
      ;;
    *)
      echo "unknown part: $part (blas, torch, jupyter or chromium)" >&2
      exit 2
      ;;
  esac
done
