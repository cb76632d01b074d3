import type { Command } from 'commander';
import { ROLES, RoleSchema } from '../users/roles.js';
import { table } from './tables.js';
import { withDb } from './withDb.js';

const role = (v: string) => {
  const r = RoleSchema.safeParse(v);
  if (!r.success) throw new Error(`--role must be one of ${ROLES.join(', ')}, got "${v}"`);
  return r.data;
};

const date = (d: Date | null) => (d ? d.toISOString().slice(0, 16).replace('T', ' ') : '–');

export function addUserCommands(program: Command): void {
  const user = program.command('user').description(`accounts of a shared server, with roles (${ROLES.join(' < ')}) and personal API tokens`);
  user
    .command('add')
    .description('create an account and print its personal API token, once (the catalogue keeps only its scrypt hash)')
    .argument('<name>')
    .requiredOption('--role <role>', ROLES.join(' | '), role)
    .action(async (name: string, o: { role: (typeof ROLES)[number] }) => {
      const [{ addUser, recordAudit }, { cliActor }] = await Promise.all([import('../db/users.js'), import('../users/cliActor.js')]);
      const added = await withDb(async (db) => {
        const a = await addUser(db, name, o.role);
        await recordAudit(db, cliActor(), 'user.add', a.name, { role: a.role });
        return a;
      });
      console.log(`User ${added.name} (${added.role}). Their API token, shown this once:\n${added.token}`);
    });
  user
    .command('token')
    .description('print a new personal API token for a user, once (their other tokens keep working until revoked)')
    .argument('<name>')
    .action(async (name: string) => {
      const [{ addToken, recordAudit }, { cliActor }] = await Promise.all([import('../db/users.js'), import('../users/cliActor.js')]);
      const token = await withDb(async (db) => {
        const t = await addToken(db, name);
        await recordAudit(db, cliActor(), 'user.token', name);
        return t;
      });
      console.log(token);
    });
  user
    .command('revoke')
    .description('revoke every token of a user and end their sessions; --disable also stops them signing in again')
    .argument('<name>')
    .option('--disable', 'disable the account')
    .action(async (name: string, o: { disable?: boolean }) => {
      const [{ recordAudit, revokeUser }, { cliActor }] = await Promise.all([import('../db/users.js'), import('../users/cliActor.js')]);
      const r = await withDb(async (db) => {
        const done = await revokeUser(db, name, o);
        await recordAudit(db, cliActor(), o.disable ? 'user.disable' : 'user.revoke', name, { tokens: done.tokens });
        return done;
      });
      console.log(`${name}: ${r.tokens} token(s) revoked, sessions ended${o.disable ? ', account disabled' : ''}`);
    });
  user
    .command('role')
    .description("change a user's role")
    .argument('<name>')
    .argument('<role>', ROLES.join(' | '), role)
    .action(async (name: string, r: (typeof ROLES)[number]) => {
      const [{ recordAudit, setRole }, { cliActor }] = await Promise.all([import('../db/users.js'), import('../users/cliActor.js')]);
      await withDb(async (db) => {
        await setRole(db, name, r);
        await recordAudit(db, cliActor(), 'user.role', name, { role: r });
      });
      console.log(`${name} is now a ${r}`);
    });
  user
    .command('list')
    .description('accounts with their roles and tokens (ids and dates, never a secret)')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const { listUsers } = await import('../db/users.js');
      const users = await withDb(listUsers);
      if (o.json) return console.log(JSON.stringify(users));
      console.log(
        table(
          ['user', 'role', 'created', 'disabled', 'tokens (id, last used, revoked)'],
          users.map((u) => [u.name, u.role, date(u.createdAt), date(u.disabledAt), u.tokens.map((t) => `${t.id} ${date(t.lastUsedAt)}${t.revokedAt ? ' revoked' : ''}`).join('\n')]),
        ),
      );
    });

  program
    .command('audit')
    .description('who did what: runs launched, cancelled, resumed, deleted, exported; studies; ingests; users; sign-ins (newest first)')
    .option('--limit <n>', 'how many (1-500)', '50')
    .option('--actor <name>', 'only this actor (a user, token, local or cli:USER)')
    .option('--action <prefix>', 'only actions starting so, e.g. run.')
    .option('--json', 'print JSON')
    .action(async (o: { limit: string; actor?: string; action?: string; json?: boolean }) => {
      const { listAudit } = await import('../db/users.js');
      const limit = Number(o.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new Error(`--limit must be a whole number from 1 to 500, got "${o.limit}"`);
      const r = await withDb((db) => listAudit(db, { limit, offset: 0, actor: o.actor, action: o.action }));
      if (o.json) return console.log(JSON.stringify(r));
      console.log(
        table(
          ['at', 'actor', 'action', 'target', 'detail'],
          r.items.map((e) => [e.at.toISOString(), e.actor, e.action, e.target ?? '', e.detail ? JSON.stringify(e.detail) : '']),
        ),
      );
    });
}
