import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import type express from 'express';

/**
 * Apollo's own landing page is off: its Sandbox loads from a CDN and is blank without internet. The browser
 * page at GET /graphql is Drawdown's GraphiQL explorer instead (./web.ts), served from this process.
 */
export function landingPagePlugin() {
  return ApolloServerPluginLandingPageDisabled();
}

/** True for a request whose TCP peer is this machine and that no proxy forwarded. */
export function isLoopbackClient(req: express.Request): boolean {
  if (req.headers['x-forwarded-for'] !== undefined || req.headers.forwarded !== undefined) return false;
  const addr = req.socket.remoteAddress ?? '';
  return addr === '::1' || /^(::ffff:)?127\./.test(addr);
}
