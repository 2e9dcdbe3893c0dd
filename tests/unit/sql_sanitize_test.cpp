// db.query.text sanitisation (src/protocols/sql/sanitize.h): every literal becomes `?` in
// both dialects; identifiers, keywords, placeholders and comments stay; a literal hidden
// behind tricky quoting never leaks.
#include <gtest/gtest.h>

#include "protocols/sql/sanitize.h"

namespace obi::sql {
namespace {

struct Case {
    const char* in;
    const char* out;
};

TEST(SqlSanitize, BothDialects)
{
    const Case cases[] = {
        {"SELECT * FROM t WHERE a = 'x' AND b = 5", "SELECT * FROM t WHERE a = ? AND b = ?"},
        {"SELECT * from accounting.contacts WHERE id=1", "SELECT * from accounting.contacts WHERE id=?"},
        {"INSERT INTO t(a, b) VALUES ('it''s', -12.5e3)", "INSERT INTO t(a, b) VALUES (?, -?)"},
        {"SELECT 1.5, .5, 0x1F, 3e10, 4E-2", "SELECT ?, ?, ?, ?, ?"},
        {"WHERE id IN (1, 2, 3)", "WHERE id IN (?, ?, ?)"},
        {"SELECT t1.col_2 FROM t1", "SELECT t1.col_2 FROM t1"},
        {"WHERE a = $1 AND b = $22", "WHERE a = $1 AND b = $22"},
        {"WHERE a = ? AND b = :name", "WHERE a = ? AND b = :name"},
        {"SELECT X'DEADBEEF', B'0101', N'text'", "SELECT ?, ?, ?"},
        {"SELECT 'unterminated", "SELECT ?"},
        {"SELECT 1 -- trailing 'comment'\nFROM t", "SELECT ? -- trailing 'comment'\nFROM t"},
        {"SELECT /* why */ 2", "SELECT /* why */ ?"},
        {"", ""},
    };
    for (Dialect d : {Dialect::Postgres, Dialect::MySQL})
        for (const auto& c : cases) EXPECT_EQ(sanitize(c.in, d), c.out) << c.in;
}

TEST(SqlSanitize, Postgres)
{
    const Case cases[] = {
        // backslash is not an escape in standard strings: the string ends at the second quote
        {"SELECT 'a\\', 'b'", "SELECT ?, ?"},
        {"SELECT E'it\\'s', 2", "SELECT ?, ?"},
        {"SELECT $$it's$$, $tag$ a $$ b $tag$, 3", "SELECT ?, ?, ?"},
        {"INSERT INTO items(label, qty) VALUES ($$it's$$, 5);", "INSERT INTO items(label, qty) VALUES (?, ?);"},
        {"SELECT \"Weird Col\", \"a\"\"b\" FROM \"T\"", "SELECT \"Weird Col\", \"a\"\"b\" FROM \"T\""},
        {"SELECT U&'d\\0061t'", "SELECT U&?"},
        // nested block comments: the quote inside is comment text
        {"/* /* */ ' */ SELECT 'secret'", "/* /* */ ' */ SELECT ?"},
        {"SELECT $1::text, a$b FROM t", "SELECT $1::text, a$b FROM t"},
        {"SELECT '2024-01-01'::date", "SELECT ?::date"},
    };
    for (const auto& c : cases) EXPECT_EQ(sanitize(c.in, Dialect::Postgres), c.out) << c.in;
}

TEST(SqlSanitize, MySQL)
{
    const Case cases[] = {
        {"SELECT \"secret\", 'x'", "SELECT ?, ?"},  // double quotes are strings by default
        {"SELECT 'it\\'s', \"say \\\"hi\\\"\"", "SELECT ?, ?"},
        {"INSERT INTO items(label,qty) VALUES ('it\\'s \"q\"', 5)", "INSERT INTO items(label,qty) VALUES (?, ?)"},
        {"SELECT `weird col` FROM `db`.`t`", "SELECT `weird col` FROM `db`.`t`"},
        {"SELECT 1 # a 'comment\nFROM t WHERE x = 'secret'", "SELECT ? # a 'comment\nFROM t WHERE x = ?"},
        {"SELECT a#b\n, 'y'", "SELECT a#b\n, ?"},
        {"SELECT 'a''b', 'c\\\\'", "SELECT ?, ?"},
        {"/* not nested /* */ 'x'", "/* not nested /* */ ?"},
    };
    for (const auto& c : cases) EXPECT_EQ(sanitize(c.in, Dialect::MySQL), c.out) << c.in;
}

TEST(SqlSanitize, NoLiteralCharacterSurvives)
{
    // Every digit or quoted letter of a literal must be gone, whatever surrounds it.
    const char* secrets[] = {"'S3CRET'", "\"S3CRET\"", "E'S3\\'CRET'", "$q$S3CRET$q$", "$$S3CRET$$", "123456789"};
    const char* frames[] = {"SELECT %s", "x=%s;", "(%s)", "f(%s,%s)", "%s%s", "a /* c */ %s -- d"};
    for (const char* sec : secrets)
        for (const char* f : frames) {
            std::string q = f;
            for (size_t p; (p = q.find("%s")) != std::string::npos;) q.replace(p, 2, sec);
            for (Dialect d : {Dialect::Postgres, Dialect::MySQL}) {
                std::string out = sanitize(q, d);
                if (d == Dialect::MySQL && sec[0] == '$') continue;  // dollar quoting is Postgres only
                if (d == Dialect::Postgres && sec[0] == '"') continue;  // a quoted identifier there
                EXPECT_EQ(out.find("S3"), std::string::npos) << q << " -> " << out;
                EXPECT_EQ(out.find("123"), std::string::npos) << q << " -> " << out;
            }
        }
}

}  // namespace
}  // namespace obi::sql
