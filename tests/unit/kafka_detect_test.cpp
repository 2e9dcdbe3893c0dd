// Kafka classification: every request captured from real clients (tests/data/corpus/kafka)
// is detected, every prefix of one asks for more or is already sure (never a wrong No), and
// responses, other protocols, random bytes and corrupted headers are rejected.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "protocols/kafka/conn_handler.h"

using namespace obi;
using namespace obi::conntrack;

namespace {

const std::string kDir = std::string(OBI_TEST_DATA_DIR) + "/corpus/kafka";

std::string slurp(const std::filesystem::path& p)
{
    std::ifstream f(p, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

std::vector<std::filesystem::path> files(const std::filesystem::path& dir, const std::string& suffix)
{
    std::vector<std::filesystem::path> out;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
        std::string name = e.path().filename().string();
        if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
            out.push_back(e.path());
    }
    std::sort(out.begin(), out.end());
    return out;
}

ConnInfo client_conn()
{
    ConnInfo c;
    c.kernel_role = OBI_ROLE_CLIENT;
    return c;
}

ConnInfo unknown_role()
{
    ConnInfo c;
    c.kernel_role = OBI_ROLE_UNKNOWN;
    return c;
}

Detection detect(std::string_view b, Direction d = Direction::Egress, ConnInfo c = client_conn())
{
    return kafka::detect(b.substr(0, std::min(b.size(), kMaxDetectBytes)), d, c);
}

std::string request(int16_t key, int16_t ver, int32_t corr, std::string_view client, std::string_view body)
{
    std::string p{char(key >> 8), char(key), char(ver >> 8), char(ver), char(corr >> 24), char(corr >> 16),
                  char(corr >> 8), char(corr), char(client.size() >> 8), char(client.size())};
    p += client;
    p += body;
    uint32_t n = p.size();
    return std::string{char(n >> 24), char(n >> 16), char(n >> 8), char(n)} + p;
}

}  // namespace

TEST(KafkaDetect, EveryCapturedRequestIsKafka)
{
    auto reqs = files(kDir, ".c2s.bin");
    auto frames = files(kDir + "/frames", ".req");
    ASSERT_GE(reqs.size(), 40u);
    ASSERT_GE(frames.size(), 80u);
    reqs.insert(reqs.end(), frames.begin(), frames.end());
    for (const auto& p : reqs) {
        std::string b = slurp(p);
        EXPECT_EQ(detect(b), Detection::Yes) << p;
        EXPECT_EQ(detect(b, Direction::Ingress, [] { ConnInfo c; c.kernel_role = OBI_ROLE_SERVER; return c; }()),
                  Detection::Yes)
            << "broker side " << p;
        EXPECT_EQ(detect(b, Direction::Ingress, unknown_role()), Detection::Yes) << p;
    }
}

TEST(KafkaDetect, EveryPrefixNeedsMoreOrIsSure)
{
    for (const auto& p : files(kDir, ".c2s.bin")) {
        std::string b = slurp(p);
        bool sure = false;
        for (size_t n = 0; n <= std::min(b.size(), kMaxDetectBytes); n++) {
            Detection d = detect(std::string_view(b).substr(0, n));
            ASSERT_NE(d, Detection::No) << p << " prefix " << n;
            if (d == Detection::Yes) sure = true;
            else ASSERT_FALSE(sure) << p << ": NeedMore after Yes at " << n;
        }
        EXPECT_TRUE(sure) << p;
    }
}

TEST(KafkaDetect, ResponsesDoNotClassify)
{
    for (const auto& p : files(kDir + "/frames", ".resp")) {
        std::string b = slurp(p);
        EXPECT_EQ(detect(b, Direction::Ingress), Detection::No) << "client reads " << p;
        // Without a known role the structure must still give them away.
        EXPECT_NE(detect(b, Direction::Ingress, unknown_role()), Detection::Yes) << p;
    }
}

TEST(KafkaDetect, DirectionMustFitTheRole)
{
    std::string b = slurp(kDir + "/kcat_produce_ApiVersions_v3.c2s.bin");
    EXPECT_EQ(detect(b, Direction::Ingress, client_conn()), Detection::No);  // a client does not receive requests
    ConnInfo server;
    server.kernel_role = OBI_ROLE_SERVER;
    EXPECT_EQ(detect(b, Direction::Egress, server), Detection::No);
}

TEST(KafkaDetect, OtherProtocolsAndNoise)
{
    const std::string cases[] = {
        "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        "HTTP/1.1 200 OK\r\n\r\n",
        "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
        std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11),  // TLS ClientHello
        std::string("\x00\x00\x00\x08\x04\xd2\x16\x2f", 8),                // PostgreSQL SSLRequest
        std::string("\x00\x00\x00\x54\x00\x03\x00\x00user\x00postgres\x00database\x00postgres\x00\x00", 38),
        "*1\r\n$4\r\nPING\r\n",
        std::string("\x10\x12\x00\x04MQTT\x04\x02\x00\x3c", 12),                        // MQTT CONNECT
        std::string("\x3a\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\xdd\x07\x00\x00", 16),  // MongoDB OP_MSG
        std::string("\x00\x1c\xab\xcd\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00", 14),          // DNS over TCP
        std::string("\x4a\x00\x00\x00\x0a" "5.5.5-10.11", 16),                                // MySQL greeting
        std::string("\x00\x00\x08\x07", 4) + std::string(13, '\0'),  // HTTP/2 GOAWAY: "Produce v0" of 2055 bytes
        std::string(64, '\0'),
        std::string(64, '\xff'),
    };
    for (const auto& c : cases) {
        EXPECT_NE(detect(c), Detection::Yes) << c;
        EXPECT_NE(detect(c, Direction::Ingress, unknown_role()), Detection::Yes) << c;
    }
}

