#!/usr/bin/env bash
# Installs the system packages a part of the project needs, when they are missing:
#
#   tools/install_system.sh blas      OpenBLAS, the fast CPU path's numerical library
#   tools/install_system.sh torch     PyTorch on the CPU, the reference of tools/bench/torch_vs_ours.ts
#
# The tasks call it (`deno task ok`, `report`, `main`, `bench:torch`), so a fresh machine needs
# nothing by hand. It uses Debian's packages when it runs as root with apt-get; otherwise it
# prints the command to run and exits 0: the project still works, on a slower rung of the backend
# ladder, and the backend report says so. On macOS the BLAS is Accelerate, always present.
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
have_torch() {
  for py in /usr/bin/python3 python3; do
    command -v "$py" >/dev/null && "$py" -c 'import torch' 2>/dev/null && return 0
  done
  return 1
}

apt_updated=
apt_install() {
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    if [ -z "$apt_updated" ]; then
      apt-get update -qq >/dev/null
      apt_updated=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
  else
    echo "  to install it: sudo apt-get install $* (or your system's equivalent)" >&2
    return 1
  fi
}

for part in "$@"; do
  case "$part" in
    blas)
      have_blas && continue
      echo "OpenBLAS is missing; installing it for the fast CPU path..." >&2
      apt_install libopenblas0-pthread ||
        echo "  without it, training runs on the plain CPU backend (much slower)" >&2
      ;;
    torch)
      have_torch && continue
      echo "PyTorch is missing; installing Debian's python3-torch for the reference benchmark..." >&2
      apt_install python3-torch || { echo "  the benchmark needs it" >&2; exit 1; }
      ;;
    *)
      echo "unknown part: $part (blas or torch)" >&2
      exit 2
      ;;
  esac
done
