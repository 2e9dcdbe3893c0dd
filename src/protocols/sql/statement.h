// What a span needs from an SQL statement's text: the operation (db.operation.name) and the
// first table it names (db.collection.name, kept qualified: accounting.contacts). Works on a
// truncated statement too; never allocates beyond the two results.
#pragma once

#include <string>
#include <string_view>

namespace obi::sql {

struct StatementSummary {
    std::string operation;   // upper case: SELECT INSERT UPDATE DELETE ALTER CREATE DROP, else the leading keyword
    std::string collection;  // the first table, quotes removed, qualification kept; "" when none
};

// OBI's rule: the operation is the first of SELECT/INSERT/UPDATE/DELETE/ALTER/CREATE/DROP
// (so `WITH x AS (...) DELETE FROM t` is DELETE). A statement led by another keyword (BEGIN,
// COMMIT, SET, SHOW, TRUNCATE, COPY, CALL, ...) gets that keyword, upper case.
StatementSummary summarize(std::string_view statement);

// The statement starts (after blanks, comments and parentheses) with a keyword SQL
// statements start with. Used by the detectors to confirm a mid-stream query message.
bool starts_like_sql(std::string_view text);

// The longest prefix of `s` that is valid UTF-8 with no NUL or other C0 control except tab,
// CR and LF: a statement cut by the capture budget (or by garbage) ends cleanly there.
std::string_view clean_text_prefix(std::string_view s);

}  // namespace obi::sql
