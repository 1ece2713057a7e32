import { Inject } from '@nestjs/common';
import { CORS_POLICY_MODULE_OPTIONS } from './cors.constants.js';

/**
 * Injects the options given to `CorsModule.forRoot()` / `forRootAsync()`.
 * @example `constructor(@InjectCorsPolicyOptions() options: CorsModuleOptions) {}`
 */
export const InjectCorsPolicyOptions = (): ParameterDecorator & PropertyDecorator => Inject(CORS_POLICY_MODULE_OPTIONS);
