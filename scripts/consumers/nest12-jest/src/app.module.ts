// The app the README's testing examples are written against: partner orders on one trusted
// origin, with cookies, an exposed X-Total-Count and a PATCH that sends JSON.
import { Body, Controller, Get, Header, Module, Param, Patch } from '@nestjs/common';
import { CorsModule, CorsPolicy } from 'nestjs-cors-policy';

@Controller('orders')
@CorsPolicy({ credentials: true, exposedHeaders: ['X-Total-Count'], allowedHeaders: ['Content-Type', 'X-Request-Id'] })
export class OrdersController {
  @Get()
  @Header('X-Total-Count', '0')
  list(): unknown[] {
    return [];
  }

  @Patch(':id')
  @Header('X-Total-Count', '1')
  update(@Param('id') id: string, @Body() body: { status?: string }): object {
    return { id, ...body };
  }
}

@Module({
  imports: [CorsModule.forRoot({ origin: ['https://app.example.com'], methods: ['GET', 'PATCH'] })],
  controllers: [OrdersController],
})
export class AppModule {}
