# One way to declare every target (after Abseil's absl_cc_library), so adding a
# module is three lines:
#
#   salesops_cc_library(NAME redis SRCS redis.cc HDRS redis.h DEPS absl::status)
#   salesops_cc_test(NAME redis_test SRCS redis_test.cc DEPS salesops::redis)
#   salesops_cc_binary(NAME org_server SRCS main.cc DEPS salesops::org_api)
#
# Libraries get the alias salesops::<NAME>; the repo root is the include root.
# Tests are registered with ctest under the label given by LABELS (default
# "unit"); integration tests use LABELS integration.

function(salesops_cc_library)
  cmake_parse_arguments(A "" "NAME" "SRCS;HDRS;DEPS" ${ARGN})
  if(A_SRCS)
    add_library(salesops_${A_NAME} STATIC ${A_SRCS} ${A_HDRS})
    target_include_directories(salesops_${A_NAME} PUBLIC ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR}/protos)
    target_link_libraries(salesops_${A_NAME} PUBLIC ${A_DEPS})
  else()
    add_library(salesops_${A_NAME} INTERFACE ${A_HDRS})
    target_include_directories(salesops_${A_NAME} INTERFACE ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR}/protos)
    target_link_libraries(salesops_${A_NAME} INTERFACE ${A_DEPS})
  endif()
  add_library(salesops::${A_NAME} ALIAS salesops_${A_NAME})
endfunction()

function(salesops_cc_test)
  cmake_parse_arguments(A "" "NAME;TIMEOUT" "SRCS;DEPS;LABELS" ${ARGN})
  add_executable(${A_NAME} ${A_SRCS})
  target_include_directories(${A_NAME} PRIVATE ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR}/protos)
  target_link_libraries(${A_NAME} PRIVATE ${A_DEPS} GTest::gmock GTest::gtest_main ${SALESOPS_MALLOC_LIBS})
  # A test's own sources (the code under test is in the libraries, built as configured)
  # at -O1 with line tables only: gmock's expansions at -O2 -g were 40% of a cold build's
  # compile time, and -O1 -g1 compiles them in 0.66 of the time (README.md, "Build time").
  # A failing test's backtrace keeps its file and line.
  target_compile_options(${A_NAME} PRIVATE $<$<CONFIG:RelWithDebInfo>:-O1 -g1>)
  if(NOT A_LABELS)
    set(A_LABELS unit)
  endif()
  if(NOT A_TIMEOUT)
    set(A_TIMEOUT 120)
  endif()
  add_test(NAME ${A_NAME} COMMAND ${A_NAME})
  set_tests_properties(${A_NAME} PROPERTIES LABELS "${A_LABELS}" TIMEOUT ${A_TIMEOUT})
endfunction()

function(salesops_cc_binary)
  cmake_parse_arguments(A "" "NAME" "SRCS;DEPS" ${ARGN})
  add_executable(${A_NAME} ${A_SRCS})
  target_include_directories(${A_NAME} PRIVATE ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR}/protos)
  target_link_libraries(${A_NAME} PRIVATE ${A_DEPS} ${SALESOPS_MALLOC_LIBS})
endfunction()

# Benchmarks are not part of the default build (make test does not run them):
# `cmake --build … --target benchmarks` (make bench) builds them all.
if(NOT TARGET benchmarks)
  add_custom_target(benchmarks)
endif()
function(salesops_cc_benchmark)
  cmake_parse_arguments(A "" "NAME" "SRCS;DEPS" ${ARGN})
  add_executable(${A_NAME} EXCLUDE_FROM_ALL ${A_SRCS})
  add_dependencies(benchmarks ${A_NAME})
  target_include_directories(${A_NAME} PRIVATE ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR}/protos)
  target_link_libraries(${A_NAME} PRIVATE ${A_DEPS} benchmark::benchmark_main ${SALESOPS_MALLOC_LIBS})
endfunction()
