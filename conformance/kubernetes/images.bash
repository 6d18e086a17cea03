# The images a Kubernetes node's tests pull, built offline from Debian's busybox-static and three
# small static C programs (pause.c, webserver.c, nonewprivs.c), and pushed with skopeo to the
# node's registry under the names critest and the crictl scenarios ask for; containerd's
# registry mirrors send registry.k8s.io, gcr.io, k8s.gcr.io and docker.io there. What each
# stands for is what critest checks of it (cri-tools images/*/Dockerfile and pkg/validate).
#
# k8s_push_images WORKDIR HOST:PORT  (uses in_node from kubernetes.bash; hack/mkimage builds)

K8S_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# k8s_base_rootfs DIR: busybox with one hard link per applet (as the busybox image), the users
# and groups of the busybox image (www-data 33, users 100), and pgrep and ipcs, which Debian's
# busybox lacks (critest runs `pgrep sleep` and `ipcs -m`), as small scripts.
k8s_base_rootfs() {
  local d=$1 a
  mkdir -p "$d"/{bin,etc,proc,sys,dev,tmp,root,var/www,var/run,home,usr/local/bin,usr/sbin}
  chmod 1777 "$d/tmp"
  cp /bin/busybox "$d/bin/busybox"
  for a in $("$d/bin/busybox" --list); do
    [[ $a == busybox || -e $d/bin/$a ]] || ln "$d/bin/busybox" "$d/bin/$a"
  done
  cat > "$d/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
www-data:x:33:33:www-data:/var/www:/bin/false
nobody:x:65534:65534:nobody:/home:/bin/false
EOF
  cat > "$d/etc/group" <<'EOF'
root:x:0:
daemon:x:1:
www-data:x:33:
users:x:100:
nogroup:x:65534:
EOF
  : > "$d/etc/hosts"
  : > "$d/etc/resolv.conf"
  cat > "$d/bin/pgrep" <<'EOF'
#!/bin/sh
# pgrep NAME: the pids whose command name is NAME
rc=1
for p in /proc/[0-9]*; do
  [ "$(cat "$p/comm" 2>/dev/null)" = "$1" ] && echo "${p#/proc/}" && rc=0
done
exit $rc
EOF
  cat > "$d/bin/ipcs" <<'EOF'
#!/bin/sh
# ipcs -m: the shared memory segments, from /proc/sysvipc/shm
echo "------ Shared Memory Segments --------"
echo "key        shmid      owner      perms      bytes      nattch     status"
awk 'NR > 1 { printf "%-10s %-10s %-10s %-10s %-10s %-10s\n", $1, $2, $8, $3, $4, $7 }' /proc/sysvipc/shm
EOF
  chmod 755 "$d/bin/pgrep" "$d/bin/ipcs"
}

# k8s_image NAME ROOTFS CONFIG-JSON TAGS...: one image, pushed as REG/NAME:TAG for every TAG
k8s_image() {
  local name=$1 rootfs=$2 config=$3 tag
  shift 3
  "$NUCLEUS_SRC/hack/mkimage" "$K8S_IMG/$name.tar" --format oci --rootfs "$rootfs" \
    --config "$config" --name "localhost/${name}:build" >/dev/null || return 1
  for tag in "$@"; do
    in_node skopeo copy -q --dest-tls-verify=false "oci-archive:$K8S_IMG/$name.tar" \
      "docker://$K8S_REG/$name:$tag" >/dev/null || { echo "cannot push $name:$tag" >&2; return 1; }
  done
  rm -f "$K8S_IMG/$name.tar"
}

k8s_push_images() {
  K8S_IMG=$1 K8S_REG=$2
  local b=$K8S_IMG/bin cc_flags=(-static -O2 -Wall -o)
  mkdir -p "$b"
  for p in pause webserver nonewprivs; do
    gcc "${cc_flags[@]}" "$b/$p" "$K8S_HERE/$p.c" || { echo "cannot build $p.c" >&2; return 1; }
  done
  local base=$K8S_IMG/base r
  k8s_base_rootfs "$base"
  # with_files NAME: a copy of the base rootfs (hard links kept) to add files to
  with_files() { r=$K8S_IMG/rootfs-$1; rm -rf "$r"; cp -a "$base" "$r"; }

  # the sandbox image: only /pause
  r=$K8S_IMG/rootfs-pause
  mkdir -p "$r"
  cp "$b/pause" "$r/pause"
  k8s_image pause "$r" '{"Cmd": ["/pause"], "Env": null}' 3.6 || return 1

  # registry.k8s.io/e2e-test-images (critest's default image, web server, httpd, nonewprivs)
  k8s_image e2e-test-images/busybox "$base" '{}' 1.29-2 latest || return 1
  with_files nginx
  cp "$b/webserver" "$r/usr/sbin/webserver"
  k8s_image e2e-test-images/nginx "$r" \
    '{"Cmd": ["/usr/sbin/webserver", "80", "nginx: master process nginx -g daemon off;", "nginx", "/var/run/nginx.pid"]}' 1.14-2 || return 1
  k8s_image k8s-staging-cri-tools/hostnet-nginx-amd64 "$r" \
    '{"Cmd": ["/usr/sbin/webserver", "12003", "nginx: master process nginx -g daemon off;", "nginx", "/var/run/nginx.pid"]}' latest || return 1
  k8s_image e2e-test-images/httpd "$r" \
    '{"Cmd": ["/usr/sbin/webserver", "80", "httpd -D FOREGROUND", "httpd", "", "[core:notice] [pid 1] AH00094: Command line: '"'"'httpd -D FOREGROUND'"'"'"]}' 2.4.39-4 || return 1
  with_files nnp
  install -o 0 -g 0 -m 4755 "$b/nonewprivs" "$r/usr/local/bin/nnp"
  k8s_image e2e-test-images/nonewprivs "$r" '{"Cmd": ["/usr/local/bin/nnp"]}' 1.3 || return 1

  # gcr.io/k8s-staging-cri-tools (images/image-user, image-predefined-group, image-test)
  local u
  for u in test-image-user-uid:1002 test-image-user-username:www-data \
    test-image-user-uid-group:1003:1004 test-image-user-username-group:www-data:1004; do
    k8s_image "k8s-staging-cri-tools/${u%%:*}" "$base" "$(jq -nc --arg u "${u#*:}" '{User: $u}')" latest || return 1
  done
  with_files group
  echo "default-user:x:1000:1000::/home/default-user:/bin/sh" >> "$r/etc/passwd"
  printf 'default-user:x:1000:\ngroup-defined-in-image:x:50000:default-user\n' >> "$r/etc/group"
  k8s_image k8s-staging-cri-tools/test-image-predefined-group "$r" '{"User": "1000"}' latest || return 1
  # image-test: busybox plus a marker file, one image per name (and the same image for the tags
  # of test-image-tags)
  local t
  for t in test-image-latest:latest test-image-tag:test test-image-tag:all test-image-1:latest \
    test-image-2:latest test-image-3:latest; do
    with_files marker
    echo "${t}" > "$r/${t%%:*}-${t#*:}"
    k8s_image "k8s-staging-cri-tools/${t%%:*}" "$r" '{}' "${t#*:}" || return 1
  done
  with_files marker
  echo test-image-tags > "$r/test-image-tags"
  k8s_image k8s-staging-cri-tools/test-image-tags "$r" '{}' 1 2 3 || return 1
  rm -rf "$K8S_IMG"
}
