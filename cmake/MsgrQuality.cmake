# Build configurations for the quality gates (see the Makefile's check targets):
#
#   MSGR_SANITIZE=address,undefined  every target instrumented with ASan + UBSan (clang or gcc)
#   MSGR_SANITIZE=thread             every target instrumented with TSan
#   MSGR_FUZZ=ON                     clang only: msgr_add_fuzzer() targets become libFuzzer
#                                    binaries (with ASan + UBSan), run by ctest -L fuzz
#
# Sanitizer errors are never recoverable (-fno-sanitize-recover=all): the first report ends the
# process with a failure, so a test cannot pass with a finding in its log.

set(MSGR_SANITIZE "" CACHE STRING
  "Sanitizers to build every target with: empty, address,undefined or thread")
option(MSGR_FUZZ "Build msgr_add_fuzzer() targets as libFuzzer binaries (clang)" OFF)
set(MSGR_FUZZ_SECONDS 60 CACHE STRING "How long each fuzzer runs as a ctest test (label fuzz)")

set(MSGR_SANITIZER_FLAGS "")
if(MSGR_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "MSGR_FUZZ needs clang (libFuzzer): configure with CMAKE_CXX_COMPILER=clang++-14")
  endif()
  set(MSGR_SANITIZER_FLAGS -fsanitize=address,undefined)
  # Coverage instrumentation everywhere; only the fuzzers themselves link libFuzzer's main.
  add_compile_options(-fsanitize=fuzzer-no-link)
elseif(MSGR_SANITIZE)
  set(MSGR_SANITIZER_FLAGS -fsanitize=${MSGR_SANITIZE})
endif()

if(MSGR_SANITIZER_FLAGS)
  add_compile_options(${MSGR_SANITIZER_FLAGS} -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_link_options(${MSGR_SANITIZER_FLAGS} -fno-sanitize-recover=all)
  if(CMAKE_C_COMPILER_ID MATCHES "Clang")
    # A C program (hosts/headless) linking the C++ runtime library needs UBSan's C++ part,
    # which needs libstdc++.
    add_link_options(-fsanitize-link-c++-runtime)
    string(APPEND CMAKE_C_STANDARD_LIBRARIES " -lstdc++")
  endif()
  # The sanitizer runtime lives in the executable, so a shared library leaves its symbols
  # undefined: --no-undefined holds only for uninstrumented builds.
  set(MSGR_NO_UNDEFINED "")
else()
  set(MSGR_NO_UNDEFINED -Wl,--no-undefined)
endif()

if(MSGR_FUZZ)
  add_custom_target(fuzzers)
endif()

# msgr_add_fuzzer(<name> <source> [LINK <libraries>...])
#
# One line per place where untrusted bytes enter. <source> defines LLVMFuzzerTestOneInput (and
# optionally LLVMFuzzerInitialize). The seed corpus is tests/fuzz/corpus/<name>/ (required);
# inputs that once crashed live in tests/fuzz/regressions/<name>/; tests/fuzz/<name>.dict is
# used as a libFuzzer dictionary when it exists.
#
#  - MSGR_FUZZ=ON: fuzz_<name> is a libFuzzer binary; ctest test fuzz.<name> (label fuzz) runs it
#    for MSGR_FUZZ_SECONDS over the seeds and the regressions.
#  - otherwise: fuzz_<name> replays the seeds and the regressions once (ctest test
#    fuzz_replay.<name>, label fuzz-replay), so every build, and the ASan build above all,
#    re-checks every input a fuzzer ever found.
function(msgr_add_fuzzer name source)
  cmake_parse_arguments(F "" "" "LINK" ${ARGN})
  set(fuzz_dir ${PROJECT_SOURCE_DIR}/tests/fuzz)
  set(corpus ${fuzz_dir}/corpus/${name})
  set(regressions ${fuzz_dir}/regressions/${name})
  if(NOT IS_DIRECTORY ${corpus})
    message(FATAL_ERROR "msgr_add_fuzzer(${name}): the seed corpus ${corpus} is missing")
  endif()
  set(target fuzz_${name})
  add_executable(${target} ${source})
  target_link_libraries(${target} PRIVATE ${F_LINK})
  if(MSGR_FUZZ)
    target_link_options(${target} PRIVATE -fsanitize=fuzzer)
    add_dependencies(fuzzers ${target})
    set(dict "")
    if(EXISTS ${fuzz_dir}/${name}.dict)
      set(dict ${fuzz_dir}/${name}.dict)
    endif()
    add_test(NAME fuzz.${name}
      COMMAND ${fuzz_dir}/run-fuzzer $<TARGET_FILE:${target}> ${name} ${MSGR_FUZZ_SECONDS}
              ${PROJECT_BINARY_DIR}/fuzz/${name} ${corpus} ${regressions} ${dict})
    math(EXPR timeout "${MSGR_FUZZ_SECONDS} + 300")
    set_tests_properties(fuzz.${name} PROPERTIES LABELS fuzz TIMEOUT ${timeout})
  else()
    target_sources(${target} PRIVATE ${fuzz_dir}/replay_main.cpp)
    add_test(NAME fuzz_replay.${name} COMMAND ${target} ${corpus} ${regressions})
    set_tests_properties(fuzz_replay.${name} PROPERTIES LABELS fuzz-replay)
  endif()
endfunction()
