import { timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { FleetMetrics } from './fleet-metrics.js';

/** GET /metrics: the fleet's metrics in Prometheus's text format. */
export function metricsRoute(metrics: FleetMetrics): RequestHandler {
  return async (_req, res) => {
    const text = await metrics.scrape();
    res.status(200).set({ 'Content-Type': metrics.registry.contentType, 'Cache-Control': 'no-store' }).send(text);
  };
}

/**
 * Lets a scraper holding the metrics token (`Authorization: Bearer TOKEN`)
 * read /metrics, and nothing else, without the dashboard's credentials.
 * Any other request goes on to the usual guards.
 */
export function metricsTokenGuard(token: string, metrics: FleetMetrics): RequestHandler {
  const expected = Buffer.from(`Bearer ${token}`);
  const route = metricsRoute(metrics);
  return (req, res, next) => {
    if (req.path !== '/metrics' || req.method !== 'GET') return next();
    const given = Buffer.from(req.get('authorization') ?? '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return next();
    return route(req, res, next);
  };
}
