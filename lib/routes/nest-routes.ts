import { RequestMethod, VERSION_NEUTRAL, VersioningType, type Type, type VersioningOptions } from '@nestjs/common';
import type { ApplicationConfig, MetadataScanner, ModuleRef } from '@nestjs/core';

/*
 * Everything this library knows about how Nest composes route paths lives in this file,
 * pinned by end-to-end tests against the real router (test/preflight-resolution.e2e-spec.ts):
 * a Nest upgrade that changes it breaks those tests, not the library at large.
 * The order is Nest's RoutePathFactory's: global prefix (unless excluded), URI version,
 * RouterModule path, controller path, method path.
 */

/** Metadata keys of `@nestjs/common` (not exported from its root). */
const PATH_METADATA = 'path';
const METHOD_METADATA = 'method';
const HOST_METADATA = 'host';
const VERSION_METADATA = '__version__';
const MODULE_PATH = '__module_path__';

/** A version as `@Version()` / `@Controller({ version })` declare it. */
export type RouteVersion = string | typeof VERSION_NEUTRAL | Array<string | typeof VERSION_NEUTRAL>;

/** One handler as Nest serves it. */
export interface DiscoveredRoute {
  readonly controller: Type;
  readonly handlerName: string;
  readonly handler: Function;
  /** `GET`, `POST`... or `ALL` for `@All()`. */
  readonly method: string;
  /** Every full path it is registered at (several for array paths and URI versions). */
  readonly paths: readonly string[];
  readonly host: string | RegExp | Array<string | RegExp> | undefined;
  /** The version a non-URI version filter selects it by; `undefined` when none applies. */
  readonly filterVersion: RouteVersion | undefined;
}

/** What this file needs of a controller wrapper from `DiscoveryService.getControllers()`. */
export interface ControllerWrapper {
  readonly metatype: Function | null | undefined;
  readonly instance: unknown;
  readonly host?: { readonly metatype: Function | null | undefined } | undefined;
}

/**
 * Reads the global prefix, its exclusions and the versioning options. `ApplicationConfig` is
 * not injectable, so it is read from the container behind `ModuleRef`: the one place that
 * touches it (test/unit/nest-routes.spec.ts pins it).
 */
export function readRoutingConfig(moduleRef: ModuleRef) {
  const container = (
    moduleRef as unknown as { container?: { applicationConfig?: ApplicationConfig; getModules?: () => { applicationId?: string } } }
  ).container;
  const config = container?.applicationConfig;
  if (config === undefined)
    throw new Error('nestjs-cors-policy: cannot read the application config from Nest; this Nest version is not supported');
  const options = config.getGlobalPrefixOptions() as { exclude?: Array<{ requestMethod: RequestMethod; pathRegex: RegExp }> };
  return {
    globalPrefix: config.getGlobalPrefix(),
    exclude: options.exclude ?? [],
    versioning: config.getVersioning(),
    // Nest 12 can register routes by specificity instead of declaration order (absent in Nest 11).
    sortsBySpecificity:
      (config as { getRouteResolutionStrategy?: () => string | undefined }).getRouteResolutionStrategy?.() === 'specificity',
    applicationId: container?.getModules?.().applicationId,
  };
}
export type RoutingConfig = ReturnType<typeof readRoutingConfig>;

/** Enumerates every route of the app, in the order Nest registers them. */
export function discoverRoutes(
  controllers: readonly ControllerWrapper[],
  routing: RoutingConfig,
  scanner: MetadataScanner,
): DiscoveredRoute[] {
  const routes: DiscoveredRoute[] = [];
  for (const wrapper of controllers) {
    const controller = wrapper.metatype as Type | undefined;
    if (!controller || !wrapper.instance) continue;
    const moduleType = wrapper.host?.metatype;
    const modulePath = moduleType
      ? (metadata<string>(MODULE_PATH + (routing.applicationId ?? ''), moduleType) ?? metadata<string>(MODULE_PATH, moduleType))
      : undefined;
    const controllerPaths = asArray(metadata<string | string[]>(PATH_METADATA, controller) ?? '/');
    const controllerVersion = routing.versioning
      ? (metadata<RouteVersion>(VERSION_METADATA, controller) ?? routing.versioning.defaultVersion)
      : undefined;
    const host = metadata<DiscoveredRoute['host']>(HOST_METADATA, controller);
    const prototype = Object.getPrototypeOf(wrapper.instance) as Record<string, Function>;
    for (const handlerName of scanner.getAllMethodNames(prototype)) {
      const handler = prototype[handlerName];
      const methodPaths = metadata<string | string[]>(PATH_METADATA, handler);
      if (methodPaths === undefined) continue;
      const requestMethod = metadata<RequestMethod>(METHOD_METADATA, handler) ?? RequestMethod.GET;
      const version = metadata<RouteVersion>(VERSION_METADATA, handler) ?? controllerVersion;
      const isUriVersioned = version !== undefined && routing.versioning?.type === VersioningType.URI;
      const paths = controllerPaths.flatMap((controllerPath) =>
        asArray(methodPaths).flatMap((methodPath) =>
          composePaths(routing, requestMethod, isUriVersioned ? version : undefined, [modulePath, controllerPath, methodPath]),
        ),
      );
      routes.push({
        controller,
        handlerName,
        handler,
        method: RequestMethod[requestMethod],
        paths,
        host,
        filterVersion: version !== undefined && routing.versioning && !isUriVersioned ? version : undefined,
      });
    }
  }
  return routes;
}

