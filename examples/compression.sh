#!/usr/bin/env bash
# What `compression: true` buys on a slow link (BENCHMARKS.md, "Slow links").
# As root: a network namespace of its own with a real sshd, its answers shaped
# with `tc tbf` to RATE; one collector's file of ROWS rows (examples/gen_stats);
# then, RUNS times each, best kept: `ssh host cat` and `ssh -C host cat` of the
# file (the floor), and `fcstats poll` with compression off and on. Logs in as
# `fcstats-bench` (made here without a password, removed at the end), so that
# no login shell's startup files weigh on either side.
#
#     cargo build --release --bins --examples
#     examples/compression.sh [RATE...]      # default: 10mbit 50mbit
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${ROWS:-20000}
RUNS=${RUNS:-3}
rates=("$@")
[ ${#rates[@]} -gt 0 ] || rates=(10mbit 50mbit)
bin=target/release/fcstats
[ -x "$bin" ] && [ -x target/release/examples/gen_stats ] || {
  echo "build first: cargo build --release --bins --examples" >&2
  exit 2
}

work=$(mktemp -d /tmp/fcstats-compression.XXXXXX)
ns=fcstats-comp-$$
user=fcstats-bench
made_user=0
cleanup() {
  [ -f "$work/sshd.pid" ] && kill "$(cat "$work/sshd.pid")" 2>/dev/null || true
  ip netns del "$ns" 2>/dev/null || true
  [ $made_user = 1 ] && userdel --remove "$user" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

if ! id "$user" >/dev/null 2>&1; then
  useradd --create-home --shell /bin/sh "$user"
  passwd -d "$user" >/dev/null # unlocked (sshd refuses locked accounts), no password
  made_user=1
fi
chmod 755 "$work"
target/release/examples/gen_stats --out "$work/fc" --collectors 1 --rows "$ROWS" >/dev/null 2>&1
file=$work/fc/fc-1.txt
chmod 644 "$file"
ssh-keygen -q -t ed25519 -N '' -f "$work/client"
ssh-keygen -q -t ed25519 -N '' -f "$work/host"
cp "$work/client.pub" "$work/authorized_keys"
chmod 644 "$work/authorized_keys"

ip netns add "$ns"
ip link add fccomp-a type veth peer name fccomp-b
ip link set fccomp-b netns "$ns"
ip addr add 10.239.0.1/30 dev fccomp-a && ip link set fccomp-a up
ip -n "$ns" addr add 10.239.0.2/30 dev fccomp-b
ip -n "$ns" link set fccomp-b up && ip -n "$ns" link set lo up
mkdir -p /run/sshd
cat >"$work/sshd_config" <<EOF
Port 22
ListenAddress 10.239.0.2
HostKey $work/host
PidFile $work/sshd.pid
AuthorizedKeysFile $work/authorized_keys
StrictModes no
UsePAM no
PasswordAuthentication no
Subsystem sftp /usr/lib/openssh/sftp-server
LogLevel ERROR
EOF
ip netns exec "$ns" /usr/sbin/sshd -f "$work/sshd_config"
for _ in $(seq 100); do [ -f "$work/sshd.pid" ] && break; sleep 0.05; done
echo "10.239.0.2 $(cut -d' ' -f1,2 "$work/host.pub")" >"$work/known_hosts"

# Best of RUNS for a command, in seconds.
best() {
  local best=999999 t0 t1
  for _ in $(seq "$RUNS"); do
    t0=$(date +%s.%N)
    "$@" >/dev/null 2>"$work/stderr" || {
      echo "failed: $* ($(tail -1 "$work/stderr"))" >&2
      exit 1
    }
    t1=$(date +%s.%N)
    best=$(awk -v a="$t0" -v b="$t1" -v m="$best" 'BEGIN { d = b - a; print (d < m ? d : m) }')
  done
  printf '%.2f' "$best"
}

ssh_cat() {
  ssh -q "$@" -i "$work/client" -o UserKnownHostsFile="$work/known_hosts" \
    -o StrictHostKeyChecking=yes -o BatchMode=yes "$user@10.239.0.2" cat "$file"
}

poll() {
  rm -f "$work/state.db"*
  cat >"$work/config.yaml" <<EOF
database: $work/state.db
stale_after: 0
ssh:
  user: $user
  identity: [$work/client]
  agent: false
  known_hosts: $work/known_hosts
  compression: $1
collectors:
  - {name: fc, host: 10.239.0.2, path: $file}
EOF
  "$bin" --config "$work/config.yaml" -q poll
}

size=$(stat -c %s "$file")
gz=$(gzip -c "$file" | wc -c)
echo "file: $ROWS rows, $size bytes ($gz gzipped); best of $RUNS"
printf '%-8s %12s %12s %14s %14s\n' rate "ssh cat" "ssh -C cat" "fcstats" "fcstats -C"
for rate in "${rates[@]}"; do
  ip netns exec "$ns" tc qdisc replace dev fccomp-b root tbf rate "$rate" burst 32kb latency 400ms
  printf '%-8s %11ss %11ss %13ss %13ss\n' "$rate" \
    "$(best ssh_cat)" "$(best ssh_cat -C)" "$(best poll false)" "$(best poll true)"
done
