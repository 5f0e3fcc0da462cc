#!/bin/sh
# Mailwarden agent installer: turns a fresh Debian/Ubuntu host into an enrolled agent with one line,
#
#   curl -fsSL https://<console>/install.sh | sh -s -- --token mwe_…
#
# Why a script: the agent is TypeScript run by Node (through tsx), so installing it is "fetch the bundle
# from the console that issued the token, npm install, enroll, start a systemd unit" — every step
# readable here. The console serves this file with its own address as the default --url and the bundle
# at <url>/install/agent.tgz (apps/web/src/app/install.sh, apps/web/src/server/agent-bundle.ts).
# It never installs Node.js itself (it says exactly how), never touches the state directory's contents
# or an existing settings file, and re-running it with a new token upgrades the code and re-enrolls.
set -eu
umask 022

DEFAULT_URL='' # filled in by the console when it serves this script

usage() {
  cat <<'EOF'
Install the Mailwarden agent, enroll it with the console and start it.

Usage: sh install.sh --token <one-time token> [options]
       curl -fsSL https://<console>/install.sh | sh -s -- --token <one-time token> [options]

Options:
  --token <token>              one-time enrollment token from the console (required)
  --url <console url>          the console's address, e.g. https://console.example.net
                               (default: the console this script was downloaded from)
  --prefix <dir>               where the agent is installed (default /opt/mailwarden-agent)
  --config <file>              agent settings file, written only if absent (default /etc/mailwarden/agent.json)
  --state-dir <dir>            credential, config, certificates, mail (default /var/lib/mailwarden)
  --no-systemd                 do not install a systemd unit; print the command that runs the agent
  --help                       show this help

Listeners: which ones the agent opens is a setting of this server in the console (the server's page,
Listeners card; all five unless changed there), and nothing else listens. These options only set a
listener's port in a new settings file:
  --inbound-port <port>        inbound: mail from other servers (MX), STARTTLS        (default 25)
  --submission-port <port>     submission: users sending mail, STARTTLS + AUTH        (default 587)
  --submission-tls-port <port> submissionTls: users sending mail, implicit TLS + AUTH (default 465)
  --pop3-port <port>           pop3: users reading mail, STLS                         (default 110)
  --pop3s-port <port>          pop3s: users reading mail, implicit TLS                (default 995)

Needs Node.js 20 or newer with npm, curl or wget, and tar. Run as root unless every path is writable.
EOF
}

usage_error() {
  printf 'mailwarden-agent install: %s\n' "$1" >&2
  printf "Run 'sh install.sh --help' for the options.\n" >&2
  exit 2
}

fail() {
  printf '\nmailwarden-agent install: %s\n' "$1" >&2
  exit 1
}

step() {
  printf '==> %s\n' "$1"
}

# --- options -----------------------------------------------------------------------------------------

url=$DEFAULT_URL
token=''
prefix=/opt/mailwarden-agent
config=/etc/mailwarden/agent.json
state_dir=/var/lib/mailwarden
systemd=yes
inbound_port=25
submission_port=587
submission_tls_port=465
pop3_port=110
pop3s_port=995
ports_given=no

while [ $# -gt 0 ]; do
  option=$1
  shift
  case $option in
    --*=*)
      # --name=value: treat as "--name value".
      set -- "${option#*=}" "$@"
      option=${option%%=*}
      ;;
  esac
  case $option in
    -h | --help)
      usage
      exit 0
      ;;
    --no-systemd)
      systemd=no
      continue
      ;;
    --token | --url | --prefix | --config | --state-dir) ;;
    --inbound-port | --submission-port | --submission-tls-port | --pop3-port | --pop3s-port) ;;
    *) usage_error "unknown option: $option" ;;
  esac
  if [ $# -eq 0 ] || [ -z "$1" ]; then
    usage_error "$option needs a value"
  fi
  value=$1
  shift
  case $value in
    -*) usage_error "$option needs a value, not '$value' (values never start with '-')" ;;
  esac
  case $option in
    --token) token=$value ;;
    --url) url=$value ;;
    --prefix) prefix=$value ;;
    --config) config=$value ;;
    --state-dir) state_dir=$value ;;
    --inbound-port) inbound_port=$value ports_given=yes ;;
    --submission-port) submission_port=$value ports_given=yes ;;
    --submission-tls-port) submission_tls_port=$value ports_given=yes ;;
    --pop3-port) pop3_port=$value ports_given=yes ;;
    --pop3s-port) pop3s_port=$value ports_given=yes ;;
  esac
