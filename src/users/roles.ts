import { z } from 'zod';

/**
 * Roles, each including the one before: a viewer reads everything; a researcher also launches runs and
 * studies, exports models, and cancels, resumes, tags and annotates the runs they launched; an admin
 * also ingests and deletes datasets and runs, acts on anyone's runs, manages users and reads the audit log.
 */
export const ROLES = ['viewer', 'researcher', 'admin'] as const;
export const RoleSchema = z.enum(ROLES);
export type Role = z.infer<typeof RoleSchema>;

/** Who a request or command acts for. */
export interface Principal {
  /** A user's name, "token" (the shared SEGFUSION_TOKEN), "local" (a loopback server without accounts) or "cli:<os user>". */
  name: string;
  role: Role;
}

export const atLeast = (role: Role, needed: Role): boolean => ROLES.indexOf(role) >= ROLES.indexOf(needed);

/** Whether `who` may change a run launched by `owner`: its owner (a researcher or more), or an admin. */
export const mayActOnRun = (who: Principal, owner: string | null): boolean => who.role === 'admin' || (atLeast(who.role, 'researcher') && owner === who.name);

export class ForbiddenError extends Error {
  override name = 'ForbiddenError';
}
