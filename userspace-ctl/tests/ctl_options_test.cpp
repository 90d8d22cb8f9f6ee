// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "userspace-ctl/options.h"

namespace ovsdp::ctl {
namespace {

Result<CommandLine> parse(std::vector<std::string> args)
{
    return parse_command_line(args);
}

std::string error_of(std::vector<std::string> args)
{
    auto r = parse(std::move(args));
    return r.ok() ? "(ok)" : r.error().detail;
}

TEST(Options, OptionsMixWithOperands)
{
    auto r = parse({"show", "-s", "dp0"});
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r->opts.statistics);
    EXPECT_EQ(r->operands, (std::vector<std::string>{"show", "dp0"}));
}

TEST(Options, LongShortAndClusters)
{
    auto r = parse({"--statistics", "-mm", "--names", "--read-only", "-t5", "show"});
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r->opts.statistics);
    EXPECT_EQ(r->opts.more, 2);
    EXPECT_EQ(r->opts.names, true);
    EXPECT_TRUE(r->opts.read_only);
    EXPECT_EQ(r->opts.timeout, 5u);

    r = parse({"-t", "7", "--timeout=9", "--no-names", "-sV"});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->opts.timeout, 9u);
    EXPECT_EQ(r->opts.names, false);
    EXPECT_TRUE(r->opts.version);
    EXPECT_TRUE(r->operands.empty());

    r = parse({"--timeout", "3", "--help"});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->opts.timeout, 3u);
    EXPECT_TRUE(r->opts.help);
}

TEST(Options, AbbreviationsAndDoubleDash)
{
    auto r = parse({"--stat", "--vers", "--", "-s", "x"});
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r->opts.statistics);
    EXPECT_TRUE(r->opts.version);
    EXPECT_EQ(r->operands, (std::vector<std::string>{"-s", "x"}));

    r = parse({"-", "show"});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->operands, (std::vector<std::string>{"-", "show"}));
}

TEST(Options, ErrorsWordedLikeGetopt)
{
    EXPECT_EQ(error_of({"--bogus"}), "unrecognized option '--bogus'");
    EXPECT_EQ(error_of({"-x"}), "invalid option -- 'x'");
    EXPECT_EQ(error_of({"-sx"}), "invalid option -- 'x'");
    EXPECT_EQ(error_of({"-t"}), "option requires an argument -- 't'");
    EXPECT_EQ(error_of({"--timeout"}), "option '--timeout' requires an argument");
    EXPECT_EQ(error_of({"--help=1"}), "option '--help' doesn't allow an argument");
    EXPECT_EQ(error_of({"--n"}),
              "option '--n' is ambiguous; possibilities: '--names' '--no-names' '--numa'");
    EXPECT_EQ(error_of({"-t", "0"}), "value 0 on -t or --timeout is invalid");
    EXPECT_EQ(error_of({"--timeout=abc"}), "value abc on -t or --timeout is invalid");
}


TEST(Options, LoggingOptionsAsOvsDpctl)
{
    auto r = parse({"-v", "-vdbg", "--verbose=console:warn", "--verbose", "--log-file", "show",
                    "--syslog-method=libc", "--syslog-target=127.0.0.1:514", "-vdpif:file:off"});
    ASSERT_TRUE(r.ok()) << r.error().detail;
    EXPECT_EQ(r->opts.verbose, (std::vector<std::string>{"", "dbg", "console:warn", "", "dpif:file:off"}));
    EXPECT_EQ(r->opts.log_file, std::optional<std::string>(""));
    EXPECT_EQ(r->opts.syslog_method, std::optional<std::string>("libc"));
    EXPECT_EQ(r->opts.syslog_target, std::optional<std::string>("127.0.0.1:514"));
    EXPECT_EQ(r->operands, (std::vector<std::string>{"show"}));  // "--log-file show": show is an operand

    r = parse({"--log-file=/tmp/x.log", "-sv"});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->opts.log_file, std::optional<std::string>("/tmp/x.log"));
    EXPECT_TRUE(r->opts.statistics);

    EXPECT_FALSE(parse({"-vconsole:syslog"}).ok());
    EXPECT_FALSE(parse({"-vwarn:dbg"}).ok());
    EXPECT_FALSE(parse({"--syslog-target"}).ok());
}

}  // namespace
}  // namespace ovsdp::ctl
