// Turns decoded OTLP export requests into the receiver's JSON records, and parses OTLP/JSON bodies.
//
// Both decoders produce the same object shape: the gRPC side (proto-loader over the official .proto files of
// @opentelemetry/otlp-grpc-exporter-base@0.38.0) and the HTTP side (the protobufjs classes generated from the
// official protos in @opentelemetry/otlp-transformer@0.57.2) are both protobufjs underneath, converted with the
// same toObject options below (camelCase keys, longs as decimal strings, enums as names, bytes as Buffers,
// oneof discriminators). Nothing here guesses values: what is missing is reported with the proto3 default.
'use strict';

const root = require('@opentelemetry/otlp-transformer/build/src/generated/root.js');

const P = root.opentelemetry.proto;
const TYPES = {
  traces: {
    request: P.collector.trace.v1.ExportTraceServiceRequest,
    response: P.collector.trace.v1.ExportTraceServiceResponse,
    rejectedField: 'rejectedSpans',
  },
  metrics: {
    request: P.collector.metrics.v1.ExportMetricsServiceRequest,
    response: P.collector.metrics.v1.ExportMetricsServiceResponse,
    rejectedField: 'rejectedDataPoints',
  },
};

// toObject options shared by both transports (proto-loader takes the same names).
const OBJECT_OPTIONS = { longs: String, enums: String, defaults: false, oneofs: true, arrays: false };

function toHex(v) {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return Buffer.from(v, 'base64').toString('hex');
  return Buffer.from(v).toString('hex');
}

// int64/uint64 as a JSON number when exact, else the decimal string.
function intValue(v) {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number') return v;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : String(v);
}

function doubleValue(v) {
  if (v === undefined || v === null) return 0;
  const n = Number(v);
  return Number.isFinite(n) ? n : String(n);  // NaN/Infinity are not JSON numbers
}

function anyValue(v) {
  if (!v || !v.value) return { type: 'empty', value: null };
  switch (v.value) {
    case 'stringValue': return { type: 'string', value: v.stringValue };
    case 'boolValue': return { type: 'bool', value: !!v.boolValue };
    case 'intValue': return { type: 'int', value: intValue(v.intValue) };
    case 'doubleValue': return { type: 'double', value: doubleValue(v.doubleValue) };
    case 'bytesValue': return { type: 'bytes', value: toHex(v.bytesValue) };
    case 'arrayValue': return { type: 'array', value: ((v.arrayValue && v.arrayValue.values) || []).map(anyValue) };
    case 'kvlistValue': {
      const out = {};
      for (const kv of (v.kvlistValue && v.kvlistValue.values) || []) out[kv.key] = anyValue(kv.value);
      return { type: 'kvlist', value: out };
    }
    default: return { type: 'unknown:' + v.value, value: null };
  }
}

// {key: {type, value}}; keys that occur more than once are listed in dups (OTLP forbids duplicates).
function attributes(list, owner, dupsOut) {
  const out = {};
  for (const kv of list || []) {
    if (Object.prototype.hasOwnProperty.call(out, kv.key)) dupsOut.push(owner + ':' + kv.key);
    out[kv.key] = anyValue(kv.value);
  }
  return out;
}

function resource(r, dups) {
  r = r || {};
  return { attributes: attributes(r.attributes, 'resource', dups),
           dropped_attributes_count: r.droppedAttributesCount || 0 };
}

function scope(s, dups) {
  s = s || {};
  return { name: s.name || '', version: s.version || '', attributes: attributes(s.attributes, 'scope', dups),
           dropped_attributes_count: s.droppedAttributesCount || 0 };
}

