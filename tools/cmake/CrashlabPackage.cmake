# Installing crashlab: the CMake package (crashlab::* targets), the pkg-config file and a
# Debian package (CPack). Included by the top CMakeLists.txt when CRASHLAB_INSTALL is on.
include(CMakePackageConfigHelpers)
set(_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/crashlab)

install(EXPORT crashlabTargets NAMESPACE crashlab:: DESTINATION ${_cmake_dir})
configure_package_config_file(tools/cmake/crashlabConfig.cmake.in
  ${PROJECT_BINARY_DIR}/crashlabConfig.cmake INSTALL_DESTINATION ${_cmake_dir})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/crashlabConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/crashlabConfig.cmake
  ${PROJECT_BINARY_DIR}/crashlabConfigVersion.cmake
  ${PROJECT_SOURCE_DIR}/tools/cmake/crashlab_package_dir.cc
  DESTINATION ${_cmake_dir})

# pkg-config: the static libraries, each before the ones it uses (the linker reads them
# once, in order). Every crashlab_public_library must be listed.
set(_pc_order crashlab_testing crashlab_fault_powercut crashlab_fault_syncerror crashlab_fault_container
  crashlab_container_host
  crashlab_fault_process crashlab_storage crashlab_crashfs crashlab_syncfault_ctl crashlab_fiu crashlab_framework)
get_property(_public GLOBAL PROPERTY CRASHLAB_PUBLIC_LIBRARIES)
foreach(lib IN LISTS _public)
  if(NOT lib IN_LIST _pc_order)
    message(FATAL_ERROR "crashlab: add ${lib} to _pc_order in ${CMAKE_CURRENT_LIST_FILE}")
  endif()
endforeach()
set(CRASHLAB_PC_LIBS "")
foreach(lib IN LISTS _pc_order)
  string(APPEND CRASHLAB_PC_LIBS " -l${lib}")
endforeach()
string(STRIP "${CRASHLAB_PC_LIBS}" CRASHLAB_PC_LIBS)
file(RELATIVE_PATH CRASHLAB_PC_TO_PREFIX /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
string(REGEX REPLACE "/$" "" CRASHLAB_PC_TO_PREFIX "${CRASHLAB_PC_TO_PREFIX}")
configure_file(tools/cmake/crashlab.pc.in ${PROJECT_BINARY_DIR}/crashlab.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/crashlab.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# cpack -G DEB (or the "package" target): crashlab_<version>_<arch>.deb, under /usr.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME crashlab)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "crash-injection and fault-simulation testing of data stores")
set(CPACK_PACKAGE_CONTACT "crashlab maintainers <maintainers@users.noreply.b-seed-df1cfdb7.example>")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
# Shared libraries from the ELF files (dpkg-shlibdeps), plus the programs crashlab runs.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "fuse3")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "postgresql, redis-server, podman")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS
  "fiu-utils, docker.io, libgtest-dev, libfuse3-dev, libboost-filesystem-dev, nlohmann-json3-dev")
if(PROJECT_IS_TOP_LEVEL)
  include(CPack)
endif()
