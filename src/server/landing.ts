import type { GraphQLServerContext } from '@apollo/server';
import {
  ApolloServerPluginLandingPageLocalDefault,
  ApolloServerPluginLandingPageProductionDefault,
} from '@apollo/server/plugin/landingPage/default';
import type express from 'express';

/**
 * The browser page at GET /graphql. Apollo's landing page renders the same HTML for every client, so the
 * admin key must never be in the page Apollo serves: that page is for anyone who can reach the port (the
 * server listens on 0.0.0.0). A client on loopback, with no proxy in between, gets a second rendering with
 * the key filled in; everyone else gets the plain one. Telemetry of the embedded explorer is off in both.
 */
export function landingPagePlugin(production: boolean) {
  return production
    ? ApolloServerPluginLandingPageProductionDefault({ footer: false, embed: false })
    : ApolloServerPluginLandingPageLocalDefault({
        footer: false,
        includeCookies: false,
        embed: { runTelemetry: false },
      });
}

/** True for a request whose TCP peer is this machine and that no proxy forwarded. */
export function isLoopbackClient(req: express.Request): boolean {
  if (req.headers['x-forwarded-for'] !== undefined || req.headers.forwarded !== undefined) return false;
  const addr = req.socket.remoteAddress ?? '';
  return addr === '::1' || /^(::ffff:)?127\./.test(addr);
}

/** Whether Apollo would answer this request with its landing page (a browser's GET asking for HTML). */
function wantsHtml(req: express.Request): boolean {
  return req.method === 'GET' && req.accepts(['application/json', 'text/html']) === 'text/html';
}

/**
 * Express middleware that serves the key-filled page to loopback browsers and passes everything else on
 * to Apollo (whose own landing page carries no key). With no key to show, it is a no-op.
 */
export async function loopbackSandbox(key: string | null | undefined): Promise<express.RequestHandler> {
  if (!key) return (_req, _res, next) => next();
  const plugin = ApolloServerPluginLandingPageLocalDefault({
    footer: false,
    includeCookies: false,
    embed: { runTelemetry: false },
    headers: { Authorization: `Bearer ${key}` },
  });
  // the plugin's hooks ignore the server context; render through them so the page is Apollo's own
  const hooks = await plugin.serverWillStart?.({} as GraphQLServerContext);
  const page = await hooks?.renderLandingPage?.();
  if (!page) throw new Error('the Apollo landing page plugin rendered nothing');
  return (req, res, next) => {
    if (!wantsHtml(req) || !isLoopbackClient(req)) {
      next();
      return;
    }
    const html = page.html;
    Promise.resolve(typeof html === 'string' ? html : html()).then(
      (body) => {
        res.setHeader('cache-control', 'no-store');
        res.status(200).type('html').send(body);
      },
      (e: unknown) => next(e),
    );
  };
}
