#!/bin/sh
# tsk installer: puts the tsk executable in place and runs it as a service.
#
#   curl -sfL https://raw.githubusercontent.com/tsk-dev/tsk/main/scripts/install.sh | sh -
#   curl -sfL .../install.sh | TSK_URL=https://server:6443 TSK_TOKEN=K10... sh -
#   curl -sfL .../install.sh | sh -s - server --disable servicelb
#
# POSIX sh: runs under dash and busybox ash. Behaviour and variable names follow k3s's
# install.sh, so what people know from k3s carries over:
#
#   TSK_URL, TSK_TOKEN          join as an agent of this server (https only); kept, with every
#                               other TSK_* variable, in the service's env file (mode 0600)
#   INSTALL_TSK_VERSION         release to download (default: the latest)
#   INSTALL_TSK_RELEASE_URL     where tsk-linux-ARCH and sha256sum-ARCH.txt are (default:
#                               https://github.com/tsk-dev/tsk/releases/download/VERSION)
#   INSTALL_TSK_SKIP_DOWNLOAD   true: use the tsk already in INSTALL_TSK_BIN_DIR
#   INSTALL_TSK_SKIP_DEPS       true: do not install containerd, runc, CNI plugins, iptables, conntrack
#   INSTALL_TSK_BIN_DIR         default /usr/local/bin
#   INSTALL_TSK_SYSTEMD_DIR     default /etc/systemd/system
#   INSTALL_TSK_EXEC            command and flags: "server --flag", "agent --flag", or just flags
#   INSTALL_TSK_NAME            service name tsk-NAME (default tsk, or tsk-agent for an agent)
#   INSTALL_TSK_SKIP_ENABLE     true: do not enable the service (nor start it)
#   INSTALL_TSK_SKIP_START      true: do not start the service
#   ARCH                        the machine's architecture (default: uname -m)
#   INSTALL_TSK_TEST_ROOT       tests only (k3s has no such knob): prefix of every system path
#                               the installer reads or writes other than BIN_DIR and SYSTEMD_DIR
#                               (/etc/init.d, /run/systemd, /var/lib/tsk, /proc/cgroups, ...)
#
# Arguments after `sh -s -` are appended to INSTALL_TSK_EXEC. --server, --token and
# --datastore-endpoint among them are kept in the env file as TSK_URL, TSK_TOKEN and
# TSK_DATASTORE_ENDPOINT rather than in the unit; an argument of several lines is refused.
# The data dir (for the agent's launcher, tsk-killall.sh and uninstall) is found as tsk finds
# it: --data-dir, TSK_DATA_DIR, a `data-dir:` line of the config file, /var/lib/tsk.

set -e
set -f

GITHUB_URL=https://github.com/tsk-dev/tsk/releases

info() { echo "[INFO]  $*"; }
warn() { echo "[WARN]  $*" >&2; }
fatal() {
    echo "[ERROR] $*" >&2
    exit 1
}

is_true() { [ "$1" = true ]; }

# Single-quotes a word for sh (OpenRC scripts, the agent's launcher, env files).
sh_quote() {
    printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"
}

# Double-quotes a word for a systemd ExecStart line ($ and % are systemd's own specifiers).
systemd_quote() {
    printf '"%s"' "$(printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/\$/$$/g' -e 's/%/%%/g')"
}

# --- settings ---------------------------------------------------------------------------------

NL='
'

# The value of a top-level `data-dir:` line of a YAML config file, unquoted. A line parse, not
# YAML: a plain, '...' or "..." value on the key's own line (a trailing # comment dropped) is
# understood; flow mappings, block scalars and escapes inside quotes are not.
config_data_dir() {
    sed -n 's/^data-dir:[[:space:]]*//p' "$1" | tail -n 1 |
        sed -e 's/^"\([^"]*\)".*$/\1/' -e t -e "s/^'\\([^']*\\)'.*\$/\\1/" -e t -e 's/[[:space:]][[:space:]]*#.*$//' -e 's/[[:space:]]*$//'
}

