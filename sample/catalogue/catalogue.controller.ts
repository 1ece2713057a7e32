import { Controller, Get } from '@nestjs/common';
import { CorsPolicy } from '../../lib/index.js';

/** Public data: any page may read it, without cookies (`Access-Control-Allow-Origin: *`). */
@Controller('catalogue')
@CorsPolicy({ origin: '*' })
export class CatalogueController {
  @Get()
  list(): Array<{ sku: string; name: string; price: number }> {
    return [
      { sku: 'TEA-001', name: 'Green tea', price: 4.5 },
      { sku: 'TEA-002', name: 'Black tea', price: 3.9 },
      { sku: 'CUP-010', name: 'Tea cup', price: 7 },
    ];
  }
}
