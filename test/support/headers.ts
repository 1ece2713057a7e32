import type { Response } from 'supertest';

/** Every `Access-Control-*` header of a response, so that `toEqual` pins values and absences at once. */
export function corsHeaders(res: Response): Record<string, string> {
  return Object.fromEntries(Object.entries(res.headers as Record<string, string>).filter(([name]) => name.startsWith('access-control-')));
}

/** The `Vary` field names of a response, lower case (empty when there is no `Vary`). */
export function varyOf(res: Response): string[] {
  const value = res.headers.vary as string | undefined;
  return value === undefined
    ? []
    : value
        .split(',')
        .map((field) => field.trim().toLowerCase())
        .filter(Boolean);
}