# DATA_DIR as tsk resolves --data-dir: the flag, then TSK_DATA_DIR, then the config file's key
# (the file from --config, TSK_CONFIG_FILE or TSK_CONFIG, else /etc/tsk/config.yaml), then
# /var/lib/tsk. The agent's launcher, killall and uninstall must name the folder tsk uses.
resolve_data_dir() {
    if [ -n "$DATA_DIR_GIVEN" ]; then
        DATA_DIR=$DATA_DIR_FLAG from=--data-dir
    elif [ -n "${TSK_DATA_DIR:-}" ]; then
        DATA_DIR=$TSK_DATA_DIR from=TSK_DATA_DIR
    else
        config=${CONFIG_FLAG:-${TSK_CONFIG_FILE:-${TSK_CONFIG:-}}}
        if [ -n "$config" ]; then
            case "$config" in
                /*) ;;
                *) fatal "the config file $config must be named by an absolute path: the service does not run in this folder" ;;
            esac
            [ -f "$config" ] || fatal "config file $config: no such file (tsk would refuse to start)"
        else
            config=$R/etc/tsk/config.yaml
        fi
        DATA_DIR=
        [ -f "$config" ] && DATA_DIR=$(config_data_dir "$config")
        from="data-dir in $config"
        if [ -z "$DATA_DIR" ]; then
            DATA_DIR=$R/var/lib/tsk from=default
        fi
    fi
    # Relative, / or a top-level folder: tsk would resolve a relative path against the
    # service's working folder, and uninstall removes the data dir with rm -rf.
    case "$DATA_DIR" in
        *"$NL"*) fatal "the data dir (from $from) contains a line break" ;;
    esac
    normalized=$(printf '%s' "$DATA_DIR" | sed -e 's#//*#/#g' -e 's#/$##')
    case "$normalized" in
        */. | */./* | */.. | */../*) normalized= ;;
        /?*/?*) ;;
        *) normalized= ;;
    esac
    [ -n "$normalized" ] || fatal "the data dir '$DATA_DIR' (from $from) must be an absolute path of at least two folders, such as /var/lib/tsk: not relative, not / nor a top-level folder (uninstall removes it)"
    DATA_DIR=$normalized
}

