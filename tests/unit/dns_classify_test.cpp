// DNS classification. The shared corpus test (classification_test.cpp) covers the TCP bursts
// of tests/data/corpus/dns; this one covers the UDP datagrams of tests/data/corpus/dns/udp
// (a UDP connection is classified from one datagram, without a length prefix): every
// registered detector sees every datagram, only DNS may say Yes; random and mutated
// datagrams are claimed by nobody; and each header/question rule rejects what it should.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "protocols/dns/detect.h"
#include "protocols/registry.h"

namespace obi::dns {
namespace {

namespace fs = std::filesystem;
using conntrack::Detection;
using conntrack::Direction;

std::vector<std::pair<std::string, std::string>> udp_corpus()
{
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& f : fs::directory_iterator(fs::path(OBI_TEST_DATA_DIR) / "corpus" / "dns" / "udp")) {
        if (f.path().extension() != ".bin") continue;
        std::ifstream in(f.path(), std::ios::binary);
        std::stringstream ss;
        ss << in.rdbuf();
        out.emplace_back(f.path().filename().string(), ss.str());
    }
    return out;
}

conntrack::ConnInfo udp_conn()
{
    conntrack::ConnInfo c;
    c.pid = 1;
    c.local_addr = "0.0.0.0";
    c.local_port = 41000;
    c.remote_addr = "127.0.0.53";
    c.remote_port = 53;
    c.kernel_role = OBI_ROLE_CLIENT;
    c.udp = true;
    return c;
}

TEST(DnsClassify, UdpCorpusOnlyDnsSaysYes)
{
    auto corpus = udp_corpus();
    ASSERT_GE(corpus.size(), 20u);
    const auto defs = protocols::all();
    conntrack::ConnInfo conn = udp_conn();
    for (const auto& [name, bytes] : corpus) {
        for (Direction dir : {Direction::Egress, Direction::Ingress}) {
            for (const auto& def : defs) {
                bool own = std::string(def.name) == "dns";
                Detection d = def.detect(bytes, dir, conn);
                if (own) {
                    EXPECT_EQ(d, Detection::Yes) << name;
                } else {
                    EXPECT_NE(d, Detection::Yes) << def.name << " claims " << name;
                }
                for (size_t n = 1; n < bytes.size() && !own; n++)
                    EXPECT_NE(def.detect(std::string_view(bytes).substr(0, n), dir, conn), Detection::Yes)
                        << def.name << " claims the first " << n << " bytes of " << name;
            }
        }
    }
}

TEST(DnsClassify, UdpDatagramIsNotATcpStream)
{
    conntrack::ConnInfo tcp = udp_conn();
    tcp.udp = false;
    for (const auto& [name, bytes] : udp_corpus())
        EXPECT_NE(detect(bytes, Direction::Egress, tcp), Detection::Yes) << name;
}

TEST(DnsClassify, CutDatagramIsNotDns)
{
    conntrack::ConnInfo conn = udp_conn();
    for (const auto& [name, bytes] : udp_corpus())
        for (size_t n = 1; n < bytes.size(); n++)
            EXPECT_EQ(detect(std::string_view(bytes).substr(0, n), Direction::Egress, conn), Detection::No)
                << name << " cut at " << n;
}

TEST(DnsClassify, RandomDatagramsAreNotDns)
{
    std::mt19937 rng(5353);
    conntrack::ConnInfo conn = udp_conn();
    const auto defs = protocols::all();
    for (int i = 0; i < 20000; i++) {
        std::string b(static_cast<size_t>(1 + rng() % 600), '\0');
        for (char& c : b) c = static_cast<char>(rng());
        for (const auto& def : defs) ASSERT_NE(def.detect(b, Direction::Egress, conn), Detection::Yes) << def.name << " #" << i;
    }
}

// Random bytes behind a valid DNS header prefix (a query's id and flags and counts): the
// question and exact-length checks still reject them.
TEST(DnsClassify, ValidHeaderWithRandomRest)
{
    std::mt19937 rng(17);
    conntrack::ConnInfo conn = udp_conn();
    size_t yes = 0;
    for (int i = 0; i < 20000; i++) {
        std::string b("\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00", 12);
        b.resize(12 + 1 + rng() % 80);
        for (size_t j = 12; j < b.size(); j++) b[j] = static_cast<char>(rng());
        if (detect(b, Direction::Egress, conn) == Detection::Yes) yes++;
    }
    EXPECT_EQ(yes, 0u);
}

std::string file(const std::string& name)
{
    for (auto& [n, b] : udp_corpus())
        if (n == name) return b;
    ADD_FAILURE() << name;
    return {};
}

TEST(DnsClassify, EachRuleRejects)
{
    conntrack::ConnInfo conn = udp_conn();
    const std::string q = file("dnspython_a_svc.c2s.bin");  // no EDNS: header + "\3svc\4test\0" + A IN
    ASSERT_EQ(detect(q, Direction::Egress, conn), Detection::Yes);
    struct Mutation {
        const char* what;
        size_t at;
        char value;
    };
    const Mutation cases[] = {
        {"opcode 3 (unassigned)", 2, 0x19},
        {"opcode 2 (STATUS)", 2, 0x11},
        {"Z bit", 3, 0x40},
        {"RCODE in a query", 3, 0x03},
        {"TC in a query", 2, 0x03},
        {"two questions", 5, 0x02},
        {"no question", 5, 0x00},
        {"an answer in a query", 7, 0x01},
        {"three additional records", 11, 0x03},
        {"non-printable label byte", 13, 0x01},
        {"space in a label", 14, ' '},
        {"dot in a label", 14, '.'},
        {"type 0", 23, 0x00},
        {"class 2", 25, 0x02},
        {"label longer than the name", 12, 0x20},
    };
    for (const auto& m : cases) {
        std::string b = q;
        ASSERT_LT(m.at, b.size());
        b[m.at] = m.value;
        EXPECT_EQ(detect(b, Direction::Egress, conn), Detection::No) << m.what;
    }
    EXPECT_EQ(detect(q + "x", Direction::Egress, conn), Detection::No) << "trailing byte";
    EXPECT_EQ(detect(q.substr(0, 16), Direction::Egress, conn), Detection::No) << "shorter than a question";
}

TEST(DnsClassify, TcpLengthPrefixed)
{
    conntrack::ConnInfo tcp = udp_conn();
    tcp.udp = false;
    const std::string q = file("dnspython_a_svc.c2s.bin");
    std::string framed = std::string{static_cast<char>(q.size() >> 8), static_cast<char>(q.size() & 0xff)} + q;
    EXPECT_EQ(detect(framed, Direction::Egress, tcp), Detection::Yes);
    // Every prefix shorter than the question is NeedMore (never Yes before the question is there).
    for (size_t n = 1; n < 2 + 12 + 14; n++)
        EXPECT_EQ(detect(std::string_view(framed).substr(0, n), Direction::Egress, tcp), Detection::NeedMore) << n;
    // A wrong length: the message does not end where the prefix says.
    std::string longer = framed;
    longer[1] = static_cast<char>(longer[1] + 1);
    EXPECT_EQ(detect(longer + "x", Direction::Egress, tcp), Detection::No);
    std::string tiny = std::string("\0\x05", 2) + q;
    EXPECT_EQ(detect(tiny, Direction::Egress, tcp), Detection::No);
    // Two pipelined queries: the first one decides.
    EXPECT_EQ(detect(framed + framed, Direction::Egress, tcp), Detection::Yes);
}

}  // namespace
}  // namespace obi::dns
