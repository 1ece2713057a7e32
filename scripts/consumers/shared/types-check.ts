// Compiled, never run: fails the consumer's `tsc` if the package's declarations do not resolve
// (an unresolved package or a broken .d.ts degrades to `any`, and then the @ts-expect-error
// lines below are unused, which is itself an error).
import {
  CorsModule,
  CorsOriginCache,
  CorsPolicy,
  type CorsModuleOptions,
  type CorsOriginResolver,
  type CorsPolicyOptions,
} from 'nestjs-cors-policy';
import { createCorsBrowser, type CorsOutcome } from 'nestjs-cors-policy/testing';

export function typesCheck(cache: CorsOriginCache): void {
  const options: CorsModuleOptions = { origin: ['https://a.example.com'], credentials: true, policies: { open: { origin: '*' } } };
  const policy: CorsPolicyOptions = { methods: ['PATCH'], maxAge: 20 };
  const resolver: CorsOriginResolver = { isOriginAllowed: (origin) => origin.startsWith('https://') };
  CorsModule.forRoot(options);
  CorsPolicy(policy);
  CorsPolicy('open');
  void resolver;
  cache.invalidate('https://a.example.com');
  cache.invalidateAll();
  // @ts-expect-error an origin rule is never a number
  CorsPolicy({ origin: 42 });
  // @ts-expect-error CorsOriginCache has no such method
  cache.clearEverything();
}

export function testingTypesCheck(outcome: CorsOutcome): void {
  void createCorsBrowser;
  // @ts-expect-error the browser's verdict is a boolean
  const verdict: string = outcome.allowed;
  void verdict;
}
