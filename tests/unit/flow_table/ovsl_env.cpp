// SPDX-License-Identifier: GPL-2.0
// The flow table's tests call its *_locked functions from the main thread, as
// the datapath's writer does: the main thread holds ovs_mutex throughout
// (their asserts check it); reader threads never take it.
#include "platform/platform.h"

#include <gtest/gtest.h>

namespace {

class OvsMutexHeld : public ::testing::Environment {
public:
    void SetUp() override { ovsdp_ovs_lock(); }
    void TearDown() override { ovsdp_ovs_unlock(); }
};

[[maybe_unused]] ::testing::Environment* const g_env = ::testing::AddGlobalTestEnvironment(new OvsMutexHeld);

} // namespace
