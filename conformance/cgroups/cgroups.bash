# Helpers shared by the cgroups suites (load after ../helpers/common).
CG=/sys/fs/cgroup
V1_CTRLS=(memory pids cpu freezer devices)

# cg_rel PID [CTRL=memory]: the cgroup path of PID in CTRL's hierarchy ("" for the unified one),
# as /proc/PID/cgroup shows it from the host.
cg_rel() {
  local c=${2-memory}
  awk -F: -v c="$c" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) { print $3; exit } }
                     c == "" && $1 == "0" && $2 == "" { print $3; exit }' "/proc/$1/cgroup"
}

# cg_dir CTRL [ID=$ID]: the directory of the container's cgroup in CTRL ("unified" for cgroup2),
# found from its init pid (nucleus-oci: /nucleus-oci/<id>; runc: /<id> under the caller's cgroup).
cg_dir() {
  local ctrl=$1 id=${2:-$ID} pid
  pid=$(pid_of "$id") || return 1
  if [[ $ctrl == unified ]]; then
    echo "$CG/unified$(cg_rel "$pid" "")"
  else
    echo "$CG/$ctrl$(cg_rel "$pid" "$ctrl")"
  fi
}

# cg_pids CTRL: the pids in the container's cgroup of CTRL
cg_pids() { cat "$(cg_dir "$1")/cgroup.procs"; }
