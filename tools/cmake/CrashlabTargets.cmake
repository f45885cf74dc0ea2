# How crashlab's targets are laid out, installed and exported. The build tree is laid out
# like an installed tree: programs in bin/, helper programs in libexec/crashlab/, so that
# framework/helpers.h finds a helper relative to the running program in both.
include(GNUInstallDirs)
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBEXECDIR}" OR IS_ABSOLUTE "${CMAKE_INSTALL_BINDIR}")
  message(FATAL_ERROR "crashlab: CMAKE_INSTALL_BINDIR and CMAKE_INSTALL_LIBEXECDIR must be "
                      "relative to the prefix (helpers are found relative to the programs)")
endif()
set(CRASHLAB_HELPER_SUBDIR ${CMAKE_INSTALL_LIBEXECDIR}/crashlab)
set(CRASHLAB_BUILD_BINDIR ${PROJECT_BINARY_DIR}/${CMAKE_INSTALL_BINDIR})
set(CRASHLAB_BUILD_HELPERDIR ${PROJECT_BINARY_DIR}/${CRASHLAB_HELPER_SUBDIR})

# crashlab_public_library(TARGET NAME [HEADERS DIR]): a library users link as
# crashlab::NAME, in the build tree (alias) and installed (export set crashlabTargets).
# Its headers (DIR/*.h, DIR defaults to this folder; not subfolders, not test helpers)
# install to include/crashlab/<same path>: the spelling "faults/kill/kill_fault.h" stays.
function(crashlab_public_library target name)
  cmake_parse_arguments(L "" "HEADERS" "" ${ARGN})
  if(NOT L_HEADERS)
    set(L_HEADERS ${CMAKE_CURRENT_SOURCE_DIR})
  endif()
  add_library(crashlab::${name} ALIAS ${target})
  set_target_properties(${target} PROPERTIES EXPORT_NAME ${name})
  set_property(GLOBAL APPEND PROPERTY CRASHLAB_PUBLIC_LIBRARIES ${target})
  target_include_directories(${target} PUBLIC
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}/crashlab>)
  if(CRASHLAB_INSTALL)
    install(TARGETS ${target} EXPORT crashlabTargets
      ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
      LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
    file(RELATIVE_PATH _rel ${PROJECT_SOURCE_DIR} ${L_HEADERS})
    file(GLOB _headers CONFIGURE_DEPENDS ${L_HEADERS}/*.h)
    list(FILTER _headers EXCLUDE REGEX "/test_util\\.h$")  # crashfs test fixture
    install(FILES ${_headers} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/crashlab/${_rel})
  endif()
endfunction()

# crashlab_program(TARGET): a program users run (the CLI): bin/.
function(crashlab_program target)
  set_target_properties(${target} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CRASHLAB_BUILD_BINDIR})
  if(CRASHLAB_INSTALL)
    install(TARGETS ${target} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  endif()
endfunction()

# crashlab_helper(TARGET): a program or preload library that crashlab itself runs (the
# SQLite agent, crashfs, the syncfault preload): libexec/crashlab/, found at run time by
# crashlab::HelperProgram (framework/helpers.h), never by a path compiled in.
function(crashlab_helper target)
  set_target_properties(${target} PROPERTIES
    RUNTIME_OUTPUT_DIRECTORY ${CRASHLAB_BUILD_HELPERDIR}
    LIBRARY_OUTPUT_DIRECTORY ${CRASHLAB_BUILD_HELPERDIR})
  if(CRASHLAB_INSTALL)
    install(TARGETS ${target}
      RUNTIME DESTINATION ${CRASHLAB_HELPER_SUBDIR}
      LIBRARY DESTINATION ${CRASHLAB_HELPER_SUBDIR})
  endif()
endfunction()
