import { Controller, Get } from '@nestjs/common';
import { CorsPolicy } from '../../lib/index.js';
import { PARTNERS_CORS_POLICY } from './partners-cors-policy.js';

/**
 * Credentialed partner API. Our own front end is a static rule, checked first without a
 * database query; partner origins come from the database, loaded whole by TrustedOriginsSource
 * (a flood of made-up origins costs no query).
 */
@Controller('partners')
@CorsPolicy(PARTNERS_CORS_POLICY)
export class PartnerOrdersController {
  @Get('orders')
  orders(): Array<{ id: string; status: string; total: number }> {
    return [
      { id: 'ord-1001', status: 'shipped', total: 42 },
      { id: 'ord-1002', status: 'pending', total: 17.5 },
    ];
  }
}
