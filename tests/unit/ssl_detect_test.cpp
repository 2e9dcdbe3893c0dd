// The kernel's TLS handshake predicate (bpf/lib/ssl_detect.h, compiled here as plain C++):
// it must recognise every real ClientHello/ServerHello burst of tests/data/corpus/tls, and
// no first burst of any other protocol in the corpus, nor random bytes.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "../../bpf/lib/ssl_detect.h"

namespace {

namespace fs = std::filesystem;

bool handshake(const std::string& b)
{
    if (b.size() < OBI_TLS_PEEK_LEN) return false;
    return obi_tls_handshake_start(reinterpret_cast<const __u8*>(b.data())) != 0;
}

std::string read_file(const fs::path& p)
{
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

TEST(SslDetect, EveryCapturedHandshakeIsRecognised)
{
    size_t n = 0;
    for (const auto& f : fs::directory_iterator(fs::path(OBI_TEST_DATA_DIR) / "corpus" / "tls")) {
        std::string name = f.path().filename().string();
        if (!name.ends_with(".bin")) continue;
        EXPECT_TRUE(handshake(read_file(f.path()))) << name;
        n++;
    }
    EXPECT_GE(n, 8u) << "tests/data/corpus/tls lost its captures";
}

TEST(SslDetect, NoOtherProtocolInTheCorpusLooksLikeTls)
{
    size_t n = 0;
    for (const auto& e : fs::recursive_directory_iterator(fs::path(OBI_TEST_DATA_DIR) / "corpus")) {
        if (!e.is_regular_file() || e.path().extension() != ".bin") continue;
        if (e.path().parent_path().filename() == "tls") continue;
        EXPECT_FALSE(handshake(read_file(e.path()))) << e.path();
        n++;
    }
    EXPECT_GT(n, 20u);
}

TEST(SslDetect, BoundsOfTheRecordHeader)
{
    std::string ch("\x16\x03\x01\x02\x00\x01", 6);
    EXPECT_TRUE(handshake(ch));
    std::string sh("\x16\x03\x03\x00\x7a\x02", 6);
    EXPECT_TRUE(handshake(sh));
    std::string b = ch;
    b[0] = 0x17;  // application data
    EXPECT_FALSE(handshake(b));
    b = ch;
    b[0] = 0x15;  // alert
    EXPECT_FALSE(handshake(b));
    b = ch;
    b[1] = 0x02;  // SSL 2 / other
    EXPECT_FALSE(handshake(b));
    b = ch;
    b[2] = 0x05;  // no such version
    EXPECT_FALSE(handshake(b));
    b = ch;
    b[3] = 0x00, b[4] = 0x03;  // shorter than a handshake header
    EXPECT_FALSE(handshake(b));
    b = ch;
    b[3] = static_cast<char>(0x48), b[4] = 0x01;  // 18433 > 2^14 + 2048
    EXPECT_FALSE(handshake(b));
    b[3] = 0x48, b[4] = 0x00;  // exactly the limit
    EXPECT_TRUE(handshake(b));
    b = ch;
    b[5] = 0x0b;  // Certificate first: not a connection start
    EXPECT_FALSE(handshake(b));
    EXPECT_FALSE(handshake(ch.substr(0, 5)));  // too short to decide: not TLS
}

TEST(SslDetect, RandomBytesAreNotTls)
{
    std::mt19937 rng(4242);
    size_t hits = 0;
    for (int i = 0; i < 200000; i++) {
        std::string b(6, '\0');
        for (char& c : b) c = static_cast<char>(rng());
        hits += handshake(b);
    }
    EXPECT_EQ(hits, 0u);
}

}  // namespace
