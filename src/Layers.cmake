# The folders under src/ as libraries the build keeps apart.
#
#   lockstep_layer(<folder> SOURCES <files>
#                  [EXPOSES <folders>]   folders this folder's headers include
#                  [USES <folders>]      folders only its .cpp files include
#                  [LIBS <targets>]      third-party libraries, linked privately
#                  [ALLOW <groups>]      reserved headers it may include (see below)
#                  [PRIVATE_HEADERS <files>])  its headers no other folder may include
#
# Each folder gets lockstep_<folder> and an include directory of its own,
# ${CMAKE_BINARY_DIR}/layers/<folder>, holding one symlink, <folder> -> src/<folder>.
# A library sees its own directory and those of the folders it EXPOSES or USES
# (and, through CMake's usage requirements, what those folders EXPOSE): an
# #include "x/..." of any other folder finds no file and fails to compile.
#
# Reserved third-party headers live in /usr/include, which every compiler
# searches, so a folder not allowed a group gets that group's stubs first on
# its include path; each stub is an #error naming the folder the group
# belongs to:
#   pqxx      <pqxx/...> and <libpq-fe.h>            db only
#   cpprest   <cpprest/...>                          kube only
#   pg_query  <pg_query.h>                           where statements are parsed
#
# A folder's PRIVATE_HEADERS (db/'s implementation of the driver: Session,
# its pqxx connection, the SQLSTATE edge) are shadowed the same way, for every
# other folder, by stubs <folder>/<file> that are an #error naming the folder:
# the others reach it through its public headers only (db/driver.hpp,
# db::connect_postgres, db/server_probe.hpp). Test executables are no layer
# and see every header.
#
# The declarations are written to ${CMAKE_BINARY_DIR}/layers.txt, one line
# per folder ("<folder>: <EXPOSES> | <USES> | <ALLOW> | <PRIVATE_HEADERS>"), from
# which tests/architecture/check.py draws ARCHITECTURE.md's dependency
# diagram and checks the one there.

set(LOCKSTEP_LAYER_ROOT ${CMAKE_BINARY_DIR}/layers)
set(LOCKSTEP_STUB_ROOT ${CMAKE_BINARY_DIR}/reserved-headers)
set(LOCKSTEP_RESERVED_GROUPS pqxx cpprest pg_query)

# stub_headers(<group> <owner> <base dir> <relative paths...>)
function(lockstep_stub_headers group owner base)
  foreach(rel IN LISTS ARGN)
    file(CONFIGURE OUTPUT ${LOCKSTEP_STUB_ROOT}/${group}/${rel}
      CONTENT "#error \"<${rel}> is reserved for ${owner} (ARCHITECTURE.md); this folder may not include it\"\n"
      @ONLY)
  endforeach()
endfunction()

function(lockstep_reserved_headers pqxx_dir cpprest_dir)
  file(GLOB_RECURSE pqxx_headers RELATIVE ${pqxx_dir} ${pqxx_dir}/pqxx/*)
  lockstep_stub_headers(pqxx "src/db" ${pqxx_dir} ${pqxx_headers} libpq-fe.h)
  file(GLOB_RECURSE cpprest_headers RELATIVE ${cpprest_dir} ${cpprest_dir}/cpprest/*)
  lockstep_stub_headers(cpprest "src/kube" ${cpprest_dir} ${cpprest_headers})
  lockstep_stub_headers(pg_query "src/script and src/lint" "" pg_query.h)
endfunction()

# Stubs for every reserved group not in ALLOW.
function(lockstep_restrict target)
  cmake_parse_arguments(R "" "" "ALLOW" ${ARGN})
  foreach(group IN LISTS LOCKSTEP_RESERVED_GROUPS)
    if(NOT group IN_LIST R_ALLOW)
      target_include_directories(${target} BEFORE PRIVATE ${LOCKSTEP_STUB_ROOT}/${group})
    endif()
  endforeach()
endfunction()

function(lockstep_layer folder)
  cmake_parse_arguments(L "" "" "SOURCES;EXPOSES;USES;LIBS;ALLOW;PRIVATE_HEADERS" ${ARGN})
  set(target lockstep_${folder})
  add_library(${target} STATIC ${L_SOURCES})
  file(MAKE_DIRECTORY ${LOCKSTEP_LAYER_ROOT}/${folder})
  file(CREATE_LINK ${PROJECT_SOURCE_DIR}/src/${folder} ${LOCKSTEP_LAYER_ROOT}/${folder}/${folder} SYMBOLIC)
  target_include_directories(${target} PUBLIC ${LOCKSTEP_LAYER_ROOT}/${folder})
  target_compile_options(${target} PRIVATE ${LOCKSTEP_WARNINGS})
  list(TRANSFORM L_EXPOSES PREPEND lockstep_ OUTPUT_VARIABLE exposes)
  list(TRANSFORM L_USES PREPEND lockstep_ OUTPUT_VARIABLE uses)
  target_link_libraries(${target} PUBLIC ${exposes} PRIVATE ${uses} ${L_LIBS})
  lockstep_restrict(${target} ALLOW ${L_ALLOW})
  list(JOIN L_EXPOSES " " exposes_line)
  list(JOIN L_USES " " uses_line)
  list(JOIN L_ALLOW " " reserved)
  file(REMOVE_RECURSE ${LOCKSTEP_STUB_ROOT}/private/${folder})  # a header no longer listed loses its stub
  foreach(header IN LISTS L_PRIVATE_HEADERS)
    if(NOT EXISTS ${PROJECT_SOURCE_DIR}/src/${folder}/${header})
      message(FATAL_ERROR "lockstep_layer(${folder}): PRIVATE_HEADERS names ${header}, which src/${folder}/ does not have")
    endif()
    file(CONFIGURE OUTPUT ${LOCKSTEP_STUB_ROOT}/private/${folder}/${folder}/${header}
      CONTENT "#error \"${folder}/${header} is private to src/${folder} (ARCHITECTURE.md); include its public headers\"\n"
      @ONLY)
  endforeach()
  list(JOIN L_PRIVATE_HEADERS " " private_line)
  set_property(GLOBAL APPEND PROPERTY LOCKSTEP_LAYER_FOLDERS ${folder})
  if(L_PRIVATE_HEADERS)
    set_property(GLOBAL APPEND PROPERTY LOCKSTEP_SEALED_FOLDERS ${folder})
  endif()
  set_property(GLOBAL APPEND PROPERTY LOCKSTEP_LAYERS
    "${folder}: ${exposes_line} | ${uses_line} | ${reserved} | ${private_line}")
endfunction()

# Every folder but its owner gets the stubs of each folder's PRIVATE_HEADERS
# first on its include path (called once all folders are declared).
function(lockstep_seal_private_headers)
  get_property(folders GLOBAL PROPERTY LOCKSTEP_LAYER_FOLDERS)
  get_property(sealed GLOBAL PROPERTY LOCKSTEP_SEALED_FOLDERS)
  foreach(folder IN LISTS folders)
    foreach(owner IN LISTS sealed)
      if(NOT owner STREQUAL folder)
        target_include_directories(lockstep_${folder} BEFORE PRIVATE ${LOCKSTEP_STUB_ROOT}/private/${owner})
      endif()
    endforeach()
  endforeach()
endfunction()

function(lockstep_write_layers)
  lockstep_seal_private_headers()
  get_property(lines GLOBAL PROPERTY LOCKSTEP_LAYERS)
  list(SORT lines)
  list(JOIN lines "\n" text)
  file(CONFIGURE OUTPUT ${CMAKE_BINARY_DIR}/layers.txt CONTENT "${text}\n" @ONLY)
endfunction()
