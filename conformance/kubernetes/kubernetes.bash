# A private Kubernetes node's container side, for crictl.bats and critest.sh: containerd 1.6
# with its CRI plugin, CNI from Debian's containernetworking-plugins, a local registry (Debian's
# docker-registry) holding images built offline (images.bash), all under one temp dir.
#
# The "node" is a network and IPC namespace of our own (persistent namespace files under
# K8S_DIR/ns, made by unshare): containerd, the registry, crictl and critest run in it (nsenter),
# so the CNI bridge, its iptables rules and ip_forward, the registry's port, critest's host ports
# and the SysV segments critest makes on "the host" all vanish with it. The mount and pid
# namespaces are the host's (the shim and the runtime run as under a real kubelet).
#
# k8s_start DIR: DIR is created; starts the registry and containerd, pushes the images.
#   K8S_RUNTIME: the runtime of handler "nucleus", the default handler (default: $RUNTIME).
#   K8S_RUNC: the runtime of handler "runc" (default: runc from PATH).
# k8s_stop: stops both, unmounts and removes what they made; returns 1 when something leaked.
# in_node CMD...: CMD in the node's namespaces. crictl_ ARGS...: crictl against the private CRI.

in_node() { nsenter --net="$K8S_DIR/ns/net" --ipc="$K8S_DIR/ns/ipc" -- "$@"; }

crictl_() {
  in_node timeout "${CRICTL_TIMEOUT:-120}" "$CRICTL" --runtime-endpoint "unix://$K8S_SOCK" \
    --image-endpoint "unix://$K8S_SOCK" --timeout 60s "$@"
}

# k8s_find_crictl: CRICTL, else crictl from PATH, else ${CRITEST_DIR:-/opt/cri-tools}/crictl;
# fails when none.
k8s_find_crictl() {
  local c
  for c in "${CRICTL:-}" "$(command -v crictl 2>/dev/null)" "${CRITEST_DIR:-/opt/cri-tools}/crictl"; do
    [[ -n $c && -x $c ]] && { echo "$c"; return 0; }
  done
  return 1
}

