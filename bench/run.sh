#!/usr/bin/env bash
# The Mailwarden SMTP benchmark, one command:  bash bench/run.sh [--quick] [--no-profile] [--keep]
#
# Installs what is missing (postfix and dnsmasq from Debian, Haraka into bench/peers/node_modules), runs
# bench/bench.ts and writes bench/RESULTS.md. About 4-5 minutes on 2 cores (--quick: about 1.5). See
# bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '[bench] %s\n' "$*"; }

# 1. Debian packages. postfix for /usr/sbin/smtp-source and smtp-sink, and for the Postfix peer: the
#    bench starts a private instance with its own main.cf, master.cf and queue in its work folder
#    (bench/lib/peers.ts, startPostfix). "No configuration" means the package's postinst writes no
#    /etc/postfix/main.cf and starts no daemon; it creates the postfix user the instance runs as.
#    dnsmasq-base is the dnsmasq binary without the system service (the "dnsmasq" package would also
#    install and start a DNS server on port 53).
missing=()
[[ -x /usr/sbin/smtp-source && -x /usr/sbin/smtp-sink && -x /usr/sbin/postfix ]] || missing+=(postfix)
[[ -x /usr/sbin/dnsmasq ]] || missing+=(dnsmasq-base)
if ((${#missing[@]} > 0)); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "bench: needs ${missing[*]} (Debian packages); run as root or install them first" >&2
    exit 1
  fi
  say "installing ${missing[*]}"
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null; then
    apt-get update -qq
    apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

# 2. The repository's own dependencies (the agent, tsx, mailauth, prettier).
if [[ ! -e node_modules/tsx/package.json ]]; then
  say "installing the repository's dependencies (npm install)"
  npm install --no-audit --no-fund
fi

# 3. Haraka, outside the npm workspaces: bench/peers has its own package.json and lockfile. With
#    --prefix, npm takes bench/peers as the project, so the root .npmrc (strict-allow-scripts) and the
#    root allowScripts do not apply there. Haraka needs no install script; --ignore-scripts keeps every
#    dependency's script from running (modern-syslog's node-gyp build, an optional syslog plugin, is
#    also denied in bench/peers/package.json's allowScripts).
if [[ ! -e bench/peers/node_modules/Haraka/package.json ]]; then
  say "installing Haraka into bench/peers/node_modules"
  npm ci --prefix bench/peers --ignore-scripts --no-audit --no-fund --loglevel=error
fi

# 4. The benchmark. It stops every process it starts (by pid), also on Ctrl-C.
node --import tsx bench/bench.ts "$@"