/** Reads Nest's metadata with the type its decorator stores. */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the type of the stored value
function metadata<T>(key: string, target: object): T | undefined {
  return Reflect.getMetadata(key, target) as T | undefined;
}

function composePaths(
  routing: RoutingConfig,
  requestMethod: RequestMethod,
  uriVersion: RouteVersion | undefined,
  fragments: ReadonlyArray<string | undefined>,
): string[] {
  const versions = uriVersion === undefined ? [undefined] : asArray(uriVersion);
  return versions.map((version) => {
    const versionPath = version === undefined || version === VERSION_NEUTRAL ? '' : `/${uriVersionPrefix(routing.versioning)}${version}`;
    const routePath = fragments.reduce<string>((path, fragment) => (fragment ? joinPath(path, fragment) : path), '');
    const prefixed =
      routing.globalPrefix && !isExcluded(routing, routePath, requestMethod)
        ? stripEndSlash(routing.globalPrefix) + versionPath + routePath
        : versionPath + routePath;
    const path = addLeadingSlash(prefixed || '/');
    return path !== '/' ? stripEndSlash(path) : path;
  });
}

function isExcluded(routing: RoutingConfig, path: string, requestMethod: RequestMethod): boolean {
  return routing.exclude.some(
    (route) =>
      (route.requestMethod === RequestMethod.ALL || (route.requestMethod as number) === -1 || route.requestMethod === requestMethod) &&
      route.pathRegex.test(addLeadingSlash(path)),
  );
}

function uriVersionPrefix(versioning: VersioningOptions | undefined): string {
  if (versioning?.type === VersioningType.URI && versioning.prefix !== undefined) return versioning.prefix || '';
  return 'v';
}

/** Tells whether a request carries a version that a non-URI version filter would select `version` for. */
export function matchesVersionFilter(
  version: RouteVersion,
  versioning: VersioningOptions,
  request: { headers: Record<string, string | string[] | undefined> },
): boolean {
  if (version === VERSION_NEUTRAL) return true;
  const accepted = asArray<string | symbol>(version);
  const requested = requestedVersions(versioning, request);
  if (requested === undefined) return accepted.includes(VERSION_NEUTRAL);
  return requested.some((value) => accepted.includes(value));
}

function requestedVersions(
  versioning: VersioningOptions,
  request: { headers: Record<string, string | string[] | undefined> },
): string[] | undefined {
  switch (versioning.type) {
    case VersioningType.HEADER: {
      const value = request.headers[versioning.header.toLowerCase()];
      return typeof value === 'string' && value !== '' ? [value] : undefined;
    }
    case VersioningType.MEDIA_TYPE: {
      const accept = request.headers.accept;
      const match =
        typeof accept === 'string'
          ? accept
              .split(';')
              .map((part) => part.trim())
              .find((part) => part.startsWith(versioning.key))
          : undefined;
      return match === undefined ? undefined : [match.slice(versioning.key.length)];
    }
    case VersioningType.CUSTOM: {
      // A user's extractor may return nothing, whatever its type says.
      const extracted = versioning.extractor(request) as string | string[] | undefined;
      return extracted === undefined ? undefined : asArray(extracted);
    }
    default:
      return undefined;
  }
}

function asArray<T>(value: T | readonly T[]): T[] {
  return Array.isArray(value) ? [...value] : [value as T];
}

function joinPath(base: string, fragment: string): string {
  return stripEndSlash(base) + addLeadingSlash(fragment);
}

function addLeadingSlash(path: string): string {
  return path.startsWith('/') || path.startsWith('{/') ? path : `/${path}`;
}

function stripEndSlash(path: string): string {
  return path.endsWith('/') ? path.slice(0, -1) : path;
}

/** Segment ranks of Nest's RouteSpecificitySorter: lower is more specific. */
const SEGMENT_RANK = { literal: 0, end: 1, mixed: 2, param: 3, wildcard: 4, missing: 5 } as const;
type SegmentKind = keyof typeof SEGMENT_RANK;

function segmentKinds(path: string): SegmentKind[] {
  return path
    .replace(/[{}]/g, '')
    .split('/')
    .filter((segment) => segment !== '')
    .map((segment) => {
      if (segment.includes('*')) return 'wildcard';
      if (/^:[A-Za-z_$][\w$]*$/.test(segment)) return 'param';
      return segment.includes(':') ? 'mixed' : 'literal';
    });
}

function compareSpecificity(left: SegmentKind[], right: SegmentKind[]): number {
  const leftEnd: SegmentKind = left.includes('wildcard') ? 'missing' : 'end';
  const rightEnd: SegmentKind = right.includes('wildcard') ? 'missing' : 'end';
  for (let index = 0; index < Math.max(left.length, right.length); index++) {
    const delta = SEGMENT_RANK[left[index] ?? leftEnd] - SEGMENT_RANK[right[index] ?? rightEnd];
    if (delta !== 0) return delta;
  }
  return 0;
}

/**
 * The order in which Nest registers routes under `routeResolutionStrategy: 'specificity'`
 * (its RouteSpecificitySorter): more specific paths first, ties in declaration order.
 */
export function sortBySpecificity<T extends { readonly path: string }>(routes: readonly T[]): T[] {
  const ranked = routes.map((route) => ({ route, kinds: segmentKinds(route.path) }));
  return ranked.sort((left, right) => compareSpecificity(left.kinds, right.kinds)).map(({ route }) => route);
}