setup_env() {
    R=${INSTALL_TSK_TEST_ROOT:-}
    BIN_DIR=${INSTALL_TSK_BIN_DIR:-/usr/local/bin}
    SYSTEMD_DIR=${INSTALL_TSK_SYSTEMD_DIR:-/etc/systemd/system}
    INIT_DIR="$R/etc/init.d"
    LOG_DIR="$R/var/log"

    # The command and its flags: INSTALL_TSK_EXEC (word-split, as k3s does), then our arguments.
    # shellcheck disable=SC2086
    set -- ${INSTALL_TSK_EXEC:-} "$@"
    CMD=
    case "${1:-}" in
        server | agent)
            CMD=$1
            shift
            ;;
    esac
    if [ -z "$CMD" ]; then
        if [ -n "${TSK_URL:-}" ]; then CMD=agent; else CMD=server; fi
    fi
    # --server, --token and --datastore-endpoint (it may carry credentials) go to the env file
    # (mode 0600) as TSK_URL, TSK_TOKEN and TSK_DATASTORE_ENDPOINT, never into the
    # world-readable unit; `tsk agent` (run once joined) takes neither of the first two.
    ARGS_SH=
    ARGS_SYSTEMD=
    DATA_DIR_FLAG=
    DATA_DIR_GIVEN=
    CONFIG_FLAG=
    pending=
    seen=
    for arg in "$@"; do
        # The unit's ExecStart= is one line, and a value of several lines is no flag's value.
        case "$arg" in
            *"$NL"*) fatal "an argument contains a line break ($(printf '%s' "$arg" | head -n 1)...): tsk's flags take one-line values" ;;
        esac
        case "$pending" in
            server) TSK_URL=${TSK_URL:-$arg} ;;
            token) TSK_TOKEN=${TSK_TOKEN:-$arg} ;;
            datastore) TSK_DATASTORE_ENDPOINT=${TSK_DATASTORE_ENDPOINT:-$arg} ;;
        esac
        if [ -n "$pending" ]; then
            pending=
            continue
        fi
        case "$seen" in
            data-dir) DATA_DIR_FLAG=$arg DATA_DIR_GIVEN=1 ;;
            config) CONFIG_FLAG=$arg ;;
        esac
        seen=
        case "$arg" in
            --server) pending=server; continue ;;
            --token) pending=token; continue ;;
            --datastore-endpoint) pending=datastore; continue ;;
            --server=*) TSK_URL=${TSK_URL:-${arg#*=}}; continue ;;
            --token=*) TSK_TOKEN=${TSK_TOKEN:-${arg#*=}}; continue ;;
            --datastore-endpoint=*) TSK_DATASTORE_ENDPOINT=${TSK_DATASTORE_ENDPOINT:-${arg#*=}}; continue ;;
            --data-dir) seen=data-dir ;;
            --data-dir=*) DATA_DIR_FLAG=${arg#*=} DATA_DIR_GIVEN=1 ;;
            --config) seen=config ;;
            --config=*) CONFIG_FLAG=${arg#*=} ;;
        esac
        ARGS_SH="$ARGS_SH $(sh_quote "$arg")"
        ARGS_SYSTEMD="$ARGS_SYSTEMD $(systemd_quote "$arg")"
    done
    [ -n "${TSK_URL:-}" ] && export TSK_URL
    [ -n "${TSK_TOKEN:-}" ] && export TSK_TOKEN
    [ -n "${TSK_DATASTORE_ENDPOINT:-}" ] && export TSK_DATASTORE_ENDPOINT
    resolve_data_dir

    case "${TSK_URL:-}" in
        "" | https://*) ;;
        http://*) fatal "TSK_URL must be an https:// URL (got $TSK_URL): tsk servers serve only HTTPS, and the join token must not travel in clear" ;;
        *) fatal "TSK_URL must be an https:// URL (got $TSK_URL)" ;;
    esac
    if [ "$CMD" = agent ]; then
        [ -n "${TSK_URL:-}" ] || fatal "an agent needs the server's address: set TSK_URL=https://SERVER:6443 and TSK_TOKEN"
        [ -n "${TSK_TOKEN:-}" ] || fatal "an agent needs TSK_TOKEN (the server's DATA_DIR/server/node-token) besides TSK_URL"
    fi

    if [ -n "${INSTALL_TSK_NAME:-}" ]; then
        SERVICE=tsk-$INSTALL_TSK_NAME
    elif [ "$CMD" = agent ]; then
        SERVICE=tsk-agent
    else
        SERVICE=tsk
    fi
    UNINSTALL=$BIN_DIR/$SERVICE-uninstall.sh
    KILLALL=$BIN_DIR/tsk-killall.sh
}

setup_init() {
    if [ -d "$R/run/systemd/system" ]; then
        # sd_booted()'s test: systemctl being installed does not mean systemd is PID 1.
        INIT=systemd
        SERVICE_FILE=$SYSTEMD_DIR/$SERVICE.service
        ENV_FILE=$SYSTEMD_DIR/$SERVICE.service.env
    elif [ -x "$R/sbin/openrc-run" ]; then
        INIT=openrc
        SERVICE_FILE=$INIT_DIR/$SERVICE
        ENV_FILE=$INIT_DIR/$SERVICE.env
    else
        fatal "neither systemd nor OpenRC is running here: nothing could supervise tsk (run $BIN_DIR/tsk $CMD yourself)"
    fi
}

need_root() {
    [ "$(id -u)" -eq 0 ] || fatal "run the installer as root (curl ... | sudo sh -)"
}

# --- the executable ---------------------------------------------------------------------------

setup_arch() {
    # ARCH overrides uname, as in k3s.
    machine=${ARCH:-$(uname -m)}
    case "$machine" in
        x86_64 | amd64) ARCH=amd64 ;;
        aarch64 | arm64) ARCH=arm64 ;;
        *) fatal "unsupported architecture $machine: tsk is released for amd64 and arm64 only (a Raspberry Pi needs a 64-bit OS)" ;;
    esac
}

