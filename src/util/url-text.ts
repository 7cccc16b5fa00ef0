/** How a shared service (database, Redis, a bucket) is named in logs and start-up errors. */

/** A service's URL as it may be shown in a log or an error: its password masked. */
export function withoutPassword(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}

/** A service that cannot be used at start, as one line naming it, where it is, and why. */
export function unusable(what: string, where: string, error: unknown): Error {
  const reason = error instanceof Error ? error.message || error.name : String(error);
  return new Error(`${what} (${where}) cannot be used: ${reason}`, { cause: error });
}
