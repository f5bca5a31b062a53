#!/usr/bin/env bash
# Compiles and runs every ```c, ```cpp and ```python block of README.md against an INSTALLED
# prefix (cmake --install of the build tree), as a user of the SDK would build them, so the
# README's examples are real programs and cannot rot:
#   - a C or C++ block with main() is a host: built with `pkg-config msgr` (the overlay's, which
#     includes msgr/render/overlay.hpp, with `pkg-config msgr-render sdl2 gl`, and again with
#     CMake's find_package(msgr COMPONENTS render)) and run; the overlay host runs offscreen;
#   - a block without main() is an add-in: built with the README's plain-C line
#     (`pkg-config msgr-addin`), and it must export the add-in entry point;
#   - a python block runs with Debian's python3 and the installed package on PYTHONPATH.
set -euo pipefail
src=$1
build=$2
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/msgr-readme-XXXXXX)
trap 'rm -rf "$work"' EXIT
unset LD_LIBRARY_PATH
export XDG_DATA_HOME=$work/data
prefix=$work/prefix
cmake --install "$build" --prefix "$prefix" >/dev/null
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig

awk -v dir="$work" '
  /^```(c|cpp|python)$/ { lang = substr($0, 4); if (lang == "python") lang = "py"; n++;
                          file = sprintf("%s/snippet%d.%s", dir, n, lang); next }
  /^```/ { file = ""; next }
  file != "" { print > file }
' "$src/README.md"

count=0
for f in "$work"/snippet*; do
  [[ -e "$f" ]] || continue
  count=$((count + 1))
  name=$(basename "$f")
  case "$f" in
    *.py)
      echo "--- $name (python)"
      PYTHONPATH=$prefix/lib/python3/dist-packages /usr/bin/python3 "$f"
      continue ;;
  esac
  if ! grep -q 'int main' "$f"; then
    cc -std=c99 -Wall -Wextra -Werror -shared -fPIC -fvisibility=hidden "$f" \
      $(pkg-config --cflags --libs msgr-addin) -o "$f.so"
    nm -D --defined-only "$f.so" | grep -q ' msgr_addin_entry$' \
      || { echo "$name: no msgr_addin_entry exported"; exit 1; }
    echo "--- $name: an add-in exporting msgr_addin_entry"
    continue
  fi
  if grep -q 'msgr/render/overlay.hpp' "$f"; then
    c++ -std=c++17 -Wall -Wextra -Werror -x c++ "$f" $(pkg-config --cflags --libs msgr-render sdl2 gl) \
      -o "$f.bin"
    echo "--- $name (the overlay in an SDL2 + OpenGL 3 program, offscreen, 120 frames)"
    out=$(SDL_VIDEODRIVER=offscreen "$f.bin" 120)
    echo "$out"
    [[ "$out" == *"overlay open, 1 window(s) drawn"* ]] || { echo "$name: the overlay drew nothing"; exit 1; }
    cp "$f" "$work/overlay_host.cpp"
    cmake -S "$here/../install/cmake-consumer" -B "$work/cmake-build" -G Ninja \
      -DCMAKE_PREFIX_PATH="$prefix" -DMSGR_OVERLAY_PROGRAM="$work/overlay_host.cpp" >/dev/null
    cmake --build "$work/cmake-build" >/dev/null
    out=$(SDL_VIDEODRIVER=offscreen "$work/cmake-build/overlay_host" 120)
    [[ "$out" == *"overlay open, 1 window(s) drawn"* ]] || { echo "$name (CMake): $out"; exit 1; }
    echo "--- $name built with find_package(msgr COMPONENTS render): $out"
    continue
  fi
  case "$f" in
    *.c)   cc -std=c99 -Wall -Wextra -Werror "$f" $(pkg-config --cflags --libs msgr) -o "$f.bin" ;;
    *.cpp) c++ -std=c++17 -Wall -Wextra -Werror -x c++ "$f" $(pkg-config --cflags --libs msgr) -o "$f.bin" ;;
  esac
  echo "--- $name"
  "$f.bin"
done
[[ $count -gt 0 ]] || { echo "README.md has no c, cpp or python snippet"; exit 1; }
echo "$count README snippet(s) compiled and ran from an installed prefix"