function span(s, dups) {
  const where = 'span ' + (s.name || '');
  const out = {
    trace_id: toHex(s.traceId),
    span_id: toHex(s.spanId),
    parent_span_id: toHex(s.parentSpanId),
    trace_state: s.traceState || '',
    name: s.name || '',
    kind: s.kind || 'SPAN_KIND_UNSPECIFIED',
    start_time_unix_nano: String(s.startTimeUnixNano || '0'),
    end_time_unix_nano: String(s.endTimeUnixNano || '0'),
    attributes: attributes(s.attributes, where, dups),
    dropped_attributes_count: s.droppedAttributesCount || 0,
    events: (s.events || []).map((e) => ({ name: e.name || '', time_unix_nano: String(e.timeUnixNano || '0'),
                                           attributes: attributes(e.attributes, where + ' event', dups) })),
    dropped_events_count: s.droppedEventsCount || 0,
    links: (s.links || []).map((l) => ({ trace_id: toHex(l.traceId), span_id: toHex(l.spanId),
                                         trace_state: l.traceState || '',
                                         attributes: attributes(l.attributes, where + ' link', dups) })),
    dropped_links_count: s.droppedLinksCount || 0,
    status: { code: (s.status && s.status.code) || 'STATUS_CODE_UNSET', message: (s.status && s.status.message) || '' },
  };
  if (s.flags !== undefined) out.flags = s.flags;
  return out;
}

function normalizeTraces(req) {
  const dups = [];
  let items = 0;
  const resourceSpans = (req.resourceSpans || []).map((rs) => ({
    resource: resource(rs.resource, dups),
    schema_url: rs.schemaUrl || '',
    scope_spans: (rs.scopeSpans || []).map((ss) => {
      const spans = (ss.spans || []).map((s) => span(s, dups));
      items += spans.length;
      return { scope: scope(ss.scope, dups), schema_url: ss.schemaUrl || '', spans };
    }),
    // proto field 1000 of old senders; a current sender never fills it
    deprecated_instrumentation_library_spans: (rs.instrumentationLibrarySpans || []).length,
  }));
  return { body: { resource_spans: resourceSpans }, items, dups };
}

function exemplars(list, dups) {
  return (list || []).map((e) => ({
    time_unix_nano: String(e.timeUnixNano || '0'),
    value: e.value === 'asInt' ? intValue(e.asInt) : doubleValue(e.asDouble),
    value_type: e.value === 'asInt' ? 'int' : 'double',
    trace_id: toHex(e.traceId), span_id: toHex(e.spanId),
    filtered_attributes: attributes(e.filteredAttributes, 'exemplar', dups),
  }));
}

function commonPoint(p, where, dups) {
  const out = {
    attributes: attributes(p.attributes, where, dups),
    start_time_unix_nano: String(p.startTimeUnixNano || '0'),
    time_unix_nano: String(p.timeUnixNano || '0'),
    flags: p.flags || 0,
  };
  if (p.exemplars && p.exemplars.length) out.exemplars = exemplars(p.exemplars, dups);
  return out;
}

function optionalDouble(p, out, name) {
  if (p[name] !== undefined && p[name] !== null) out[name] = doubleValue(p[name]);
}

