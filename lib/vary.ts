import type { ServerResponse } from 'node:http';
import vary from 'vary';

const KEPT_FIELDS = Symbol('nestjs-cors-policy:vary-fields');
const ORIGINAL_SET_HEADER = Symbol('nestjs-cors-policy:set-header');

type VaryingResponse = ServerResponse & {
  [KEPT_FIELDS]?: string;
  [ORIGINAL_SET_HEADER]?: ServerResponse['setHeader'];
};

/**
 * Appends `field` to the response's `Vary` and keeps it there: a handler that later sets its
 * own `Vary` (`@Header('Vary', 'Accept')`, `res.setHeader('Vary', ...)`) gets it appended
 * instead of losing it, which would let a shared cache serve one origin's answer to another.
 */
export function appendVary(res: ServerResponse, field: string): void {
  const response = res as VaryingResponse;
  // The common case (no Vary yet) needs no parsing.
  if (response.getHeader('Vary') === undefined) response.setHeader('Vary', field);
  else vary(res, field);
  const kept = response[KEPT_FIELDS];
  if (kept === undefined) {
    response[ORIGINAL_SET_HEADER] = response.setHeader;
    response.setHeader = setHeaderKeepingVary;
    response[KEPT_FIELDS] = field;
  } else {
    response[KEPT_FIELDS] = `${kept}, ${field}`;
  }
}

function setHeaderKeepingVary(this: VaryingResponse, name: string, value: number | string | readonly string[]) {
  const setHeader = this[ORIGINAL_SET_HEADER]!;
  if (name.length === 4 && name.toLowerCase() === 'vary') {
    const text = Array.isArray(value) ? value.join(', ') : String(value);
    return setHeader.call(this, name, vary.append(text, this[KEPT_FIELDS]!));
  }
  return setHeader.call(this, name, value);
}
