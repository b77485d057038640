#!/usr/bin/env bash
# hlnet_python.sh - print the first python3 that can import torch, h5py and numpy (the interpreter on
# PATH, then the system one that Debian's python3-torch installs into); exit 1 when there is none.
for py in python3 /usr/bin/python3; do
  if command -v "$py" >/dev/null 2>&1 && "$py" -c 'import torch, h5py, numpy' >/dev/null 2>&1; then
    command -v "$py"; exit 0
  fi
done
exit 1
