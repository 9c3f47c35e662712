// Runs DuckDB SQL files with @duckdb/node-api and prints the rows of the last file's last
// statement as a JSON array of objects (CommonJS, so NODE_PATH finds the package):
//   npm install --prefix ~/duckdb @duckdb/node-api
//   NODE_PATH=~/duckdb/node_modules node docs/analysis/duckdb.cjs \
//     docs/analysis/setup.sql docs/analysis/tasks_per_outcome.sql
// The duckdb CLI runs the same files: duckdb -c ".read setup.sql" -c ".read tasks_per_outcome.sql"
const { readFileSync } = require("node:fs");
const { DuckDBInstance } = require("@duckdb/node-api");

(async () => {
  const connection = await (await DuckDBInstance.create(":memory:")).connect();
  let rows = [];
  for (const file of process.argv.slice(2)) {
    const reader = await connection.runAndReadAll(readFileSync(file, "utf8"));
    rows = reader.getRowObjectsJson();
  }
  console.log(JSON.stringify(rows));
})().catch((err) => {
  console.error(err.message);
  process.exit(1);
});
