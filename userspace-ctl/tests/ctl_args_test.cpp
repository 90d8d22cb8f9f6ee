// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "userspace-ctl/args.h"

namespace ovsdp::ctl {
namespace {

using Options = std::vector<std::pair<std::string, std::string>>;

TEST(DpName, DefaultsToSystem)
{
    EXPECT_EQ(parse_dp_name("dp0").type, "system");
    EXPECT_EQ(parse_dp_name("dp0").name, "dp0");
    EXPECT_EQ(parse_dp_name("system@dp0").full(), "system@dp0");
    EXPECT_EQ(parse_dp_name("@dp0").type, "system");
    EXPECT_EQ(parse_dp_name("netdev@x").type, "netdev");
    EXPECT_EQ(parse_dp_name("a@b@c").type, "a");
    EXPECT_EQ(parse_dp_name("a@b@c").name, "b@c");
    EXPECT_EQ(parse_dp_name("").name, "");
}

TEST(IfaceSpec, NameAndOptions)
{
    IfaceSpec s = parse_iface_spec("veth0,type=internal,port_no=3,flag");
    EXPECT_EQ(s.name, "veth0");
    EXPECT_EQ(s.options, (Options{{"type", "internal"}, {"port_no", "3"}, {"flag", ""}}));
}

TEST(IfaceSpec, StrtokSemantics)
{
    // Empty fields vanish, so a leading comma shifts the name.
    EXPECT_EQ(parse_iface_spec(",type=internal").name, "type=internal");
    EXPECT_EQ(parse_iface_spec("a,,b=1,").options, (Options{{"b", "1"}}));
    EXPECT_EQ(parse_iface_spec("").name, "");
    EXPECT_EQ(parse_iface_spec(",,,").name, "");
    // Leading '='s are skipped in the key; the value keeps later '='s.
    EXPECT_EQ(parse_iface_spec("a,=k=v").options, (Options{{"k", "v"}}));
    EXPECT_EQ(parse_iface_spec("a,k==v").options, (Options{{"k", "=v"}}));
    EXPECT_EQ(parse_iface_spec("a,k=").options, (Options{{"k", ""}}));
    EXPECT_TRUE(parse_iface_spec("a,===").options.empty());
}

TEST(AddIf, Interpretation)
{
    AddIfArgs a = interpret_add_if(parse_iface_spec(
        "p,type=internal,type=system,port_no=5,port_no=x9,a=1,a=2,b,upcall_pid=4,upcall_pid=5"));
    EXPECT_EQ(a.name, "p");
    EXPECT_EQ(a.type, "system");
    EXPECT_EQ(a.port_no, 0u);  // atoi("x9")
    EXPECT_EQ(a.config, (Options{{"a", "1"}, {"b", ""}}));
    EXPECT_EQ(a.duplicates, std::vector<std::string>{"a"});
    EXPECT_EQ(a.upcall_pids, (std::vector<uint32_t>{4, 5}));
    EXPECT_FALSE(a.bad_upcall_pid);

    AddIfArgs d = interpret_add_if(parse_iface_spec("p"));
    EXPECT_EQ(d.type, "system");
    EXPECT_FALSE(d.port_no);
    EXPECT_TRUE(d.upcall_pids.empty());

    EXPECT_EQ(interpret_add_if(parse_iface_spec("p,upcall_pid=-1")).bad_upcall_pid, "-1");
    EXPECT_EQ(interpret_add_if(parse_iface_spec("p,port_no=-1")).port_no, 0xffffffffu);
}

TEST(Numbers, AtoiLikeGlibc)
{
    EXPECT_EQ(c_atoi("12"), 12);
    EXPECT_EQ(c_atoi("  +7x"), 7);
    EXPECT_EQ(c_atoi("-3"), -3);
    EXPECT_EQ(c_atoi(""), 0);
    EXPECT_EQ(c_atoi("abc"), 0);
    EXPECT_EQ(c_atoi("4294967297"), 1);  // (int) strtol()
    EXPECT_EQ(c_atoi("2147483648"), static_cast<int>(0x80000000u));
}

TEST(Numbers, ParseU32)
{
    EXPECT_EQ(parse_u32("0"), 0u);
    EXPECT_EQ(parse_u32("4294967295"), 4294967295u);
    EXPECT_FALSE(parse_u32("4294967296"));
    EXPECT_FALSE(parse_u32(""));
    EXPECT_FALSE(parse_u32("1x"));
    EXPECT_FALSE(parse_u32("-1"));
}

TEST(Numbers, PortNumberArguments)
{
    EXPECT_TRUE(is_port_number("0"));
    EXPECT_TRUE(is_port_number("65535"));
    EXPECT_TRUE(is_port_number(""));  // as ovs-dpctl: strspn() covers it
    EXPECT_FALSE(is_port_number("veth0"));
    EXPECT_FALSE(is_port_number("1a"));
}

}  // namespace
}  // namespace ovsdp::ctl
