import { SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { CorsPolicy } from '../../lib/index.js';
import { PARTNERS_CORS_POLICY } from './partners-cors-policy.js';

/** One order status change, as pushed to partners. */
export interface OrderUpdate {
  readonly id: string;
  readonly status: string;
}

/**
 * Order updates for partners over socket.io (namespace `/partners`), on the same policy as
 * `GET /partners/orders`: a page whose origin is not trusted cannot even open the socket
 * (CorsIoAdapter refuses the handshake, see app.ts).
 */
@WebSocketGateway({ namespace: '/partners' })
@CorsPolicy(PARTNERS_CORS_POLICY)
export class PartnerOrdersGateway {
  /** `socket.emit('subscribe')`: answered with the `orders` event and the current statuses. */
  @SubscribeMessage('subscribe')
  subscribe(): { event: 'orders'; data: OrderUpdate[] } {
    return {
      event: 'orders',
      data: [
        { id: 'ord-1001', status: 'shipped' },
        { id: 'ord-1002', status: 'pending' },
      ],
    };
  }
}
