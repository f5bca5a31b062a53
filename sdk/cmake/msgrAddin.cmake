# msgr_add_addin(<name> [SOURCES] <src>... [LIBRARIES <lib>...] [OUTPUT_DIRECTORY <dir>] [INSTALL])
#
# Builds an msgr add-in: a MODULE library named <name>.so that sees only the SDK headers
# (msgr/addin.h) and links libmsgr_addin.a (msgr_hresult_name & co.), with hidden visibility (its entry point, exported with MSGR_ADDIN_ENTRY, is its
# only exported symbol), every symbol resolved at link time (-Wl,--no-undefined) and bound at
# load (-z now). It does not link libmsgr: an add-in reaches the runtime only through the host
# table it is given at load.
#
# OUTPUT_DIRECTORY defaults to MSGR_ADDIN_OUTPUT_DIR when set (the msgr build tree's
# lib/msgr/addins). INSTALL installs it into MSGR_ADDIN_INSTALL_DIR (default lib/msgr/addins under
# the install prefix), where an installed runtime of the same prefix finds it.
function(msgr_add_addin name)
  cmake_parse_arguments(ARG "INSTALL" "OUTPUT_DIRECTORY" "SOURCES;LIBRARIES" ${ARGN})
  add_library(${name} MODULE ${ARG_SOURCES} ${ARG_UNPARSED_ARGUMENTS})
  # The SDK headers and libmsgr_addin.a (the name helpers), in the msgr tree and from a prefix.
  target_link_libraries(${name} PRIVATE msgr::addin)
  if(ARG_LIBRARIES)
    target_link_libraries(${name} PRIVATE ${ARG_LIBRARIES})
  endif()
  set_target_properties(${name} PROPERTIES
    PREFIX "" SUFFIX ".so"
    C_VISIBILITY_PRESET hidden CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON)
  # Exactly one exported symbol: hidden visibility leaves the C++ library's template
  # instantiations exported, so a version script finishes the job.
  set(map ${CMAKE_CURRENT_BINARY_DIR}/${name}_exports.map)
  file(WRITE ${map} "{\n  global:\n    msgr_addin_entry;\n  local:\n    *;\n};\n")
  # msgr's own sanitizer builds set MSGR_NO_UNDEFINED empty: their runtime is in the executable.
  if(DEFINED MSGR_NO_UNDEFINED)
    set(no_undefined ${MSGR_NO_UNDEFINED})
  else()
    set(no_undefined -Wl,--no-undefined)
  endif()
  target_link_options(${name} PRIVATE ${no_undefined} -Wl,-z,now -Wl,--version-script=${map})
  # msgr's fuzz build: no coverage counters in add-ins, as libFuzzer cannot survive their unloading.
  if(MSGR_FUZZ)
    target_compile_options(${name} PRIVATE -fno-sanitize=fuzzer-no-link)
  endif()
  set_property(TARGET ${name} APPEND PROPERTY LINK_DEPENDS ${map})
  if(ARG_OUTPUT_DIRECTORY)
    set_target_properties(${name} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${ARG_OUTPUT_DIRECTORY})
  elseif(DEFINED MSGR_ADDIN_OUTPUT_DIR)
    set_target_properties(${name} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${MSGR_ADDIN_OUTPUT_DIR})
  endif()
  if(ARG_INSTALL)
    if(NOT DEFINED MSGR_ADDIN_INSTALL_DIR)
      set(MSGR_ADDIN_INSTALL_DIR lib/msgr/addins)
    endif()
    install(TARGETS ${name} LIBRARY DESTINATION ${MSGR_ADDIN_INSTALL_DIR})
  endif()
endfunction()