# The release executables are Node 24 with a SQLite addon built on Debian 12: they need glibc
# 2.34 or later (Debian 12, Ubuntu 22.04, Raspberry Pi OS bookworm). Said here, before the
# download, rather than by the loader's error at the service's first start.
check_libc() {
    out=$(ldd --version 2>&1) || true
    case "$out" in
        *musl*) fatal "tsk's release executables need glibc 2.34 or later; this system's C library is musl (Alpine). Use a glibc system, or build tsk yourself and use INSTALL_TSK_SKIP_DOWNLOAD=true" ;;
    esac
    version=$(printf '%s\n' "$out" | head -n 1 | sed -n 's/.* \([0-9][0-9]*\)\.\([0-9][0-9]*\)$/\1 \2/p')
    [ -n "$version" ] || return 0
    set -- $version
    if [ "$1" -lt 2 ] || { [ "$1" -eq 2 ] && [ "$2" -lt 34 ]; }; then
        fatal "tsk's release executables need glibc 2.34 or later (Debian 12, Ubuntu 22.04, Raspberry Pi OS bookworm); this system has $1.$2"
    fi
}

setup_downloader() {
    if command -v curl >/dev/null 2>&1; then
        DOWNLOADER=curl
    elif command -v wget >/dev/null 2>&1; then
        DOWNLOADER=wget
    else
        fatal "neither curl nor wget is installed: one is needed to download tsk"
    fi
}

download() {
    case "$DOWNLOADER" in
        curl) curl -fsSL -o "$1" "$2" ;;
        wget) wget -qO "$1" "$2" ;;
    esac || fatal "download of $2 failed"
}

sha256_of() {
    if command -v sha256sum >/dev/null 2>&1; then
        sha256sum "$1" | awk '{print $1}'
    else
        shasum -a 256 "$1" | awk '{print $1}'
    fi
}

download_and_verify() {
    if [ -n "${INSTALL_TSK_RELEASE_URL:-}" ]; then
        base=${INSTALL_TSK_RELEASE_URL%/}
    elif [ -n "${INSTALL_TSK_VERSION:-}" ]; then
        base=$GITHUB_URL/download/$INSTALL_TSK_VERSION
    else
        base=$GITHUB_URL/latest/download
    fi
    setup_downloader
    TMP_DIR=$(mktemp -d -t tsk-install.XXXXXX)
    trap 'rm -rf "$TMP_DIR"' EXIT
    info "downloading sha256sum-$ARCH.txt from $base"
    download "$TMP_DIR/sums" "$base/sha256sum-$ARCH.txt"
    want=$(awk -v f="tsk-linux-$ARCH" '$2 == f || $2 == "*" f {print $1}' "$TMP_DIR/sums")
    [ -n "$want" ] || fatal "sha256sum-$ARCH.txt does not list tsk-linux-$ARCH"
    if [ -x "$BIN_DIR/tsk" ] && [ "$(sha256_of "$BIN_DIR/tsk")" = "$want" ]; then
        info "$BIN_DIR/tsk is already this release"
        return
    fi
    info "downloading tsk-linux-$ARCH"
    download "$TMP_DIR/tsk" "$base/tsk-linux-$ARCH"
    got=$(sha256_of "$TMP_DIR/tsk")
    [ "$got" = "$want" ] || fatal "checksum mismatch for tsk-linux-$ARCH: expected $want, downloaded $got"
    mkdir -p "$BIN_DIR"
    # Copied next to the target, then renamed over it: a running tsk keeps its old inode, and a
    # half-copied executable is never in place.
    cp "$TMP_DIR/tsk" "$BIN_DIR/.tsk.new"
    chmod 755 "$BIN_DIR/.tsk.new"
    mv -f "$BIN_DIR/.tsk.new" "$BIN_DIR/tsk"
    info "installed $BIN_DIR/tsk"
}

setup_binary() {
    if is_true "${INSTALL_TSK_SKIP_DOWNLOAD:-}"; then
        [ -x "$BIN_DIR/tsk" ] || fatal "INSTALL_TSK_SKIP_DOWNLOAD=true but there is no executable $BIN_DIR/tsk"
        info "using the tsk already in $BIN_DIR"
        return
    fi
    check_libc
    download_and_verify
}

# --- host packages ----------------------------------------------------------------------------

have_cni_plugins() {
    for dir in /usr/lib/cni /usr/libexec/cni /opt/cni/bin; do
        [ -x "$R$dir/bridge" ] && return 0
    done
    return 1
}

# tsk runs `ip -j`, which busybox's ip (Alpine's default) does not have.
have_iproute2() {
    for candidate in /usr/sbin/ip /sbin/ip /usr/bin/ip /bin/ip; do
        [ -x "$R$candidate" ] && "$R$candidate" -V 2>/dev/null | grep -q iproute2 && return 0
    done
    return 1
}

