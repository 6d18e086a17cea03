#!/bin/bash
# run-systemd --bench: in the VM, `run` of /bin/true with each runtime, with the systemd cgroup
# driver (cgroupsPath system.slice:nucleus-bench:<id>) and with the cgroupfs one
# (/nucleus-bench/<id>), the runtimes in alternating rounds (TCG makes absolute times meaningless:
# compare the ratios). Prints "VM-BENCH: <runtime> <driver> median <ms> ms (min <ms>, n <N>)".
#   systemd-bench.sh ROUNDS RUNTIME...
set -u
rounds=$1
shift
P=${PAYLOAD:-/mnt/payload}
b=$(mktemp -d /tmp/bench.XXXXXX)
mkdir -p "$b/rootfs"
tar -C "$b/rootfs" -xf "$P/rootfs.tar"
(cd "$b" && /usr/sbin/runc spec)
jq --arg r "$b/rootfs" '.root.path = $r | .process.terminal = false | .process.args = ["/bin/true"]' \
  "$b/config.json" >"$b/base.json"
now_ms() { echo $(($(date +%s%N) / 1000000)); }
for ((i = 0; i < rounds; i++)); do
  for rt in "$@"; do
    name=$(basename "$rt")
    for drv in systemd cgroupfs; do
      id=bench-$name-$drv-$i
      if [ $drv = systemd ]; then cg="system.slice:nucleus-bench:$id" flag=--systemd-cgroup
      else cg="/nucleus-bench/$id" flag=""; fi
      jq --arg cg "$cg" '.linux.cgroupsPath = $cg' "$b/base.json" >"$b/config.json"
      t0=$(now_ms)
      if timeout 60 "$rt" --root /run/nucleus-bench $flag run --bundle "$b" "$id" </dev/null >/dev/null 2>"$b/err"; then
        echo "$(($(now_ms) - t0))" >>"$b/$name.$drv"
      else
        echo "VM-BENCH: $name $drv run failed: $(head -c 300 "$b/err")"
        timeout 30 "$rt" --root /run/nucleus-bench $flag delete --force "$id" >/dev/null 2>&1
      fi
    done
  done
done
for rt in "$@"; do
  name=$(basename "$rt")
  for drv in systemd cgroupfs; do
    f=$b/$name.$drv
    [ -s "$f" ] || continue
    sort -n "$f" >"$f.s"
    n=$(wc -l <"$f.s")
    echo "VM-BENCH: $name $drv median $(sed -n "$(((n + 1) / 2))p" "$f.s") ms (min $(head -1 "$f.s"), n $n)"
  done
done
rmdir /sys/fs/cgroup/nucleus-bench 2>/dev/null
rm -rf "$b"
