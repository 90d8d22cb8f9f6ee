# Compile C++ sources as the kernel build compiles the core (no libc or
# libstdc++ headers: -nostdinc -nostdinc++, only the compiler's own
# <stddef.h>/<stdint.h>/<stdarg.h>; no SIMD or floating point; no exceptions,
# RTTI or guarded statics), then check each object for what the module loader
# would not handle.
#
#   -DCXX=<compiler> -DBUILTIN_INCLUDE=<its include dir> -DSRC_DIR=<tree>
#   -DOUT_DIR=<where objects go> -DFRAME_LIMIT=<bytes> -DWHAT=<for messages>
#   and either -DSOURCES=<a;b> (paths from SRC_DIR) or -DKBUILD=<Kbuild file>:
#   then every object of openvswitch-y whose source is a .cpp, as Kbuild
#   builds them (today the unity kmod/core.cpp).
if(KBUILD)
  file(READ ${KBUILD} kbuild)
  string(REGEX REPLACE "\\\\\n" " " kbuild "${kbuild}") # join continued lines
  string(REGEX MATCHALL "openvswitch-y[ \t]*[:+]?=[^\n]*" lines "${kbuild}")
  set(SOURCES "")
  foreach(line ${lines})
    string(REGEX REPLACE "^openvswitch-y[ \t]*[:+]?=" "" objs "${line}")
    separate_arguments(objs UNIX_COMMAND "${objs}")
    foreach(obj ${objs})
      string(REGEX REPLACE "\\.o$" ".cpp" src "${obj}")
      if(EXISTS ${SRC_DIR}/${src})
        list(APPEND SOURCES ${src})
      endif()
    endforeach()
  endforeach()
  if(NOT SOURCES)
    message(FATAL_ERROR "no C++ object found in ${KBUILD}'s openvswitch-y: has its format changed?")
  endif()
endif()

foreach(src ${SOURCES})
  string(REGEX REPLACE "[/.]" "_" name "${src}")
  set(object ${OUT_DIR}/${name}.o)
  execute_process(
    COMMAND ${CXX} -std=gnu++20 -ffreestanding -fno-exceptions -fno-rtti -nostdinc -nostdinc++
            -fno-threadsafe-statics -fno-use-cxa-atexit -DOVSDP_KERNEL -isystem ${BUILTIN_INCLUDE}
            -O2 -mgeneral-regs-only -mno-red-zone -fno-PIE -mcmodel=kernel
            -Wall -Wextra -Werror -Wframe-larger-than=${FRAME_LIMIT} -Wvla
            -I${SRC_DIR} -c ${SRC_DIR}/${src} -o ${object}
    RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${src} (${WHAT}) does not compile with the kernel's C++ subset")
  endif()
  execute_process(COMMAND objdump -h ${object} OUTPUT_VARIABLE sections)
  if(sections MATCHES "init_array|\\.ctors|fini_array")
    message(FATAL_ERROR "global constructors or destructors in ${src} (${WHAT})")
  endif()
  execute_process(COMMAND nm -u ${object} OUTPUT_VARIABLE undefined)
  if(undefined MATCHES "__cxa|__gxx|_Unwind|typeinfo|operator new|_Znwm|_Znam")
    message(FATAL_ERROR "C++ runtime references in ${src} (${WHAT}):\n${undefined}")
  endif()
  message(STATUS "${src}: kernel C++ subset ok")
endforeach()
