/* SPDX-License-Identifier: GPL-2.0 */
/* Entry points between the module's C files and its C++ core that no
 * platform header carries: module init and exit call these. Plain C
 * declarations, no kernel headers, so both languages include it. */
#ifndef OVSDP_KMOD_ENTRY_H
#define OVSDP_KMOD_ENTRY_H

#ifdef __cplusplus
extern "C" {
#endif

/* The core's per-module state (kmod/receive.cpp): per-CPU action state and
 * the flow statistics cache. 0 or -errno. */
int ovsdp_core_init(void);
/* After rcu_barrier(): frees what ovsdp_core_init() allocated. */
void ovsdp_core_exit(void);
/* Warns when an allocation made through the platform is still live
 * (kmod/platform.c); called last at module exit. */
void ovsdp_check_leaks(void);

#ifdef __cplusplus
}
#endif

#endif