done

if [ -z "$token" ]; then
  usage_error "--token is required: copy the whole command from the console (Servers → Add server)"
fi
case $token in
  *[!A-Za-z0-9_-]*) usage_error "--token looks wrong: a token has only letters, digits, '_' and '-'" ;;
esac

if [ -z "$url" ]; then
  usage_error "--url is required (the console's address, e.g. https://console.example.net)"
fi
case $url in
  http://?* | https://?*) ;;
  *) usage_error "--url must start with https:// or http://, got '$url'" ;;
esac
case $url in
  *[!]A-Za-z0-9._~:/%@+[-]*) usage_error "--url has characters a console address never has: '$url'" ;;
esac
while [ "${url%/}" != "$url" ]; do url=${url%/}; done
# The hub listens on /agent at the console's origin (as the console's own enroll command says).
hub_origin=$(printf '%s\n' "$url" | sed 's#^\(https*://[^/]*\).*#\1#')

# Paths end up in a systemd unit and a JSON file: keep them absolute and free of spaces and quotes.
check_path() {
  case $2 in
    /*) ;;
    *) usage_error "$1 must be an absolute path, got '$2'" ;;
  esac
  case $2 in
    *[!A-Za-z0-9._/@+-]*) usage_error "$1 may only contain letters, digits and . _ / @ + -, got '$2'" ;;
  esac
}
strip_slashes() {
  p=$1
  while [ "$p" != / ] && [ "${p%/}" != "$p" ]; do p=${p%/}; done
  printf '%s' "$p"
}
check_path --prefix "$prefix"
check_path --config "$config"
check_path --state-dir "$state_dir"
prefix=$(strip_slashes "$prefix")
config=$(strip_slashes "$config")
state_dir=$(strip_slashes "$state_dir")
case $prefix in
  / | /usr | /opt | /etc | /var | /var/lib | /home | /root) usage_error "--prefix $prefix would replace a system directory" ;;
esac
case $state_dir/ in
  "$prefix"/*) usage_error "--state-dir must not be inside --prefix (the prefix is replaced on upgrade)" ;;
esac
case $config in
  "$prefix"/*) usage_error "--config must not be inside --prefix (the prefix is replaced on upgrade)" ;;
esac

check_port() {
  case $2 in
    '' | *[!0-9]*) usage_error "$1 must be a port number, got '$2'" ;;
  esac
  if [ ${#2} -gt 5 ] || [ "$2" -gt 65535 ]; then
    usage_error "$1 must be a port number (0-65535), got '$2'"
  fi
}
check_port --inbound-port "$inbound_port"
check_port --submission-port "$submission_port"
check_port --submission-tls-port "$submission_tls_port"
check_port --pop3-port "$pop3_port"
check_port --pop3s-port "$pop3s_port"

# --- checks, before anything is changed or the one-time token is spent -------------------------------

uid=$(id -u)

# The nearest existing directory at or above $1 is writable (so $1 can be created or replaced).
can_create() {
  d=$1
  while [ ! -e "$d" ]; do d=$(dirname "$d"); done
  [ -d "$d" ] && [ -w "$d" ]
}

step "Checking permissions"
if [ "$systemd" = yes ]; then
  [ "$uid" -eq 0 ] || fail "installing the systemd service needs root: run the command as root (sudo sh -s -- …), or add --no-systemd to install without a service."
  command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ] ||
    fail "systemd is not running on this host (a container?). Add --no-systemd to install without a service; the script then prints the command that runs the agent."
  command -v useradd >/dev/null 2>&1 || fail "useradd is missing: it creates the agent's service user (Debian package 'passwd')."
fi
for target in "$(dirname "$prefix")" "$(dirname "$config")" "$(dirname "$state_dir")"; do
  can_create "$target" || fail "cannot write to $target: run as root, or choose --prefix, --config and --state-dir you can write."
done
if [ -e "$prefix" ]; then
  [ -d "$prefix" ] && [ -w "$prefix" ] || fail "cannot write to $prefix: run as root, or choose another --prefix."
  # The prefix is replaced as a whole: only ever an earlier install of the agent (or an empty folder).
  if [ -n "$(ls -A "$prefix")" ] && ! grep -q '"name": *"mailwarden-agent"' "$prefix/package.json" 2>/dev/null; then
    fail "$prefix exists and is not a Mailwarden agent install; refusing to replace it. Choose another --prefix."
  fi
fi

step "Checking Node.js and npm"
node_major=0
if command -v node >/dev/null 2>&1; then
  node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
fi
if [ "$node_major" -lt 20 ] || ! command -v npm >/dev/null 2>&1; then
  if [ "$node_major" -gt 0 ]; then
    found="Node.js $(node --version) was found; the agent needs Node.js 20 or newer with npm."
  else
    found="The agent needs Node.js 20 or newer with npm; node was not found."
  fi
  if command -v apt-get >/dev/null 2>&1 && [ "$uid" -eq 0 ]; then
    cat >&2 <<EOF

$found
Debian 12 and Ubuntu 22.04/24.04 ship an older nodejs package, so install Node.js 22 (LTS, npm
included) from NodeSource, then run the same install command again:

  curl -fsSL https://deb.nodesource.com/setup_22.x -o /tmp/nodesource_setup.sh
  bash /tmp/nodesource_setup.sh
  apt-get install -y nodejs

EOF
  else
    cat >&2 <<EOF

$found
Install Node.js 22 (LTS) with npm — https://nodejs.org/en/download, or on Debian/Ubuntu as root:
https://deb.nodesource.com/setup_22.x then "apt-get install -y nodejs" — make sure node and npm are
on PATH, then run the same install command again.

EOF
  fi
  exit 1
fi
node_bin=$(command -v node)
printf '    node %s (%s), npm %s\n' "$(node --version)" "$node_bin" "$(npm --version)"

if command -v curl >/dev/null 2>&1; then
  download() { curl -fsSL --retry 2 -o "$2" "$1"; }
elif command -v wget >/dev/null 2>&1; then
  download() { wget -q -O "$2" "$1"; }
else
  fail "neither curl nor wget is installed (apt-get install -y curl)."
fi
command -v tar >/dev/null 2>&1 || fail "tar is not installed (apt-get install -y tar)."

# --- install -----------------------------------------------------------------------------------------

tmp=$(mktemp -d)
stage="$prefix.new-$$"
cleanup() { rm -rf "$tmp" "$stage"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

step "Downloading the agent from $url/install/agent.tgz"
download "$url/install/agent.tgz" "$tmp/agent.tgz" ||
  fail "could not download $url/install/agent.tgz: is --url the console's address, and can this host reach it?"
tar -xzf "$tmp/agent.tgz" -C "$tmp" --no-same-owner ||
  fail "the download from $url/install/agent.tgz is not the agent bundle (a proxy or login page in between?)"
[ -f "$tmp/mailwarden-agent/package.json" ] || fail "$url/install/agent.tgz does not contain the agent"

step "Installing the agent's npm dependencies (npm install --omit=dev)"
mkdir -p "$(dirname "$prefix")"
rm -rf "$stage"
mv "$tmp/mailwarden-agent" "$stage"
(cd "$stage" && npm install --omit=dev --no-audit --no-fund --loglevel=error) ||
  fail "npm install failed (see above); $prefix was left as it was."

step "Installing into $prefix"
previous="$prefix.old-$$"
if [ -e "$prefix" ]; then
  mv "$prefix" "$previous"
fi
if ! mv "$stage" "$prefix"; then
  [ -e "$previous" ] && mv "$previous" "$prefix"
  fail "could not move the new install into $prefix"
fi
rm -rf "$previous"
chmod 755 "$prefix"
version=$("$node_bin" "$prefix/bin/mailwarden-agent.mjs" --version) ||
  fail "the installed agent does not start: $node_bin $prefix/bin/mailwarden-agent.mjs --version failed"
printf '    mailwarden-agent %s\n' "$version"

if [ "$systemd" = yes ]; then
  step "Creating the system user mailwarden-agent"
  if id -u mailwarden-agent >/dev/null 2>&1; then
    printf '    already exists\n'
  else
    useradd --system --user-group --home-dir "$state_dir" --no-create-home --shell /usr/sbin/nologin mailwarden-agent
  fi
fi

if [ -e "$config" ]; then
  step "Keeping the existing settings file $config"
  if [ "$ports_given" = yes ]; then
    printf '    (the port options only apply to a new settings file: edit %s to change ports)\n' "$config"
  fi
else
  step "Writing the settings file $config"
  mkdir -p "$(dirname "$config")"
  (
    umask 077
    "$node_bin" -e '
      const [file, stateDir, inbound, submission, submissionTls, pop3, pop3s] = process.argv.slice(1);
      const settings = {
        stateDir,
        listeners: {
          inbound: { port: Number(inbound) },
          submission: { port: Number(submission) },
          submissionTls: { port: Number(submissionTls) },
          pop3: { port: Number(pop3) },
          pop3s: { port: Number(pop3s) },
        },
      };
      require("node:fs").writeFileSync(file, JSON.stringify(settings, null, 2) + "\n", { mode: 0o600, flag: "wx" });
    ' "$config" "$state_dir" "$inbound_port" "$submission_port" "$submission_tls_port" "$pop3_port" "$pop3s_port"
  )
fi

step "Creating the state directory $state_dir"
mkdir -p "$state_dir"
chmod 700 "$state_dir"

step "Enrolling with the console at $url"
if ! "$node_bin" "$prefix/bin/mailwarden-agent.mjs" enroll --url "$hub_origin" --token "$token" --config "$config"; then
  fail "enrollment failed: the console refused the token or could not be reached (the reason is above).
A token works once and expires after 24 hours: in the console, open the server and click \"New token\",
then run the new command. The agent itself is installed in $prefix."
fi

if [ "$systemd" = no ]; then
  cat <<EOF

Done: the agent is installed and enrolled. Start it (as root, or as a user allowed to bind ports below 1024):

  $node_bin $prefix/bin/mailwarden-agent.mjs run --config $config

EOF
  exit 0
fi

unit=/etc/systemd/system/mailwarden-agent.service
step "Installing the systemd service $unit"
chown mailwarden-agent:mailwarden-agent "$config"
chown -R mailwarden-agent:mailwarden-agent "$state_dir"
cat >"$unit.tmp" <<EOF
# Written by the Mailwarden agent installer; re-running the installer rewrites it.
[Unit]
Description=Mailwarden agent (SMTP server enforcing the console's lockdown policy)
Documentation=$url
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
User=mailwarden-agent
Group=mailwarden-agent
ExecStart=$node_bin $prefix/bin/mailwarden-agent.mjs run --config $config
Restart=always
RestartSec=5
TimeoutStopSec=30
UMask=0077
# Bind ports 25, 110, 465, 587 and 995 without running as root.
AmbientCapabilities=CAP_NET_BIND_SERVICE
CapabilityBoundingSet=CAP_NET_BIND_SERVICE
NoNewPrivileges=yes
ProtectSystem=strict
ReadWritePaths=$state_dir
ProtectHome=read-only
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictSUIDSGID=yes
RestrictRealtime=yes
RestrictNamespaces=yes
LockPersonality=yes
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX

[Install]
WantedBy=multi-user.target
EOF
chmod 644 "$unit.tmp"
mv "$unit.tmp" "$unit"
systemctl daemon-reload
if systemctl is-active --quiet mailwarden-agent; then
  # Already running an older install or credential: restart onto the new ones.
  systemctl enable mailwarden-agent
  systemctl restart mailwarden-agent
else
  systemctl enable --now mailwarden-agent
fi

cat <<EOF

Done: mailwarden-agent $version is enrolled and running as the systemd service mailwarden-agent.
The server turns Online in the console within seconds. Follow it with:

  systemctl status mailwarden-agent
  journalctl -u mailwarden-agent -f

EOF
