// Protocol classification against a mixed corpus of real first bursts (tests/data/corpus):
// every registered detector sees every file, as a server and as a client, at every prefix
// length; only the file's own protocol may ever say Yes, and it must say Yes on the whole
// burst. TLS records, other traffic and seeded random bytes must be claimed by nobody.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "protocols/registry.h"

namespace obi::conntrack {
namespace {

namespace fs = std::filesystem;

struct Sample {
    std::string protocol;  // expected; "" = nobody
    std::string name;
    std::string bytes;
    bool client_to_server = true;
};

std::vector<Sample> corpus()
{
    std::vector<Sample> out;
    fs::path root = fs::path(OBI_TEST_DATA_DIR) / "corpus";
    for (const auto& dir : fs::directory_iterator(root)) {
        if (!dir.is_directory()) continue;
        std::string proto = dir.path().filename().string();
        if (proto == "tls" || proto == "none") proto.clear();
        for (const auto& f : fs::directory_iterator(dir.path())) {
            std::string file = f.path().filename().string();
            bool c2s = file.ends_with(".c2s.bin"), s2c = file.ends_with(".s2c.bin");
            if (!c2s && !s2c) continue;
            std::ifstream in(f.path(), std::ios::binary);
            std::stringstream ss;
            ss << in.rdbuf();
            out.push_back({proto, dir.path().filename().string() + "/" + file, ss.str(), c2s});
        }
    }
    std::mt19937 rng(20261204);
    for (int i = 0; i < 2000; i++) {  // random bytes of every length up to 600
        std::string b(static_cast<size_t>(1 + rng() % 600), '\0');
        for (char& c : b) c = static_cast<char>(rng());
        out.push_back({"", "random#" + std::to_string(i), b, (i & 1) == 0});
    }
    return out;
}

// Captured bursts that are their protocol's but cannot name it on their own, so the detector
// must not claim them (it must still not misclassify them): the connection is identified by
// the other side's first burst instead.
bool cannot_identify_alone(const Sample& s)
{
    // An MQTT broker's first burst starts with CONNACK (20 02 00 00, often all of it): four
    // bytes are too few to claim a connection; the client's CONNECT names it.
    return s.protocol == "mqtt" && s.name.ends_with(".1.s2c.bin");
}

ConnInfo conn_for(bool server)
{
    ConnInfo c;
    c.pid = 1;
    c.local_addr = "127.0.0.1";
    c.remote_addr = "127.0.0.1";
    c.local_port = server ? 8080 : 45678;
    c.remote_port = server ? 45678 : 8080;
    c.kernel_role = server ? OBI_ROLE_SERVER : OBI_ROLE_CLIENT;
    return c;
}

TEST(Classification, CorpusCoversEveryRegisteredProtocol)
{
    auto samples = corpus();
    for (const auto& def : protocols::all()) {
        bool found = std::any_of(samples.begin(), samples.end(), [&](const Sample& s) { return s.protocol == def.name; });
        EXPECT_TRUE(found) << "tests/data/corpus/" << def.name << "/ has no captured bursts";
    }
}

TEST(Classification, OnlyTheRightProtocolEverSaysYes)
{
    const auto defs = protocols::all();
    size_t checked = 0, misclassified = 0, missed = 0;
    for (const auto& s : corpus()) {
        std::string_view all(s.bytes);
        all = all.substr(0, std::min(all.size(), kMaxDetectBytes));
        for (bool server : {true, false}) {
            ConnInfo conn = conn_for(server);
            // The bytes travel client -> server: a server receives them, a client sends them.
            Direction dir = (s.client_to_server == server) ? Direction::Ingress : Direction::Egress;
            for (const auto& def : defs) {
                bool own = s.protocol == def.name;
                for (size_t len = 1; len <= all.size(); len++) {
                    Detection d = def.detect(all.substr(0, len), dir, conn);
                    checked++;
                    if (d == Detection::Yes && !own) {
                        misclassified++;
                        ADD_FAILURE() << def.name << " claims " << s.name << " (" << (server ? "server" : "client")
                                      << " side, first " << len << " bytes)";
                        break;
                    }
                }
                if (own && !cannot_identify_alone(s) && def.detect(all, dir, conn) != Detection::Yes) {
                    missed++;
                    ADD_FAILURE() << def.name << " does not recognise its own " << s.name << " ("
                                  << (server ? "server" : "client") << " side)";
                }
            }
        }
    }
    EXPECT_EQ(misclassified, 0u);
    EXPECT_EQ(missed, 0u);
    EXPECT_GT(checked, 0u);
}

}  // namespace
}  // namespace obi::conntrack
