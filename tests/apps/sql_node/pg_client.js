// PostgreSQL client for the SQL tests: node `pg` over the extended protocol (Parse/Bind/
// Describe/Execute/Sync), with named and unnamed prepared statements and an error.
//   node pg_client.js PORT DATABASE [SCENARIO...]   scenarios: named unnamed error rows
// Prints {"localPort"} once connected, one JSON line per query ({"scenario", "rows"|"error", "code"}) and "done".
'use strict';
const { Client } = require('pg');

const [port, database, ...wanted] = process.argv.slice(2);
const scenarios = {
  // One named statement, executed three times: Parse once, then Bind/Execute per run.
  named: async (c) => {
    const out = [];
    for (const id of [1, 2, 1]) {
      const r = await c.query({ name: 'contact_by_id', text: 'SELECT id, name FROM accounting.contacts WHERE id = $1', values: [id] });
      out.push(r.rowCount);
    }
    return out;
  },
  // The unnamed statement (a parameterised query).
  unnamed: async (c) => (await c.query('UPDATE items SET qty = $1 WHERE id = $2', [7, 3])).rowCount,
  // A table that does not exist: ErrorResponse 42P01.
  error: async (c) => (await c.query('SELECT * FROM missing_table WHERE id = $1', [1])).rowCount,
  // A large result over the extended protocol (spans many reads).
  rows: async (c) => (await c.query({ name: 'all_items', text: 'SELECT id, label, qty FROM items WHERE id > $1', values: [0] })).rowCount,
};

(async () => {
  const c = new Client({ host: '127.0.0.1', port: Number(port), user: 'postgres', database });
  await c.connect();
  console.log(JSON.stringify({ localPort: c.connection.stream.localPort }));
  for (const name of wanted.length ? wanted : Object.keys(scenarios)) {
    try {
      console.log(JSON.stringify({ scenario: name, rows: await scenarios[name](c) }));
    } catch (e) {
      console.log(JSON.stringify({ scenario: name, error: e.message, code: e.code }));
    }
  }
  await c.end();
  console.log('done');
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