# k8s_install_deps: the Debian packages the node needs (containerd, CNI plugins, registry,
# skopeo, iptables for CNI's portmap, gcc for the static helper programs).
k8s_install_deps() {
  local need=() p
  for p in containerd:/usr/bin/containerd containernetworking-plugins:/usr/lib/cni/bridge \
    docker-registry:/usr/bin/docker-registry skopeo:/usr/bin/skopeo iptables:/usr/sbin/iptables \
    gcc:/usr/bin/gcc libc6-dev:/usr/lib/x86_64-linux-gnu/libc.a jq:/usr/bin/jq; do
    [[ -e ${p#*:} ]] || need+=("${p%%:*}")
  done
  ((${#need[@]})) || return 0
  export DEBIAN_FRONTEND=noninteractive
  # docker-registry's postinst starts its init.d service (a registry on the host's :5000 that
  # nobody would stop): a policy-rc.d that refuses service starts, for this install only
  local policy=/usr/sbin/policy-rc.d own_policy=0 rc=0
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\n# conformance/kubernetes: no service starts during this install\nexit 101\n' > "$policy"
    chmod 755 "$policy"
    own_policy=1
  fi
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1 ||
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; } || rc=1
  ((own_policy)) && rm -f "$policy"
  return $rc
}

k8s_write_config() {
  local d=$1 reg=$2
  cat > "$d/config.toml" <<EOF
version = 2
root = "$d/root"
state = "$d/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]
oom_score = 0

[grpc]
  address = "$d/containerd.sock"
[ttrpc]
  address = "$d/containerd.sock.ttrpc"
[debug]
  address = "$d/debug.sock"
  level = "info"
[metrics]
  address = ""

[plugins]
  [plugins."io.containerd.internal.v1.opt"]
    path = "$d/opt"
  [plugins."io.containerd.grpc.v1.cri"]
    sandbox_image = "registry.k8s.io/pause:3.6"
    # root here lacks CAP_SYS_RESOURCE: lowering oom_score_adj below the daemon's own fails
    restrict_oom_score_adj = true
    stream_server_address = "127.0.0.1"
    stream_server_port = "0"
    enable_selinux = false
    [plugins."io.containerd.grpc.v1.cri".containerd]
      snapshotter = "overlayfs"
      default_runtime_name = "nucleus"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.nucleus]
        runtime_type = "io.containerd.runc.v2"
        # CRI passes these pod/container annotations on to config.json (trace mode)
        container_annotations = ["org.nucleus.*"]
        [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.nucleus.options]
          BinaryName = "$K8S_RUNTIME"
          Root = "$d/runtime-root/nucleus"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
        runtime_type = "io.containerd.runc.v2"
        [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
          BinaryName = "$K8S_RUNC"
          Root = "$d/runtime-root/runc"
    [plugins."io.containerd.grpc.v1.cri".cni]
      bin_dir = "/usr/lib/cni"
      conf_dir = "$d/cni/net.d"
    [plugins."io.containerd.grpc.v1.cri".registry.mirrors."registry.k8s.io"]
      endpoint = ["http://$reg"]
    [plugins."io.containerd.grpc.v1.cri".registry.mirrors."k8s.gcr.io"]
      endpoint = ["http://$reg"]
    [plugins."io.containerd.grpc.v1.cri".registry.mirrors."gcr.io"]
      endpoint = ["http://$reg"]
    [plugins."io.containerd.grpc.v1.cri".registry.mirrors."docker.io"]
      endpoint = ["http://$reg"]
EOF
  mkdir -p "$d/cni/net.d" "$d/cni/ipam"
  # bridge with a gateway (the node reaches pod IPs: critest's web checks), portmap (hostPort)
  cat > "$d/cni/net.d/10-nucleus.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "nucleus-k8s",
  "plugins": [
    {"type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": true, "hairpinMode": true,
     "ipam": {"type": "host-local", "dataDir": "$d/cni/ipam",
              "ranges": [[{"subnet": "10.88.0.0/16"}]], "routes": [{"dst": "0.0.0.0/0"}]}},
    {"type": "portmap", "capabilities": {"portMappings": true}},
    {"type": "loopback"}
  ]
}
EOF
}

# k8s_start DIR
k8s_start() {
  K8S_DIR=$1
  K8S_SOCK=$K8S_DIR/containerd.sock
  K8S_RUNTIME=${K8S_RUNTIME:-$RUNTIME}
  K8S_RUNC=${K8S_RUNC:-$(command -v runc)}
  # the cgroup parent of the crictl scenarios' pods: one per node
  K8S_CGROUP_PARENT=$(basename "$K8S_DIR")
  # pods without a cgroup parent (critest's) get /k8s.io/<id>: a parent the runtimes leave
  # behind, so removed when the node made it
  K8S_MADE_K8SIO=1
  [[ -e /sys/fs/cgroup/pids/k8s.io || -e /sys/fs/cgroup/unified/k8s.io || -e /sys/fs/cgroup/k8s.io ]] &&
    K8S_MADE_K8SIO=0
  # containerd 1.6's CNI library caches results under /var/lib/cni (not configurable)
  K8S_MADE_CNI_CACHE=1
  [[ -e /var/lib/cni ]] && K8S_MADE_CNI_CACHE=0
  export K8S_DIR K8S_SOCK K8S_RUNTIME K8S_RUNC K8S_CGROUP_PARENT K8S_MADE_K8SIO K8S_MADE_CNI_CACHE
  mkdir -p "$K8S_DIR/ns"
  # the namespace files need a mount that is not shared
  mount -t tmpfs -o size=1m,mode=700 nucleus-k8s-ns "$K8S_DIR/ns" || return 1
  mount --make-private "$K8S_DIR/ns" || return 1
  touch "$K8S_DIR/ns/net" "$K8S_DIR/ns/ipc"
  unshare --net="$K8S_DIR/ns/net" --ipc="$K8S_DIR/ns/ipc" true || return 1
  in_node ip link set lo up || return 1

  local reg=127.0.0.1:5000
  mkdir -p "$K8S_DIR/registry"
  cat > "$K8S_DIR/registry.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $K8S_DIR/registry
  delete:
    enabled: true
http:
  addr: $reg
EOF
  # (nsenter execs the daemon: $! is its pid; no fd of bats' is inherited)
  nsenter --net="$K8S_DIR/ns/net" --ipc="$K8S_DIR/ns/ipc" -- setsid docker-registry serve \
    "$K8S_DIR/registry.yml" </dev/null >>"$K8S_DIR/registry.log" 2>&1 3>&- &
  echo $! > "$K8S_DIR/registry.pid"
  k8s_write_config "$K8S_DIR" "$reg"
  nsenter --net="$K8S_DIR/ns/net" --ipc="$K8S_DIR/ns/ipc" -- setsid containerd \
    --config "$K8S_DIR/config.toml" </dev/null >>"$K8S_DIR/containerd.log" 2>&1 3>&- &
  echo $! > "$K8S_DIR/containerd.pid"
  local i
  for ((i = 0; i < 300; i++)); do
    in_node bash -c "exec 3<>/dev/tcp/${reg%:*}/${reg#*:}" 2>/dev/null && break
    sleep 0.1
  done
  ((i < 300)) || { echo "the registry did not start:" >&2; tail -n 20 "$K8S_DIR/registry.log" >&2; return 1; }
  k8s_push_images "$K8S_DIR/images" "$reg" || return 1
  for ((i = 0; i < 300; i++)); do
    [[ -S $K8S_SOCK ]] && in_node ctr --address "$K8S_SOCK" version >/dev/null 2>&1 && return 0
    kill -0 "$(cat "$K8S_DIR/containerd.pid")" 2>/dev/null || break
    sleep 0.1
  done
  echo "containerd did not start; its log:" >&2
  tail -n 30 "$K8S_DIR/containerd.log" >&2
  return 1
}

# k8s_remove_all: every pod (and so container) the CRI knows
k8s_remove_all() {
  [[ -S ${K8S_SOCK:-} && -n ${CRICTL:-} ]] || return 0
  local p
  for p in $(crictl_ pods -q 2>/dev/null); do
    crictl_ stopp "$p" >/dev/null 2>&1
    crictl_ rmp -f "$p" >/dev/null 2>&1
  done
}

# k8s_stop: returns 1 when shims, mounts or cgroups had to be cleaned up
k8s_stop() {
  [[ -n ${K8S_DIR:-} && -d $K8S_DIR ]] || return 0
  local rc=0 i p f m
  for f in containerd registry; do
    p=$(cat "$K8S_DIR/$f.pid" 2>/dev/null) || continue
    kill -TERM "$p" 2>/dev/null || continue
    for ((i = 0; i < 100; i++)); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
  done
  p=$(grep -laE -- "[/]${K8S_DIR#/}/containerd.sock" /proc/[0-9]*/cmdline 2>/dev/null |
    sed -E 's|/proc/([0-9]+)/cmdline|\1|')
  if [[ -n $p ]]; then
    echo "LEAK: processes of the node left (shims): $p" >&2
    for i in $p; do kill -KILL "$i" 2>/dev/null || true; done
    rc=1
  fi
  # pod network namespaces containerd made (/var/run/netns/cni-*) whose owner is gone
  for ((i = 0; i < 3; i++)); do
    for m in $(awk -v d="$K8S_DIR" 'index($5, d) == 1 && $5 != d "/ns" && $5 != d "/ns/net" && $5 != d "/ns/ipc" {print $5}' /proc/self/mountinfo | sort -r); do
      [[ $i -eq 0 ]] && echo "LEAK: mount left: $m" >&2 && rc=1
      umount -l "$m" 2>/dev/null || true
    done
  done
  umount "$K8S_DIR/ns/net" "$K8S_DIR/ns/ipc" 2>/dev/null
  umount "$K8S_DIR/ns" 2>/dev/null || umount -l "$K8S_DIR/ns" 2>/dev/null
  local parents=(/sys/fs/cgroup/*/"${K8S_CGROUP_PARENT:-$(basename "$K8S_DIR")}"
    /sys/fs/cgroup/unified/"${K8S_CGROUP_PARENT:-$(basename "$K8S_DIR")}")
  [[ ${K8S_MADE_K8SIO:-0} -eq 1 ]] && parents+=(/sys/fs/cgroup/*/k8s.io /sys/fs/cgroup/unified/k8s.io)
  for f in "${parents[@]}"; do
    [[ -d $f ]] || continue
    if [[ -n $(find "$f" -mindepth 1 -type d 2>/dev/null) ]]; then
      echo "LEAK: cgroups left under $f" >&2
      rc=1
      find "$f" -mindepth 1 -depth -type d -exec rmdir {} + 2>/dev/null
    fi
    rmdir "$f" 2>/dev/null
  done
  if [[ ${K8S_MADE_CNI_CACHE:-0} -eq 1 && -d /var/lib/cni ]]; then
    if [[ -n $(find /var/lib/cni -mindepth 1 -not -type d 2>/dev/null) ]]; then
      echo "LEAK: CNI results cached under /var/lib/cni:" $(find /var/lib/cni -not -type d) >&2
      rc=1
    fi
    rm -rf /var/lib/cni
  fi
  rm -rf "$K8S_DIR"
  return $rc
}

# shellcheck source=images.bash
source "$(dirname "${BASH_SOURCE[0]}")/images.bash"
