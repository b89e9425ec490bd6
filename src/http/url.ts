/** Joins a base URL that may carry a path prefix (GitHub Enterprise's /api/v3, a proxy's /domo) with a path. */
export function joinUrl(base: string, path: string, query?: Record<string, string | number | boolean | undefined>): string {
  const url = new URL(base);
  const prefix = url.pathname.replace(/\/+$/, '');
  url.pathname = `${prefix}${path.startsWith('/') ? path : `/${path}`}`;
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined) url.searchParams.set(key, String(value));
  }
  return url.toString();
}