install_deps() {
    if is_true "${INSTALL_TSK_SKIP_DEPS:-}"; then
        return
    fi
    missing=
    for tool in containerd runc iptables conntrack; do
        command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
    done
    have_cni_plugins || missing="$missing cni-plugins"
    have_iproute2 || missing="$missing iproute2"
    if [ -z "$missing" ]; then
        return
    fi
    info "missing:$missing; installing them"
    if command -v apt-get >/dev/null 2>&1; then
        apt-get update -q
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q containerd runc containernetworking-plugins iptables conntrack iproute2
    elif command -v apk >/dev/null 2>&1; then
        apk add --no-cache containerd runc cni-plugins iptables conntrack-tools iproute2
    elif command -v dnf >/dev/null 2>&1; then
        dnf install -y containerd runc containernetworking-plugins iptables conntrack-tools iproute
    else
        fatal "missing:$missing, and no apt-get, apk or dnf to install them with (or set INSTALL_TSK_SKIP_DEPS=true)"
    fi
}

# tsk looks for the CNI plugins in /usr/lib/cni (Debian's place); Alpine and Fedora put them in
# /usr/libexec/cni, the upstream tarball in /opt/cni/bin. A link makes either usable.
link_cni_plugins() {
    if [ -e "$R/usr/lib/cni" ] || [ -L "$R/usr/lib/cni" ]; then return; fi
    for dir in /usr/libexec/cni /opt/cni/bin; do
        if [ -x "$R$dir/bridge" ]; then
            mkdir -p "$R/usr/lib"
            ln -s "$dir" "$R/usr/lib/cni"
            info "linked /usr/lib/cni to $dir, where the CNI plugins are"
            return
        fi
    done
}

check_memory_cgroup() {
    if [ -f "$R/sys/fs/cgroup/cgroup.controllers" ]; then
        grep -qw memory "$R/sys/fs/cgroup/cgroup.controllers" && return
    elif [ -f "$R/proc/cgroups" ]; then
        awk '$1 == "memory" && $4 == 1 { found = 1 } END { exit !found }' "$R/proc/cgroups" && return
    fi
    warn "the memory cgroup is not enabled: pods' memory limits cannot be enforced and containers may fail to start."
    warn "On a Raspberry Pi add 'cgroup_memory=1 cgroup_enable=memory' to the one line of /boot/firmware/cmdline.txt"
    warn "(/boot/cmdline.txt on older systems) and reboot."
}

# --- the service ------------------------------------------------------------------------------

