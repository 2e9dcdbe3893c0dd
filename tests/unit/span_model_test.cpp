// OBI's naming, kind, status and attribute rules for RPC, database, messaging and DNS spans
// (obi-compat.md 3.1-3.3 and acceptance examples 8, 9, 11, 12), the shared span-context
// rules, and the db.query.text opt-in / sanitisation stage.
#include <gtest/gtest.h>

#include <map>

#include "conntrack/span_context.h"
#include "pipeline/query_stage.h"
#include "spans/attributes.h"

namespace obi {
namespace {

std::map<std::string, Attribute> attrs(const Span& s)
{
    std::map<std::string, Attribute> m;
    for (auto& a : span_attributes(s)) m[a.key] = a;
    return m;
}

std::string str(const std::map<std::string, Attribute>& m, const std::string& k)
{
    auto it = m.find(k);
    if (it == m.end()) return "<absent>";
    if (auto* s = std::get_if<std::string>(&it->second.value)) return *s;
    if (auto* i = std::get_if<int64_t>(&it->second.value)) return std::to_string(*i);
    return "<other>";
}

Span grpc(SpanType t, int code)
{
    Span s;
    s.type = t;
    s.method = "POST";
    s.path = "/routeguide.RouteGuide/Debug";
    s.rpc_status = code;
    s.host = "10.0.0.2";
    s.host_port = 50051;
    s.peer = "10.0.0.1";
    return s;
}

TEST(SpanModel, GrpcNamesStatusAndAttributes)  // acceptance example 8
{
    Span srv = grpc(SpanType::GRPC, 2);
    EXPECT_EQ(srv.name(), "/routeguide.RouteGuide/Debug");
    EXPECT_EQ(srv.kind(), SpanKind::Server);
    EXPECT_EQ(srv.status_code(), StatusCode::Error);
    auto a = attrs(srv);
    EXPECT_EQ(str(a, "rpc.system.name"), "grpc");
    EXPECT_EQ(str(a, "rpc.method"), "/routeguide.RouteGuide/Debug");
    EXPECT_EQ(str(a, "rpc.response.status_code"), "UNKNOWN");
    EXPECT_EQ(str(a, "server.port"), "50051");
    EXPECT_EQ(str(a, "client.address"), "10.0.0.1");
    EXPECT_EQ(str(a, "rpc.system"), "<absent>");  // renamed in OBI v0.10
    // Code 5: server UNSET, client ERROR.
    EXPECT_EQ(grpc(SpanType::GRPC, 5).status_code(), StatusCode::Unset);
    EXPECT_EQ(grpc(SpanType::GRPCClient, 5).status_code(), StatusCode::Error);
    EXPECT_EQ(grpc(SpanType::GRPCClient, 0).status_code(), StatusCode::Unset);
    for (int code : {4, 12, 13, 14, 15}) EXPECT_EQ(grpc(SpanType::GRPC, code).status_code(), StatusCode::Error) << code;
    for (int code : {0, 1, 3, 5, 6, 7, 8, 9, 10, 11, 16})
        EXPECT_EQ(grpc(SpanType::GRPC, code).status_code(), StatusCode::Unset) << code;
    EXPECT_EQ(grpc(SpanType::GRPC, -1).status_code(), StatusCode::Error);  // no grpc-status at all
    EXPECT_EQ(grpc_status_name(16), "UNAUTHENTICATED");
    EXPECT_EQ(grpc_status_name(17), "");
    EXPECT_EQ(str(attrs(grpc(SpanType::GRPCClient, 0)), "client.address"), "<absent>");
}

TEST(SpanModel, SqlNameAndAttributes)  // acceptance example 9
{
    Span s;
    s.type = SpanType::SQLClient;
    s.db_system = "postgresql";
    s.operation = "SELECT";
    s.collection = "accounting.contacts";
    s.host = "127.0.0.1";
    s.host_port = 5432;
    EXPECT_EQ(s.name(), "SELECT accounting.contacts");
    EXPECT_EQ(s.kind(), SpanKind::Client);
    EXPECT_EQ(s.status_code(), StatusCode::Unset);
    auto a = attrs(s);
    EXPECT_EQ(str(a, "db.system.name"), "postgresql");
    EXPECT_EQ(str(a, "db.operation.name"), "SELECT");
    EXPECT_EQ(str(a, "db.collection.name"), "accounting.contacts");
    EXPECT_EQ(str(a, "server.port"), "5432");
    EXPECT_EQ(str(a, "db.query.text"), "<absent>");
    EXPECT_EQ(str(a, "error.type"), "<absent>");
    s.collection.clear();
    EXPECT_EQ(s.name(), "SELECT");
    s.operation.clear();
    EXPECT_EQ(s.name(), "SQL");
    s.error = true;
    s.error_code = "42P01";
    EXPECT_EQ(s.status_code(), StatusCode::Error);
    a = attrs(s);
    EXPECT_EQ(str(a, "db.response.status_code"), "42P01");
    EXPECT_EQ(str(a, "error.type"), "42P01");
    s.db_system = "mysql";  // MySQL: the server's error number, and the SQLSTATE as the error type
    s.error_code = "42S02";
    s.server_code = "1146";
    a = attrs(s);
    EXPECT_EQ(str(a, "db.response.status_code"), "1146");
    EXPECT_EQ(str(a, "error.type"), "42S02");
    s.type = SpanType::SQLServer;
    EXPECT_EQ(s.kind(), SpanKind::Server);
    EXPECT_NE(str(attrs(s), "client.address"), "<absent>");
}

TEST(SpanModel, RedisMongoMessagingDns)  // acceptance examples 11 and 12
{
    Span r;
    r.type = SpanType::RedisClient;
    r.db_system = "redis";
    r.operation = "SET";
    EXPECT_EQ(r.name(), "SET");
    r.operation.clear();
    EXPECT_EQ(r.name(), "REDIS");
    r.type = SpanType::RedisServer;
    EXPECT_EQ(r.kind(), SpanKind::Server);

    Span m;
    m.type = SpanType::MongoClient;
    m.db_system = "mongodb";
    EXPECT_EQ(m.name(), "mongodb");
    m.collection = "users";
    EXPECT_EQ(m.name(), "users");
    m.operation = "find";
    EXPECT_EQ(m.name(), "find users");

    Span k;
    k.type = SpanType::KafkaClient;
    k.db_system = "kafka";
    k.operation = "publish";
    k.collection = "logging";
    k.partition = 3;
    k.offset = 42;
    EXPECT_EQ(k.name(), "publish logging");
    EXPECT_EQ(k.kind(), SpanKind::Producer);
    auto a = attrs(k);
    EXPECT_EQ(str(a, "messaging.system"), "kafka");
    EXPECT_EQ(str(a, "messaging.destination.name"), "logging");
    EXPECT_EQ(str(a, "messaging.destination.partition.id"), "3");
    EXPECT_EQ(str(a, "messaging.kafka.offset"), "<absent>");  // process only
    k.operation = "process";
    EXPECT_EQ(k.name(), "process logging");
    EXPECT_EQ(k.kind(), SpanKind::Consumer);
    EXPECT_EQ(str(attrs(k), "messaging.kafka.offset"), "42");
    k.error = true;
    EXPECT_EQ(k.status_code(), StatusCode::Unset);  // messaging spans are never errors
    k.type = SpanType::KafkaServer;
    EXPECT_EQ(k.kind(), SpanKind::Server);

    Span d;
    d.type = SpanType::DNS;
    EXPECT_EQ(d.name(), "DNS");
    d.operation = "QUERY";
    d.collection = "svc.test";
    d.dns_qtype = 28;
    d.dns_answers = 1;
    d.dns_addresses = {"::1"};
    EXPECT_EQ(d.name(), "QUERY svc.test");
    EXPECT_EQ(d.kind(), SpanKind::Client);
    a = attrs(d);
    EXPECT_EQ(str(a, "dns.question.name"), "svc.test");
    EXPECT_EQ(str(a, "dns.question.type"), "AAAA");
    for (auto [type, name] : {std::pair<uint16_t, const char*>{257, "CAA"}, {64, "SVCB"}, {48, "DNSKEY"}, {4242, "4242"}}) {
        d.dns_qtype = type;
        EXPECT_EQ(str(attrs(d), "dns.question.type"), name);
    }
    d.dns_qtype = 28;
    ASSERT_TRUE(a.count("dns.answers"));
    EXPECT_EQ(std::get<std::vector<std::string>>(a["dns.answers"].value), std::vector<std::string>{"::1"});
    d.error = true;
    d.error_code = "NXDOMAIN";
    EXPECT_EQ(d.status_code(), StatusCode::Error);
    EXPECT_EQ(str(attrs(d), "error.type"), "NXDOMAIN");
}

TEST(SpanContext, ServerJoinsIncomingTraceAndClientBecomesItsChild)
{
    conntrack::TraceResolver resolver(64);
    obi_trace_ctx k{};
    for (int i = 0; i < 16; i++) k.trace_id[i] = static_cast<uint8_t>(i + 1);
    for (int i = 0; i < 8; i++) k.span_id[i] = static_cast<uint8_t>(0x40 + i);
    k.flags = 1;
    k.valid = 1;
    auto srv = conntrack::assign_span_context(&k, "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", true,
                                              resolver);
    EXPECT_EQ(srv.trace_id.hex(), "0af7651916cd43dd8448eb211c80319c");
    EXPECT_EQ(srv.parent_id.hex(), "b7ad6b7169203331");
    EXPECT_TRUE(srv.from_remote);
    // A client call the kernel parented to that server request's kernel span id.
    obi_trace_ctx kc{};
    for (int i = 0; i < 8; i++) kc.parent_span_id[i] = k.span_id[i];
    for (int i = 0; i < 8; i++) kc.span_id[i] = static_cast<uint8_t>(0x70 + i);
    kc.trace_id[0] = 9;
    kc.valid = 1;
    auto cli = conntrack::assign_span_context(&kc, "", false, resolver);
    EXPECT_EQ(cli.trace_id, srv.trace_id);
    EXPECT_EQ(cli.parent_id, srv.span_id);
    // No kernel context: fresh random ids, no parent.
    auto lone = conntrack::assign_span_context(nullptr, "", false, resolver);
    EXPECT_TRUE(lone.trace_id.valid());
    EXPECT_TRUE(lone.span_id.valid());
    EXPECT_FALSE(lone.parent_id.valid());
}

TEST(QueryStage, QueryTextIsOptInAndSanitised)
{
    Span s;
    s.type = SpanType::SQLClient;
    s.db_system = "postgresql";
    s.statement = "SELECT * FROM users WHERE name = 'bob' AND id = 42";
    s.error_message = "relation does not exist";
    config::AttributesConfig cfg;
    Span a = s;
    pipeline::QueryStage(cfg).apply(a);
    EXPECT_EQ(a.statement, "");  // default: not exported
    EXPECT_EQ(a.error_message, "");
    cfg.select["traces"].include = std::vector<std::string>{"db.query.text", "db.response.error"};
    Span b = s;
    pipeline::QueryStage(cfg).apply(b);
    EXPECT_EQ(b.statement, "SELECT * FROM users WHERE name = ? AND id = ?");
    EXPECT_EQ(b.error_message, "relation does not exist");
    cfg.db_query_text_raw = true;
    Span c = s;
    pipeline::QueryStage(cfg).apply(c);
    EXPECT_EQ(c.statement, s.statement);
    cfg.db_query_text_raw = false;
    cfg.select["traces"].include = std::vector<std::string>{"db.*"};  // a glob enables it too
    Span r;
    r.type = SpanType::RedisClient;
    r.db_system = "redis";
    r.statement = "AUTH hunter2";
    pipeline::QueryStage(cfg).apply(r);
    EXPECT_EQ(r.statement, "AUTH ?");
}

}  // namespace
}  // namespace obi
