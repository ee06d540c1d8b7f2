// Environment variables that choose what a run does (REDSHIFT_BACKEND, REDSHIFT_PROFILE, ...).

/** The variable's value, or `undefined` when it is unset, empty, or unreadable (no --allow-env). */
export function readEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name) || undefined;
  } catch {
    return undefined;
  }
}