TEST(KafkaDetect, CorruptedHeaders)
{
    struct Case {
        const char* what;
        std::string bytes;
    };
    const Case cases[] = {
        {"api key 93 (unknown)", request(93, 0, 1, "c", "")},
        {"api key -1", request(-1, 0, 1, "c", "")},
        {"Produce v14 (beyond the known range)", request(0, 14, 1, "c", "")},
        {"ApiVersions v5", request(18, 5, 1, "c", "")},
        {"negative correlation id", request(18, 0, -7, "c", "")},
        {"client id with a control byte", request(18, 0, 1, std::string("rd\x01kafka", 8), "")},
        {"client id of 300 bytes", request(18, 0, 1, std::string(300, 'a'), "")},
        {"ApiVersions v0 with a body", request(18, 0, 1, "c", "xx")},
        {"ApiVersions v3 with 20 header tags", request(18, 3, 1, "c", std::string("\x14", 1))},
        {"Produce with acks 5", request(0, 7, 1, "c", std::string("\xff\xff\x00\x05\x00\x00\x75\x30", 8))},
        {"Produce to an illegal topic name",
         request(0, 7, 1, "c", std::string("\xff\xff\x00\x01\x00\x00\x75\x30\x00\x00\x00\x01\x00\x03a b", 17))},
        {"Fetch with isolation level 7",
         request(1, 4, 1, "c", std::string("\xff\xff\xff\xff\x00\x00\x01\xf4\x00\x00\x00\x01\x00\x10\x00\x00\x07", 17))},
        {"Metadata v4 with allow_auto_topic_creation 2",
         request(3, 4, 1, "c", std::string("\xff\xff\xff\xff\x02", 5))},
    };
    for (const auto& c : cases) EXPECT_EQ(detect(c.bytes), Detection::No) << c.what;

    std::string ok = request(18, 0, 1, "c", "");
    EXPECT_EQ(detect(ok), Detection::Yes);
    std::string too_long = ok;
    too_long[0] = 0x07;  // 117 MB > 100 MB
    EXPECT_EQ(detect(too_long), Detection::No);
    EXPECT_EQ(detect(std::string("\x07", 1)), Detection::No);
    EXPECT_EQ(detect(std::string("\x00\x00\x00\x05", 4)), Detection::No);  // shorter than any request header
}

TEST(KafkaDetect, RandomBytesAreNotKafka)
{
    std::mt19937 rng(7);
    int yes = 0;
    for (int i = 0; i < 20000; i++) {
        std::string b(64, '\0');
        for (auto& c : b) c = char(rng());
        // a plausible length, the rest random: the header checks alone must reject it
        b[0] = 0;
        b[1] = 0;
        b[2] = 0;
        b[3] = char(60);
        if (detect(b) == Detection::Yes) yes++;
    }
    EXPECT_EQ(yes, 0);
}
