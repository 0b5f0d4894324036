// The API reference at /api/docs: one static HTML page generated from the OpenAPI document at
// start. No scripts at all (the CSP allows only our own files anyway); every value is escaped.
import type { OpenApiDocument } from './openapi.js';

interface Schema {
  $ref?: string;
  type?: string | string[];
  format?: string;
  enum?: unknown[];
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  description?: string;
  default?: unknown;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
}

interface Operation {
  operationId?: string;
  summary?: string;
  description?: string;
  tags?: string[];
  security?: Array<Record<string, string[]>>;
  parameters?: Array<{ name: string; in: string; required?: boolean; description?: string; schema?: Schema }>;
  requestBody?: { content?: Record<string, { schema?: Schema }> };
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: Schema }> }>;
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

const esc = (s: unknown) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

/** The few marks the descriptions use: paragraphs, `code` and **bold**. Escaped first, so nothing else gets through. */
function prose(text: string | undefined): string {
  if (!text) return '';
  return text.split(/\n\s*\n/).map((p) => `<p>${esc(p.replace(/\s*\n\s*/g, ' '))
    .replace(/`([^`]+)`/g, '<code>$1</code>')
    .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')}</p>`).join('\n');
}

const refName = (ref: string) => ref.split('/').pop() ?? ref;
const anchor = (s: string) => s.replace(/[^A-Za-z0-9_-]/g, '-');

function typeOf(s: Schema | undefined): string {
  if (!s) return 'any';
  if (s.$ref) return `<a href="#schema-${anchor(refName(s.$ref))}">${esc(refName(s.$ref))}</a>`;
  if (s.enum) return s.enum.map((v) => `<code>${esc(JSON.stringify(v))}</code>`).join(' | ');
  const alternatives = s.anyOf ?? s.oneOf;
  if (alternatives) return alternatives.map(typeOf).join(' or ');
  if (s.allOf) return s.allOf.map(typeOf).join(' and ');
  const types = Array.isArray(s.type) ? s.type : s.type ? [s.type] : [];
  return types.map((t) => {
    if (t === 'array') return `array of ${typeOf(s.items)}`;
    if (t === 'object' && !s.properties && typeof s.additionalProperties === 'object') return `map of ${typeOf(s.additionalProperties)}`;
    return esc(t) + (s.format ? ` <span class="muted">(${esc(s.format)})</span>` : '');
  }).join(' or ') || 'any';
}

function limits(s: Schema | undefined): string {
  if (!s) return '';
  const out: string[] = [];
  if (s.minLength !== undefined || s.maxLength !== undefined) out.push(`${s.minLength ?? 0}–${s.maxLength ?? '∞'} characters`);
  if (s.minimum !== undefined || s.maximum !== undefined) out.push(`${s.minimum ?? '−∞'} to ${s.maximum ?? '∞'}`);
  if (s.minItems !== undefined || s.maxItems !== undefined) out.push(`${s.minItems ?? 0}–${s.maxItems ?? '∞'} items`);
  if (s.pattern) out.push(`pattern <code>${esc(s.pattern)}</code>`);
  if (s.default !== undefined) out.push(`default <code>${esc(JSON.stringify(s.default))}</code>`);
  return out.length ? `<br><span class="muted">${out.join('; ')}</span>` : '';
}

function fields(s: Schema): string {
  const props = Object.entries(s.properties ?? {});
  if (!props.length) return `<p>${typeOf(s)}</p>`;
  const required = new Set(s.required ?? []);
  const rows = props.map(([name, p]) => `<tr><td><code>${esc(name)}</code>${required.has(name) ? ' <strong>required</strong>' : ''}</td>`
    + `<td>${typeOf(p)}${limits(p)}</td><td>${prose(p.description)}</td></tr>`);
  return `<table class="list"><thead><tr><th scope="col">Field</th><th scope="col">Type</th><th scope="col">Meaning</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function operation(method: string, path: string, op: Operation): string {
  const id = anchor(op.operationId ?? `${method}-${path}`);
  const scopes = (op.security ?? []).flatMap((r) => Object.values(r).flat());
  const params = op.parameters ?? [];
  const body = op.requestBody?.content?.['application/json']?.schema;
  const responses = Object.entries(op.responses ?? {}).map(([status, r]) => {
    const [type, media] = Object.entries(r.content ?? {})[0] ?? [];
    return `<tr><td>${esc(status)}</td><td>${esc(r.description ?? '')}</td><td>${type ? `${typeOf(media?.schema)} <span class="muted">${esc(type)}</span>` : '—'}</td></tr>`;
  });
  return `<section class="operation" id="${id}">
<h3><span class="method ${esc(method)}">${esc(method.toUpperCase())}</span> <code>${esc(path)}</code></h3>
<p><strong>${esc(op.summary ?? '')}</strong>${scopes.length ? ` · scope <code>${scopes.map(esc).join('</code>, <code>')}</code>` : ''}</p>
${prose(op.description)}
${params.length ? `<h4>Parameters</h4><table class="list"><thead><tr><th scope="col">Name</th><th scope="col">In</th><th scope="col">Type</th><th scope="col">Meaning</th></tr></thead><tbody>${
    params.map((p) => `<tr><td><code>${esc(p.name)}</code>${p.required ? ' <strong>required</strong>' : ''}</td><td>${esc(p.in)}</td><td>${typeOf(p.schema)}${limits(p.schema)}</td><td>${prose(p.description ?? p.schema?.description)}</td></tr>`).join('')
  }</tbody></table>` : ''}
${body ? `<h4>Body</h4><p>${typeOf(body)} <span class="muted">application/json</span></p>` : ''}
<h4>Answers</h4><table class="list"><thead><tr><th scope="col">Status</th><th scope="col">When</th><th scope="col">Body</th></tr></thead><tbody>${responses.join('')}</tbody></table>
</section>`;
}

/** The whole reference page. */
export function renderDocs(doc: OpenApiDocument): string {
  const ops: Array<{ tag: string; method: string; path: string; op: Operation }> = [];
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = (item as Record<string, Operation | undefined>)[method];
      if (op) ops.push({ tag: op.tags?.[0] ?? 'Other', method, path, op });
    }
  }
  const tags = (doc.tags ?? []).map((t) => ({ name: t.name, description: t.description }));
  const schemas = Object.entries((doc.components?.schemas ?? {}) as Record<string, Schema>);
  const server = doc.servers?.[0]?.url ?? '/api/v1';
  const toc = tags.map((t) => `<li>${esc(t.name)}<ul>${ops.filter((o) => o.tag === t.name)
    .map((o) => `<li><a href="#${anchor(o.op.operationId ?? '')}">${esc(o.op.summary ?? o.path)}</a></li>`).join('')}</ul></li>`).join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(doc.info.title)} · reference</title>
<link rel="stylesheet" href="/assets/app.css">
<link rel="stylesheet" href="/api/docs.css">
</head>
<body>
<header class="topbar"><span class="brand">resetbridge</span> <span>API reference</span></header>
<main id="main" class="api-docs">
<h1>${esc(doc.info.title)} <span class="muted">version ${esc(doc.info.version)}</span></h1>
<p>Base URL <code>${esc(server)}</code> · machine-readable: <a href="/api/v1/openapi.json">OpenAPI 3.1 document</a></p>
${prose(doc.info.description)}
<h2 id="contents">Contents</h2>
<ul class="toc">${toc}<li><a href="#schemas">Schemas</a></li></ul>
${tags.map((t) => `<h2 id="tag-${anchor(t.name)}">${esc(t.name)}</h2>${prose(t.description)}
${ops.filter((o) => o.tag === t.name).map((o) => operation(o.method, o.path, o.op)).join('\n')}`).join('\n')}
<h2 id="schemas">Schemas</h2>
${schemas.map(([name, s]) => `<section class="schema" id="schema-${anchor(name)}"><h3>${esc(name)}</h3>${prose(s.description)}${fields(s)}</section>`).join('\n')}
</main>
</body>
</html>
`;
}

/** Styles of the reference page, served as a file: the CSP allows no inline styles. */
export const DOCS_CSS = `.api-docs .operation, .api-docs .schema { background: #fff; border-radius: 6px; padding: 4px 16px 12px; margin: 16px 0; }
.api-docs h3 { font-size: 1.1rem; }
.api-docs h4 { margin: 12px 0 4px; }
.api-docs .method { display: inline-block; min-width: 4.5em; padding: 1px 6px; border-radius: 4px; color: #fff; font-size: .85rem; text-align: center; }
.api-docs .method.get { background: #1e7a46; }
.api-docs .method.post { background: #1f5fbf; }
.api-docs .method.put, .api-docs .method.patch { background: #8a5a00; }
.api-docs .method.delete { background: #b42318; }
.api-docs table.list td { vertical-align: top; }
.api-docs table.list td p { margin: 0; }
.api-docs code { overflow-wrap: anywhere; }
@media (prefers-color-scheme: dark) { .api-docs .operation, .api-docs .schema { background: #243040; } }
`;
