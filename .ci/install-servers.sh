#!/usr/bin/env bash
# Install the real servers that tests/servers/ starts as test fixtures:
# sshd, nginx + fcgiwrap (smart HTTP), gitolite3, iproute2 (network namespaces), openssl;
# and tmux, the real terminal tests/test_watch.py runs `gitcoord watch` in.
#
# Idempotent: re-running it is cheap when everything is already installed.
# Non-interactive: gitolite3's debconf questions are preseeded; no package service is
# started or left running (the fixtures run their own instances on loopback ports).
# Must run as root (apt-get, useradd).
set -euo pipefail

PACKAGES=(openssh-server nginx fcgiwrap gitolite3 iproute2 openssl git tmux)
GL_HOSTING_USER=gitcoord-gl      # unix user that runs gitolite for the test fixtures

if [[ $(id -u) -ne 0 ]]; then
    echo "install-servers.sh: must run as root" >&2
    exit 2
fi

export DEBIAN_FRONTEND=noninteractive

missing=()
for p in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
        missing+=("$p")
    fi
done

if ((${#missing[@]})); then
    echo "install-servers.sh: installing ${missing[*]}"
    # gitolite3 asks for an admin key, hosting user and directory: answer with an empty key,
    # which makes its postinst skip "gitolite setup" (the fixtures set gitolite up themselves
    # in temporary directories).
    debconf-set-selections <<'SEL'
gitolite3 gitolite3/adminkey string
gitolite3 gitolite3/gituser string gitolite3
gitolite3 gitolite3/gitdir string /var/lib/gitolite3
SEL
    # Keep package scripts from starting system services (sshd on :22, nginx on :80, fcgiwrap).
    # Docker images often ship such a policy already; only add (and later remove) our own.
    policy=/usr/sbin/policy-rc.d
    own_policy=0
    if [[ ! -e $policy ]]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy"
        chmod 755 "$policy"
        own_policy=1
        trap '[[ $own_policy -eq 1 ]] && rm -f "$policy"' EXIT
    fi
    # apt-get update only when the package lists are missing or cannot serve an install.
    if ! apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null; then
        apt-get update -q
        apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
    fi
fi

# Where systemd is absent the packages may still have started a daemon via init scripts in
# some environments: stop the global ones so they do not hold ports; fixtures never use them.
for svc in nginx fcgiwrap ssh; do
    if [[ -x /etc/init.d/$svc ]] && [[ ! -d /run/systemd/system ]]; then
        /etc/init.d/"$svc" stop >/dev/null 2>&1 || true
    fi
done

# sshd (privilege separation) needs this directory.
mkdir -p /run/sshd
chmod 755 /run/sshd

# Hosting user for the gitolite fixture (its real HOME is unused: each fixture runs gitolite
# with HOME set to a temporary directory it owns).
if ! getent passwd "$GL_HOSTING_USER" >/dev/null; then
    useradd --system --user-group --home-dir /var/lib/$GL_HOSTING_USER --create-home \
        --shell /bin/sh --comment "gitcoord test gitolite hosting user" "$GL_HOSTING_USER"
fi
# sshd refuses logins for accounts with a locked ('!') password; key logins need it unlocked.
usermod -p '*' "$GL_HOSTING_USER"

echo "install-servers.sh: ok ($(sshd -V 2>&1 | head -n1 || true); $(nginx -v 2>&1);" \
    "gitolite3 $(dpkg-query -W -f='${Version}' gitolite3))"