write_env_file() {
    # A new file under umask 077, renamed over the old one: rewriting an existing file in place
    # would keep its mode (0644, say) while the token is written, and whoever opened it before
    # would read the token through that open file.
    old_umask=$(umask)
    umask 077
    tmp=$(mktemp "$ENV_FILE.XXXXXX")
    umask "$old_umask"
    # TSK_* for tsk; the proxy variables, as k3s keeps them, for containerd's image pulls.
    if ! env | grep -E -e '^TSK_[A-Z0-9_]*=' -e '^(HTTP_PROXY|HTTPS_PROXY|NO_PROXY|http_proxy|https_proxy|no_proxy)=' | sort | while IFS= read -r line; do
        echo "${line%%=*}=$(sh_quote "${line#*=}")"
    done >"$tmp" || ! chmod 600 "$tmp" || ! mv -f "$tmp" "$ENV_FILE"; then
        rm -f "$tmp"
        fatal "could not write $ENV_FILE"
    fi
}

# The agent joins once (TSK_URL, TSK_TOKEN from the env file); afterwards `tsk agent` runs from
# the credentials and node settings join stored, without the token.
agent_launcher() {
    joined=$DATA_DIR/agent/node-config.json
    printf '%s' "if [ -s $(sh_quote "$joined") ]; then exec $(sh_quote "$BIN_DIR/tsk") agent$ARGS_SH; else exec $(sh_quote "$BIN_DIR/tsk") agent join$ARGS_SH; fi"
}

write_systemd_unit() {
    if [ "$CMD" = agent ]; then
        exec_start="/bin/sh -c $(systemd_quote "$(agent_launcher)")"
    else
        exec_start="$(systemd_quote "$BIN_DIR/tsk") server$ARGS_SYSTEMD"
    fi
    mkdir -p "$SYSTEMD_DIR"
    cat >"$SERVICE_FILE" <<EOF
[Unit]
Description=tsk $CMD (lightweight Kubernetes)
Documentation=https://github.com/tsk-dev/tsk
Wants=network-online.target
After=network-online.target

[Install]
WantedBy=multi-user.target

[Service]
# tsk tells systemd it is ready through systemd-notify, a child process: hence NotifyAccess=all.
Type=notify
NotifyAccess=all
EnvironmentFile=-/etc/default/%N
EnvironmentFile=-/etc/sysconfig/%N
EnvironmentFile=-$ENV_FILE
# Only tsk itself is stopped: containerd's shims and the pods stay up across restarts and upgrades.
KillMode=process
Delegate=yes
User=root
LimitNOFILE=1048576
LimitNPROC=infinity
LimitCORE=infinity
TasksMax=infinity
# An agent waits for its server as long as it takes.
TimeoutStartSec=0
Restart=always
RestartSec=5s
ExecStartPre=-/sbin/modprobe br_netfilter
ExecStartPre=-/sbin/modprobe overlay
ExecStart=$exec_start
EOF
    info "wrote $SERVICE_FILE"
}

write_openrc_service() {
    if [ "$CMD" = agent ]; then
        command=/bin/sh
        command_args="-c $(sh_quote "$(agent_launcher)")"
    else
        command=$BIN_DIR/tsk
        command_args="server$ARGS_SH"
    fi
    mkdir -p "$INIT_DIR"
    cat >"$SERVICE_FILE" <<EOF
#!/sbin/openrc-run
description="tsk $CMD (lightweight Kubernetes)"

depend() {
    after network-online
    want cgroups
}

supervisor=supervise-daemon
name=$SERVICE
command=$(sh_quote "$command")
command_args=$(sh_quote "$command_args")
output_log=$LOG_DIR/$SERVICE.log
error_log=$LOG_DIR/$SERVICE.log
pidfile=/var/run/$SERVICE.pid
respawn_delay=5
respawn_max=0

set -o allexport
if [ -f $(sh_quote "$ENV_FILE") ]; then . $(sh_quote "$ENV_FILE"); fi
set +o allexport
EOF
    chmod 755 "$SERVICE_FILE"
    info "wrote $SERVICE_FILE"
}

start_service() {
    if is_true "${INSTALL_TSK_SKIP_ENABLE:-}"; then
        return
    fi
    if [ "$INIT" = systemd ]; then
        systemctl daemon-reload
        systemctl enable "$SERVICE"
    else
        rc-update add "$SERVICE" default
    fi
    if is_true "${INSTALL_TSK_SKIP_START:-}"; then
        return
    fi
    # restart, not start: a rerun with a newer executable is an upgrade. Pods keep running.
    info "starting $SERVICE"
    if [ "$INIT" = systemd ]; then
        systemctl restart "$SERVICE"
    else
        rc-service "$SERVICE" restart
    fi
}

# --- killall and uninstall --------------------------------------------------------------------

write_killall() {
    # Values fixed at install time, then the body, which expands nothing now.
    {
        echo '#!/bin/sh'
        echo '# Stops every tsk service and what the nodes run: pods, containerd, their mounts, and the'
        echo "# node's network state (written by tsk's install.sh; pure sh, so it works without tsk)."
        echo "SYSTEMD_DIR=$(sh_quote "$SYSTEMD_DIR")"
        echo "INIT_DIR=$(sh_quote "$INIT_DIR")"
        echo "DATA_DIR=$(sh_quote "$DATA_DIR")"
        cat <<'EOF'
BRIDGE=tsk0
VXLAN_DEVICE=tsk.1
ROUTE_PROTO=116

[ "$(id -u)" -eq 0 ] || exec sudo "$0" "$@"

# tsk's own services only: tsk and tsk-NAME, not another program's tskd.
for unit in "$SYSTEMD_DIR"/tsk.service "$SYSTEMD_DIR"/tsk-*.service; do
    [ -s "$unit" ] && systemctl stop "${unit##*/}"
done
for script in "$INIT_DIR"/tsk "$INIT_DIR"/tsk-*; do
    case "$script" in *.env) continue ;; esac
    [ -x "$script" ] && rc-service "${script##*/}" stop
done

# install.sh wrote an absolute DATA_DIR below a top-level folder; anything else (an edited
# script) would make what follows kill and unmount far more than tsk's.
case "$DATA_DIR" in
    /?*/?*) ;;
    *)
        echo "DATA_DIR='$DATA_DIR' is not an absolute path below a top-level folder: no process killed, nothing unmounted" >&2
        exit 1
        ;;
