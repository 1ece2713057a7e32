import { ServerResponse } from 'node:http';
import vary from 'vary';

const VARY_STATE = Symbol('nestjs-cors-policy:vary');

interface VaryState {
  /** The response's own `setHeader`, called for every header. */
  readonly setHeader: ServerResponse['setHeader'];
  /** The fields this library added, kept whatever `Vary` is set to later. */
  fields: string;
}

type VaryingResponse = ServerResponse & { [VARY_STATE]?: VaryState };

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
  const state = response[VARY_STATE];
  if (state === undefined) {
    // eslint-disable-next-line @typescript-eslint/unbound-method -- called with `.call(this)` in setHeaderKeepingVary
    response[VARY_STATE] = { setHeader: response.setHeader, fields: field };
    response.setHeader = setHeaderKeepingVary;
  } else {
    state.fields = `${state.fields}, ${field}`;
  }
}

function setHeaderKeepingVary(this: VaryingResponse, name: string, value: number | string | readonly string[]) {
  const state = this[VARY_STATE];
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called with `.call(this)` below
  const setHeader = state?.setHeader ?? ServerResponse.prototype.setHeader;
  if (state !== undefined && name.length === 4 && name.toLowerCase() === 'vary') {
    const text = Array.isArray(value) ? value.join(', ') : String(value);
    return setHeader.call(this, name, vary.append(text, state.fields));
  }
  return setHeader.call(this, name, value);
}