function metric(m, dups) {
  const where = 'metric ' + (m.name || '');
  const out = { name: m.name || '', description: m.description || '', unit: m.unit || '' };
  let points = [];
  const kind = m.data;
  const d = kind ? m[kind] : null;
  switch (kind) {
    case 'gauge':
    case 'sum':
      out.type = kind;
      points = ((d && d.dataPoints) || []).map((p) => Object.assign(commonPoint(p, where, dups), {
        value: p.value === 'asInt' ? intValue(p.asInt) : doubleValue(p.asDouble),
        value_type: p.value === 'asInt' ? 'int' : (p.value === 'asDouble' ? 'double' : 'none'),
      }));
      if (kind === 'sum') {
        out.aggregation_temporality = (d && d.aggregationTemporality) || 'AGGREGATION_TEMPORALITY_UNSPECIFIED';
        out.is_monotonic = !!(d && d.isMonotonic);
      }
      break;
    case 'histogram':
      out.type = 'histogram';
      out.aggregation_temporality = (d && d.aggregationTemporality) || 'AGGREGATION_TEMPORALITY_UNSPECIFIED';
      points = ((d && d.dataPoints) || []).map((p) => {
        const o = Object.assign(commonPoint(p, where, dups), {
          count: intValue(p.count),
          bucket_counts: (p.bucketCounts || []).map(intValue),
          explicit_bounds: (p.explicitBounds || []).map(doubleValue),
        });
        optionalDouble(p, o, 'sum'); optionalDouble(p, o, 'min'); optionalDouble(p, o, 'max');
        return o;
      });
      break;
    case 'exponentialHistogram':
      out.type = 'exponential_histogram';
      out.aggregation_temporality = (d && d.aggregationTemporality) || 'AGGREGATION_TEMPORALITY_UNSPECIFIED';
      points = ((d && d.dataPoints) || []).map((p) => {
        const buckets = (b) => ({ offset: (b && b.offset) || 0, bucket_counts: ((b && b.bucketCounts) || []).map(intValue) });
        const o = Object.assign(commonPoint(p, where, dups), {
          count: intValue(p.count), scale: p.scale || 0, zero_count: intValue(p.zeroCount),
          positive: buckets(p.positive), negative: buckets(p.negative),
        });
        optionalDouble(p, o, 'sum'); optionalDouble(p, o, 'min'); optionalDouble(p, o, 'max');
        if (p.zeroThreshold !== undefined) o.zero_threshold = doubleValue(p.zeroThreshold);
        return o;
      });
      break;
    case 'summary':
      out.type = 'summary';
      points = ((d && d.dataPoints) || []).map((p) => Object.assign(commonPoint(p, where, dups), {
        count: intValue(p.count), sum: doubleValue(p.sum),
        quantile_values: (p.quantileValues || []).map((q) => ({ quantile: doubleValue(q.quantile), value: doubleValue(q.value) })),
      }));
      break;
    default:
      out.type = 'none';
  }
  out.data_points = points;
  return out;
}

function normalizeMetrics(req) {
  const dups = [];
  let items = 0;
  const resourceMetrics = (req.resourceMetrics || []).map((rm) => ({
    resource: resource(rm.resource, dups),
    schema_url: rm.schemaUrl || '',
    scope_metrics: (rm.scopeMetrics || []).map((sm) => {
      const metrics = (sm.metrics || []).map((m) => metric(m, dups));
      for (const m of metrics) items += m.data_points.length;
      return { scope: scope(sm.scope, dups), schema_url: sm.schemaUrl || '', metrics };
    }),
    deprecated_instrumentation_library_metrics: (rm.instrumentationLibraryMetrics || []).length,
  }));
  return { body: { resource_metrics: resourceMetrics }, items, dups };
}

const NORMALIZE = { traces: normalizeTraces, metrics: normalizeMetrics };

// ---------------------------------------------------------------------------------------- protobuf over HTTP
function decodeProtobuf(signal, buf) {
  const T = TYPES[signal].request;
  return T.toObject(T.decode(buf), OBJECT_OPTIONS);
}

// ---------------------------------------------------------------------------------------------- OTLP/JSON
// OTLP/JSON differs from the protobuf JSON mapping in one place: trace and span ids are hex strings, not
// base64. Everything else (lowerCamelCase keys, enums as integers, 64-bit integers as strings or numbers,
// other bytes as base64) is the standard mapping, which the generated fromObject() implements.
const ID_LENGTHS = { traceId: 16, spanId: 8, parentSpanId: 8 };
const ENUM_KEYS = new Set(['kind', 'code', 'aggregationTemporality']);

class JsonError extends Error {}

function hexIds(node, path, warnings) {
  if (Array.isArray(node)) {
    node.forEach((v, i) => hexIds(v, path + '[' + i + ']', warnings));
    return;
  }
  if (!node || typeof node !== 'object') return;
  for (const key of Object.keys(node)) {
    const v = node[key];
    const where = path + '.' + key;
    if (Object.prototype.hasOwnProperty.call(ID_LENGTHS, key) && typeof v === 'string') {
      if (v === '') { node[key] = Buffer.alloc(0); continue; }
      const want = ID_LENGTHS[key] * 2;
      if (v.length !== want || !/^[0-9a-fA-F]+$/.test(v))
        throw new JsonError(where + ' must be ' + want + ' hex characters (OTLP/JSON ids are hex, not base64), got ' +
                            JSON.stringify(v));
      if (/[A-F]/.test(v)) warnings.push(where + ' has upper-case hex');
      node[key] = Buffer.from(v, 'hex');
    } else if (ENUM_KEYS.has(key) && typeof v === 'string') {
      warnings.push(where + ' is the enum name ' + JSON.stringify(v) + ' (OTLP/JSON wants the integer)');
    } else {
      hexIds(v, where, warnings);
    }
  }
}