esac

# containerd and its shims: by their executable (/proc/PID/exe, listed by one ls) and the agent's
# containerd folder among their arguments; a ctr, crictl or tail naming that folder is not
# tsk's. (Not grep over /proc/*/cmdline: busybox's grep stops at the first NUL.) The pods are
# the shims' descendants; the parent table is read once, with builtins.
RUNTIME=$DATA_DIR/agent/containerd/
daemons=
shims=
candidates=$(ls -l /proc/[0-9]*/exe 2>/dev/null | awk '{
    n = index($0, " -> "); if (n == 0) next
    # An executable replaced by a package upgrade reads "PATH (deleted)".
    name = substr($0, n + 4); sub(/ \(deleted\)$/, "", name); sub(/.*\//, "", name)
    if (name != "containerd" && name != "containerd-shim-runc-v2") next
    link = substr($0, 1, n - 1); sub(/.* \/proc\//, "", link); sub(/\/exe$/, "", link)
    print link ":" name
}')
for candidate in $candidates; do
    pid=${candidate%%:*}
    tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | RUNTIME=$RUNTIME awk 'index($0, ENVIRON["RUNTIME"]) == 1 { found = 1 } END { exit !found }' || continue
    if [ "${candidate#*:}" = containerd ]; then daemons="$daemons $pid"; else shims="$shims $pid"; fi
done
pods=
if [ -n "$shims" ]; then
    parents=$(for entry in /proc/[0-9]*; do
        read -r stat <"$entry/stat" 2>/dev/null || continue
        stat=${stat##*) }
        set -- $stat
        echo "${entry#/proc/} $2"
    done)
    pods=$(printf '%s\n' "$parents" | awk -v roots="$shims" '
        BEGIN { n = split(roots, r, " "); for (i = 1; i <= n; i++) keep[r[i]] = 1 }
        { parent[$1] = $2 }
        END {
            do { more = 0; for (p in parent) if (!(p in keep) && (parent[p] in keep)) { keep[p] = 1; more = 1 } } while (more)
            for (p in keep) print p
        }')
fi
[ -n "$daemons$pods" ] && kill -9 $daemons $pods 2>/dev/null

# Pod volumes, sandboxes' network namespaces, containerd's snapshots: deepest first.
DATA_DIR=$DATA_DIR awk '$5 == ENVIRON["DATA_DIR"] || index($5, ENVIRON["DATA_DIR"] "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r | while read -r point; do
    umount "$point" 2>/dev/null || umount -l "$point"
done

# The node's network, as tsk's removeNodeNetwork leaves it: every jump from another chain into
# a TSK- chain and every TSK- chain of nat and filter, one transaction per table; the VXLAN
# device and routes of protocol 116; the pod bridge.
if command -v iptables-save >/dev/null 2>&1; then
    for table in nat filter; do
        saved=$(iptables-save -t "$table" 2>/dev/null) || continue
        rules=$(printf '%s\n' "$saved" | awk '
            /^-A / && $2 !~ /^TSK-/ && $NF ~ /^TSK-/ && $(NF-1) == "-j" { sub(/^-A /, "-D "); print }
            /^:TSK-/ { split($1, c, ":"); chains[++n] = c[2]; print $1 " - [0:0]" }
            END { for (i = 1; i <= n; i++) print "-X " chains[i] }')
        [ -n "$rules" ] && printf '*%s\n%s\nCOMMIT\n' "$table" "$rules" | iptables-restore --noflush --wait
    done
fi
# iproute2's ip by path: busybox's (a shell builtin in busybox ash) ignores "proto" and would
# flush every route.
IP=
for candidate in /usr/sbin/ip /sbin/ip /usr/bin/ip /bin/ip; do
    if [ -x "$candidate" ] && "$candidate" -V 2>/dev/null | grep -q iproute2; then
        IP=$candidate
        break
    fi
done
if [ -n "$IP" ]; then
    "$IP" link show "$VXLAN_DEVICE" >/dev/null 2>&1 && "$IP" link delete "$VXLAN_DEVICE"
    "$IP" -4 route flush proto "$ROUTE_PROTO"
    "$IP" link show "$BRIDGE" >/dev/null 2>&1 && "$IP" link delete "$BRIDGE"
else
    echo "iproute2 is not installed: $VXLAN_DEVICE, $BRIDGE and the routes of protocol $ROUTE_PROTO are left in place" >&2
fi
exit 0
EOF
    } >"$KILLALL"
    chmod 755 "$KILLALL"
    info "wrote $KILLALL"
}

write_uninstall() {
    {
        echo '#!/bin/sh'
        echo "# Removes the $SERVICE service and, with the last tsk service, everything tsk's install.sh put here."
        echo "SERVICE=$(sh_quote "$SERVICE")"
        echo "INIT=$INIT"
        echo "SERVICE_FILE=$(sh_quote "$SERVICE_FILE")"
        echo "ENV_FILE=$(sh_quote "$ENV_FILE")"
        echo "SYSTEMD_DIR=$(sh_quote "$SYSTEMD_DIR")"
        echo "INIT_DIR=$(sh_quote "$INIT_DIR")"
        echo "BIN_DIR=$(sh_quote "$BIN_DIR")"
        echo "DATA_DIR=$(sh_quote "$DATA_DIR")"
        echo "CONFIG_DIR=$(sh_quote "$R/etc/tsk")"
        echo "CNI_LINK=$(sh_quote "$R/usr/lib/cni")"
        echo "LOG_FILE=$(sh_quote "$LOG_DIR/$SERVICE.log")"
        cat <<'EOF'

[ "$(id -u)" -eq 0 ] || exec sudo "$0" "$@"

"$BIN_DIR/tsk-killall.sh"

if [ "$INIT" = systemd ]; then
    systemctl disable "$SERVICE"
    systemctl reset-failed "$SERVICE"
    systemctl daemon-reload
else
    rc-update delete "$SERVICE" default
fi
rm -f "$SERVICE_FILE" "$ENV_FILE" "$LOG_FILE" "$0"

for other in "$SYSTEMD_DIR"/tsk.service "$SYSTEMD_DIR"/tsk-*.service "$INIT_DIR"/tsk "$INIT_DIR"/tsk-*; do
    case "$other" in *.env) continue ;; esac
    if [ -e "$other" ]; then
        echo "other tsk services remain ($other): keeping tsk, its data and tsk-killall.sh"
        exit 0
    fi
done
# install.sh wrote an absolute DATA_DIR below a top-level folder: never rm -rf "" or / here.
case "$DATA_DIR" in
    /?*/?*) rm -rf "$DATA_DIR" ;;
    *) echo "DATA_DIR='$DATA_DIR' is not an absolute path below a top-level folder: not removed" >&2 ;;
esac
rm -rf "$CONFIG_DIR"
rm -f "$BIN_DIR/tsk" "$BIN_DIR/tsk-killall.sh"
# The link install.sh may have made to where the host keeps its CNI plugins.
case "$(readlink "$CNI_LINK" 2>/dev/null)" in
    /usr/libexec/cni | /opt/cni/bin) rm -f "$CNI_LINK" ;;
esac
EOF
    } >"$UNINSTALL"
    chmod 755 "$UNINSTALL"
    info "wrote $UNINSTALL"
}

# --- main -------------------------------------------------------------------------------------

main() {
    setup_env "$@"
    need_root
    setup_init
    setup_arch
    setup_binary
    install_deps
    link_cni_plugins
    check_memory_cgroup
    write_killall
    write_uninstall
    mkdir -p "${SERVICE_FILE%/*}"
    write_env_file
    if [ "$INIT" = systemd ]; then write_systemd_unit; else write_openrc_service; fi
    start_service
    if [ "$CMD" = server ]; then
        info "kubeconfig: $DATA_DIR/server/cred/admin.kubeconfig; agents join with the token in $DATA_DIR/server/node-token"
    fi
}

main "$@"
