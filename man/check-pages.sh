#!/usr/bin/env bash
# man/check-pages.sh NUCLEUS_OCI [MANDIR]   (ctest man.pages)
#   Keeps the man pages in step with the binary:
#   (a) every command listed by `nucleus-oci --help` / `nucleus-oci help`, and every seccomp
#       subcommand listed by `nucleus-oci seccomp --help`, has a page (nucleus-oci-CMD.8,
#       nucleus-oci-seccomp-SUB.8), and every page belongs to a command that exists;
#   (b) every flag `nucleus-oci [CMD] --help` shows (long and short, with its default value)
#       has its own entry in the page's OPTIONS section, and every entry there is a flag the
#       binary shows (or --help/-h);
#   (c) every page renders without a single groff warning (groff -man -Tutf8 -ww -z), has the
#       sections NAME SYNOPSIS DESCRIPTION OPTIONS EXIT STATUS EXAMPLES SEE ALSO (the main page
#       also ENVIRONMENT and FILES), a NAME line naming the page, and refers only to
#       nucleus-oci pages that exist.
#   groff comes from Debian's groff-base; it is installed with apt-get when missing. Exit 77
#   (SKIP) only when it is missing and cannot be installed.
set -uo pipefail

bin=${1:?usage: check-pages.sh NUCLEUS_OCI [MANDIR]}
dir=${2:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}
[[ -x $bin ]] || { echo "FAIL: $bin is not an executable"; exit 1; }
[[ -d $dir ]] || { echo "FAIL: $dir is not a directory"; exit 1; }

if ! command -v groff >/dev/null; then
  echo "groff is missing: installing groff-base"
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y --no-install-recommends groff-base >/dev/null 2>&1 ||
      { apt-get update >/dev/null 2>&1 &&
        apt-get install -y --no-install-recommends groff-base >/dev/null 2>&1; }
  fi
  if ! command -v groff >/dev/null; then
    echo "SKIP: groff is missing and could not be installed (needs root and apt-get)"
    exit 77
  fi
fi

