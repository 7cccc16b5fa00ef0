/** The ceiling for bench/api: a bare Fastify route answering a constant, nothing else. */
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.get('/constant', () => ({ code: 0, message: 'success', data: 'ok' }));
await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
process.stdout.write(
  `READY http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}\n`,
);