// Input keys that fromObject() did not recognise (a snake_case key, a typo): receivers must ignore them, so
// the data would be silently lost. Found by converting back with every known field present.
// Fields of current OTLP protos that the 0.57.2 generated classes predate (Span.flags and Link.flags of
// opentelemetry-proto 1.1, Resource.entityRefs): reported apart from the warnings, since a sender is right to
// use them.
const NEWER_FIELDS = new Set(['flags', 'entityRefs']);

function unknownKeys(input, known, path, warnings, newer) {
  if (Array.isArray(input)) {
    if (Array.isArray(known)) input.forEach((v, i) => unknownKeys(v, known[i], path + '[' + i + ']', warnings, newer));
    return;
  }
  if (!input || typeof input !== 'object' || Buffer.isBuffer(input)) return;
  for (const key of Object.keys(input)) {
    if (!known || typeof known !== 'object' || !Object.prototype.hasOwnProperty.call(known, key)) {
      if (input[key] === null) continue;
      if (NEWER_FIELDS.has(key)) newer.push(path + '.' + key);
      else warnings.push('unknown field ' + path + '.' + key);
      continue;
    }
    unknownKeys(input[key], known[key], path + '.' + key, warnings, newer);
  }
}

// JSON.parse would round integers above 2^53 (nanosecond timestamps sent as JSON numbers, which OTLP/JSON
// allows): such literals are turned into strings first, which fromObject() reads exactly.
function quoteBigInts(text) {
  let out = '';
  let last = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') { inString = true; continue; }
    if ((c === '-' || (c >= '0' && c <= '9')) && !/[0-9.eE+\-]/.test(text[i - 1] || '')) {
      let j = i + 1;
      while (j < text.length && /[0-9.eE+\-]/.test(text[j])) j++;
      const lit = text.slice(i, j);
      if (/^-?\d{16,}$/.test(lit)) {
        out += text.slice(last, i) + '"' + lit + '"';
        last = j;
      }
      i = j - 1;
    }
  }
  return out + text.slice(last);
}

function decodeJson(signal, buf) {
  const T = TYPES[signal].request;
  let doc;
  try {
    doc = JSON.parse(quoteBigInts(buf.toString('utf8')));
  } catch (e) {
    throw new JsonError('body is not JSON: ' + e.message);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new JsonError('body is not a JSON object');
  const warnings = [];
  hexIds(doc, '$', warnings);
  let msg;
  try {
    msg = T.fromObject(doc);
  } catch (e) {
    throw new JsonError('not an OTLP ' + signal + ' request: ' + e.message);
  }
  const known = T.toObject(msg, { longs: String, enums: Number, bytes: String, defaults: true, arrays: true,
                                  objects: true, oneofs: true });
  const newer = [];
  unknownKeys(doc, known, '$', warnings, newer);
  return { object: T.toObject(msg, OBJECT_OPTIONS), warnings, newerFields: newer };
}

// ------------------------------------------------------------------------------------------- responses
function responseObject(signal, partial) {
  if (!partial) return {};
  return { partialSuccess: { [TYPES[signal].rejectedField]: partial.rejected, errorMessage: partial.message || '' } };
}

function encodeResponse(signal, partial) {
  const R = TYPES[signal].response;
  return Buffer.from(R.encode(R.fromObject(responseObject(signal, partial))).finish());
}

function jsonResponse(signal, partial) {
  const R = TYPES[signal].response;
  return JSON.stringify(R.toObject(R.fromObject(responseObject(signal, partial)), { longs: String }));
}

module.exports = {
  quoteBigInts, TYPES, OBJECT_OPTIONS, NORMALIZE, JsonError, decodeProtobuf, decodeJson, encodeResponse, jsonResponse,
  responseObject, toHex,
};
