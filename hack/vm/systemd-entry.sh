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
# runc's own integration files (run-systemd --runc-tests) through this repo's runner, for every
# runtime copied from the host and for the tree's runc 1.3.6 as the control; the failures expected
# are those listed in expected-failures.vm.txt (runc fails them there too)
if [ -d "$P/runc-int" ]; then
  {
    while read -r rt; do case $rt in /mnt/payload/*) echo "$rt" ;; esac; done <"$P/runtimes"
    echo runc
  } >/tmp/runc-int-runtimes
  while read -r rt <&3; do
    if [ "$rt" = runc ]; then name="runc-$(cat "$P/runc-int/tree/VERSION" 2>/dev/null || echo tree)"; env=(RUNTIME=runc)
    else name=$(basename "$rt"); env=(NUCLEUS_OCI="$rt"); fi
    t0=$(date +%s)
    env "${env[@]}" RUNC_TESTS_DIR="$P/runc-int/tree" RUNC_INT_EXPECTED="$P/runc-int/expected-failures.vm.txt" \
      RUNC_INT_LOG_DIR="/tmp/runc-int-logs/$name" RUNC_INT_TIMEOUT="${RUNC_INT_TIMEOUT:-900}" \
      timeout --kill-after=10 "${RUNC_INT_TOTAL_TIMEOUT:-1800}" \
      bash "$P/runc-int/run.sh" $(cat "$P/runc-int/files") </dev/null >/tmp/runc-int.out 2>&1
    rc=$?
    sed "s/^/[runc-int:$name] /" /tmp/runc-int.out
    # the failed tests' TAP lines and their output, for the console log
    grep -h -A30 '^not ok' /tmp/runc-int-logs/"$name"/*.tap 2>/dev/null | head -200 | sed "s/^/[runc-int:$name] | /"
    line=$(grep '^runc-integration: [0-9]* passed' /tmp/runc-int.out | tail -1)
    pass=$(echo "$line" | awk '{print $2}') fail=$(echo "$line" | awk '{print $4}') skipped=$(echo "$line" | awk '{print $6}')
    pass=${pass:-0} fail=${fail:-0} skipped=${skipped:-0}
    if [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then
      echo "[runc-int:$name] not ok - run.sh exited with $rc"
      fail=1
    fi
    echo "VM-RESULT[runc-int:$name]: $pass passed, $fail failed, $skipped skipped ($(($(date +%s) - t0))s)"
    total_pass=$((total_pass + pass)) total_fail=$((total_fail + fail))
  done 3</tmp/runc-int-runtimes
fi
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
