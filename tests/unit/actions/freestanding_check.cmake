# Compile freestanding_check.cpp as the kernel build compiles the core, then
# check the object for what the module loader would not handle.
execute_process(
  COMMAND ${CXX} -std=gnu++20 -ffreestanding -fno-exceptions -fno-rtti -nostdinc++
          -fno-threadsafe-statics -fno-use-cxa-atexit -DOVSDP_KERNEL -isystem ${BUILTIN_INCLUDE}
          -O2 -mgeneral-regs-only -mno-red-zone -fno-PIE -mcmodel=kernel
          -Wall -Wextra -Werror -Wframe-larger-than=1024 -Wvla
          -I${SRC_DIR} -c ${SOURCE} -o ${OBJECT}
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the engine does not compile with the kernel's C++ subset")
endif()
execute_process(COMMAND objdump -h ${OBJECT} OUTPUT_VARIABLE sections)
if(sections MATCHES "init_array|\\.ctors|fini_array")
  message(FATAL_ERROR "global constructors or destructors in the engine")
endif()
execute_process(COMMAND nm -u ${OBJECT} OUTPUT_VARIABLE undefined)
if(undefined MATCHES "__cxa|__gxx|_Unwind|typeinfo|operator new|_Znwm|_Znam")
  message(FATAL_ERROR "C++ runtime references in the engine:\n${undefined}")
endif()
