# clang's thread-safety analysis over the core (kernel C++ subset flags):
# every *_locked function and mutator is OVSDP_REQUIRES(ovsdp_ovs_mutex);
# the core must compile without a finding, and a call without the lock must
# be one.
set(flags -std=gnu++20 -ffreestanding -fno-exceptions -fno-rtti -nostdinc++ -DOVSDP_KERNEL
          -fsyntax-only -Wthread-safety -Werror=thread-safety -I${SRC_DIR})
execute_process(COMMAND ${CLANGXX} ${flags} ${DIR}/thread_safety_core.cpp RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "clang -Wthread-safety finds lock contract violations in the core")
endif()
execute_process(COMMAND ${CLANGXX} ${flags} ${DIR}/thread_safety_negative.cpp
                RESULT_VARIABLE rc ERROR_VARIABLE err)
if(rc EQUAL 0 OR NOT err MATCHES "requires holding mutex 'ovsdp_ovs_mutex'")
  message(FATAL_ERROR "the thread-safety analysis missed a *_locked call without ovs_mutex:\n${err}")
endif()
