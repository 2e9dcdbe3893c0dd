// DNS wire parser on messages captured from dig, dnspython, glibc and dnsmasq here
// (tests/data/corpus/dns, README.txt says how): fields of every message, every prefix of
// every message (never Invalid, never a crash), names with escapes and compression, and
// a table of invalid inputs (compression loops, forward pointers, impossible counts).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "protocols/dns/names.h"
#include "protocols/dns/wire.h"

namespace obi::dns {
namespace {

std::string corpus_file(const std::string& name)
{
    std::ifstream in(std::string(OBI_TEST_DATA_DIR) + "/corpus/dns/" + name, std::ios::binary);
    EXPECT_TRUE(in.good()) << name;
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// A UDP datagram, or a TCP message without its two-byte length.
std::string message_of(const std::string& name)
{
    std::string b = corpus_file(name);
    return name.rfind("udp/", 0) == 0 ? b : b.substr(2);
}

struct Expected {
    const char* file;
    bool response;
    const char* name;
    uint16_t qtype;
    int rcode;
    uint16_t ancount;
    std::vector<std::string> addresses;
    bool edns;
};

const std::vector<Expected>& expected()
{
    static const std::vector<Expected> v = {
        {"udp/dig_a_svc.c2s.bin", false, "svc.test", 1, 0, 0, {}, true},
        {"udp/dnsmasq_a_svc.s2c.bin", true, "svc.test", 1, 0, 1, {"127.0.0.7"}, true},
        {"udp/dig_a_multi.c2s.bin", false, "multi.test", 1, 0, 0, {}, true},
        {"udp/dnsmasq_a_multi.s2c.bin", true, "multi.test", 1, 0, 2, {"127.0.0.8", "127.0.0.9"}, true},
        {"udp/dig_aaaa_multi.c2s.bin", false, "multi.test", 28, 0, 0, {}, true},
        {"udp/dnsmasq_aaaa_multi.s2c.bin", true, "multi.test", 28, 0, 1, {"::8"}, true},
        {"udp/dig_nxdomain.c2s.bin", false, "nope.test", 1, 0, 0, {}, true},
        {"udp/dnsmasq_nxdomain.s2c.bin", true, "nope.test", 1, 3, 0, {}, true},
        {"udp/dig_cname_alias.c2s.bin", false, "alias.test", 1, 0, 0, {}, true},
        // CNAME then two A records, all owner names compressed.
        {"udp/dnsmasq_cname_alias.s2c.bin", true, "alias.test", 1, 0, 3, {"127.0.0.9", "127.0.0.8"}, true},
        {"udp/dig_refused.c2s.bin", false, "example.com", 1, 0, 0, {}, true},
        {"udp/dnsmasq_refused.s2c.bin", true, "example.com", 1, 5, 0, {}, true},
        {"udp/dig_servfail.c2s.bin", false, "x.fail.test", 1, 0, 0, {}, true},
        {"udp/dnsmasq_servfail.s2c.bin", true, "x.fail.test", 1, 2, 0, {}, true},
        {"udp/dnspython_a_svc.c2s.bin", false, "svc.test", 1, 0, 0, {}, false},
        {"udp/dnsmasq_a_svc_noedns.s2c.bin", true, "svc.test", 1, 0, 1, {"127.0.0.7"}, false},
        {"udp/dnspython_nxdomain.c2s.bin", false, "nope.test", 1, 0, 0, {}, false},
        {"udp/dnsmasq_nxdomain_noedns.s2c.bin", true, "nope.test", 1, 3, 0, {}, false},
        {"udp/glibc_a_svc.c2s.bin", false, "svc.test", 1, 0, 0, {}, false},
        {"udp/glibc_aaaa_svc.c2s.bin", false, "svc.test", 28, 0, 0, {}, false},
        {"udp/dnsmasq_aaaa_svc_nxdomain.s2c.bin", true, "svc.test", 28, 3, 0, {}, false},
        {"dig_tcp_a_svc.c2s.bin", false, "svc.test", 1, 0, 0, {}, true},
        {"dnsmasq_tcp_a_svc.s2c.bin", true, "svc.test", 1, 0, 1, {"127.0.0.7"}, true},
        {"dig_tcp_aaaa_multi.c2s.bin", false, "multi.test", 28, 0, 0, {}, true},
        {"dnsmasq_tcp_aaaa_multi.s2c.bin", true, "multi.test", 28, 0, 1, {"::8"}, true},
        {"dig_tcp_nxdomain.c2s.bin", false, "nope.test", 1, 0, 0, {}, true},
        {"dnsmasq_tcp_nxdomain.s2c.bin", true, "nope.test", 1, 3, 0, {}, true},
        {"dig_tcp_cname_alias.c2s.bin", false, "alias.test", 1, 0, 0, {}, true},
        {"dnsmasq_tcp_cname_alias.s2c.bin", true, "alias.test", 1, 0, 3, {"127.0.0.8", "127.0.0.9"}, true},
        {"dnspython_tcp_a_multi.c2s.bin", false, "multi.test", 1, 0, 0, {}, false},
        {"dnsmasq_tcp_a_multi.s2c.bin", true, "multi.test", 1, 0, 2, {"127.0.0.8", "127.0.0.9"}, false},
    };
    return v;
}

TEST(DnsWire, CapturedMessages)
{
    for (const auto& e : expected()) {
        SCOPED_TRACE(e.file);
        std::string m = message_of(e.file);
        if (std::string(e.file).rfind("udp/", 0) != 0) {  // the TCP length prefix is the message's length
            std::string raw = corpus_file(e.file);
            EXPECT_EQ((static_cast<uint8_t>(raw[0]) << 8 | static_cast<uint8_t>(raw[1])), static_cast<int>(m.size()));
        }
        Message msg;
        ASSERT_EQ(parse_message(m, m.size(), true, msg), Status::Ok);
        EXPECT_EQ(msg.header.qr(), e.response);
        EXPECT_EQ(msg.header.opcode(), 0);
        EXPECT_EQ(opcode_name(msg.header.opcode()), "QUERY");
        ASSERT_TRUE(msg.has_question);
        EXPECT_EQ(msg.question.name, e.name);
        EXPECT_TRUE(msg.question_plain);
        EXPECT_EQ(msg.question.qtype, e.qtype);
        EXPECT_EQ(msg.question.qclass, kClassIN);
        EXPECT_EQ(msg.rcode, e.rcode);
        EXPECT_EQ(msg.header.ancount, e.ancount);
        EXPECT_EQ(msg.addresses, e.addresses);
        EXPECT_EQ(msg.edns, e.edns);
        EXPECT_EQ(msg.end, m.size());
        // A query's header and question alone (records=false) parse the same way.
        Message q;
        EXPECT_EQ(parse_message(m, m.size(), false, q), Status::Ok);
        EXPECT_EQ(q.question.name, e.name);
    }
}

TEST(DnsWire, RcodeNames)
{
    EXPECT_EQ(rcode_name(0), "NOERROR");
    EXPECT_EQ(rcode_name(1), "FORMERR");
    EXPECT_EQ(rcode_name(2), "SERVFAIL");
    EXPECT_EQ(rcode_name(3), "NXDOMAIN");
    EXPECT_EQ(rcode_name(4), "NOTIMP");
    EXPECT_EQ(rcode_name(5), "REFUSED");
    EXPECT_EQ(rcode_name(16), "BADVERS");
    EXPECT_EQ(rcode_name(23), "BADCOOKIE");
    EXPECT_EQ(rcode_name(12), "12");
    EXPECT_EQ(rcode_name(4000), "4000");
    EXPECT_EQ(opcode_name(4), "NOTIFY");
    EXPECT_EQ(opcode_name(5), "UPDATE");
    EXPECT_EQ(opcode_name(3), "3");
    EXPECT_EQ(opcode_name(15), "15");
}

// Every prefix of every captured message, as the capture would cut it: the message is
// still full_len bytes long, we just have fewer. Never Invalid; the question appears once
// its bytes are there; the header is never misread.
TEST(DnsWire, EveryPrefixIsShortNeverInvalid)
{
    for (const auto& e : expected()) {
        SCOPED_TRACE(e.file);
        std::string m = message_of(e.file);
        Message full;
        ASSERT_EQ(parse_message(m, m.size(), true, full), Status::Ok);
        for (size_t n = 0; n < m.size(); n++) {
            SCOPED_TRACE(n);
            Message msg;
            Status st = parse_message(std::string_view(m).substr(0, n), m.size(), true, msg);
            EXPECT_EQ(st, Status::Short);
            if (n >= kHeaderLen) {
                EXPECT_EQ(msg.header.id, full.header.id);
            }
            if (msg.has_question) {
                EXPECT_EQ(msg.question.name, full.question.name);
            }
            EXPECT_LE(msg.addresses.size(), full.addresses.size());
        }
        // A prefix presented as the whole message is not DNS (records run past its end).
        for (size_t n = kHeaderLen; n < m.size(); n++) {
            Message msg;
            EXPECT_NE(parse_message(std::string_view(m).substr(0, n), n, true, msg), Status::Ok) << n;
        }
    }
}

std::string header(uint16_t id, uint16_t flags, uint16_t qd, uint16_t an, uint16_t ns, uint16_t ar)
{
    std::string h;
    for (uint16_t v : {id, flags, qd, an, ns, ar}) {
        h.push_back(static_cast<char>(v >> 8));
        h.push_back(static_cast<char>(v & 0xff));
    }
    return h;
}

std::string u16(uint16_t v) { return std::string{static_cast<char>(v >> 8), static_cast<char>(v & 0xff)}; }

// "\3svc\4test\0" with type A class IN.
const std::string kQuestion = std::string("\3svc\4test\0", 10) + u16(1) + u16(1);

TEST(DnsWire, NamesEscapedAndRoot)
{
    std::string m = header(1, 0x0100, 1, 0, 0, 0) + std::string("\4a.b\\\3\0\xff ", 9) + std::string("\0", 1) +
                    u16(1) + u16(1);
    Message msg;
    ASSERT_EQ(parse_message(m, m.size(), true, msg), Status::Ok);
    EXPECT_EQ(msg.question.name, "a\\.b\\\\.\\000\\255\\032");
    EXPECT_FALSE(msg.question_plain);

    std::string root = header(1, 0x0100, 1, 0, 0, 0) + std::string("\0", 1) + u16(2) + u16(1);
    ASSERT_EQ(parse_message(root, root.size(), true, msg), Status::Ok);
    EXPECT_EQ(msg.question.name, ".");
    EXPECT_TRUE(msg.question_plain);

    EXPECT_TRUE(same_name("SvC.TeSt", "svc.test"));
    EXPECT_FALSE(same_name("svc.test", "svc.tes"));
    EXPECT_FALSE(same_name("svc.test", "svd.test"));
}

TEST(DnsWire, LongestNameAndOneByteTooLong)
{
    // 255 bytes on the wire: 3 labels of 63, one of 61, and the root.
    std::string name;
    for (int i = 0; i < 3; i++) name += static_cast<char>(63) + std::string(63, 'a');
    name += static_cast<char>(61) + std::string(61, 'b');
    std::string m = header(1, 0x0100, 1, 0, 0, 0) + name + std::string("\0", 1) + u16(1) + u16(1);
    Message msg;
    ASSERT_EQ(parse_message(m, m.size(), true, msg), Status::Ok);
    EXPECT_EQ(msg.question.name.size(), 63u * 3 + 61 + 3);
    std::string longer = name;
    longer[192] = 62;  // the last label one byte longer: 256 bytes
    longer.insert(193, "b");
    std::string bad = header(1, 0x0100, 1, 0, 0, 0) + longer + std::string("\0", 1) + u16(1) + u16(1);
    EXPECT_EQ(parse_message(bad, bad.size(), true, msg), Status::Invalid);
}

TEST(DnsWire, CompressionPointersOnlyGoBackwards)
{
    // Response: question svc.test, answer owner = pointer to the question name (offset 12).
    std::string answer = u16(0xc00c) + u16(1) + u16(1) + std::string("\0\0\0\x3c", 4) + u16(4) + std::string("\x7f\0\0\x07", 4);
    std::string ok = header(7, 0x8180, 1, 1, 0, 0) + kQuestion + answer;
    Message msg;
    ASSERT_EQ(parse_message(ok, ok.size(), true, msg), Status::Ok);
    EXPECT_EQ(msg.addresses, std::vector<std::string>{"127.0.0.7"});

    // A name that is a pointer to a label followed by a pointer back to the same label:
    // "\3www" at 12, then pointer to 12 at 16 would loop if followed from 12 again.
    size_t end = 0;
    std::string loop = header(7, 0x8180, 1, 0, 0, 0) + std::string("\3www", 4) + u16(0xc00c);
    EXPECT_EQ(read_name(loop, 12, nullptr, end), Status::Invalid);
    std::string self = header(7, 0x8180, 1, 0, 0, 0) + u16(0xc00c);  // a pointer to itself
    EXPECT_EQ(read_name(self, 12, nullptr, end), Status::Invalid);
    std::string fwd = header(7, 0x8180, 1, 0, 0, 0) + u16(0xc00e) + std::string("\0", 1);  // forwards
    EXPECT_EQ(read_name(fwd, 12, nullptr, end), Status::Invalid);
    std::string into_header = header(7, 0x8180, 1, 0, 0, 0) + u16(0xc002);
    EXPECT_EQ(read_name(into_header, 12, nullptr, end), Status::Invalid);

    // A chain of backward pointers longer than kMaxPointerJumps.
    std::string chain = header(7, 0x8180, 1, 0, 0, 0) + std::string("\0", 1);  // root at 12
    for (int i = 0; i < kMaxPointerJumps + 4; i++)
        chain += u16(static_cast<uint16_t>(0xc000 | (i == 0 ? 12 : 13 + 2 * (i - 1))));
    EXPECT_EQ(read_name(chain, chain.size() - 2, nullptr, end), Status::Invalid);
    // ... and one within the bound resolves to the root.
    std::string name;
    EXPECT_EQ(read_name(chain, 13 + 2 * 3, &name, end), Status::Ok);
    EXPECT_EQ(name, ".");
    EXPECT_EQ(end, 13u + 2 * 3 + 2);
}

struct InvalidCase {
    const char* what;
    std::string bytes;
};

TEST(DnsWire, InvalidInputs)
{
    std::string a_rr = u16(0xc00c) + u16(1) + u16(1) + std::string("\0\0\0\x3c", 4) + u16(4) + std::string("\x7f\0\0\x07", 4);
    std::string opt = std::string("\0", 1) + u16(41) + u16(1232) + std::string("\0\0\0\0", 4) + u16(0);
    const std::vector<InvalidCase> cases = {
        {"counts that cannot fit", header(1, 0x8180, 1, 0xffff, 0, 0) + kQuestion},
        {"question count that cannot fit", header(1, 0x0100, 40, 0, 0, 0) + kQuestion},
        {"label type 0x40", header(1, 0x0100, 1, 0, 0, 0) + std::string("\x41x\0", 3) + u16(1) + u16(1)},
        {"label type 0x80", header(1, 0x0100, 1, 0, 0, 0) + std::string("\x81x\0", 3) + u16(1) + u16(1)},
        {"question name runs past the end", header(1, 0x0100, 1, 0, 0, 0) + std::string("\x3fsvc", 4)},
        {"no room for type and class", header(1, 0x0100, 1, 0, 0, 0) + std::string("\3svc\0", 5) + u16(1)},
        {"rdlength past the end", header(1, 0x8180, 1, 1, 0, 0) + kQuestion + a_rr.substr(0, 10) + u16(200) + "\x7f"},
        {"record header cut", header(1, 0x8180, 1, 1, 0, 0) + kQuestion + a_rr.substr(0, 12)},
        {"trailing bytes", header(1, 0x8180, 1, 1, 0, 0) + kQuestion + a_rr + "xyz"},
        {"two OPT records", header(1, 0x8180, 1, 0, 0, 2) + kQuestion + opt + opt},
        {"OPT with an owner name", header(1, 0x8180, 1, 0, 0, 1) + kQuestion + std::string("\1x\0", 3) + opt.substr(1)},
        {"answer owner pointing at itself", header(1, 0x8180, 1, 1, 0, 0) + kQuestion + u16(0xc000 | 26) + a_rr.substr(2)},
        {"answer owner pointing forwards", header(1, 0x8180, 1, 1, 0, 0) + kQuestion + u16(0xc000 | 30) + a_rr.substr(2)},
        {"shorter than a header", std::string("\1\2\3", 3)},
    };
    for (const auto& c : cases) {
        Message msg;
        EXPECT_EQ(parse_message(c.bytes, c.bytes.size(), true, msg), Status::Invalid) << c.what;
    }
}

TEST(DnsWire, ExtendedRcodeFromOpt)
{
    // BADVERS (16): RCODE 0 in the header, 1 in the OPT TTL's upper byte.
    std::string opt = std::string("\0", 1) + u16(41) + u16(1232) + std::string("\x01\0\0\0", 4) + u16(0);
    std::string m = header(9, 0x8180, 1, 0, 0, 1) + kQuestion + opt;
    Message msg;
    ASSERT_EQ(parse_message(m, m.size(), true, msg), Status::Ok);
    EXPECT_TRUE(msg.edns);
    EXPECT_EQ(msg.rcode, 16);
    EXPECT_EQ(rcode_name(msg.rcode), "BADVERS");
}

TEST(DnsWire, TruncatedResponseClaimingMoreRecordsIsShort)
{
    // TC set, 5 answers claimed, none present: the client retries over TCP; not invalid.
    std::string m = header(3, 0x8380, 1, 5, 0, 0) + kQuestion;
    Message msg;
    EXPECT_EQ(parse_message(m, m.size(), true, msg), Status::Short);
    EXPECT_TRUE(msg.has_question);
    EXPECT_TRUE(msg.header.tc());
    // Without TC the same counts are impossible.
    std::string bad = header(3, 0x8180, 1, 5, 0, 0) + kQuestion;
    EXPECT_EQ(parse_message(bad, bad.size(), true, msg), Status::Invalid);
}

TEST(DnsWire, AtMostSixteenAddresses)
{
    std::string rrs;
    for (int i = 0; i < 20; i++)
        rrs += u16(0xc00c) + u16(1) + u16(1) + std::string("\0\0\0\x3c", 4) + u16(4) +
               std::string{'\x0a', '\0', '\0', static_cast<char>(i)};
    std::string m = header(5, 0x8180, 1, 20, 0, 0) + kQuestion + rrs;
    Message msg;
    ASSERT_EQ(parse_message(m, m.size(), true, msg), Status::Ok);
    ASSERT_EQ(msg.addresses.size(), kMaxAddresses);
    EXPECT_EQ(msg.addresses.front(), "10.0.0.0");
    EXPECT_EQ(msg.addresses.back(), "10.0.0.15");
    EXPECT_EQ(msg.header.ancount, 20);
}

}  // namespace
}  // namespace obi::dns
