#!/usr/bin/env node
// Independent OTLP sender for the receiver's self-check: the official OpenTelemetry JS SDK exporters (their own
// serializers, not the receiver's decoders) export a fixed set of spans and metrics once, and this prints what was
// sent and the export results as one JSON line.
//
//   node sdk_send.js --protocol grpc|http/protobuf|http/json --endpoint http://127.0.0.1:PORT
//        [--signal traces|metrics|both] [--compression gzip|none] [--header k=v]... [--temporality delta|cumulative]
//        [--exponential] [--timeout-ms N]
'use strict';

const api = require('@opentelemetry/api');
const { resourceFromAttributes } = require('@opentelemetry/resources');
const { BasicTracerProvider, SimpleSpanProcessor, InMemorySpanExporter } = require('@opentelemetry/sdk-trace-base');
const { MeterProvider, MetricReader, AggregationTemporality, AggregationType } = require('@opentelemetry/sdk-metrics');

function parseArgs(argv) {
  const a = { protocol: 'grpc', endpoint: null, signal: 'both', compression: 'none', headers: {},
              temporality: 'cumulative', exponential: false, timeoutMs: 10000 };
  for (let i = 0; i < argv.length; i++) {
    const next = () => argv[++i];
    switch (argv[i]) {
      case '--protocol': a.protocol = next(); break;
      case '--endpoint': a.endpoint = next(); break;
      case '--signal': a.signal = next(); break;
      case '--compression': a.compression = next(); break;
      case '--header': { const [k, ...v] = next().split('='); a.headers[k] = v.join('='); break; }
      case '--temporality': a.temporality = next(); break;
      case '--exponential': a.exponential = true; break;
      case '--timeout-ms': a.timeoutMs = Number(next()); break;
      default: throw new Error('unknown argument ' + argv[i]);
    }
  }
  if (!a.endpoint) throw new Error('--endpoint is required');
  return a;
}

function exporters(a) {
  const base = a.endpoint.replace(/\/$/, '');
  const compression = a.compression;
  if (a.protocol === 'grpc') {
    const grpc = require('@grpc/grpc-js');
    const metadata = new grpc.Metadata();
    for (const [k, v] of Object.entries(a.headers)) metadata.set(k, v);
    const opts = { url: base, compression, metadata, timeoutMillis: a.timeoutMs };
    return {
      traces: new (require('@opentelemetry/exporter-trace-otlp-grpc').OTLPTraceExporter)(opts),
      metrics: new (require('@opentelemetry/exporter-metrics-otlp-grpc').OTLPMetricExporter)(opts),
    };
  }
  const mod = a.protocol === 'http/json' ? ['exporter-trace-otlp-http', 'exporter-metrics-otlp-http']
    : a.protocol === 'http/protobuf' ? ['exporter-trace-otlp-proto', 'exporter-metrics-otlp-proto'] : null;
  if (!mod) throw new Error('unknown protocol ' + a.protocol);
  const opts = (p) => ({ url: base + p, compression, headers: a.headers, timeoutMillis: a.timeoutMs });
  return {
    traces: new (require('@opentelemetry/' + mod[0]).OTLPTraceExporter)(opts('/v1/traces')),
    metrics: new (require('@opentelemetry/' + mod[1]).OTLPMetricExporter)(opts('/v1/metrics')),
  };
}

const RESOURCE = { 'service.name': 'sdk-sender', 'service.namespace': 'selfcheck', 'test.int': 7, 'test.bool': true,
                   'test.double': 2.5, 'test.strings': ['a', 'b'] };

function makeSpans() {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ resource: resourceFromAttributes(RESOURCE),
                                             spanProcessors: [new SimpleSpanProcessor(memory)] });
  const tracer = provider.getTracer('selfcheck-scope', '1.2.3');
  const server = tracer.startSpan('GET /users/*', {
    kind: api.SpanKind.SERVER,
    attributes: { 'http.request.method': 'GET', 'http.response.status_code': 503, 'url.path': '/users/42',
                  'server.port': 8080, 'http.route': '/users/*', 'test.ratio': 0.25, 'test.flag': false,
                  'test.ints': [1, 2, 3] },
  });
  server.setStatus({ code: api.SpanStatusCode.ERROR, message: 'upstream unavailable' });
  server.addEvent('retry', { attempt: 2 });
  const ctx = api.trace.setSpan(api.context.active(), server);
  const client = tracer.startSpan('GET', { kind: api.SpanKind.CLIENT, attributes: { 'url.full': 'http://down/x' } }, ctx);
  client.addLink({ context: server.spanContext(), attributes: { 'link.kind': 'self' } });
  client.end();
  server.end();
  return memory.getFinishedSpans();
}

class OnceReader extends MetricReader {
  async onForceFlush() {}
  async onShutdown() {}
}

async function makeMetrics(a) {
  const reader = new OnceReader({
    aggregationTemporalitySelector: () => (a.temporality === 'delta' ? AggregationTemporality.DELTA
      : AggregationTemporality.CUMULATIVE),
    aggregationSelector: (type) => (a.exponential && type === 'HISTOGRAM'
      ? { type: AggregationType.EXPONENTIAL_HISTOGRAM } : { type: AggregationType.DEFAULT }),
  });
  const provider = new MeterProvider({ resource: resourceFromAttributes(RESOURCE), readers: [reader] });
  const meter = provider.getMeter('selfcheck-meter', '4.5.6');
  const hist = meter.createHistogram('http.server.request.duration', { unit: 's', description: 'duration' });
  const labels = { 'http.request.method': 'GET', 'http.route': '/users/*', 'http.response.status_code': 200 };
  for (const v of [0.001, 0.002, 0.02, 0.3, 1.5]) hist.record(v, labels);
  hist.record(0.01, Object.assign({}, labels, { 'http.response.status_code': 503 }));
  meter.createCounter('test.requests').add(42, { route: '/a' });
  meter.createUpDownCounter('test.inflight').add(-3);
  const { resourceMetrics, errors } = await reader.collect();
  if (errors.length) throw new Error('collect: ' + errors.join('; '));
  return resourceMetrics;
}

function exportOnce(exporter, data) {
  return new Promise((resolve) => exporter.export(data, (r) => resolve({ code: r.code,
                                                                         error: r.error ? String(r.error.message || r.error) : null })));
}

async function main() {
  const a = parseArgs(process.argv.slice(2));
  const ex = exporters(a);
  const out = { protocol: a.protocol, resource: RESOURCE };
  if (a.signal === 'traces' || a.signal === 'both') {
    const spans = makeSpans();
    out.spans = spans.map((s) => ({ name: s.name, kind: s.kind, trace_id: s.spanContext().traceId,
                                    span_id: s.spanContext().spanId,
                                    parent_span_id: (s.parentSpanContext && s.parentSpanContext.spanId) || '' }));
    out.traces_result = await exportOnce(ex.traces, spans);
  }
  if (a.signal === 'metrics' || a.signal === 'both') {
    out.metrics_result = await exportOnce(ex.metrics, await makeMetrics(a));
  }
  await Promise.all([ex.traces.shutdown(), ex.metrics.shutdown()]);
  process.stdout.write(JSON.stringify(out) + '\n');
}

main().then(() => process.exit(0), (e) => {
  process.stderr.write('sdk_send: ' + (e.stack || e) + '\n');
  process.exit(1);
});
