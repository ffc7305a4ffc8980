#!/usr/bin/env bash
# What `make bench` needs beyond git and python: an OpenSSH server and client for the
# loopback SSH rows (without them the benchmark skips those rows and says why).
set -euo pipefail
if ! command -v sshd >/dev/null && [ ! -x /usr/sbin/sshd ]; then
  apt-get install -y --no-install-recommends openssh-server openssh-client
fi
