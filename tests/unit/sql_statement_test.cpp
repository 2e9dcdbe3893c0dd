// SQL statement summaries (src/protocols/sql/statement.h): operation and first table for the
// statements real clients send, truncated statements, quoting, comments; the detectors'
// "starts like SQL" check; clean text prefixes of cut or binary statements.
#include <gtest/gtest.h>

#include "protocols/sql/statement.h"

namespace obi::sql {
namespace {

struct Case {
    const char* sql;
    const char* op;
    const char* table;
};

TEST(SqlStatement, OperationAndTable)
{
    const Case cases[] = {
        {"SELECT * from accounting.contacts WHERE id=1", "SELECT", "accounting.contacts"},
        {"select id, name from users u join orders o on o.uid = u.id", "SELECT", "users"},
        {"SELECT extract(year FROM ts) FROM events", "SELECT", "events"},
        {"SELECT * FROM (SELECT a FROM inner_t) x", "SELECT", "inner_t"},
        {"SELECT count(*) FROM generate_series(1, 10)", "SELECT", ""},
        {"SELECT 1", "SELECT", ""},
        {"SELECT 1; SELECT 2", "SELECT", ""},
        {"  /* c */ -- line\n (SELECT a FROM \"My Table\")", "SELECT", "My Table"},
        {"SELECT * FROM `shop`.`items` WHERE id = ?", "SELECT", "shop.items"},
        {"SELECT * FROM ONLY parent", "SELECT", "parent"},
        {"SELECT 'FROM fake' AS x FROM real_t", "SELECT", "real_t"},
        {"INSERT INTO items(label, qty) VALUES ($$it's$$, 5)", "INSERT", "items"},
        {"insert ignore into logs values (1)", "INSERT", "logs"},
        {"REPLACE INTO kv VALUES (1, 'a')", "REPLACE", "kv"},
        {"UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2", "UPDATE", "pgbench_accounts"},
        {"UPDATE ONLY t SET a = 1", "UPDATE", "t"},
        {"DELETE FROM items WHERE id > 2000", "DELETE", "items"},
        {"DELETE LOW_PRIORITY FROM s.t", "DELETE", "s.t"},
        {"CREATE TABLE IF NOT EXISTS public.t (id int)", "CREATE", "public.t"},
        {"CREATE TEMP TABLE t(id int, n text)", "CREATE", "t"},
        {"CREATE UNIQUE INDEX CONCURRENTLY i ON orders (id)", "CREATE", "orders"},
        {"CREATE SCHEMA accounting", "CREATE", ""},
        {"CREATE OR REPLACE VIEW v AS SELECT 1", "CREATE", "v"},
        {"DROP TABLE IF EXISTS old_t", "DROP", "old_t"},
        {"ALTER TABLE ONLY t ADD COLUMN c int", "ALTER", "t"},
        {"TRUNCATE TABLE pgbench_history", "TRUNCATE", "pgbench_history"},
        {"truncate logs", "TRUNCATE", "logs"},
        {"COPY t FROM STDIN", "COPY", "t"},
        {"COPY  ( SELECT id,label FROM items WHERE id < 50) TO STDOUT", "COPY", ""},
        {"WITH x AS (SELECT id FROM a) DELETE FROM b WHERE id IN (SELECT id FROM x)", "DELETE", "b"},
        {"WITH RECURSIVE r(n) AS (SELECT 1 UNION SELECT n+1 FROM r) SELECT * FROM r", "SELECT", "r"},
        {"WITH x AS (SELECT id FROM a", "SELECT", ""},
        {"BEGIN", "BEGIN", ""},
        {"BEGIN;", "BEGIN", ""},
        {"commit", "COMMIT", ""},
        {"END;", "END", ""},
        {"ROLLBACK", "ROLLBACK", ""},
        {"SET AUTOCOMMIT = 0", "SET", ""},
        {"SHOW TABLES", "SHOW", ""},
        {"EXPLAIN SELECT * FROM t", "EXPLAIN", ""},
        {"CALL proc(1)", "CALL", ""},
        {"LOCK TABLES t WRITE", "LOCK", "t"},
        {"select @@version_comment limit 1", "SELECT", ""},
        {"hello world", "", ""},
        {"", "", ""},
        {"42", "", ""},
        {"SELECT * FROM", "SELECT", ""},  // truncated
        {"SELECT a FROM tab", "SELECT", "tab"},
        {"SELECT a FROM \"unterminated", "SELECT", ""},
    };
    for (const auto& c : cases) {
        StatementSummary s = summarize(c.sql);
        EXPECT_EQ(s.operation, c.op) << c.sql;
        EXPECT_EQ(s.collection, c.table) << c.sql;
    }
}

TEST(SqlStatement, LongNamesAreBounded)
{
    std::string name(5000, 'n');
    StatementSummary s = summarize("SELECT * FROM " + name + "." + name);
    EXPECT_EQ(s.operation, "SELECT");
    EXPECT_LE(s.collection.size(), 256u);
    std::string deep(10000, '(');
    EXPECT_EQ(summarize(deep + "SELECT 1").operation, "");  // too deep to be a statement head we follow
}

TEST(SqlStatement, StartsLikeSql)
{
    for (const char* yes : {"SELECT 1", "  select", "(SELECT", "/* x */ INSERT", "-- c\nUPDATE", "BEGIN", "with x",
                            "SET search_path", "DEALLOCATE p"})
        EXPECT_TRUE(starts_like_sql(yes)) << yes;
    for (const char* no : {"", "GET / HTTP/1.1", "hello", "SELECTED", "\x01\x02", "42", "'SELECT'", "PING"})
        EXPECT_FALSE(starts_like_sql(no)) << no;
}

TEST(SqlStatement, CleanTextPrefix)
{
    EXPECT_EQ(clean_text_prefix("SELECT 1"), "SELECT 1");
    EXPECT_EQ(clean_text_prefix("SELECT\t1\r\n"), "SELECT\t1\r\n");
    EXPECT_EQ(clean_text_prefix(std::string_view("SELECT\0x", 8)), "SELECT");
    EXPECT_EQ(clean_text_prefix("caf\xc3\xa9!"), "caf\xc3\xa9!");
    EXPECT_EQ(clean_text_prefix("caf\xc3"), "caf");              // cut inside a character
    EXPECT_EQ(clean_text_prefix("a\xe2\x82"), "a");               // cut inside a 3-byte character
    EXPECT_EQ(clean_text_prefix("a\xff" "b"), "a");                // not UTF-8
    EXPECT_EQ(clean_text_prefix("a\xc0\xaf"), "a");                // overlong
    EXPECT_EQ(clean_text_prefix("a\xed\xa0\x80"), "a");            // surrogate
    EXPECT_EQ(clean_text_prefix("\xf0\x9f\x98\x80 ok"), "\xf0\x9f\x98\x80 ok");
}

}  // namespace
}  // namespace obi::sql
