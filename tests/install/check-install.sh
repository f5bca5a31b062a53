#!/usr/bin/env bash
# The installed SDK as users get it. Installs the build tree into a temporary prefix, copies that
# prefix elsewhere and deletes the original (an install must be relocatable), then, with no
# LD_LIBRARY_PATH and nothing from the build tree:
#   1. the installed programs start (bin/msgr-headless's session, bin/msgr-sdl2-demo offscreen);
#   2. outside programs build against it with pkg-config and with find_package(msgr CONFIG);
#   3. add-ins build against it as the README shows (a plain-C line with `pkg-config msgr-addin`,
#      and the installed example's CMake project), and an installed runtime loads and runs them.
# The README's snippets (the overlay's SDL2 program included) are built from a prefix by
# tests/readme/check-snippets.sh.
set -euo pipefail
build_dir=$1
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/msgr-install-XXXXXX)
trap 'rm -rf "$work"' EXIT
unset LD_LIBRARY_PATH
export XDG_DATA_HOME=$work/data  # the paging add-in's outbox, away from $HOME

cmake --install "$build_dir" --prefix "$work/first" >/dev/null
cp -a "$work/first" "$work/prefix"
rm -rf "$work/first"
prefix=$work/prefix
for f in include/msgr/msgr.h include/msgr/ui.h include/msgr/addin.h include/msgr/msgr.hpp \
         include/msgr/render/overlay.hpp lib/libmsgr.so lib/libmsgr_addin.a lib/libmsgr_render.a \
         lib/msgr/addins/loopback.so lib/msgr/addins/paging.so lib/msgr/msgr-addin-host \
         lib/pkgconfig/msgr.pc lib/pkgconfig/msgr-addin.pc lib/pkgconfig/msgr-render.pc \
         lib/cmake/msgr/msgrConfig.cmake share/msgr/examples/hello-addin/hello.c \
         share/msgr/examples/hello-addin/CMakeLists.txt share/msgr/examples/python/quickstart.py \
         lib/python3/dist-packages/msgr/__init__.py bin/msgr-headless bin/msgr-sdl2-demo; do
  [[ -e "$prefix/$f" ]] || { echo "missing from the installed SDK: $f"; exit 1; }
done
if grep -rlI -e "$work/first" -e "$build_dir" "$prefix"; then
  echo "installed files name the install or build directory: not relocatable"
  exit 1
fi

# 1. The installed programs start from the copied prefix.
if ldd "$prefix"/bin/* | grep 'not found'; then
  echo "installed programs cannot find their libraries"
  exit 1
fi
"$prefix/bin/msgr-headless" >"$work/headless.log" || { cat "$work/headless.log"; exit 1; }
# Its add-ins ran isolated (the default): the copied prefix's lib/msgr/msgr-addin-host was found.
for a in loopback paging; do
  grep -q "add-in $a .*: loaded, in its own process (pid [0-9]*)" "$work/headless.log" \
    || { echo "the installed $a add-in did not run in a process of its own:"; \
         grep 'add-in ' "$work/headless.log"; exit 1; }
done
echo "bin/msgr-headless: session ran, its add-ins each in a process of its own"
SDL_VIDEODRIVER=offscreen "$prefix/bin/msgr-sdl2-demo" --script --out "$work/demo" >/dev/null \
  || { cat "$work/demo/transcript.txt"; exit 1; }
grep -q '^PASSED' "$work/demo/transcript.txt"
echo "bin/msgr-sdl2-demo: offscreen session passed"

# 2. pkg-config, exactly as the README shows it, and CMake's find_package.
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
cc -std=c99 -Wall -Wextra -Werror "$here/consumer.c" $(pkg-config --cflags --libs msgr) -o "$work/consumer"
"$work/consumer"
cmake -S "$here/cmake-consumer" -B "$work/cmake-build" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$work/cmake-build" >/dev/null
"$work/cmake-build/consumer_c"
cc -std=c99 -Wall -Wextra -Werror "$here/addin_consumer.c" $(pkg-config --cflags --libs msgr) \
  -o "$work/addin_consumer"

# 3. Add-ins. The plain-C build line of the README: the SDK headers and libmsgr_addin.a (the name
# helpers), never libmsgr.so; the entry point is the only symbol it exports.
mkdir -p "$work/addins"
cc -std=c99 -Wall -Wextra -Werror -shared -fPIC -fvisibility=hidden \
  "$prefix/share/msgr/examples/hello-addin/hello.c" $(pkg-config --cflags --libs msgr-addin) \
  -o "$work/addins/hello.so"
if readelf -d "$work/addins/hello.so" | grep -q 'libmsgr\.so'; then
  echo "the add-in links libmsgr.so"
  exit 1
fi
exports=$(nm -D --defined-only "$work/addins/hello.so" | awk '{print $3}')
[[ "$exports" == msgr_addin_entry ]] || { echo "the add-in exports: $exports"; exit 1; }
printf '[runtime]\naddin_paths = ["%s"]\n[hello]\ngreeting = "plain C"\n' "$work/addins" >"$work/plain.toml"
"$work/addin_consumer" "$work/plain.toml" hello "plain C (MSGR_EVENT_MESSAGE_RECEIVED 1: ping)"

# The installed example's own CMake project, installed into the prefix, found there by the runtime.
cmake -S "$prefix/share/msgr/examples/hello-addin" -B "$work/hello-build" -G Ninja \
  -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$work/hello-build" >/dev/null
cmake --install "$work/hello-build" --prefix "$prefix" >/dev/null
[[ -e "$prefix/lib/msgr/addins/hello.so" ]]
printf '[hello]\ngreeting = "from the prefix"\n' >"$work/installed.toml"
"$work/addin_consumer" "$work/installed.toml" hello \
  "from the prefix (MSGR_EVENT_MESSAGE_RECEIVED 1: ping)"
echo "installed SDK works from $prefix"
