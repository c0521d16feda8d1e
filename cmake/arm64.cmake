# arm64.cmake - cross build for a Raspberry Pi (Debian arm64) on Debian
# amd64 with Debian's cross compiler and multiarch :arm64 libraries
# (`make cross-arm64` installs them).  Tests built here run under
# qemu-user: ctest passes them to CMAKE_CROSSCOMPILING_EMULATOR.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(LW_TRIPLET aarch64-linux-gnu)
set(CMAKE_C_COMPILER ${LW_TRIPLET}-gcc)
set(CMAKE_LIBRARY_ARCHITECTURE ${LW_TRIPLET})

# Multiarch: the arm64 libraries live in /usr/lib/aarch64-linux-gnu of
# this very system, so there is no sysroot to search; pkg-config must
# see only their .pc files (and the architecture-independent ones).
set(PKG_CONFIG_EXECUTABLE ${LW_TRIPLET}-pkg-config CACHE FILEPATH "")
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/${LW_TRIPLET}/pkgconfig:/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")

# qemu-aarch64 finds the arm64 dynamic loader and libraries under -L.
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64;-L;/usr/${LW_TRIPLET})
