import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

/**
 * Debian's Chromium (`apt-get install chromium`); never a browser build downloaded by Playwright.
 * `BROWSER_SUITE_CHROMIUM` overrides the path (e.g. to check the skip and CI-failure paths).
 */
export const CHROMIUM_PATH = process.env.BROWSER_SUITE_CHROMIUM || '/usr/bin/chromium';

/** A quiet, fresh, offline-friendly browser: no GPU, no QUIC, no background traffic, no updates. */
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function chromiumIsInstalled(): boolean {
  return existsSync(CHROMIUM_PATH);
}

/** Launches Chromium with a fresh temporary profile (Playwright's `launch` creates and removes it). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: [...CHROMIUM_ARGS], timeout: 60_000 });
}

/** What a page's JavaScript saw of one fetch: the response it could read, or the error fetch threw. */
export type ProbeResult =
  | { readonly ok: true; readonly status: number; readonly headers: Readonly<Record<string, string>>; readonly body: string }
  | { readonly ok: false; readonly error: string };

/** The same, seen from a sandboxed iframe (opaque origin) inside the page. */
export interface SandboxProbeResult {
  /** `self.origin` inside the frame: `'null'` for an opaque origin. */
  readonly frameOrigin: string;
  /** `MessageEvent.origin` of the frame's message, as the parent page saw it. */
  readonly messageOrigin: string;
  readonly result: ProbeResult;
}

/** The options of `fetch` that the probes pass on, as plain JSON. */
export interface ProbeInit {
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly credentials?: 'omit' | 'same-origin' | 'include';
  readonly mode?: 'cors' | 'no-cors';
  readonly cache?: 'default' | 'no-store' | 'reload' | 'no-cache';
}

// The calls are passed as source text, not as functions: a function would be serialized from
// the compiled (and possibly coverage-instrumented) test code; the page's own probe() is not.

/** Runs `fetch(url, init)` in the page (probe.html) and returns what its JavaScript saw. */
export function probe(page: Page, url: string, init: ProbeInit = {}): Promise<ProbeResult> {
  return page.evaluate(`probe(${JSON.stringify(url)}, ${JSON.stringify(init)})`) as Promise<ProbeResult>;
}

/** Runs the same fetch in a sandboxed iframe of the page, whose requests say `Origin: null`. */
export function probeInSandbox(page: Page, url: string, init: ProbeInit = {}): Promise<SandboxProbeResult> {
  return page.evaluate(`probeInSandbox(${JSON.stringify(url)}, ${JSON.stringify(init)})`) as Promise<SandboxProbeResult>;
}

/** The rejection a CORS failure causes in Chromium: fetch throws a bare network TypeError. */
export const CORS_FAILURE = /^TypeError: Failed to fetch/;

/** Narrows a probe result to a response the page could read, failing with what the page saw otherwise. */
export function readable(result: ProbeResult): Extract<ProbeResult, { ok: true }> {
  if (!result.ok) throw new Error(`expected the page to read the response, but fetch threw: ${result.error}`);
  return result;
}
