/** The hand-edited schema, and the PostgreSQL copy derived from it (relative to the project root). */
export const SQLITE_SCHEMA = 'prisma/schema.prisma';
export const POSTGRES_SCHEMA = 'prisma/postgresql/schema.prisma';
export const POSTGRES_MIGRATIONS = 'prisma/postgresql/migrations';

const HEADER = '// Generated from prisma/schema.prisma by `npm run db:postgres -- schema`: edit that file, not this one.\n';

/**
 * The PostgreSQL schema: the SQLite one with its provider and generated-client folder changed. The
 * models are the same; Prisma maps their types (DateTime to TIMESTAMP(3), Float to DOUBLE PRECISION).
 */
export function derivePostgresSchema(sqliteSchema: string): string {
  const provider = /provider\s*=\s*"sqlite"/;
  const output = /output\s*=\s*"\.\.\/generated\/prisma"/;
  if (!provider.test(sqliteSchema) || !output.test(sqliteSchema)) throw new Error(`${SQLITE_SCHEMA}: no sqlite provider or ../generated/prisma output to derive the PostgreSQL schema from`);
  return HEADER + sqliteSchema.replace(provider, 'provider = "postgresql"').replace(output, 'output          = "../../generated/prisma-pg"');
}
