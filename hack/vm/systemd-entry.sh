#!/bin/bash
# The payload's entry script, run by nucleus-checks.service inside the run-systemd VM with the
# serial console as stdout. For every runtime in /mnt/payload/runtimes and every check file in
# /mnt/payload/files it runs `bats --tap conformance/systemd/FILE.bats` with RUNTIME set, prints
# each TAP line as "[RUNTIME-NAME] LINE", then one line per runtime
# "VM-RESULT[NAME]: N passed, M failed, S skipped (Ts)" and the total "VM-RESULT: N passed, M failed".
set -u
P=/mnt/payload
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PAYLOAD=$P
echo "VM-INFO: kernel $(uname -r), systemd $(systemctl --version | awk 'NR==1 {print $2}'), $(stat -fc %T /sys/fs/cgroup) at /sys/fs/cgroup"
echo "VM-INFO: controllers: $(cat /sys/fs/cgroup/cgroup.controllers)"
systemctl --failed --no-legend --plain 2>/dev/null | sed 's/^/VM-INFO: failed unit: /'
echo "VM-INFO: docker $(dpkg-query -W -f='${Version}' docker.io), podman $(dpkg-query -W -f='${Version}' podman), containerd $(dpkg-query -W -f='${Version}' containerd), runc $(dpkg-query -W -f='${Version}' runc), crun $(dpkg-query -W -f='${Version}' crun), bats $(bats --version)"

total_pass=0 total_fail=0
# (the runtimes list on fd 3: the checks must not eat the loop's stdin)
while read -r rt <&3; do
  [ -n "$rt" ] || continue
  case $rt in /*) ;; *) rt=$(command -v "$rt") ;; esac
  name=$(basename "$rt")
  pass=0 fail=0 skipped=0
  t0=$(date +%s)
  echo "VM-INFO: runtime $rt: $("$rt" --version 2>&1 | head -1)"
  for f in $(cat "$P/files"); do
    t1=$(date +%s)
    echo "[$name] # $f.bats"
    # every command inside the checks has its own timeout; this one guards a hung bats
    RUNTIME=$rt RUNTIME_NAME=$name timeout --kill-after=10 "${CHECK_FILE_TIMEOUT:-600}" \
      bats --tap "$P/checks/$f.bats" </dev/null >/tmp/tap.out 2>&1
    rc=$?
    sed "s/^/[$name] /" /tmp/tap.out
    p=$(grep -c '^ok ' /tmp/tap.out)
    s=$(grep -c '^ok .* # skip' /tmp/tap.out)
    n=$(grep -c '^not ok ' /tmp/tap.out)
    if [ "$rc" -ne 0 ] && [ "$n" -eq 0 ]; then
      echo "[$name] not ok - $f.bats: bats exited with $rc"
      n=1
    fi
    pass=$((pass + p - s)) skipped=$((skipped + s)) fail=$((fail + n))
    echo "[$name] # $f.bats: $((p - s)) passed, $n failed, $s skipped in $(($(date +%s) - t1))s"
  done
  echo "VM-RESULT[$name]: $pass passed, $fail failed, $skipped skipped ($(($(date +%s) - t0))s)"
  total_pass=$((total_pass + pass)) total_fail=$((total_fail + fail))
done 3<"$P/runtimes"
if [ -x "$P/bench.sh" ]; then
  t0=$(date +%s)
  rts=()
  while read -r rt; do
    case $rt in /*) ;; *) rt=$(command -v "$rt") ;; esac
    [ -n "$rt" ] && rts+=("$rt")
  done <"$P/runtimes"
  "$P/bench.sh" "$(cat "$P/bench-rounds")" "${rts[@]}" </dev/null
  echo "VM-INFO: bench took $(($(date +%s) - t0))s"
fi
echo "VM-RESULT: $total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
