import { parse } from 'tldts';

/**
 * The Public Suffix List (ICANN and private sections), from `tldts`: its trie is built when the
 * module loads, and it is only asked at startup, while rules are compiled.
 */
const PSL_OPTIONS = { allowPrivateDomains: true, extractHostname: false, validateHostname: false } as const;

/** A public suffix a domain is, and the section of the list that names it. */
export interface PublicSuffix {
  readonly suffix: string;
  readonly section: 'ICANN' | 'private';
}

/**
 * The public suffix that `domain` is itself (`github.io`, `co.uk`, `s3.amazonaws.com`), or
 * `undefined` when it is a domain someone registered (`example.com`, `myapp.github.io`) or is
 * unknown to the list (`example.internal`: the list's default rule is not a listing).
 */
export function publicSuffixOf(domain: string): PublicSuffix | undefined {
  const { publicSuffix, isIcann, isPrivate } = parse(domain, PSL_OPTIONS);
  if (publicSuffix !== domain || (isIcann !== true && isPrivate !== true)) return undefined;
  return { suffix: domain, section: isPrivate === true ? 'private' : 'ICANN' };
}

/** Why a subdomain pattern under a public suffix trusts strangers, for errors and warnings. */
export function describePublicSuffixPattern(pattern: string, { suffix, section }: PublicSuffix): string {
  return `"${pattern}" is a subdomain pattern directly under the public suffix ${suffix} (${section} section of the Public Suffix List): anyone can get a subdomain there, so it trusts every stranger's page`;
}

/**
 * The domain a `RegExp` rule ends with when a wildcard part comes before it
 * (`/^https:\/\/[a-z0-9-]+\.github\.io$/` → `github.io`), or `undefined` when it cannot tell.
 * A port at the end (`(:\d+)?`) is looked past.
 */
export function regExpTailDomain(source: string): string | undefined {
  let body = source.endsWith('$') && !source.endsWith('\\$') ? source.slice(0, -1) : source;
  body = body.replace(/(?:\((?:\?:)?:(?:\\d|\[0-9\])(?:[+*]|\{[\d,]+\})\)\?|:(?:\\d|\[0-9\])(?:[+*]|\{[\d,]+\})|:\d+)$/, '');
  let tail = '';
  let index = body.length;
  while (index > 0) {
    const char = body[index - 1];
    if (/[a-z0-9-]/i.test(char) && body[index - 2] !== '\\') {
      tail = char + tail;
      index -= 1;
    } else if (char === '.' && body[index - 2] === '\\' && body[index - 3] !== '\\') {
      tail = `.${tail}`;
      index -= 2;
    } else break;
  }
  // What comes before the literal tail must be a wildcard part (or nothing: an unanchored start), not "://" or "^".
  const before = body.slice(0, index);
  if (before.endsWith('/') || before.endsWith('^')) return undefined;
  const domain = tail.startsWith('.') ? tail.slice(1) : tail;
  return domain === '' ? undefined : domain.toLowerCase();
}
