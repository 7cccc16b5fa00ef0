import type {
  FastifyInstance,
  FastifyBaseLogger,
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
} from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';

declare module 'fastify' {
  interface FastifyRequest {
    /** The app the bearer token belongs to; set on every authenticated route. */
    appId: string;
  }
  interface FastifyContextConfig {
    /** Routes that need no access token (token exchange, signed downloads, docs). */
    public?: boolean;
  }
}

export type Server = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;
