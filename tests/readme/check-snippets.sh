#!/usr/bin/env bash
# Compiles and runs every ```c and ```cpp block of README.md against the build tree, so the
# README's examples are real programs and cannot rot. A block without main() is an add-in: it
# is built as a shared library and must export the add-in entry point.
set -euo pipefail
src=$1
build=$2
work=$(mktemp -d /tmp/msgr-readme-XXXXXX)
trap 'rm -rf "$work"' EXIT

awk -v dir="$work" '
  /^```(c|cpp)$/ { lang = substr($0, 4); n++; file = sprintf("%s/snippet%d.%s", dir, n, lang); next }
  /^```/ { file = ""; next }
  file != "" { print > file }
' "$src/README.md"

count=0
for f in "$work"/snippet*; do
  [[ -e "$f" ]] || continue
  count=$((count + 1))
  if ! grep -q 'int main' "$f"; then
    cc -std=c99 -Wall -Wextra -Werror -fPIC -shared -fvisibility=hidden -I"$src/sdk/include" "$f" \
      -o "$f.so"
    nm -D --defined-only "$f.so" | grep -q ' msgr_addin_entry$' \
      || { echo "$(basename "$f"): no msgr_addin_entry exported"; exit 1; }
    echo "--- $(basename "$f"): an add-in exporting msgr_addin_entry"
    continue
  fi
  case "$f" in
    *.c)   cc -std=c99 -Wall -Wextra -Werror -I"$src/sdk/include" "$f" -L"$build/lib" \
             -Wl,-rpath,"$build/lib" -lmsgr -o "$f.bin" ;;
    *.cpp) c++ -std=c++17 -Wall -Wextra -Werror -I"$src/sdk/include" "$f" -L"$build/lib" \
             -Wl,-rpath,"$build/lib" -lmsgr -o "$f.bin" ;;
  esac
  echo "--- $(basename "$f")"
  "$f.bin"
done
[[ $count -gt 0 ]] || { echo "README.md has no c or cpp snippet"; exit 1; }
echo "$count README snippet(s) compiled and ran"
