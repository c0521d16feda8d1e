# install_dist.cmake - the installed files that depend on the prefix,
# decided at install time so that `cmake --install --prefix P` (and
# `make install PREFIX=P DESTDIR=D`) needs no rebuild:
#   - the systemd unit, with the binary's and the configuration's paths;
#   - the example configuration as SYSCONFDIR/labwarden/labwarden.yaml,
#     only when there is none yet (an edited one is never overwritten).
# LW_DIST_SRC (dist/) and LW_DIST_TMP (a build directory) are set by the
# install(CODE) before this script.
set(prefix "${CMAKE_INSTALL_PREFIX}")
if(prefix STREQUAL "/usr")
  set(sysconfdir "/etc")
elseif(prefix MATCHES "^/opt/")
  set(sysconfdir "/etc${prefix}")
else()
  set(sysconfdir "${prefix}/etc")
endif()

set(BINDIR "${prefix}/bin")
set(SYSCONFDIR "${sysconfdir}")
configure_file("${LW_DIST_SRC}/labwarden.service.in"
               "${LW_DIST_TMP}/labwarden.service" @ONLY)
file(INSTALL "${LW_DIST_TMP}/labwarden.service"
     DESTINATION "${prefix}/lib/systemd/system"
     PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)

set(config "$ENV{DESTDIR}${sysconfdir}/labwarden/labwarden.yaml")
if(EXISTS "${config}")
  message(STATUS "Kept: ${config} (the example is in share/doc/labwarden/examples)")
else()
  file(INSTALL "${LW_DIST_SRC}/labwarden.yaml"
       DESTINATION "${sysconfdir}/labwarden"
       PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
endif()
