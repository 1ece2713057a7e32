import { Body, Controller, Post } from '@nestjs/common';
import { CorsPolicy } from '../../lib/index.js';

/** Called server to server by the payment provider: CORS has nothing to do here. */
@Controller('webhooks')
@CorsPolicy(false)
export class PaymentsWebhookController {
  @Post('payments')
  receive(@Body() _event: unknown): { received: true } {
    return { received: true };
  }
}
