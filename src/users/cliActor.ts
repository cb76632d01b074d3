import os from 'node:os';
import type { Principal } from './roles.js';

/**
 * Who a command-line command acts for: "cli:<os user>". The command line talks to the catalogue
 * directly (no API token), so the operating system's account is what identifies the person.
 */
export function cliActor(): string {
  let user = 'unknown';
  try {
    user = os.userInfo().username;
  } catch {
    // A uid without a passwd entry (some containers): keep "unknown".
  }
  return `cli:${user}`;
}

/** The command line as a principal: an admin, since it reads and writes the catalogue directly anyway. */
export const cliPrincipal = (): Principal => ({ name: cliActor(), role: 'admin' });
