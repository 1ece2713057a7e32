import { ConfigurableModuleBuilder } from '@nestjs/common';
import { CORS_POLICY_MODULE_OPTIONS } from './cors.constants.js';
import type { CorsModuleOptions } from './policy/cors-policy-options.interface.js';

/** Extras of `forRoot`/`forRootAsync` that are not policy options. */
export interface CorsModuleExtras {
  /** Make `CorsOriginCache` injectable everywhere without importing `CorsModule` again. @defaultValue `true` */
  isGlobal?: boolean;
}

export const {
  ConfigurableModuleClass: ConfigurableCorsModule,
  OPTIONS_TYPE: CORS_MODULE_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: CORS_MODULE_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<CorsModuleOptions>({ optionsInjectionToken: CORS_POLICY_MODULE_OPTIONS })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createCorsOptions')
  .setExtras<CorsModuleExtras>({ isGlobal: true }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();
