// The Redis command table (names from `COMMAND LIST` of redis-server 7.0) and operation naming.
#include "protocols/redis/commands.h"

#include <algorithm>
#include <cctype>

namespace obi::redis {
namespace {

// Sorted, lower case.
constexpr std::string_view kCommands[] = {
    "acl", "append", "asking", "auth", "bgrewriteaof", "bgsave", "bitcount", "bitfield", "bitfield_ro", "bitop",
    "bitpos", "blmove", "blmpop", "blpop", "brpop", "brpoplpush", "bzmpop", "bzpopmax", "bzpopmin", "client",
    "cluster", "command", "config", "copy", "dbsize", "debug", "decr", "decrby", "del", "discard", "dump", "echo",
    "eval", "eval_ro", "evalsha", "evalsha_ro", "exec", "exists", "expire", "expireat", "expiretime", "failover",
    "fcall", "fcall_ro", "flushall", "flushdb", "function", "geoadd", "geodist", "geohash", "geopos", "georadius",
    "georadius_ro", "georadiusbymember", "georadiusbymember_ro", "geosearch", "geosearchstore", "get", "getbit",
    "getdel", "getex", "getrange", "getset", "hdel", "hello", "hexists", "hget", "hgetall", "hincrby",
    "hincrbyfloat", "hkeys", "hlen", "hmget", "hmset", "hrandfield", "hscan", "hset", "hsetnx", "hstrlen", "hvals",
    "incr", "incrby", "incrbyfloat", "info", "keys", "lastsave", "latency", "lcs", "lindex", "linsert", "llen",
    "lmove", "lmpop", "lolwut", "lpop", "lpos", "lpush", "lpushx", "lrange", "lrem", "lset", "ltrim", "memory",
    "mget", "migrate", "module", "monitor", "move", "mset", "msetnx", "multi", "object", "persist", "pexpire",
    "pexpireat", "pexpiretime", "pfadd", "pfcount", "pfdebug", "pfmerge", "pfselftest", "ping", "psetex",
    "psubscribe", "psync", "pttl", "publish", "pubsub", "punsubscribe", "quit", "randomkey", "readonly",
    "readwrite", "rename", "renamenx", "replconf", "replicaof", "reset", "restore", "restore-asking", "role", "rpop",
    "rpoplpush", "rpush", "rpushx", "sadd", "save", "scan", "scard", "script", "sdiff", "sdiffstore", "select", "set",
    "setbit", "setex", "setnx", "setrange", "shutdown", "sinter", "sintercard", "sinterstore", "sismember",
    "slaveof", "slowlog", "smembers", "smismember", "smove", "sort", "sort_ro", "spop", "spublish", "srandmember",
    "srem", "sscan", "ssubscribe", "strlen", "subscribe", "substr", "sunion", "sunionstore", "sunsubscribe",
    "swapdb", "sync", "time", "touch", "ttl", "type", "unlink", "unsubscribe", "unwatch", "wait", "waitaof", "watch",
    "xack", "xadd", "xautoclaim", "xclaim", "xdel", "xgroup", "xinfo", "xlen", "xpending", "xrange", "xread",
    "xreadgroup", "xrevrange", "xsetid", "xtrim", "zadd", "zcard", "zcount", "zdiff", "zdiffstore", "zincrby",
    "zinter", "zintercard", "zinterstore", "zlexcount", "zmpop", "zmscore", "zpopmax", "zpopmin", "zrandmember",
    "zrange", "zrangebylex", "zrangebyscore", "zrangestore", "zrank", "zrem", "zremrangebylex", "zremrangebyrank",
    "zremrangebyscore", "zrevrange", "zrevrangebylex", "zrevrangebyscore", "zrevrank", "zscan", "zscore", "zunion",
    "zunionstore"};

constexpr std::string_view kContainers[] = {"acl",    "client", "cluster", "command", "config", "debug",
                                            "function", "latency", "memory", "module", "object", "pubsub",
                                            "script", "slowlog", "xgroup", "xinfo"};

// Words of memcached's text protocol, and NATS' PING, that must not make a connection Redis.
constexpr std::string_view kNotForDetection[] = {"append", "decr", "get", "incr", "ping", "quit", "set", "touch"};

// Lower-cases `s` into `buf` (at most 64 bytes); false when longer.
bool lower(std::string_view s, char (&buf)[64], std::string_view& out)
{
    if (s.empty() || s.size() > sizeof(buf)) return false;
    for (size_t i = 0; i < s.size(); i++) buf[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[i])));
    out = std::string_view(buf, s.size());
    return true;
}

template <size_t N>
bool in(const std::string_view (&list)[N], std::string_view lc)
{
    return std::find(std::begin(list), std::end(list), lc) != std::end(list);
}

}  // namespace

bool known_command(std::string_view name)
{
    char buf[64];
    std::string_view lc;
    if (!lower(name, buf, lc)) return false;
    return std::binary_search(std::begin(kCommands), std::end(kCommands), lc);
}

bool container_command(std::string_view name)
{
    char buf[64];
    std::string_view lc;
    return lower(name, buf, lc) && in(kContainers, lc);
}

bool inline_detectable(std::string_view name)
{
    char buf[64];
    std::string_view lc;
    if (!lower(name, buf, lc)) return false;
    return std::binary_search(std::begin(kCommands), std::end(kCommands), lc) && !in(kNotForDetection, lc);
}

bool command_token(std::string_view s)
{
    if (s.empty() || s.size() > 64 || !std::isalpha(static_cast<unsigned char>(s[0]))) return false;
    return std::all_of(s.begin(), s.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' || c == '|' || c == ':';
    });
}

void operation_name(std::string_view cmd, std::string_view sub, bool has_sub, std::string& out)
{
    out.clear();
    if (!command_token(cmd)) return;
    for (char c : cmd) out.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
    if (!has_sub || !container_command(cmd) || sub.size() > 32 || !command_token(sub)) return;
    out.push_back(' ');
    for (char c : sub) out.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
}

}  // namespace obi::redis
