// MySQL/MariaDB client for the SQL tests: node `mysql2` prepared statements (COM_STMT_PREPARE,
// COM_STMT_EXECUTE with the binary protocol, COM_STMT_CLOSE) and an error.
//   node mysql_client.js PORT DATABASE USER PASSWORD [SCENARIO...]   scenarios: prepared error rows
// Prints {"localPort"} once connected, one JSON line per scenario and "done".
'use strict';
const mysql = require('mysql2/promise');

const [port, database, user, password, ...wanted] = process.argv.slice(2);
const scenarios = {
  // One statement prepared once and executed three times, then closed.
  prepared: async (c) => {
    const out = [];
    for (const id of [1, 2, 1]) {
      const [rows] = await c.execute('SELECT id, name FROM contacts WHERE id = ?', [id]);
      out.push(rows.length);
    }
    await c.unprepare('SELECT id, name FROM contacts WHERE id = ?');
    return out;
  },
  // Preparing a statement on a missing table fails at COM_STMT_PREPARE (1146, 42S02).
  error: async (c) => (await c.execute('SELECT * FROM missing_table WHERE id = ?', [1]))[0].length,
  // A large binary result set.
  rows: async (c) => (await c.execute('SELECT id, label, qty FROM items WHERE id > ?', [0]))[0].length,
};

(async () => {
  const c = await mysql.createConnection({ host: '127.0.0.1', port: Number(port), user, password, database });
  console.log(JSON.stringify({ localPort: c.connection.stream.localPort }));
  for (const name of wanted.length ? wanted : Object.keys(scenarios)) {
    try {
      console.log(JSON.stringify({ scenario: name, rows: await scenarios[name](c) }));
    } catch (e) {
      console.log(JSON.stringify({ scenario: name, error: e.message, code: e.code, errno: e.errno, sqlState: e.sqlState }));
    }
  }
  await c.end();
  console.log('done');
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