tmp=$(mktemp -d /tmp/man-check.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# The text a reader sees, one paragraph per line (huge line length), no bold/underline.
render() { groff -man -Tascii -rLL=5000n -P-cbou "$1" 2>/dev/null; }

# Lines of the sections whose heading contains OPTIONS.
options_section() {
  awk '/^[A-Z]/ { in_opts = ($0 ~ /OPTIONS/); next } in_opts' "$1"
}

# Flags shown by a help text: long flags, and "SHORT LONG" pairs for short aliases.
long_flags() { grep -oE -- '(^|[^-[:alnum:]])--[a-z][a-z0-9-]*' | grep -oE -- '--[a-z0-9-]+' | sort -u; }
short_pairs() {
  # boost: "-b [ --bundle ] arg"; the usage text: "--version, -v"
  sed -nE 's/.*(^|[^-[:alnum:]])-([[:alpha:]]) \[ --([a-z0-9-]+) \].*/-\2 --\3/p; s/.*--([a-z0-9-]+), -([[:alpha:]])([^[:alnum:]].*|$)/-\2 --\1/p' | sort -u
}
# "--flag arg (=VALUE)" -> "--flag VALUE" (non-empty defaults only).
defaults() {
  sed -nE 's/.*(^|[^-[:alnum:]])(--[a-z0-9-]+) \] arg \(=([^)]+)\).*/\2 \3/p; s/^ *(--[a-z0-9-]+) arg \(=([^)]+)\).*/\1 \2/p'
}

# The entry of FLAG in an OPTIONS section: the tag line that starts with it and its body.
entry() {  # entry OPTIONS_TEXT FLAG
  awk -v f="$2" '
    function starts(line) { return index(line, "       " f) == 1 && substr(line, 8 + length(f), 1) ~ /^([ ,=]|)$/ }
    match($0, /[^ ]/) && RSTART <= 8 { if (on) exit; if (starts($0)) on = 1 }
    on' "$1"
}

# Global flags runc has that nucleus-oci accepts without (necessarily) listing them: the main
# page may document them if the binary really accepts them.
hidden_global_flags() {
  "$bin" --criu criu --root "$tmp/empty-root" list >/dev/null 2>&1 && echo --criu
}

# check_flags PAGE HELP_TEXT_FILE (also renders PAGE for check_sections)
check_flags() {
  local page=$1 help=$2
  local base text opts
  base=$(basename "$page")
  text=$tmp/$base.txt opts=$tmp/$base.opts
  render "$page" >"$text"
  options_section "$text" >"$opts"
  local flag short long value e
  while read -r flag; do
    [[ -n $flag ]] || continue
    e=$(entry "$opts" "$flag")
    if [[ -z $e ]]; then
      fail "$(basename "$page"): no OPTIONS entry for $flag (shown by --help)"
    fi
  done < <(long_flags <"$help")
  while read -r short long; do
    e=$(entry "$opts" "$long" | head -1)
    [[ -z $e ]] && continue  # reported above
    grep -qE -- "(^|[^-[:alnum:]])$short([^[:alnum:]-]|$)" <<<"$e" ||
      fail "$(basename "$page"): the entry of $long does not name its short form $short"
  done < <(short_pairs <"$help")
  while read -r long value; do
    e=$(entry "$opts" "$long")
    [[ -z $e ]] && continue
    grep -qF -- "$value" <<<"$e" ||
      fail "$(basename "$page"): the entry of $long does not give its default \"$value\""
  done < <(defaults <"$help")
  # Reverse: every entry is a flag the binary shows.
  local known
  known=$( (long_flags <"$help"; short_pairs <"$help" | cut -d' ' -f1; echo --help; echo -h
    [[ $(basename "$page") == nucleus-oci.8 ]] && hidden_global_flags) | sort -u)
  while read -r flag; do
    grep -qxF -- "$flag" <<<"$known" ||
      fail "$(basename "$page"): OPTIONS documents $flag, which --help does not show"
  done < <(grep -oE '^ {7}-{1,2}[[:alnum:]][a-z0-9-]*' "$opts" | sed 's/^ *//' | sort -u)
}

check_sections() {
  local page=$1 name=$2
  local text
  text=$tmp/$(basename "$page").txt
  shift 2
  local s
  for s in NAME SYNOPSIS DESCRIPTION "EXIT STATUS" EXAMPLES "SEE ALSO" "$@"; do
    grep -qxF "$s" "$text" || fail "$(basename "$page"): no $s section"
  done
  grep -qE '^[A-Z ]*OPTIONS$' "$text" || fail "$(basename "$page"): no OPTIONS section"
  awk '/^NAME$/ { getline; print; exit }' "$text" | grep -qE "^ +$name - " ||
    fail "$(basename "$page"): the NAME line does not start with \"$name - \""
  local ref
  while read -r ref; do
    [[ -f $dir/$ref.8 ]] || fail "$(basename "$page"): refers to $ref(8), which has no page"
  done < <(grep -oE 'nucleus-oci(-[a-z]+)*\(8\)' "$text" | sed 's/(8)$//' | sort -u)
}

# (a) the commands
"$bin" --help >"$tmp/main.help" 2>&1
"$bin" help >>"$tmp/main.help" 2>&1
commands=$(awk '/^commands:/ { on = 1; next } on && /^[[:space:]]*$/ { on = 0 } on { print $1 }' \
  "$tmp/main.help" | sort -u)
if [[ -z $commands ]]; then
  fail "neither \`nucleus-oci --help\` nor \`nucleus-oci help\` lists the commands"
fi
grep -q '^commands:' < <("$bin" --help 2>&1) ||
  echo "NOTE: \`nucleus-oci --help\` does not list the commands (only \`nucleus-oci help\` does)"
"$bin" seccomp --help >"$tmp/seccomp.help" 2>&1
subs=$(grep -oE 'nucleus-oci seccomp [a-z][a-z-]*' "$tmp/seccomp.help" | awk '{print $3}' | sort -u)
[[ -n $subs ]] || fail "\`nucleus-oci seccomp --help\` lists no subcommands"

declare -A expected=([nucleus-oci]=1)
for c in $commands; do expected[nucleus-oci-$c]=1; done
for s in $subs; do expected[nucleus-oci-seccomp-$s]=1; done
for p in "${!expected[@]}"; do
  [[ -f $dir/$p.8 ]] || fail "no man page $p.8"
done
for f in "$dir"/*.8; do
  p=$(basename "$f" .8)
  [[ -n ${expected[$p]:-} ]] || fail "$p.8 documents no command the binary has"
done

# (c) rendering: not one warning
for f in "$dir"/*.8; do
  out=$(groff -man -Tutf8 -ww -z "$f" 2>&1)
  [[ -z $out ]] || fail "$(basename "$f"): groff warnings:"$'\n'"$out"
  if command -v man >/dev/null; then
    out=$(MANWIDTH=80 man --warnings -l "$f" 2>&1 >/dev/null)
    [[ -z $out ]] || fail "$(basename "$f"): man -l warnings:"$'\n'"$out"
  fi
done

# (b) flags, page by page
pages=0
if [[ -f $dir/nucleus-oci.8 ]]; then
  check_flags "$dir/nucleus-oci.8" "$tmp/main.help"
  check_sections "$dir/nucleus-oci.8" nucleus-oci ENVIRONMENT FILES
  pages=$((pages + 1))
fi
for c in $commands; do
  f=$dir/nucleus-oci-$c.8
  [[ -f $f ]] || continue
  if [[ $c == seccomp ]]; then
    # the seccomp page documents --help; the subcommands' flags are on their own pages
    printf '  -h [ --help ]\n' >"$tmp/$c.help"
  else
    "$bin" "$c" --help >"$tmp/$c.help" 2>&1 || fail "\`nucleus-oci $c --help\` failed"
  fi
  check_flags "$f" "$tmp/$c.help"
  check_sections "$f" "nucleus-oci-$c"
  pages=$((pages + 1))
done
for s in $subs; do
  f=$dir/nucleus-oci-seccomp-$s.8
  [[ -f $f ]] || continue
  { "$bin" seccomp "$s" --help 2>&1 || fail "\`nucleus-oci seccomp $s --help\` failed"
    grep -E "nucleus-oci seccomp $s( |$)" "$tmp/seccomp.help"; } >"$tmp/seccomp-$s.help"
  check_flags "$f" "$tmp/seccomp-$s.help"
  check_sections "$f" "nucleus-oci-seccomp-$s"
  pages=$((pages + 1))
done

if ((failures > 0)); then
  echo "man.pages: $failures failure(s) in $pages pages"
  exit 1
fi
echo "man.pages: $pages pages, $(wc -w <<<"$commands") commands, $(wc -w <<<"$subs") seccomp subcommands: all OK"
