import { describe, expect, it } from '@jest/globals';
import type { Logger } from '@nestjs/common';
import type { CompiledPolicy } from '../../lib/policy/compiled-policy.js';
import { MAX_SAMPLED_REFUSAL_KEYS, SampledRefusalExplainer } from '../../lib/decisions/sampled-refusal-explainer.js';

const POLICY = {
  describedAs: 'CorsModule.forRoot (module defaults)',
  sources: {},
  allowMethods: 'GET',
  allowHeaders: '',
  origins: { exact: new Set(), subdomains: [], regexps: [], loopbackPorts: undefined },
} as unknown as CompiledPolicy;

function setUp(windowMs = 1_000) {
  const lines: string[] = [];
  const clock = { now: 0 };
  const logger = { warn: (line: string) => void lines.push(line) } as unknown as Logger;
  const explainer = new SampledRefusalExplainer(logger, windowMs, () => clock.now);
  const refuse = (origin: string, route = 'ThingsController.list') => explainer.explain('origin not trusted', origin, route, POLICY);
  return { lines, clock, refuse, explainer };
}

describe("debug: { refusals: 'sampled' }", () => {
  it('logs an origin, route and reason once per window, then how many were not logged', () => {
    const { lines, clock, refuse } = setUp();
    for (let i = 0; i < 5; i++) refuse('https://evil.example.net');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('"https://evil.example.net"');
    clock.now = 999;
    refuse('https://evil.example.net');
    expect(lines).toHaveLength(1);
    clock.now = 1_000;
    refuse('https://evil.example.net');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain('5 more since the last line');
  });

  it('keys on the route and the reason too', () => {
    const { lines, refuse, explainer } = setUp();
    refuse('https://evil.example.net', 'A.a');
    refuse('https://evil.example.net', 'B.b');
    explainer.explain('header not allowed', 'https://evil.example.net', 'A.a', POLICY);
    refuse('https://evil.example.net', 'A.a');
    expect(lines).toHaveLength(3);
  });

  it('stays bounded under a flood of distinct origins, and counts what it did not log', () => {
    const { lines, clock, refuse, explainer } = setUp();
    for (let i = 0; i < MAX_SAMPLED_REFUSAL_KEYS * 5; i++) refuse(`https://x${i}.evil.example.net`);
    expect(lines).toHaveLength(MAX_SAMPLED_REFUSAL_KEYS);
    expect((explainer as unknown as { samples: Map<string, unknown> }).samples.size).toBe(MAX_SAMPLED_REFUSAL_KEYS);
    clock.now = 1_000;
    refuse('https://late.evil.example.net');
    expect(lines).toHaveLength(MAX_SAMPLED_REFUSAL_KEYS + 1);
    expect(lines.at(-1)).toContain(`${MAX_SAMPLED_REFUSAL_KEYS * 4} refusals of other origins or routes not logged`);
  });
});
