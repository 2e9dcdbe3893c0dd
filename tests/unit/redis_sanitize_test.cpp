// Redis db.query.text sanitisation (command, subcommand and key kept, every other argument `?`)
// and the credential arguments masked at the source.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "protocols/redis/sanitize.h"

using obi::redis::sanitize;
using obi::redis::secret_argument;

namespace {

TEST(RedisSanitize, KeepsCommandAndKey)
{
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"SET beyla rocks", "SET beyla ?"},
        {"set beyla rocks EX 10", "set beyla ? ? ?"},
        {"GET key:1", "GET key:1"},
        {"MGET a b c", "MGET a ? ?"},
        {"HSET user:1 name alice age 30", "HSET user:1 ? ? ? ?"},
        {"DEL k", "DEL k"},
        {"PING", "PING"},
        {"", ""},
        {"SET k  v", "SET k ? ?"},  // an empty argument
        {"INCR counter", "INCR counter"},
    };
    for (const auto& [in, out] : cases) EXPECT_EQ(sanitize(in), out) << in;
}

TEST(RedisSanitize, KeylessCommandsKeepOnlyTheCommand)
{
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"AUTH secret", "AUTH ?"},
        {"AUTH user secret", "AUTH ? ?"},
        {"HELLO 3 AUTH user pw", "HELLO ? ? ? ?"},
        {"ECHO hello", "ECHO ?"},
        {"SELECT 2", "SELECT ?"},
        {"EVAL \"return 1\" 0", "EVAL ? ?"},  // a quoted argument is one token
        {"PUBLISH news hello", "PUBLISH ? ?"},
        {"SUBSCRIBE a b", "SUBSCRIBE ? ?"},
        {"MIGRATE host 6379 key 0 5000 AUTH pw", "MIGRATE ? ? ? ? ? ? ?"},
        {"auth secret", "auth ?"},
    };
    for (const auto& [in, out] : cases) EXPECT_EQ(sanitize(in), out) << in;
}

TEST(RedisSanitize, ContainerCommandsKeepTheSubcommand)
{
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"CLIENT SETNAME my-app", "CLIENT SETNAME ?"},
        {"CONFIG SET requirepass hunter2", "CONFIG SET ? ?"},
        {"CONFIG GET maxmemory", "CONFIG GET ?"},
        {"ACL SETUSER bob on >pw", "ACL SETUSER ? ? ?"},
        {"OBJECT ENCODING mykey", "OBJECT ENCODING ?"},
        {"COMMAND DOCS", "COMMAND DOCS"},
        {"SCRIPT LOAD \"return 1\"", "SCRIPT LOAD ?"},
        {"CLIENT \"odd sub\"", "CLIENT ?"},  // not a subcommand token
    };
    for (const auto& [in, out] : cases) EXPECT_EQ(sanitize(in), out) << in;
}

TEST(RedisSanitize, ArgumentsWithSpacesAreOverSanitisedNeverLeaked)
{
    // A value "a b" joined by spaces: still only the key survives.
    EXPECT_EQ(sanitize("SET k a b"), "SET k ? ?");
    // A key containing a space: its first word stays, its second becomes ?.
    EXPECT_EQ(sanitize("SET my key secret"), "SET my ? ?");
}

TEST(RedisSanitize, QuotedArgumentsAreOneToken)
{
    // The handler quotes an argument holding a blank, a quote or a control byte (see
    // RedisHandler.ArgumentsKeepTheirBoundaries): one token each, whatever it holds.
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"SET \"k sp\" \"secret one two\"", "SET \"k sp\" ?"},
        {"HSET hh \"field one\" SECRETVAL3", "HSET hh ? ?"},
        {"PUBLISH \"chan x\" SECRETVAL6", "PUBLISH ? ?"},
        {"APPEND \"k\\r\\nSECRET\" SECRETVAL9", "APPEND \"k\\r\\nSECRET\" ?"},
        {"SET \"a \\\" b\" \"x \\\"y\\\" z\"", "SET \"a \\\" b\" ?"},  // escaped quotes inside
        {"SET \"long key\"... \"v w\"", "SET \"long key\"... ?"},         // a truncated argument
        {"SET k \"cut short", "SET k ?"},                                     // statement cut inside quotes
        {"RPUSH \"l k\" \"v a\" SECRETVAL14", "RPUSH \"l k\" ? ?"},
    };
    for (const auto& [in, out] : cases) EXPECT_EQ(sanitize(in), out) << in;
}

std::vector<std::string_view> words(const std::vector<std::string>& v)
{
    return std::vector<std::string_view>(v.begin(), v.end());
}

TEST(RedisSanitize, SecretArguments)
{
    struct Case {
        std::vector<std::string> args;
        std::vector<size_t> secret;
    };
    const std::vector<Case> cases = {
        {{"AUTH", "pw"}, {1}},
        {{"auth", "user", "pw"}, {1, 2}},
        {{"HELLO", "3", "AUTH", "u", "p", "SETNAME", "x"}, {3, 4}},
        {{"HELLO", "3"}, {}},
        {{"MIGRATE", "h", "1", "k", "0", "10", "AUTH", "pw"}, {7}},
        {{"MIGRATE", "h", "1", "k", "0", "10", "AUTH2", "u", "pw", "KEYS", "a"}, {7, 8}},
        {{"CONFIG", "SET", "requirepass", "x", "maxmemory", "10mb", "masterauth", "y"}, {3, 7}},
        {{"CONFIG", "GET", "requirepass"}, {}},
        {{"ACL", "SETUSER", "bob", "on", ">pw", "~*", "#abcd"}, {4, 6}},
        {{"SET", "auth", "x"}, {}},
        {{"GET", "k"}, {}},
    };
    for (const auto& c : cases) {
        auto w = words(c.args);
        for (size_t i = 0; i < w.size(); i++) {
            bool expect = std::find(c.secret.begin(), c.secret.end(), i) != c.secret.end();
            EXPECT_EQ(secret_argument(w, i), expect) << c.args[0] << " arg " << i;
        }
        EXPECT_FALSE(secret_argument(w, w.size()));
    }
    EXPECT_FALSE(secret_argument({}, 0));
}

}  // namespace
