// Durations (Go syntax), sizes, booleans, lists, suggestions and ${VAR} expansion.
#include <gtest/gtest.h>

#include <map>

#include "config/duration.h"
#include "config/expand.h"
#include "config/values.h"

using namespace obi::config;
using namespace std::chrono_literals;

TEST(ConfigDuration, ParsesGoSyntax)
{
    struct Case {
        const char* text;
        Duration want;
    };
    const Case cases[] = {
        {"0", 0s},        {"0s", 0s},          {"500ms", 500ms},     {"5s", 5s},
        {"1m30s", 90s},   {"1h", 1h},          {"2h45m", 165min},    {"1.5s", 1500ms},
        {".5s", 500ms},   {"100us", 100us},    {"100\xC2\xB5s", 100us}, {"10ns", 10ns},
        {"1h2m3s4ms", 1h + 2min + 3s + 4ms},   {" 10s ", 10s},       {"+3s", 3s},
        {"0.001ms", 1us},
    };
    for (const auto& c : cases) {
        std::string err;
        auto d = parse_duration(c.text, &err);
        ASSERT_TRUE(d) << c.text << ": " << err;
        EXPECT_EQ(*d, c.want) << c.text;
    }
}

TEST(ConfigDuration, RejectsWithAReason)
{
    struct Case {
        const char* text;
        const char* reason;
    };
    const Case cases[] = {
        {"5", "has no unit"},       {"-1s", "is negative"},     {"5x", "unknown unit 'x'"},
        {"", "is empty"},           {"abc", "expected a number"}, {"1.5", "has no unit"},
        {"5s3", "has no unit"},     {"s", "expected a number"},
    };
    for (const auto& c : cases) {
        std::string err;
        EXPECT_FALSE(parse_duration(c.text, &err)) << c.text;
        EXPECT_NE(err.find(c.reason), std::string::npos) << c.text << ": " << err;
    }
}

TEST(ConfigDuration, FormatsLikeGo)
{
    EXPECT_EQ(format_duration(0s), "0s");
    EXPECT_EQ(format_duration(250ms), "250ms");
    EXPECT_EQ(format_duration(1500ms), "1.5s");
    EXPECT_EQ(format_duration(90s), "1m30s");
    EXPECT_EQ(format_duration(2h), "2h0m0s");
    EXPECT_EQ(format_duration(25us), "25\xC2\xB5s");
    EXPECT_EQ(format_duration(7ns), "7ns");
    EXPECT_EQ(format_duration(5min), "5m0s");
    for (Duration d : {Duration(1500ms), Duration(90s), Duration(2h), Duration(25us), Duration(1h + 1ms)})
        EXPECT_EQ(parse_duration(format_duration(d)), d) << format_duration(d);
}

TEST(ConfigValues, Scalars)
{
    EXPECT_EQ(parse_bool("TRUE"), true);
    EXPECT_EQ(parse_bool("off"), false);
    EXPECT_EQ(parse_bool("1"), true);
    EXPECT_FALSE(parse_bool("maybe"));
    EXPECT_EQ(parse_int("42", 0, 100), 42);
    EXPECT_EQ(parse_int(" -3 ", -3, 3), -3);
    EXPECT_FALSE(parse_int("4x", 0, 100));
    EXPECT_FALSE(parse_int("101", 0, 100));
    EXPECT_EQ(parse_size("8MiB"), 8u << 20);
    EXPECT_EQ(parse_size("64K"), 64u << 10);
    EXPECT_EQ(parse_size("4096"), 4096u);
    EXPECT_FALSE(parse_size("8 potatoes"));
    EXPECT_EQ(split_list(" a, b ,,c "), (std::vector<std::string>{"a", "b", "c"}));
    EXPECT_TRUE(split_list("").empty());
}

TEST(ConfigValues, DidYouMean)
{
    std::vector<std::string> keys = {"exe_path", "open_ports", "k8s_pod_name", "k8s_namespace"};
    EXPECT_EQ(did_you_mean("exe_pth", keys), "exe_path");
    EXPECT_EQ(did_you_mean("open_port", keys), "open_ports");
    EXPECT_EQ(did_you_mean("k8s_pod_nme", keys), "k8s_pod_name");
    EXPECT_EQ(did_you_mean("Exe_Path", keys), "exe_path");
    EXPECT_EQ(did_you_mean("something_else", keys), "");
    EXPECT_EQ(did_you_mean("exe_path", keys), "");
}

TEST(ConfigExpand, Forms)
{
    auto env = map_env({{"A", "x"}, {"EMPTY", ""}, {"URL", "http://c:4318"}});
    struct Case {
        const char* in;
        const char* out;
    };
    const Case cases[] = {
        {"${A}", "x"},
        {"${env:A}", "x"},
        {"${UNSET}", ""},
        {"${env:UNSET}", ""},
        {"${EMPTY}", ""},
        {"${UNSET:-def}", "def"},
        {"${EMPTY:-def}", "def"},       // empty counts as unset for the default
        {"${A:-def}", "x"},
        {"${env:UNSET:-d}", "d"},
        {"${UNSET:-}", ""},
        {"${UNSET:-http://localhost:4318}", "http://localhost:4318"},
        {"$${A}", "${A}"},              // escaped: literal
        {"$${UNSET:-x}", "${UNSET:-x}"},
        {"$A", "$A"},                   // bare form untouched
        {"${1A}", "${1A}"},             // invalid name: untouched
        {"${A-B}", "${A-B}"},
        {"${A", "${A"},                 // unterminated: untouched
        {"a${A}b${URL}c", "axbhttp://c:4318c"},
        {"cost: $5", "cost: $5"},
        {"$$", "$$"},
        {"${A}${A}", "xx"},
    };
    for (const auto& c : cases) EXPECT_EQ(expand_env_refs(c.in, env), c.out) << c.in;
}

TEST(ConfigExpand, DefaultDoesNotSpanLines)
{
    auto env = map_env({});
    EXPECT_EQ(expand_env_refs("a: ${X:-1\nb: 2}", env), "a: ${X:-1\nb: 2}");
}
