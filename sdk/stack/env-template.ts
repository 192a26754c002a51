const REF = /\{\{([a-zA-Z0-9][a-zA-Z0-9_.-]*)\}\}/g;

/** The services an env value names as `{{service}}`. */
export function envReferences(value: string): string[] {
  return [...value.matchAll(REF)].map((m) => m[1]!);
}

/**
 * An env map with each `{{service}}` replaced by the host this service reaches it at: its address on
 * conductor, its Service's DNS name on Kubernetes, localhost in a podman pod.
 */
export function resolveEnv(env: Record<string, string>, hostOf: (service: string) => string): Record<string, string> {
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v.replace(REF, (_, s: string) => hostOf(s))]));
}
