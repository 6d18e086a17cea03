#!/usr/bin/env bash
# critest (kubernetes-sigs/cri-tools' CRI validation suite) against a private containerd 1.6 CRI
# node (kubernetes.bash) whose handlers are nucleus-oci ("nucleus", the default) and runc ("runc").
# The suite runs twice on the same node, once per handler (--runtime-handler), runc first as the
# control; critest binds host ports 12000-12003 (in the node's own network namespace), so never two
# at a time.
#
# This script only RUNS an existing build; it never fetches or builds cri-tools (how to make one
# by hand: conformance/kubernetes/README.md).
#
# Inputs (environment):
#   CRITEST_DIR   a cri-tools build holding critest (and crictl); default /opt/cri-tools
#   NUCLEUS_OCI   the runtime of handler "nucleus" (default: nucleus-oci from PATH)
#   RUNC          the runtime of handler "runc" (default: runc from PATH)
#   CRITEST_HANDLERS  the handlers to run (default "runc nucleus")
#   CRITEST_LOG_DIR   where the logs and JUnit reports go (default $NUCLEUS_BUILD/critest-logs
#                     or /tmp/nucleus-critest-logs)
#   CRITEST_ARGS  more critest arguments (e.g. --ginkgo.focus=...)
#
# Exit: 0 when every failure of each handler is listed in expected-failures.txt AND nucleus-oci
# fails nothing that runc passed in the same run; 1 otherwise; 77 (skip) without root, without a
# critest build or without the runtime.
set -u -o pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
NUCLEUS_SRC=${NUCLEUS_SRC:-$(cd "$here/../.." && pwd)}
export NUCLEUS_SRC
CRITEST_DIR=${CRITEST_DIR:-/opt/cri-tools}
handlers=${CRITEST_HANDLERS:-runc nucleus}
expected=$here/expected-failures.txt

[[ $(id -u) -eq 0 ]] || { echo "SKIP: critest needs root"; exit 77; }
[[ -x $CRITEST_DIR/critest ]] ||
  { echo "SKIP: no critest build at $CRITEST_DIR (set CRITEST_DIR; conformance/kubernetes/README.md says how to build one)"; exit 77; }
RUNTIME=${NUCLEUS_OCI:-$(command -v nucleus-oci || true)}
[[ -n $RUNTIME && -x $RUNTIME ]] || { echo "SKIP: nucleus-oci not found (set NUCLEUS_OCI)"; exit 77; }
K8S_RUNC=${RUNC:-$(command -v runc || true)}
[[ -n $K8S_RUNC ]] || { echo "SKIP: runc not found (set RUNC)"; exit 77; }
export RUNTIME K8S_RUNC
CRICTL=$CRITEST_DIR/crictl
[[ -x $CRICTL ]] || CRICTL=$(command -v crictl || true)
export CRICTL

# shellcheck source=kubernetes.bash
source "$here/kubernetes.bash"
k8s_install_deps || { echo "cannot install the node's packages" >&2; exit 1; }
logs=${CRITEST_LOG_DIR:-${NUCLEUS_BUILD:-/tmp}/critest-logs}
[[ -n ${CRITEST_LOG_DIR:-} || -n ${NUCLEUS_BUILD:-} ]] || logs=/tmp/nucleus-critest-logs
mkdir -p "$logs"

K8S_DIR=$(mktemp -d /tmp/k8s-critest.XXXXXX)
trap 'k8s_remove_all; k8s_stop || echo "LEAK: the node left things behind (above)" >&2' EXIT
started=$SECONDS
k8s_start "$K8S_DIR" || { echo "the node did not start" >&2; exit 1; }
echo "node up in $((SECONDS - started)) s: containerd $(containerd --version | awk '{print $3}'), nucleus=$RUNTIME, runc=$K8S_RUNC"

# results FILE: "STATUS<TAB>NAME" per test case of a ginkgo JUnit report (entities decoded)
results() {
  grep -o '<testcase name="[^"]*"[^>]*status="[a-z]*"' "$1" |
    sed -E 's/^<testcase name="([^"]*)".*status="([a-z]*)"$/\2\t\1/' |
    sed -e 's/&#39;/'"'"'/g' -e 's/&quot;/"/g' -e 's/&lt;/</g' -e 's/&gt;/>/g' -e 's/&amp;/\&/g'
}

# the expected failures: one test name per line (as critest prints it after "[It] "), # comments
listed() { grep -vE '^\s*(#|$)' "$expected" | sed -E 's/\s+$//'; }

rc=0
declare -A failed_by passed_by
for h in $handlers; do
  report=$logs/junit-$h.xml
  rm -f "$report"
  t0=$SECONDS
  # ginkgo's own flags after "--": --ginkgo.junit-report et al.
  # shellcheck disable=SC2086
  in_node "$CRITEST_DIR/critest" --runtime-endpoint "unix://$K8S_SOCK" --image-endpoint "unix://$K8S_SOCK" \
    --runtime-handler "$h" --ginkgo.no-color --ginkgo.junit-report="$report" ${CRITEST_ARGS:-} \
    > "$logs/critest-$h.log" 2>&1
  crc=$?
  dt=$((SECONDS - t0))
  if [[ ! -s $report ]]; then
    echo "critest ($h) wrote no report (exit $crc); the end of its log:" >&2
    tail -n 40 "$logs/critest-$h.log" >&2
    rc=1
    continue
  fi
  mapfile -t res < <(results "$report")
  npass=0 nfail=0 nskip=0
  for r in "${res[@]}"; do
    st=${r%%$'\t'*} name=${r#*$'\t'}
    # the specs ("[It] ..."); a failed [BeforeSuite] fails every spec anyway
    if [[ $name != "[It] "* ]]; then
      [[ $st == passed || $st == skipped ]] || { echo "  FAIL ($h): $name"; rc=1; }
      continue
    fi
    name=${name#\[It\] }
    case $st in
      passed) npass=$((npass + 1)); passed_by[$h]+="$name"$'\n' ;;
      failed|panicked|interrupted|timedout) nfail=$((nfail + 1)); failed_by[$h]+="$name"$'\n' ;;
      *) nskip=$((nskip + 1)) ;;
    esac
  done
  echo "critest with handler $h: $npass passed, $nfail failed, $nskip skipped, $dt s (log: $logs/critest-$h.log)"
  while IFS= read -r name; do
    [[ -n $name ]] || continue
    if listed | grep -qxF -- "$name"; then
      echo "  XFAIL ($h): $name"
    else
      echo "  FAIL ($h), not in expected-failures.txt: $name"
      rc=1
    fi
  done <<<"${failed_by[$h]:-}"
done

# nucleus-oci must pass whatever runc passed in this run
if [[ " $handlers " == *" runc "* && " $handlers " == *" nucleus "* ]]; then
  while IFS= read -r name; do
    [[ -n $name ]] || continue
    if grep -qxF -- "$name" <<<"${passed_by[runc]:-}"; then
      echo "  REGRESSION: nucleus-oci fails what runc passes: $name"
      rc=1
    fi
  done <<<"${failed_by[nucleus]:-}"
  # listed failures that now pass for both: the list is stale
  while IFS= read -r name; do
    if grep -qxF -- "$name" <<<"${passed_by[runc]:-}" && grep -qxF -- "$name" <<<"${passed_by[nucleus]:-}"; then
      echo "  note: listed as expected to fail but passed for both handlers: $name"
    fi
  done < <(listed)
fi
echo "critest total: $((SECONDS - started)) s; result: $([[ $rc -eq 0 ]] && echo PASS || echo FAIL)"
exit $rc
