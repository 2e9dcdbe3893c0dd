// Glob semantics (gobwas/glob without separators) and port enumerations.
#include <gtest/gtest.h>

#include "util/glob.h"
#include "util/port_enum.h"

using obi::Glob;
using obi::PortEnum;

TEST(Glob, StarMatchesSlashes)
{
    auto g = Glob::compile("*/server");
    ASSERT_TRUE(g);
    EXPECT_TRUE(g->matches("/opt/app/server"));
    EXPECT_TRUE(g->matches("/server"));
    EXPECT_FALSE(g->matches("/opt/app/server2"));
    EXPECT_TRUE(Glob::compile("*")->matches(""));
    EXPECT_TRUE(Glob::compile("**")->matches("/a/b/c"));
}

TEST(Glob, QuestionClassesAndNegation)
{
    EXPECT_TRUE(Glob::compile("python3.1?")->matches("python3.11"));
    EXPECT_FALSE(Glob::compile("python3.1?")->matches("python3.1"));
    EXPECT_TRUE(Glob::compile("[a-c]x")->matches("bx"));
    EXPECT_FALSE(Glob::compile("[a-c]x")->matches("dx"));
    EXPECT_TRUE(Glob::compile("[!/]x")->matches("ax"));
    EXPECT_FALSE(Glob::compile("[!/]x")->matches("/x"));
    EXPECT_TRUE(Glob::compile("[]]")->matches("]"));
    EXPECT_TRUE(Glob::compile("a[-]b")->matches("a-b"));
}

TEST(Glob, Alternatives)
{
    auto g = Glob::compile("{*/obi,obi,*otelcol,*otelcol-contrib,*otelcol-contrib[!/]*}");
    ASSERT_TRUE(g);
    EXPECT_TRUE(g->matches("/usr/bin/obi"));
    EXPECT_TRUE(g->matches("obi"));
    EXPECT_TRUE(g->matches("/bin/otelcol"));
    EXPECT_TRUE(g->matches("/bin/otelcol-contrib2"));
    EXPECT_FALSE(g->matches("/usr/bin/obiwan"));
    EXPECT_TRUE(Glob::compile("a{b,c{d,e}}f")->matches("acef"));
    EXPECT_FALSE(Glob::compile("a{b,c{d,e}}f")->matches("acf"));
}

TEST(Glob, EscapesAndErrors)
{
    EXPECT_TRUE(Glob::compile("a\\*b")->matches("a*b"));
    EXPECT_FALSE(Glob::compile("a\\*b")->matches("axb"));
    std::string err;
    EXPECT_FALSE(Glob::compile("[abc", &err));
    EXPECT_NE(err.find("']'"), std::string::npos);
    EXPECT_FALSE(Glob::compile("{a,b", &err));
    EXPECT_FALSE(Glob::compile("a}", &err));
    EXPECT_FALSE(Glob::compile("a\\", &err));
}

TEST(PortEnum, ParsesListsAndRanges)
{
    auto p = PortEnum::parse(" 80, 443 ,8000 - 8999");
    ASSERT_TRUE(p);
    EXPECT_TRUE(p->contains(80));
    EXPECT_TRUE(p->contains(8500));
    EXPECT_FALSE(p->contains(81));
    EXPECT_EQ(p->to_string(), "80,443,8000-8999");
}

TEST(PortEnum, RejectsWhatOBIRejects)
{
    std::string err;
    for (const char* bad : {"http", "", "80,", ",80", "80-", "0", "70000", "90-80", "80 443", "80;443"}) {
        EXPECT_FALSE(PortEnum::parse(bad, &err)) << bad;
        EXPECT_FALSE(err.empty()) << bad;
    }
}
