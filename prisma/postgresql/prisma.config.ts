import path from 'node:path';
import { PrismaPg } from '@prisma/adapter-pg';
import { defineConfig } from 'prisma/config';

// The PostgreSQL schema's Prisma config: the JS engine and the pg driver adapter keep the CLI offline
// (`generate`, `migrate diff`). Migrations are applied by SegFusion itself (src/db/postgresMigrate.ts):
// Prisma Migrate through the pg adapter fails on PostgreSQL's `name` columns (prisma/orm#27403).
export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: path.join(import.meta.dirname, 'schema.prisma'),
  migrations: { path: path.join(import.meta.dirname, 'migrations') },
  async adapter() {
    return new PrismaPg({ connectionString: process.env.DATABASE_URL ?? 'postgresql://localhost/unused' });
  },
});
